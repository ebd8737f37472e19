// ConvTranspose (float): per group one GEMM of the transposed weights with the input's
// pixels, then every column (an input pixel's products for every tap) added at the output
// pixels its taps write (col2im), the way a transposed convolution is a convolution's
// gradient. 1 to 3 spatial axes, read as three (missing axes of extent 1).

#include <Eigen/Core>
#include <array>

#include "compiler/golden/kernels.h"
#include "compiler/ir/transposed_window.h"

namespace wb::golden {
namespace {

template <class T>
using RowMatrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using ConstRowMap = Eigen::Map<const RowMatrix<T>>;

// One axis of the window, padded to three.
struct Axis {
  std::int64_t input = 1, kernel = 1, stride = 1, dilation = 1, pad_begin = 0, output = 1;
};

std::array<Axis, 3> three_axes(const TransposedWindow& g) {
  std::array<Axis, 3> axes{};
  const std::size_t first = 3 - g.rank();
  for (std::size_t a = 0; a < g.rank(); ++a) {
    axes[first + a] = {g.input[a], g.kernel[a], g.strides[a], g.dilations[a], g.pads_begin[a], g.output[a]};
  }
  return axes;
}

template <class T>
void conv_transpose(const TransposedWindow& g, std::int64_t batch, std::int64_t in_channels, std::int64_t group,
                    std::int64_t group_out_channels, const T* x, const T* w, const T* bias, T* y) {
  const std::array<Axis, 3> ax = three_axes(g);
  const std::int64_t in_pixels = ax[0].input * ax[1].input * ax[2].input;
  const std::int64_t out_pixels = ax[0].output * ax[1].output * ax[2].output;
  const std::int64_t taps = ax[0].kernel * ax[1].kernel * ax[2].kernel;
  const std::int64_t group_in = in_channels / group;
  const std::int64_t out_channels = group_out_channels * group;
  RowMatrix<T> columns(group_out_channels * taps, in_pixels);
  for (std::int64_t n = 0; n < batch; ++n) {
    T* image = y + n * out_channels * out_pixels;
    for (std::int64_t c = 0; c < out_channels; ++c) {
      std::fill(image + c * out_pixels, image + (c + 1) * out_pixels, bias != nullptr ? bias[c] : T(0));
    }
    for (std::int64_t gi = 0; gi < group; ++gi) {
      // W rows: this group's input channels, each [C_out / group, taps].
      const ConstRowMap<T> weights(w + gi * group_in * group_out_channels * taps, group_in, group_out_channels * taps);
      const ConstRowMap<T> pixels(x + (n * in_channels + gi * group_in) * in_pixels, group_in, in_pixels);
      columns.noalias() = weights.transpose() * pixels;
      for (std::int64_t j = 0; j < group_out_channels; ++j) {
        T* plane = image + (gi * group_out_channels + j) * out_pixels;
        for (std::int64_t k0 = 0; k0 < ax[0].kernel; ++k0) {
          for (std::int64_t k1 = 0; k1 < ax[1].kernel; ++k1) {
            for (std::int64_t k2 = 0; k2 < ax[2].kernel; ++k2) {
              const T* column = columns.data() + ((j * ax[0].kernel + k0) * ax[1].kernel + k1) * ax[2].kernel * in_pixels +
                                k2 * in_pixels;
              for (std::int64_t i0 = 0; i0 < ax[0].input; ++i0) {
                const std::int64_t o0 = i0 * ax[0].stride + k0 * ax[0].dilation - ax[0].pad_begin;
                if (o0 < 0 || o0 >= ax[0].output) continue;
                for (std::int64_t i1 = 0; i1 < ax[1].input; ++i1) {
                  const std::int64_t o1 = i1 * ax[1].stride + k1 * ax[1].dilation - ax[1].pad_begin;
                  if (o1 < 0 || o1 >= ax[1].output) continue;
                  const T* src = column + (i0 * ax[1].input + i1) * ax[2].input;
                  T* dst = plane + (o0 * ax[1].output + o1) * ax[2].output;
                  for (std::int64_t i2 = 0; i2 < ax[2].input; ++i2) {
                    const std::int64_t o2 = i2 * ax[2].stride + k2 * ax[2].dilation - ax[2].pad_begin;
                    if (o2 >= 0 && o2 < ax[2].output) dst[o2] += src[i2];
                  }
                }
              }
            }
          }
        }
      }
    }
  }
}

}  // namespace

void run_conv_transpose(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs) {
  const Tensor& x = *inputs[0];
  const Tensor& w = *inputs[1];
  const Tensor* b = inputs.size() > 2 ? inputs[2] : nullptr;
  const TransposedWindow g =
      resolve_transposed_window(node.attrs, x.shape(), std::vector<std::int64_t>(w.shape().begin() + 2, w.shape().end()));
  const std::int64_t group = node.attrs.get_int("group", 1);
  visit_dtype(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_floating_point_v<T>) {
      conv_transpose<T>(g, x.shape()[0], x.shape()[1], group, w.shape()[1], x.data<T>(), w.data<T>(),
                        b != nullptr ? b->data<T>() : nullptr, outputs[0].data<T>());
    } else {
      throw std::logic_error("ConvTranspose on a non-float tensor");
    }
  });
}

}  // namespace wb::golden
