// Max and average pooling (windowed and global), 1-D and 2-D, any numeric type.

#include <algorithm>
#include <limits>

#include "compiler/golden/conv_layout.h"
#include "compiler/golden/kernels.h"

namespace wb::golden {
namespace {

template <class T>
void max_pool(const Conv2D& p, const T* x, T* y) {
  const std::int64_t planes = p.batch * p.in_channels;
#pragma omp parallel for schedule(static)
  for (std::int64_t plane = 0; plane < planes; ++plane) {
    const T* in = x + plane * p.in_h * p.in_w;
    T* out = y + plane * p.out_pixels();
    for (std::int64_t oy = 0; oy < p.out_h; ++oy) {
      for (std::int64_t ox = 0; ox < p.out_w; ++ox) {
        T best = std::numeric_limits<T>::lowest();
        if constexpr (std::is_floating_point_v<T>) best = -std::numeric_limits<T>::infinity();
        for (std::int64_t ky = 0; ky < p.kernel_h; ++ky) {
          const std::int64_t iy = oy * p.stride_h - p.pad_top + ky * p.dilation_h;
          if (iy < 0 || iy >= p.in_h) continue;
          for (std::int64_t kx = 0; kx < p.kernel_w; ++kx) {
            const std::int64_t ix = ox * p.stride_w - p.pad_left + kx * p.dilation_w;
            if (ix >= 0 && ix < p.in_w) best = std::max(best, in[iy * p.in_w + ix]);
          }
        }
        out[oy * p.out_w + ox] = best;
      }
    }
  }
}

// count_include_pad counts the explicit padding, not the extra cells ceil_mode adds past it
// (PyTorch's and ONNX Runtime's convention).
template <class T>
void average_pool(const Conv2D& p, std::int64_t pad_bottom, std::int64_t pad_right, bool count_include_pad, const T* x,
                  T* y) {
  const std::int64_t planes = p.batch * p.in_channels;
#pragma omp parallel for schedule(static)
  for (std::int64_t plane = 0; plane < planes; ++plane) {
    const T* in = x + plane * p.in_h * p.in_w;
    T* out = y + plane * p.out_pixels();
    for (std::int64_t oy = 0; oy < p.out_h; ++oy) {
      const std::int64_t y0 = oy * p.stride_h - p.pad_top;
      const std::int64_t y1 = std::min(y0 + p.kernel_h, p.in_h + pad_bottom);
      for (std::int64_t ox = 0; ox < p.out_w; ++ox) {
        const std::int64_t x0 = ox * p.stride_w - p.pad_left;
        const std::int64_t x1 = std::min(x0 + p.kernel_w, p.in_w + pad_right);
        double sum = 0;
        std::int64_t valid = 0;
        for (std::int64_t iy = std::max<std::int64_t>(y0, 0); iy < std::min(y1, p.in_h); ++iy) {
          for (std::int64_t ix = std::max<std::int64_t>(x0, 0); ix < std::min(x1, p.in_w); ++ix) {
            sum += static_cast<double>(in[iy * p.in_w + ix]);
            ++valid;
          }
        }
        const std::int64_t count = count_include_pad ? (y1 - y0) * (x1 - x0) : valid;
        out[oy * p.out_w + ox] = count > 0 ? static_cast<T>(sum / static_cast<double>(count)) : T(0);
      }
    }
  }
}

}  // namespace

void run_pool(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs) {
  const Tensor& x = *inputs[0];
  const bool ceil_mode = node.attrs.get_int("ceil_mode", 0) != 0;
  const WindowGeometry g = resolve_window(node.attrs, x.shape(), node.attrs.get_ints("kernel_shape"), ceil_mode);
  const Conv2D p = make_pool2d(g, x.shape());
  visit_dtype(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, bool>) {
      throw std::logic_error("pooling on a bool tensor");
    } else if (node.op == OpKind::MaxPool) {
      max_pool<T>(p, x.data<T>(), outputs[0].data<T>());
    } else {
      const bool one_d = g.rank() == 1;
      average_pool<T>(p, one_d ? 0 : g.pads_end[0], g.pads_end[one_d ? 0 : 1],
                      node.attrs.get_int("count_include_pad", 0) != 0, x.data<T>(), outputs[0].data<T>());
    }
  });
}

void run_global_pool(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs) {
  const Tensor& x = *inputs[0];
  const std::int64_t planes = x.shape()[0] * x.shape()[1];
  const std::int64_t size = planes == 0 ? 0 : x.numel() / planes;
  const bool is_max = node.op == OpKind::GlobalMaxPool;
  visit_dtype(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, bool>) {
      throw std::logic_error("pooling on a bool tensor");
    } else {
      const T* in = x.data<T>();
      T* out = outputs[0].data<T>();
      for (std::int64_t plane = 0; plane < planes; ++plane) {
        const T* first = in + plane * size;
        if (is_max) {
          out[plane] = *std::max_element(first, first + size);
        } else {
          double sum = 0;
          for (std::int64_t i = 0; i < size; ++i) sum += static_cast<double>(first[i]);
          out[plane] = static_cast<T>(sum / static_cast<double>(size));
        }
      }
    }
  });
}

}  // namespace wb::golden
