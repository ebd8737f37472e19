#include "compiler/golden/integer_kernels.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <cmath>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <type_traits>

#include "compiler/golden/integer_arithmetic.h"
#include "support/error.h"

namespace wb::golden::integer {

using quant::QGraph;
using quant::QNode;
using quant::QOpKind;
using quant::QTensor;

namespace {

// ---------------------------------------------------------------------------------------
// Helpers: int32 working copies of the 8/16-bit tensors, and a parallel loop.

template <class T>
constexpr bool is_small_integer = std::is_integral_v<T> && !std::is_same_v<T, bool> && sizeof(T) <= 2;

}  // namespace

// Every element of an I8/U8/I16/U16 tensor as int32.
std::vector<std::int32_t> widen(const Tensor& t) {
  std::vector<std::int32_t> values(static_cast<std::size_t>(t.numel()));
  visit_dtype(t.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (is_small_integer<T>) {
      const T* data = t.data<T>();
      for (std::size_t i = 0; i < values.size(); ++i) values[i] = data[i];
    } else {
      throw std::logic_error(
          fmt::format("{} tensor where an 8- or 16-bit integer tensor was expected", dtype_name(t.dtype())));
    }
  });
  return values;
}

// The values as a tensor of t's type and shape; std::logic_error if one is out of its range.
Tensor narrow(const std::vector<std::int32_t>& values, const QTensor& t) {
  Tensor out(t.dtype(), t.shape);
  if (static_cast<std::int64_t>(values.size()) != out.numel()) {
    throw std::logic_error(
        fmt::format("{} values computed for tensor {} of shape {}", values.size(), t.name, format_shape(t.shape)));
  }
  visit_dtype(out.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (is_small_integer<T>) {
      T* data = out.data<T>();
      for (std::size_t i = 0; i < values.size(); ++i) {
        if (values[i] < t.lo() || values[i] > t.hi()) {
          throw std::logic_error(
              fmt::format("value {} out of the range [{}, {}] of tensor {}", values[i], t.lo(), t.hi(), t.name));
        }
        data[i] = static_cast<T>(values[i]);
      }
    }
  });
  return out;
}

namespace {

// body(i) for i in [0, count) on the OpenMP threads; the first exception thrown is rethrown.
template <class Body>
void parallel_for(std::int64_t count, const Body& body) {
  std::exception_ptr error;
#pragma omp parallel for schedule(dynamic)
  for (std::int64_t i = 0; i < count; ++i) {
    try {
      body(i);
    } catch (...) {
#pragma omp critical(wb_golden_integer_executor_error)
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
}

std::int64_t product(const Shape& shape, std::size_t from) {
  std::int64_t p = 1;
  for (std::size_t i = from; i < shape.size(); ++i) p *= shape[i];
  return p;
}

std::int64_t max_magnitude(const QTensor& t) { return std::max(-t.lo(), t.hi()); }

}  // namespace

// ---------------------------------------------------------------------------------------
// Window geometry of Conv, MaxPool and AvgPool over H and W.

namespace {

Axis make_axis(const QNode& node, std::size_t i, std::int64_t in, std::int64_t out) {
  Axis a;
  a.in = in;
  a.out = out;
  a.kernel = node.kernel[i];
  a.stride = node.strides[i];
  a.dilation = node.dilations[i];
  a.pad_begin = node.pads_begin[i];
  const std::int64_t pad_end = node.pads_end[i];
  if (a.kernel < 1 || a.stride < 1 || a.dilation < 1 || a.pad_begin < 0 || pad_end < 0) {
    throw std::logic_error(fmt::format("window axis {}: kernel {}, stride {}, dilation {}, pads {}/{}", i, a.kernel,
                                       a.stride, a.dilation, a.pad_begin, pad_end));
  }
  // The output extent is floor((in + pads - extent) / stride) + 1, or the ceil of it (ceil_mode);
  // positions outside the input are padding either way.
  const std::int64_t extent = (a.kernel - 1) * a.dilation + 1;
  const std::int64_t span = in + a.pad_begin + pad_end - extent;
  const std::int64_t lo = span < 0 ? 0 : span / a.stride + 1;
  const std::int64_t hi = span < 0 ? 0 : (span + a.stride - 1) / a.stride + 1;
  if (out < lo || out > hi || out < 1) {
    throw std::logic_error(
        fmt::format("window axis {}: output size {} but input {}, kernel {}, stride {}, dilation {}, "
                    "pads {}/{} give {}",
                    i, out, in, a.kernel, a.stride, a.dilation, a.pad_begin, pad_end, lo));
  }
  a.padded = std::max(a.pad_begin + in, (out - 1) * a.stride + extent);
  return a;
}

}  // namespace

Window make_window(const QNode& node, const Shape& in, const Shape& out) {
  if (node.kernel.size() != 2 || node.strides.size() != 2 || node.dilations.size() != 2 ||
      node.pads_begin.size() != 2 || node.pads_end.size() != 2) {
    throw std::logic_error("window attributes must have two entries (H, W)");
  }
  if (in.size() != 4 || out.size() != 4) throw std::logic_error("window ops need NCHW tensors");
  // A conv over its input with s - 1 zeros between pixels slides over (extent - 1) s + 1 of them.
  std::vector<std::int64_t> step{1, 1};
  if (node.kind == quant::QOpKind::Conv) step = node.input_dilations;
  if (step.size() != 2 || step[0] < 1 || step[1] < 1) throw std::logic_error("input dilations must be two entries >= 1");
  return {make_axis(node, 0, (in[2] - 1) * step[0] + 1, out[2]), make_axis(node, 1, (in[3] - 1) * step[1] + 1, out[3])};
}

// ---------------------------------------------------------------------------------------
// Conv: v = sum(w * x) + bias[c], then requantised per output channel.

namespace {

// The zero-padded copy of one image [C, H, W] as [C, padded_y, padded_x].
std::vector<std::int32_t> pad_image(const std::int32_t* image, std::int64_t channels, const Window& g) {
  std::vector<std::int32_t> padded(static_cast<std::size_t>(channels * g.y.padded * g.x.padded), 0);
  for (std::int64_t c = 0; c < channels; ++c) {
    for (std::int64_t iy = 0; iy < g.y.in; ++iy) {
      const std::int32_t* src = image + (c * g.y.in + iy) * g.x.in;
      std::int32_t* dst = padded.data() + (c * g.y.padded + g.y.pad_begin + iy) * g.x.padded + g.x.pad_begin;
      std::copy(src, src + g.x.in, dst);
    }
  }
  return padded;
}

// The input each tap (channel, ky, kx) meets at each output pixel, from the zero-padded
// image: one contiguous row of out.y x out.x values per tap, so an output channel is a sum
// of long rows (fast) however small its image is.
std::vector<std::int32_t> image_patches(const std::int32_t* padded, std::int64_t channels, const Window& g) {
  const std::int64_t oh = g.y.out, ow = g.x.out, plane = g.y.padded * g.x.padded;
  const std::int64_t taps_per_channel = g.y.kernel * g.x.kernel;
  std::vector<std::int32_t> patches(static_cast<std::size_t>(channels * taps_per_channel * oh * ow));
  parallel_for(channels, [&](std::int64_t c) {
    std::int32_t* out = patches.data() + c * taps_per_channel * oh * ow;
    for (std::int64_t ky = 0; ky < g.y.kernel; ++ky) {
      for (std::int64_t kx = 0; kx < g.x.kernel; ++kx) {
        const std::int32_t* first = padded + c * plane + ky * g.y.dilation * g.x.padded + kx * g.x.dilation;
        for (std::int64_t oy = 0; oy < oh; ++oy) {
          const std::int32_t* row = first + oy * g.y.stride * g.x.padded;
          for (std::int64_t ox = 0; ox < ow; ++ox) *out++ = row[ox * g.x.stride];
        }
      }
    }
  });
  return patches;
}

// One output channel: `x` the patch rows of its group's input channels, `w` its weights
// [C_in/group, kH, kW]. Acc is int32 only where the caller proved no partial sum overflows it.
template <class Acc>
void conv_channel(std::int64_t pixels, std::int64_t taps, const std::int32_t* x, const std::int32_t* w,
                  std::int64_t bias, const quant::Requant& requant, std::size_t channel, std::int32_t* y) {
  std::vector<Acc> acc(static_cast<std::size_t>(pixels), static_cast<Acc>(bias));
  for (std::int64_t t = 0; t < taps; ++t) {
    const Acc weight = static_cast<Acc>(w[t]);
    if (weight == 0) continue;
    const std::int32_t* row = x + t * pixels;
    for (std::int64_t i = 0; i < pixels; ++i) acc[static_cast<std::size_t>(i)] += weight * static_cast<Acc>(row[i]);
  }
  for (std::size_t i = 0; i < acc.size(); ++i) y[i] = static_cast<std::int32_t>(requantize(acc[i], requant, channel));
}

// The input with s - 1 zeros after every pixel but the last of each row and column (a
// ConvTranspose's conv: QNode::input_dilations), [N, C, (H - 1) s_h + 1, (W - 1) s_w + 1].
std::vector<std::int32_t> zero_inserted(const std::vector<std::int32_t>& x, const Shape& shape,
                                        const std::vector<std::int64_t>& step, Shape& dilated) {
  dilated = shape;
  dilated[2] = (shape[2] - 1) * step[0] + 1;
  dilated[3] = (shape[3] - 1) * step[1] + 1;
  std::vector<std::int32_t> out(static_cast<std::size_t>(num_elements(dilated)), 0);
  for (std::int64_t plane = 0; plane < shape[0] * shape[1]; ++plane) {
    for (std::int64_t h = 0; h < shape[2]; ++h) {
      for (std::int64_t w = 0; w < shape[3]; ++w) {
        out[static_cast<std::size_t>((plane * dilated[2] + h * step[0]) * dilated[3] + w * step[1])] =
            x[static_cast<std::size_t>((plane * shape[2] + h) * shape[3] + w)];
      }
    }
  }
  return out;
}

}  // namespace

Tensor run_conv(const QGraph& graph, const QNode& node, const Tensor& input) {
  const QTensor& in_t = graph.tensor(node.inputs[0]);
  const QTensor& out_t = graph.tensor(node.output);
  Shape in_shape = in_t.shape;
  std::vector<std::int32_t> x = widen(input);
  if (node.input_dilations != std::vector<std::int64_t>{1, 1}) x = zero_inserted(x, in_t.shape, node.input_dilations, in_shape);
  const Window g = make_window(node, in_t.shape, out_t.shape);  // over the zero-inserted in_shape
  const std::int64_t batch = in_shape[0], in_channels = in_shape[1], out_channels = out_t.shape[1];
  const std::int64_t group_in = in_channels / node.group, group_out = out_channels / node.group;
  const std::int64_t taps = group_in * g.y.kernel * g.x.kernel;  // weights per output channel

  const std::vector<std::int32_t> weights = widen(node.weights);
  std::vector<std::int64_t> bias(static_cast<std::size_t>(out_channels), 0);
  if (!node.bias.empty()) {
    for (std::int64_t c = 0; c < out_channels; ++c)
      bias[static_cast<std::size_t>(c)] = node.bias.data<std::int32_t>()[c];
  }

  // |partial sum| <= |bias| + sum|w| * max|x| for every partial sum of a channel: int32 holds
  // them when that bound is below 2^31; int64 (checked here once) otherwise.
  std::vector<char> fits_int32(static_cast<std::size_t>(out_channels));
  for (std::int64_t c = 0; c < out_channels; ++c) {
    std::int64_t sum_abs = 0;
    for (std::int64_t k = 0; k < taps; ++k)
      sum_abs += std::abs(std::int64_t{weights[static_cast<std::size_t>(c * taps + k)]});
    const std::int64_t bound = checked_add(checked_mul(sum_abs, max_magnitude(in_t), "accumulator bound"),
                                           std::abs(bias[static_cast<std::size_t>(c)]), "accumulator bound");
    fits_int32[static_cast<std::size_t>(c)] = bound < (std::int64_t{1} << 31);
  }

  std::vector<std::int32_t> y(static_cast<std::size_t>(batch * out_channels * g.y.out * g.x.out));
  for (std::int64_t n = 0; n < batch; ++n) {
    const std::vector<std::int32_t> padded = pad_image(x.data() + n * in_channels * g.y.in * g.x.in, in_channels, g);
    const std::vector<std::int32_t> patches = image_patches(padded.data(), in_channels, g);
    const std::int64_t pixels = g.y.out * g.x.out;
    parallel_for(out_channels, [&](std::int64_t c) {
      const auto channel = static_cast<std::size_t>(c);
      const std::int32_t* xg = patches.data() + (c / group_out) * taps * pixels;
      const std::int32_t* w = weights.data() + c * taps;
      std::int32_t* out = y.data() + (n * out_channels + c) * pixels;
      if (fits_int32[channel]) {
        conv_channel<std::int32_t>(pixels, taps, xg, w, bias[channel], node.requant, channel, out);
      } else {
        conv_channel<std::int64_t>(pixels, taps, xg, w, bias[channel], node.requant, channel, out);
      }
    });
  }
  return narrow(y, out_t);
}

// ---------------------------------------------------------------------------------------
// Add: v = a * m_a + b * m_b, then requantised.

Tensor run_add(const QGraph& graph, const QNode& node, const Tensor& a_tensor, const Tensor& b_tensor) {
  const QTensor& out_t = graph.tensor(node.output);
  const std::vector<std::int32_t> a = widen(a_tensor), b = widen(b_tensor);
  const std::int64_t m_a = node.input_multiplier[0], m_b = node.input_multiplier[1];
  const std::int64_t channels = out_t.shape.size() >= 2 ? out_t.shape[1] : 1;  // requant channel: axis 1
  const std::int64_t inner = product(out_t.shape, 2);
  const std::int64_t planes = inner == 0 ? 0 : product(out_t.shape, 0) / inner;  // N * C
  std::vector<std::int32_t> y(a.size());
  parallel_for(planes, [&](std::int64_t p) {
    const auto channel = static_cast<std::size_t>(p % channels);
    for (std::int64_t i = p * inner; i < (p + 1) * inner; ++i) {
      const auto k = static_cast<std::size_t>(i);
      const std::int64_t v = checked_add(checked_mul(a[k], m_a, "a * m_a"), checked_mul(b[k], m_b, "b * m_b"), "add");
      y[k] = static_cast<std::int32_t>(requantize(v, node.requant, channel));
    }
  });
  return narrow(y, out_t);
}

// ---------------------------------------------------------------------------------------
// Mul: the exact product, requantised per tensor; an input whose dimension is 1 where the
// output's is larger is read again along that dimension (numpy broadcasting, equal ranks).

namespace {

// Element strides of `shape` as read for an output of `out_shape`: 0 along broadcast dims.
std::vector<std::int64_t> broadcast_strides(const Shape& shape, const Shape& out_shape) {
  std::vector<std::int64_t> strides(out_shape.size(), 0);
  std::int64_t stride = 1;
  for (std::size_t d = out_shape.size(); d-- > 0;) {
    strides[d] = shape[d] == 1 && out_shape[d] != 1 ? 0 : stride;
    stride *= shape[d];
  }
  return strides;
}

}  // namespace

Tensor run_mul(const QGraph& graph, const QNode& node, const Tensor& a_tensor, const Tensor& b_tensor) {
  const QTensor& out_t = graph.tensor(node.output);
  const std::vector<std::int32_t> a = widen(a_tensor), b = widen(b_tensor);
  const Shape& shape = out_t.shape;
  const std::vector<std::int64_t> sa = broadcast_strides(a_tensor.shape(), shape);
  const std::vector<std::int64_t> sb = broadcast_strides(b_tensor.shape(), shape);
  const std::int64_t count = num_elements(shape);
  std::vector<std::int32_t> y(static_cast<std::size_t>(count));
  for (std::int64_t i = 0; i < count; ++i) {
    std::int64_t rest = i, ia = 0, ib = 0;
    for (std::size_t d = shape.size(); d-- > 0;) {
      const std::int64_t index = rest % shape[d];
      rest /= shape[d];
      ia += index * sa[d];
      ib += index * sb[d];
    }
    const std::int64_t v = checked_mul(a[static_cast<std::size_t>(ia)], b[static_cast<std::size_t>(ib)], "a * b");
    y[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(requantize(v, node.requant, 0));
  }
  return narrow(y, out_t);
}

// Attention's products per head (quant::MatMulForm): images [1, h d, 1, T] are channel-major, so
// channel c of token t is at c * T + t; scores and probabilities [h, T, T'] row-major.
Tensor run_matmul(const QGraph& graph, const QNode& node, const Tensor& a_tensor, const Tensor& b_tensor) {
  const QTensor& out_t = graph.tensor(node.output);
  const Shape& b_shape = graph.tensor(node.inputs[1]).shape;
  const std::vector<std::int32_t> a = widen(a_tensor), b = widen(b_tensor);
  const std::int64_t heads = node.matmul_heads, size = b_shape[1] / heads, keys = b_shape[3];
  const bool scores = node.matmul_form == quant::MatMulForm::Scores;
  const Shape& a_shape = graph.tensor(node.inputs[0]).shape;
  // W windows of Lq queries and Lk keys each (W = 1: every token attends to every token).
  const std::int64_t windows = node.matmul_windows;
  const std::int64_t lk = keys / windows;
  const std::int64_t lq = scores ? a_shape[3] / windows : a_shape[1];
  const std::int64_t queries = lq * windows;
  std::vector<std::int32_t> y(static_cast<std::size_t>(num_elements(out_t.shape)));
  const auto at = [](const std::vector<std::int32_t>& v, std::int64_t i) { return std::int64_t{v[static_cast<std::size_t>(i)]}; };
  parallel_for(windows * heads * lq, [&](std::int64_t whq) {
    const std::int64_t w = whq / (heads * lq), k = whq / lq % heads, i = whq % lq;
    const std::int64_t row = (w * heads + k) * lq + i;  // of the scores [W h, Lq, Lk]
    const std::int64_t query = w * lq + i, key0 = w * lk;
    if (scores) {
      for (std::int64_t j = 0; j < lk; ++j) {
        std::int64_t v = 0;
        for (std::int64_t c = 0; c < size; ++c) {
          v += at(a, (k * size + c) * queries + query) * at(b, (k * size + c) * keys + key0 + j);
        }
        if (!node.bias.empty()) v += node.bias.as_int64((k * lq + i) * lk + j);
        y[static_cast<std::size_t>(row * lk + j)] = static_cast<std::int32_t>(requantize(v, node.requant, 0));
      }
    } else {
      for (std::int64_t c = 0; c < size; ++c) {
        std::int64_t v = 0;
        for (std::int64_t j = 0; j < lk; ++j) v += at(a, row * lk + j) * at(b, (k * size + c) * keys + key0 + j);
        y[static_cast<std::size_t>((k * size + c) * queries + query)] = static_cast<std::int32_t>(requantize(v, node.requant, 0));
      }
    }
  });
  return narrow(y, out_t);
}

// ChannelGather: y[n, c] = x[n, gather_channels[c]] (a copy: same scale and type).
Tensor run_channel_gather(const QGraph& graph, const QNode& node, const Tensor& input) {
  const Shape& in_shape = graph.tensor(node.inputs[0]).shape;
  const Shape& out_shape = graph.tensor(node.output).shape;
  const std::vector<std::int32_t> x = widen(input);
  const std::int64_t plane = in_shape[2] * in_shape[3];
  std::vector<std::int32_t> y(static_cast<std::size_t>(num_elements(out_shape)));
  for (std::int64_t n = 0; n < out_shape[0]; ++n) {
    for (std::int64_t c = 0; c < out_shape[1]; ++c) {
      const std::int64_t from = (n * in_shape[1] + node.gather_channels[static_cast<std::size_t>(c)]) * plane;
      const std::int64_t to = (n * out_shape[1] + c) * plane;
      std::copy_n(x.begin() + from, plane, y.begin() + to);
    }
  }
  return narrow(y, graph.tensor(node.output));
}

// PixelGather: y[n, c, p] = x[n, c, gather_pixels[p]], p counting pixels row-major (a copy: same
// scale and type).
Tensor run_pixel_gather(const QGraph& graph, const QNode& node, const Tensor& input) {
  const Shape& in_shape = graph.tensor(node.inputs[0]).shape;
  const Shape& out_shape = graph.tensor(node.output).shape;
  const std::vector<std::int32_t> x = widen(input);
  const std::int64_t in_plane = in_shape[2] * in_shape[3], out_plane = out_shape[2] * out_shape[3];
  std::vector<std::int32_t> y(static_cast<std::size_t>(num_elements(out_shape)));
  for (std::int64_t plane = 0; plane < out_shape[0] * out_shape[1]; ++plane) {
    for (std::int64_t p = 0; p < out_plane; ++p) {
      y[static_cast<std::size_t>(plane * out_plane + p)] =
          x[static_cast<std::size_t>(plane * in_plane + node.gather_pixels[static_cast<std::size_t>(p)])];
    }
  }
  return narrow(y, graph.tensor(node.output));
}

// Embedding: y[c][t] = table[c][ids[t]] (the table the image [1, C, 1, V] of its rows), the image [1, C, 1, T] of the rows the ids pick.
Tensor run_embedding(const QGraph& graph, const QNode& node, const Tensor& table_tensor, const Tensor& ids_tensor) {
  const std::vector<std::int32_t> ids = widen(ids_tensor);
  const std::vector<std::int32_t> table = widen(table_tensor);
  const std::int64_t rows = table_tensor.shape()[3], features = table_tensor.shape()[1];
  const auto tokens = static_cast<std::int64_t>(ids.size());
  std::vector<std::int32_t> y(static_cast<std::size_t>(features * tokens));
  for (std::int64_t t = 0; t < tokens; ++t) {
    const std::int64_t id = ids[static_cast<std::size_t>(t)];
    if (id < 0 || id >= rows) {
      throw UserError(fmt::format("embedding {}: token id {} (position {}) is outside its table of {} rows; give ids "
                                  "in 0..{}",
                                  node.name, id, t, rows, rows - 1));
    }
    for (std::int64_t c = 0; c < features; ++c) {
      y[static_cast<std::size_t>(c * tokens + t)] = table[static_cast<std::size_t>(c * rows + id)];
    }
  }
  return narrow(y, graph.tensor(node.output));
}

// The output's HWC order is the input's: element k of both, read pixel after pixel and channel
// after channel, is the same value.
Tensor run_hwc_reshape(const QGraph& graph, const QNode& node, const Tensor& input) {
  const Shape& in_shape = graph.tensor(node.inputs[0]).shape;
  const Shape& out_shape = graph.tensor(node.output).shape;
  const std::vector<std::int32_t> x = widen(input);
  const std::int64_t in_c = in_shape[1], in_pixels = in_shape[2] * in_shape[3];
  const std::int64_t out_c = out_shape[1], out_pixels = out_shape[2] * out_shape[3];
  std::vector<std::int32_t> y(x.size());
  for (std::int64_t k = 0; k < in_c * in_pixels; ++k) {
    const std::int64_t from = (k % in_c) * in_pixels + k / in_c;  // NCHW index of HWC element k
    const std::int64_t to = (k % out_c) * out_pixels + k / out_c;
    y[static_cast<std::size_t>(to)] = x[static_cast<std::size_t>(from)];
  }
  return narrow(y, graph.tensor(node.output));
}

// Resize over H and W: each output element from its row and column taps (quant::resize_value).
Tensor run_resize(const QGraph& graph, const QNode& node, const Tensor& input) {
  const Shape& in_shape = graph.tensor(node.inputs[0]).shape;
  const Shape& out_shape = graph.tensor(node.output).shape;
  const std::vector<std::int32_t> x = widen(input);
  const std::int64_t in_w = in_shape[3];
  const std::int64_t in_plane = in_shape[2] * in_w;
  const std::int64_t out_plane = out_shape[2] * out_shape[3];
  std::vector<std::int32_t> y(static_cast<std::size_t>(num_elements(out_shape)));
  for (std::int64_t plane = 0; plane < out_shape[0] * out_shape[1]; ++plane) {
    const std::int32_t* src = x.data() + plane * in_plane;
    std::int32_t* dst = y.data() + plane * out_plane;
    for (std::int64_t r = 0; r < out_shape[2]; ++r) {
      const auto* row = &node.resize_rows[static_cast<std::size_t>(3 * r)];
      for (std::int64_t c = 0; c < out_shape[3]; ++c) {
        const auto* col = &node.resize_cols[static_cast<std::size_t>(3 * c)];
        const auto at = [&](std::int64_t i, std::int64_t j) { return std::int64_t{src[i * in_w + j]}; };
        dst[r * out_shape[3] + c] = static_cast<std::int32_t>(quant::resize_value(
            at(row[0], col[0]), at(row[0], col[1]), at(row[1], col[0]), at(row[1], col[1]), row[2], col[2]));
      }
    }
  }
  return narrow(y, graph.tensor(node.output));
}

// Softmax over the channels of each row: e = exp_table[x - max + 255], y = min(hi, (e * 2^8 +
// sum / 2) / sum) (docs/quant.md).
Tensor run_softmax(const QGraph& graph, const QNode& node, const Tensor& input) {
  const QTensor& out_t = graph.tensor(node.output);
  const std::vector<std::int32_t> x = widen(input);
  const std::int64_t channels = quant::softmax_row_length(out_t.shape);
  // Swin's mask: which keys of a row its query's region keeps (all without labels).
  const auto& labels = node.softmax_labels;
  const std::int64_t length = labels.empty() ? 1 : out_t.shape[1];  // L: a window's queries
  const std::int64_t windows = labels.empty() ? 1 : static_cast<std::int64_t>(labels.size()) / length;
  const std::int64_t heads = labels.empty() ? 1 : out_t.shape[0] / windows;
  std::vector<std::int32_t> y(x.size());
  for (std::size_t row = 0; row < x.size(); row += static_cast<std::size_t>(channels)) {
    const auto r = static_cast<std::int64_t>(row) / channels;
    const std::int64_t w = r / (heads * length), first = w * length;
    // A causal mask: query r % Q keeps the keys up to its own position plus the cached ones.
    const std::int64_t last_key = node.softmax_causal ? r % out_t.shape[1] + node.softmax_causal_offset : channels;
    const auto kept = [&](std::int64_t c) {
      return c <= last_key && (labels.empty() || labels[static_cast<std::size_t>(first + c)] ==
                                                     labels[static_cast<std::size_t>(first + r % length)]);
    };
    std::int32_t top = std::numeric_limits<std::int32_t>::min();
    for (std::int64_t c = 0; c < channels; ++c) {
      if (kept(c)) top = std::max(top, x[row + static_cast<std::size_t>(c)]);
    }
    const auto entry = [&](std::int64_t c) {
      return node.softmax_exp_table.at(static_cast<std::size_t>(x[row + static_cast<std::size_t>(c)] - top + 255));
    };
    std::int64_t sum = 0;
    for (std::int64_t c = 0; c < channels; ++c) sum += kept(c) ? entry(c) : 0;
    for (std::int64_t c = 0; c < channels; ++c) {
      const std::int64_t level = kept(c) ? (entry(c) * 256 + sum / 2) / sum : 0;
      y[row + static_cast<std::size_t>(c)] = static_cast<std::int32_t>(std::min(level, out_t.hi()));
    }
  }
  return narrow(y, out_t);
}

// LayerNorm over the channels of each pixel (NCHW: channel c of pixel p at c * H * W + p),
// the arithmetic of compiler/quant/integer_layernorm.h on each.
Tensor run_layernorm(const QGraph& graph, const QNode& node, const Tensor& input) {
  const QTensor& out_t = graph.tensor(node.output);
  const std::vector<std::int32_t> x = widen(input);
  const std::int64_t channels = out_t.shape[1];
  std::int64_t pixels = 1;
  for (std::size_t d = 2; d < out_t.shape.size(); ++d) pixels *= out_t.shape[d];
  std::vector<std::int32_t> y(x.size());
  parallel_for(out_t.shape[0] * pixels, [&](std::int64_t at) {
    const std::int64_t image = at / pixels, pixel = at % pixels;
    std::vector<std::int64_t> row(static_cast<std::size_t>(channels));
    const auto index = [&](std::int64_t c) { return static_cast<std::size_t>((image * channels + c) * pixels + pixel); };
    for (std::int64_t c = 0; c < channels; ++c) row[static_cast<std::size_t>(c)] = x[index(c)];
    quant::layernorm_row(row, node.layernorm, row);
    for (std::int64_t c = 0; c < channels; ++c) y[index(c)] = static_cast<std::int32_t>(row[static_cast<std::size_t>(c)]);
  });
  return narrow(y, out_t);
}

// Lut: y = table[x - lo(x)].
Tensor run_lut(const QGraph& graph, const QNode& node, const Tensor& input) {
  const QTensor& in_t = graph.tensor(node.inputs[0]);
  const std::vector<std::int32_t> x = widen(input);
  std::vector<std::int32_t> y(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    y[i] = static_cast<std::int32_t>(node.lut_table.at(static_cast<std::size_t>(x[i] - in_t.lo())));
  }
  return narrow(y, graph.tensor(node.output));
}

// ---------------------------------------------------------------------------------------
// MaxPool (padding never wins) and AvgPool (padding counts as 0, then requantised).

Tensor run_pool(const QGraph& graph, const QNode& node, const Tensor& input) {
  const QTensor& in_t = graph.tensor(node.inputs[0]);
  const QTensor& out_t = graph.tensor(node.output);
  const Window g = make_window(node, in_t.shape, out_t.shape);
  const std::vector<std::int32_t> x = widen(input);
  const std::int64_t channels = out_t.shape[1], planes = out_t.shape[0] * channels;
  std::vector<std::int32_t> y(static_cast<std::size_t>(planes * g.y.out * g.x.out));
  const bool is_max = node.kind == QOpKind::MaxPool;
  parallel_for(planes, [&](std::int64_t p) {
    const std::int32_t* plane = x.data() + p * g.y.in * g.x.in;
    std::int32_t* out = y.data() + p * g.y.out * g.x.out;
    for (std::int64_t oy = 0; oy < g.y.out; ++oy) {
      for (std::int64_t ox = 0; ox < g.x.out; ++ox) {
        std::int64_t sum = 0, max = 0;
        bool any = false;
        for (std::int64_t ky = 0; ky < g.y.kernel; ++ky) {
          const std::int64_t iy = oy * g.y.stride - g.y.pad_begin + ky * g.y.dilation;
          if (iy < 0 || iy >= g.y.in) continue;  // padding
          for (std::int64_t kx = 0; kx < g.x.kernel; ++kx) {
            const std::int64_t ix = ox * g.x.stride - g.x.pad_begin + kx * g.x.dilation;
            if (ix < 0 || ix >= g.x.in) continue;  // padding
            const std::int64_t v = plane[iy * g.x.in + ix];
            sum += v;
            max = any ? std::max(max, v) : v;
            any = true;
          }
        }
        if (is_max && !any) {
          throw std::logic_error(fmt::format("output ({}, {}) has a window entirely in the padding", oy, ox));
        }
        const std::int64_t result =
            is_max ? max : requantize(sum, node.requant, static_cast<std::size_t>(p % channels));
        out[oy * g.x.out + ox] = static_cast<std::int32_t>(result);
      }
    }
  });
  return narrow(y, out_t);
}

// ---------------------------------------------------------------------------------------
// Concat along axis 1 and Reshape: data movement only.

Tensor run_concat(const QGraph& graph, const QNode& node, const std::vector<const Tensor*>& inputs) {
  const QTensor& out_t = graph.tensor(node.output);
  Tensor out(out_t.dtype(), out_t.shape);
  const std::size_t element = dtype_size(out.dtype());
  const auto axis = static_cast<std::size_t>(node.concat_axis);
  std::int64_t batch = 1;  // the rows before the axis (the images, for channels)
  for (std::size_t d = 0; d < axis; ++d) batch *= out_t.shape[d];
  const std::int64_t out_row = product(out_t.shape, axis);  // elements of a row from the axis on
  std::int64_t offset = 0;                                   // of this input within an output row
  for (const Tensor* in : inputs) {
    const std::int64_t in_row = product(in->shape(), axis);
    for (std::int64_t n = 0; n < batch; ++n) {
      std::memcpy(out.raw() + static_cast<std::size_t>(n * out_row + offset) * element,
                  in->raw() + static_cast<std::size_t>(n * in_row) * element,
                  static_cast<std::size_t>(in_row) * element);
    }
    offset += in_row;
  }
  return out;
}

}  // namespace wb::golden::integer
