// Convolution: oneDNN for float32; im2col + Eigen GEMM per group, or a direct loop for
// depthwise, for float64 and whatever oneDNN does not implement.

#include <Eigen/Core>
#include <cmath>
#include <limits>

#include "compiler/golden/conv_layout.h"
#include "compiler/golden/dnnl_conv.h"
#include "compiler/golden/kernels.h"
#include "compiler/golden/requantize.h"
#include "compiler/ir/fusion.h"
#include "compiler/ir/window_geometry.h"

namespace wb::golden {
namespace {

template <class T>
using RowMatrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using RowMap = Eigen::Map<RowMatrix<T>>;
template <class T>
using ConstRowMap = Eigen::Map<const RowMatrix<T>>;

// One output plane per channel, each reading `multiplier`-th share of one input plane.
// Loops are arranged so the innermost runs over contiguous output pixels.
template <class T>
void depthwise(const Conv2D& conv, const T* x, const T* w, const T* bias, T* y) {
  const std::int64_t multiplier = conv.group_out_channels();
  const std::int64_t planes = conv.batch * conv.out_channels;
#pragma omp parallel for schedule(static)
  for (std::int64_t plane = 0; plane < planes; ++plane) {
    const std::int64_t n = plane / conv.out_channels;
    const std::int64_t m = plane % conv.out_channels;
    const T* in = x + (n * conv.in_channels + m / multiplier) * conv.in_h * conv.in_w;
    const T* kernel = w + m * conv.kernel_h * conv.kernel_w;
    T* out = y + plane * conv.out_pixels();
    const T b = bias ? bias[m] : T(0);
    for (std::int64_t i = 0; i < conv.out_pixels(); ++i) out[i] = b;
    for (std::int64_t oy = 0; oy < conv.out_h; ++oy) {
      T* out_row = out + oy * conv.out_w;
      for (std::int64_t ky = 0; ky < conv.kernel_h; ++ky) {
        const std::int64_t iy = oy * conv.stride_h - conv.pad_top + ky * conv.dilation_h;
        if (iy < 0 || iy >= conv.in_h) continue;
        const T* in_row = in + iy * conv.in_w;
        for (std::int64_t kx = 0; kx < conv.kernel_w; ++kx) {
          const T weight = kernel[ky * conv.kernel_w + kx];
          const std::int64_t offset = kx * conv.dilation_w - conv.pad_left;
          // Valid ox: 0 <= ox*stride + offset < in_w.
          std::int64_t ox_begin = offset >= 0 ? 0 : (-offset + conv.stride_w - 1) / conv.stride_w;
          std::int64_t ox_end = conv.in_w - offset <= 0 ? 0 : (conv.in_w - offset + conv.stride_w - 1) / conv.stride_w;
          ox_end = std::min(ox_end, conv.out_w);
          if (conv.stride_w == 1) {
            const T* src = in_row + offset;
            for (std::int64_t ox = ox_begin; ox < ox_end; ++ox) out_row[ox] += weight * src[ox];
          } else {
            for (std::int64_t ox = ox_begin; ox < ox_end; ++ox) out_row[ox] += weight * in_row[ox * conv.stride_w + offset];
          }
        }
      }
    }
  }
}

template <class T>
void conv_float(const Conv2D& conv, const T* x, const T* w, const T* bias, T* y) {
  if (conv.group == conv.in_channels && conv.group_in_channels() == 1 && conv.group > 1) {
    depthwise(conv, x, w, bias, y);
    return;
  }
  const std::int64_t k = conv.patch_size();
  const std::int64_t p = conv.out_pixels();
  const std::int64_t mg = conv.group_out_channels();
  std::vector<T> col(conv.is_pointwise() ? 0 : static_cast<std::size_t>(k * p));
  for (std::int64_t n = 0; n < conv.batch; ++n) {
    for (std::int64_t g = 0; g < conv.group; ++g) {
      const T* image = x + (n * conv.in_channels + g * conv.group_in_channels()) * conv.in_h * conv.in_w;
      const T* patches = image;
      if (!conv.is_pointwise()) {
        im2col(conv, image, col.data(), T(0), [](T v) { return v; });
        patches = col.data();
      }
      RowMap<T> out(y + (n * conv.out_channels + g * mg) * p, mg, p);
      out.noalias() = ConstRowMap<T>(w + g * mg * k, mg, k) * ConstRowMap<T>(patches, k, p);
      if (bias != nullptr) out.colwise() += Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, 1>>(bias + g * mg, mg);
    }
  }
}

// Integer convolution on zero-point-shifted operands, accumulated exactly in int64
// (ONNX: "accumulation may overflow if and only if in 32 bits"; we wrap to int32 at the end).
template <class X, class W>
std::vector<std::int64_t> conv_integer_acc(const Conv2D& conv, const X* x, std::int64_t x_zero, const W* w,
                                           const std::vector<std::int64_t>& w_zero) {
  const std::int64_t k = conv.patch_size();
  const std::int64_t p = conv.out_pixels();
  const std::int64_t mg = conv.group_out_channels();
  RowMatrix<std::int64_t> weights(conv.out_channels, k);
  for (std::int64_t m = 0; m < conv.out_channels; ++m) {
    const std::int64_t zero = w_zero.size() == 1 ? w_zero[0] : w_zero[static_cast<std::size_t>(m)];
    for (std::int64_t i = 0; i < k; ++i) weights(m, i) = static_cast<std::int64_t>(w[m * k + i]) - zero;
  }
  std::vector<std::int64_t> acc(static_cast<std::size_t>(conv.batch * conv.out_channels * p));
  std::vector<std::int64_t> col(static_cast<std::size_t>(k * p));
  for (std::int64_t n = 0; n < conv.batch; ++n) {
    for (std::int64_t g = 0; g < conv.group; ++g) {
      const X* image = x + (n * conv.in_channels + g * conv.group_in_channels()) * conv.in_h * conv.in_w;
      // Padding is zero in the shifted domain, i.e. the input is padded with its zero point.
      im2col(conv, image, col.data(), std::int64_t{0},
             [x_zero](X v) { return static_cast<std::int64_t>(v) - x_zero; });
      RowMap<std::int64_t>(acc.data() + (n * conv.out_channels + g * mg) * p, mg, p).noalias() =
          weights.middleRows(g * mg, mg) * ConstRowMap<std::int64_t>(col.data(), k, p);
    }
  }
  return acc;
}

std::vector<std::int64_t> zero_points(const Tensor* t) {
  return t == nullptr ? std::vector<std::int64_t>{0} : t->to_int64_vector();
}

// The input with s - 1 zeros between neighbouring pixels (a ConvTranspose as a Conv: the
// "input_dilations" attribute, window_geometry.h).
Tensor zero_inserted(const Tensor& x, const Attributes& attrs) {
  const Shape dilated_shape = dilated_input_shape(attrs, x.shape());
  Tensor dilated(x.dtype(), dilated_shape);
  const Shape& s = x.shape();
  const std::int64_t h = s.size() == 4 ? s[2] : 1, w = s.back();
  const std::int64_t dh = dilated_shape.size() == 4 ? dilated_shape[2] : 1, dw = dilated_shape.back();
  const std::int64_t step_h = h > 1 ? (dh - 1) / (h - 1) : 1, step_w = w > 1 ? (dw - 1) / (w - 1) : 1;
  visit_dtype(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* src = x.data<T>();
    T* dst = dilated.data<T>();
    for (std::int64_t plane = 0; plane < s[0] * s[1]; ++plane) {
      for (std::int64_t i = 0; i < h; ++i) {
        for (std::int64_t j = 0; j < w; ++j) dst[(plane * dh + i * step_h) * dw + j * step_w] = src[(plane * h + i) * w + j];
      }
    }
  });
  return dilated;
}

}  // namespace

void run_conv(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs) {
  Tensor dilated;
  if (has_input_dilations(node.attrs)) dilated = zero_inserted(*inputs[0], node.attrs);
  const Tensor& x = dilated.empty() ? *inputs[0] : dilated;
  const Tensor& w = *inputs[1];
  const Tensor* b = inputs.size() > 2 ? inputs[2] : nullptr;
  const Tensor* residual = inputs.size() > kConvResidualInput ? inputs[kConvResidualInput] : nullptr;
  const FusedActivation activation = FusedActivation::of(node);
  const Conv2D conv = make_conv2d(node, x.shape(), w.shape());
  visit_dtype(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_floating_point_v<T>) {
      T* y = outputs[0].data<T>();
      const T* r = residual ? residual->data<T>() : nullptr;
      bool activated = false;
      bool done = false;
      if constexpr (std::is_same_v<T, float>) {
        // The activation goes into oneDNN only without a residual: it must follow the add.
        const bool constant_weights = node.inputs[1] != nullptr && node.inputs[1]->is_constant();
        const FusedActivation post = r == nullptr ? activation : FusedActivation{};
        done = outputs[0].numel() > 0 && dnnl_conv_f32(node, conv, x.data<float>(), w.data<float>(), constant_weights,
                                                       b ? b->data<float>() : nullptr, post, y);
        activated = done && post.kind != FusedActivation::Kind::None;
      }
      if (!done) conv_float<T>(conv, x.data<T>(), w.data<T>(), b ? b->data<T>() : nullptr, y);
      if (r != nullptr || (activation.kind != FusedActivation::Kind::None && !activated)) {
        const std::int64_t n = outputs[0].numel();
#pragma omp parallel for schedule(static) if (n > (1 << 16))
        for (std::int64_t i = 0; i < n; ++i) y[i] = activation.apply(r ? y[i] + r[i] : y[i]);
      }
    } else {
      throw std::logic_error("Conv on a non-float tensor");
    }
  });
}

void run_conv_integer(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs) {
  const bool qlinear = node.op == OpKind::QLinearConv;
  const Tensor& x = *inputs[0];
  const Tensor& w = *inputs[qlinear ? 3 : 1];
  const Tensor* x_zero_t = inputs.size() > 2 ? inputs[2] : nullptr;
  const Tensor* w_zero_t = qlinear ? inputs[5] : (inputs.size() > 3 ? inputs[3] : nullptr);
  const Conv2D conv = make_conv2d(node, x.shape(), w.shape());
  const std::int64_t x_zero = x_zero_t ? x_zero_t->as_int64(0) : 0;
  const auto w_zero = zero_points(w_zero_t);

  std::vector<std::int64_t> acc = visit_dtype(x.dtype(), [&](auto xtag) {
    using X = typename decltype(xtag)::type;
    return visit_dtype(w.dtype(), [&](auto wtag) {
      using W = typename decltype(wtag)::type;
      if constexpr (std::is_integral_v<X> && std::is_integral_v<W> && !std::is_same_v<X, bool> &&
                    !std::is_same_v<W, bool>) {
        return conv_integer_acc<X, W>(conv, x.data<X>(), x_zero, w.data<W>(), w_zero);
      } else {
        throw std::logic_error("integer convolution on non-integer tensors");
        return std::vector<std::int64_t>{};
      }
    });
  });

  const std::int64_t p = conv.out_pixels();
  if (!qlinear) {
    auto* y = outputs[0].data<std::int32_t>();
    for (std::size_t i = 0; i < acc.size(); ++i) y[i] = static_cast<std::int32_t>(acc[i]);
    return;
  }
  const Tensor* bias = inputs.size() > 8 ? inputs[8] : nullptr;
  const auto w_scale = inputs[4]->to_double_vector();
  const QLinearOutput out_params(*inputs[1], w_scale, *inputs[6], *inputs[7]);
  for (std::int64_t n = 0; n < conv.batch; ++n) {
    for (std::int64_t m = 0; m < conv.out_channels; ++m) {
      const std::int64_t base = (n * conv.out_channels + m) * p;
      const std::int64_t b = bias ? bias->as_int64(m) : 0;
      for (std::int64_t i = 0; i < p; ++i) {
        acc[static_cast<std::size_t>(base + i)] = static_cast<std::int32_t>(acc[static_cast<std::size_t>(base + i)] + b);
      }
      out_params.write(acc.data() + base, p, static_cast<std::size_t>(m), outputs[0], base);
    }
  }
}

}  // namespace wb::golden
