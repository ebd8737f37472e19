#include "compiler/ir/shape_inference.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "compiler/ir/broadcast.h"
#include "compiler/ir/fusion.h"
#include "compiler/ir/recurrent.h"
#include "compiler/ir/shape_inference_detail.h"
#include "compiler/ir/transposed_window.h"
#include "compiler/ir/window_geometry.h"
#include "support/error.h"

namespace wb {
namespace {

using shape_detail::constant_input;
using shape_detail::NeedsData;
using shape_detail::required_input;
using shape_detail::set_output;


void expect_float(const Value& v, std::string_view what) {
  if (!is_float(v.dtype)) {
    throw UserError(fmt::format("{} '{}' must be float, got {}", what, v.name, dtype_name(v.dtype)));
  }
}

void expect_rank_at_least(const Value& v, std::size_t rank) {
  if (v.shape.size() < rank) {
    throw UserError(
        fmt::format("input '{}' of shape {} needs rank >= {}", v.name, format_shape(v.shape), rank));
  }
}

void infer_conv(Node& node, bool integer) {
  const Value& x = required_input(node, 0);
  const Value& w = required_input(node, integer && node.op == OpKind::QLinearConv ? 3 : 1);
  expect_rank_at_least(x, 3);
  if (w.shape.size() != x.shape.size()) {
    throw UserError(fmt::format("weights '{}' of shape {} do not match input rank {}", w.name, format_shape(w.shape),
                                x.shape.size()));
  }
  const std::int64_t group = node.attrs.get_int("group", 1);
  if (group < 1 || x.shape[1] % group != 0 || w.shape[0] % group != 0) {
    throw UserError(fmt::format("group {} does not divide input channels {} and output channels {}", group,
                                x.shape[1], w.shape[0]));
  }
  // x.shape[1] is a multiple of group: dividing cannot overflow where multiplying could.
  if (w.shape[1] != x.shape[1] / group) {
    throw UserError(fmt::format("weights {} expect {} input channels, input {} has {}", format_shape(w.shape),
                                w.shape[1] * group, format_shape(x.shape), x.shape[1]));
  }
  std::vector<std::int64_t> kernel(w.shape.begin() + 2, w.shape.end());
  auto declared = node.attrs.get_ints("kernel_shape", kernel);
  if (declared != kernel) {
    throw UserError(fmt::format("kernel_shape [{}] disagrees with weights {}", fmt::join(declared, ","),
                                format_shape(w.shape)));
  }
  const std::size_t bias_input = node.op == OpKind::QLinearConv ? 8 : node.op == OpKind::Conv ? 2 : 0;
  const Value* bias = bias_input != 0 ? node.input(bias_input) : nullptr;
  if (bias != nullptr && bias->shape != Shape{w.shape[0]}) {
    throw UserError(fmt::format("bias '{}' of shape {} should be [{}] (one per output channel)", bias->name,
                                format_shape(bias->shape), w.shape[0]));
  }
  const WindowGeometry g = resolve_window(node.attrs, dilated_input_shape(node.attrs, x.shape), kernel);
  Shape out{x.shape[0], w.shape[0]};
  out.insert(out.end(), g.output.begin(), g.output.end());
  if (const Value* residual = node.op == OpKind::Conv ? node.input(kConvResidualInput) : nullptr) {
    if (residual->shape != out || residual->dtype != x.dtype) {
      throw UserError(fmt::format("fused residual '{}' {} does not match the output {}{}", residual->name,
                                  format_shape(residual->shape), dtype_name(x.dtype), format_shape(out)));
    }
  }
  if (!integer) {
    expect_float(x, "input");
    set_output(node, 0, x.dtype, out);
  } else if (node.op == OpKind::ConvInteger) {
    set_output(node, 0, DType::I32, out);
  } else {
    set_output(node, 0, required_input(node, 7).dtype, out);
  }
}

// Weights [C_in, C_out / group, kernel...] (a Conv's with the channel axes swapped).
void infer_conv_transpose(Node& node) {
  const Value& x = required_input(node, 0);
  const Value& w = required_input(node, 1);
  expect_float(x, "input");
  expect_rank_at_least(x, 3);
  if (w.shape.size() != x.shape.size()) {
    throw UserError(fmt::format("weights '{}' of shape {} do not match input rank {}", w.name, format_shape(w.shape),
                                x.shape.size()));
  }
  const std::int64_t group = node.attrs.get_int("group", 1);
  if (group < 1 || x.shape[1] % group != 0) {
    throw UserError(fmt::format("group {} does not divide the input channels {}", group, x.shape[1]));
  }
  if (w.shape[0] != x.shape[1]) {
    throw UserError(fmt::format("weights {} expect {} input channels, input {} has {}", format_shape(w.shape),
                                w.shape[0], format_shape(x.shape), x.shape[1]));
  }
  const std::int64_t out_channels = w.shape[1] * group;
  const Value* bias = node.input(2);
  if (bias != nullptr && bias->shape != Shape{out_channels}) {
    throw UserError(fmt::format("bias '{}' of shape {} should be [{}] (one per output channel)", bias->name,
                                format_shape(bias->shape), out_channels));
  }
  const TransposedWindow g =
      resolve_transposed_window(node.attrs, x.shape, std::vector<std::int64_t>(w.shape.begin() + 2, w.shape.end()));
  Shape out{x.shape[0], out_channels};
  out.insert(out.end(), g.output.begin(), g.output.end());
  set_output(node, 0, x.dtype, out);
}

// Y [T, D, B, H] ([B, T, D, H] in layout 1); Y_h and Y_c [D, B, H] ([B, D, H]).
void infer_recurrent(Node& node) {
  // An X whose shape is computed (torch reshapes a stacked RNN's input by shape arithmetic) is
  // known once fold-constants has run.
  if (!required_input(node, 0).has_type() || !required_input(node, 1).has_type()) throw NeedsData{};
  const RecurrentSpec s = recurrent_spec(node);
  expect_float(required_input(node, 0), "X");
  const DType dtype = node.input(0)->dtype;
  if (s.batch_first) {
    set_output(node, 0, dtype, {s.batch, s.steps, s.directions, s.hidden});
    set_output(node, 1, dtype, {s.batch, s.directions, s.hidden});
    set_output(node, 2, dtype, {s.batch, s.directions, s.hidden});
  } else {
    set_output(node, 0, dtype, {s.steps, s.directions, s.batch, s.hidden});
    set_output(node, 1, dtype, {s.directions, s.batch, s.hidden});
    set_output(node, 2, dtype, {s.directions, s.batch, s.hidden});
  }
}

void infer_pool(Node& node) {
  const Value& x = required_input(node, 0);
  expect_rank_at_least(x, 3);
  if (!node.attrs.has("kernel_shape")) throw UserError("attribute 'kernel_shape' is required");
  const bool ceil_mode = node.attrs.get_int("ceil_mode", 0) != 0;
  const WindowGeometry g = resolve_window(node.attrs, x.shape, node.attrs.get_ints("kernel_shape"), ceil_mode);
  Shape out{x.shape[0], x.shape[1]};
  out.insert(out.end(), g.output.begin(), g.output.end());
  set_output(node, 0, x.dtype, out);
}

void infer_global_pool(Node& node) {
  const Value& x = required_input(node, 0);
  expect_rank_at_least(x, 3);
  Shape out = x.shape;
  std::fill(out.begin() + 2, out.end(), 1);
  set_output(node, 0, x.dtype, out);
}

void infer_same_as_input(Node& node) {
  const Value& x = required_input(node, 0);
  set_output(node, 0, x.dtype, x.shape);
}

void infer_variadic_broadcast(Node& node) {
  const Value& first = required_input(node, 0);
  Shape shape = first.shape;
  for (std::size_t i = 1; i < node.inputs.size(); ++i) {
    const Value& v = required_input(node, i);
    if (v.dtype != first.dtype) {
      throw UserError(fmt::format("inputs '{}' ({}) and '{}' ({}) have different element types", first.name,
                                  dtype_name(first.dtype), v.name, dtype_name(v.dtype)));
    }
    shape = broadcast_shapes(shape, v.shape);
  }
  set_output(node, 0, first.dtype, shape);
}

void infer_prelu(Node& node) {
  const Value& x = required_input(node, 0);
  const Value& slope = required_input(node, 1);
  if (!broadcasts_to(slope.shape, x.shape)) {
    throw UserError(fmt::format("slope {} does not broadcast to input {}", format_shape(slope.shape),
                                format_shape(x.shape)));
  }
  set_output(node, 0, x.dtype, x.shape);
}

void infer_concat(Node& node) {
  const Value& first = required_input(node, 0);
  if (!node.attrs.has("axis")) throw UserError("attribute 'axis' is required");
  const auto rank = static_cast<std::int64_t>(first.shape.size());
  const std::int64_t axis = normalize_axis(node.attrs.get_int("axis", 0), rank);
  Shape out = first.shape;
  out[axis] = 0;
  for (std::size_t i = 0; i < node.inputs.size(); ++i) {
    const Value& v = required_input(node, i);
    bool compatible = v.shape.size() == first.shape.size() && v.dtype == first.dtype;
    for (std::int64_t d = 0; compatible && d < rank; ++d) compatible = d == axis || v.shape[d] == first.shape[d];
    if (!compatible) {
      throw UserError(fmt::format("input '{}' {}{} cannot be concatenated with '{}' {}{} on axis {}", v.name,
                                  dtype_name(v.dtype), format_shape(v.shape), first.name, dtype_name(first.dtype),
                                  format_shape(first.shape), axis));
    }
    out[axis] += v.shape[axis];
  }
  set_output(node, 0, first.dtype, out);
}

void infer_gemm(Node& node) {
  const Value& a = required_input(node, 0);
  const Value& b = required_input(node, 1);
  if (a.shape.size() != 2 || b.shape.size() != 2) {
    throw UserError(fmt::format("Gemm needs 2-D inputs, got {} and {}", format_shape(a.shape), format_shape(b.shape)));
  }
  const bool trans_a = node.attrs.get_int("transA", 0) != 0;
  const bool trans_b = node.attrs.get_int("transB", 0) != 0;
  const std::int64_t m = trans_a ? a.shape[1] : a.shape[0];
  const std::int64_t k = trans_a ? a.shape[0] : a.shape[1];
  const std::int64_t kb = trans_b ? b.shape[1] : b.shape[0];
  const std::int64_t n = trans_b ? b.shape[0] : b.shape[1];
  if (k != kb) {
    throw UserError(fmt::format("inner dimensions differ: A {} (transA={}) and B {} (transB={})",
                                format_shape(a.shape), trans_a, format_shape(b.shape), trans_b));
  }
  if (const Value* c = node.input(2); c != nullptr && !broadcasts_to(c->shape, {m, n})) {
    throw UserError(fmt::format("C {} does not broadcast to [{},{}]", format_shape(c->shape), m, n));
  }
  expect_float(a, "input");
  set_output(node, 0, a.dtype, {m, n});
}

Shape matmul_shape(Shape a, Shape b) {
  if (a.empty() || b.empty()) throw UserError("MatMul inputs must have rank >= 1");
  const bool a_vector = a.size() == 1;
  const bool b_vector = b.size() == 1;
  if (a_vector) a.insert(a.begin(), 1);
  if (b_vector) b.push_back(1);
  if (a.back() != b[b.size() - 2]) {
    throw UserError(fmt::format("inner dimensions of {} and {} differ", format_shape(a), format_shape(b)));
  }
  Shape batch = broadcast_shapes(Shape(a.begin(), a.end() - 2), Shape(b.begin(), b.end() - 2));
  Shape out = batch;
  if (!a_vector) out.push_back(a[a.size() - 2]);
  if (!b_vector) out.push_back(b.back());
  return out;
}

void infer_matmul(Node& node) {
  if (node.op == OpKind::QLinearMatMul) {
    const Value& a = required_input(node, 0);
    const Value& b = required_input(node, 3);
    set_output(node, 0, required_input(node, 7).dtype, matmul_shape(a.shape, b.shape));
    return;
  }
  const Value& a = required_input(node, 0);
  const Value& b = required_input(node, 1);
  if (node.op == OpKind::MatMul) {
    expect_float(a, "input");
    set_output(node, 0, a.dtype, matmul_shape(a.shape, b.shape));
  } else {
    set_output(node, 0, DType::I32, matmul_shape(a.shape, b.shape));
  }
}

void infer_flatten(Node& node) {
  const Value& x = required_input(node, 0);
  const auto rank = static_cast<std::int64_t>(x.shape.size());
  const std::int64_t axis = normalize_axis(node.attrs.get_int("axis", 1), rank, /*allow_end=*/true);
  // num_elements refuses a product beyond int64 (an input's dims are as the model declares them).
  const std::int64_t outer = num_elements(Shape(x.shape.begin(), x.shape.begin() + axis));
  const std::int64_t inner = num_elements(Shape(x.shape.begin() + axis, x.shape.end()));
  set_output(node, 0, x.dtype, {outer, inner});
}

void infer_reshape(Node& node) {
  const Value& x = required_input(node, 0);
  const std::vector<std::int64_t> requested = constant_input(node, 1, "target shape").to_int64_vector();
  const bool allow_zero = node.attrs.get_int("allowzero", 0) != 0;
  Shape out(requested.size());
  std::int64_t inferred_axis = -1;
  std::int64_t known = 1;
  for (std::size_t i = 0; i < requested.size(); ++i) {
    std::int64_t dim = requested[i];
    if (dim == 0 && !allow_zero) {
      if (i >= x.shape.size()) throw UserError(fmt::format("shape entry 0 at axis {} has no input axis to copy", i));
      dim = x.shape[i];
    }
    if (dim == -1) {
      if (inferred_axis >= 0) throw UserError("target shape has more than one -1");
      inferred_axis = static_cast<std::int64_t>(i);
      continue;
    }
    if (dim < 0) throw UserError(fmt::format("target shape entry {} is invalid", dim));
    if (dim != 0 && known > std::numeric_limits<std::int64_t>::max() / dim) {
      throw UserError(fmt::format("target shape [{}] has too many elements", fmt::join(requested, ",")));
    }
    out[i] = dim;
    known *= dim;
  }
  const std::int64_t total = num_elements(x.shape);
  if (inferred_axis >= 0) {
    if (known == 0 || total % known != 0) {
      throw UserError(fmt::format("cannot reshape {} to [{}]", format_shape(x.shape), fmt::join(requested, ",")));
    }
    out[inferred_axis] = total / known;
  }
  if (num_elements(out) != total) {
    throw UserError(fmt::format("cannot reshape {} ({} elements) to {}", format_shape(x.shape), total,
                                format_shape(out)));
  }
  set_output(node, 0, x.dtype, out);
}

void infer_transpose(Node& node) {
  const Value& x = required_input(node, 0);
  const auto rank = static_cast<std::int64_t>(x.shape.size());
  std::vector<std::int64_t> identity(rank);
  std::iota(identity.begin(), identity.end(), 0);
  std::vector<std::int64_t> reversed(identity.rbegin(), identity.rend());
  const auto perm = node.attrs.get_ints("perm", reversed);
  auto sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  if (sorted != identity) throw UserError(fmt::format("perm [{}] is not a permutation of the input axes", fmt::join(perm, ",")));
  Shape out(rank);
  for (std::int64_t i = 0; i < rank; ++i) out[i] = x.shape[perm[i]];
  set_output(node, 0, x.dtype, out);
}

void infer_pad(Node& node) {
  const Value& x = required_input(node, 0);
  const auto pads = constant_input(node, 1, "pads").to_int64_vector();
  const std::size_t rank = x.shape.size();
  if (pads.size() != 2 * rank) {
    throw UserError(fmt::format("pads has {} values, expected {} for input {}", pads.size(), 2 * rank,
                                format_shape(x.shape)));
  }
  const std::string mode = node.attrs.get_string("mode", "constant");
  if (mode != "constant" && mode != "reflect" && mode != "edge") {
    throw UserError(fmt::format("pad mode '{}' is not one of constant, reflect, edge", mode));
  }
  Shape out(rank);
  for (std::size_t i = 0; i < rank; ++i) {
    std::int64_t begin = 0;
    if (__builtin_add_overflow(x.shape[i], pads[i], &begin) || __builtin_add_overflow(begin, pads[i + rank], &out[i])) {
      throw UserError(fmt::format("pads [{}] overflow axis {} of {}", fmt::join(pads, ","), i, format_shape(x.shape)));
    }
    if (out[i] < 0) throw UserError(fmt::format("pads [{}] crop axis {} below zero", fmt::join(pads, ","), i));
    if (mode == "reflect" && (pads[i] >= x.shape[i] || pads[i + rank] >= x.shape[i]) &&
        (pads[i] > 0 || pads[i + rank] > 0)) {
      throw UserError(fmt::format("reflect padding of {} on axis {} needs more than {} input elements",
                                  std::max(pads[i], pads[i + rank]), i, x.shape[i]));
    }
  }
  set_output(node, 0, x.dtype, out);
}

void infer_resize(Node& node) {
  const Value& x = required_input(node, 0);
  const std::size_t rank = x.shape.size();
  Shape out(rank);
  for (std::size_t i : {std::size_t{2}, std::size_t{3}}) {
    if (node.input(i) != nullptr && node.constant_input(i) == nullptr) throw NeedsData{};
  }
  const Tensor* scales = node.constant_input(2);
  const Tensor* sizes = node.constant_input(3);
  if (scales != nullptr && scales->numel() > 0) {
    if (static_cast<std::size_t>(scales->numel()) != rank) {
      throw UserError(fmt::format("scales has {} values for an input of rank {}", scales->numel(), rank));
    }
    for (std::size_t i = 0; i < rank; ++i) {
      const double scale = scales->as_double(static_cast<std::int64_t>(i));
      if (!(scale > 0)) throw UserError(fmt::format("scale {} must be positive", scale));
      const double dim = std::floor(static_cast<double>(x.shape[i]) * scale);
      // Also refuses inf and NaN: converting them, or anything beyond int64, is undefined.
      if (!(dim < 0x1p62)) {
        throw UserError(fmt::format("scale {} makes dimension {} of size {} too large", scale, i, x.shape[i]));
      }
      out[i] = static_cast<std::int64_t>(dim);
    }
  } else if (sizes != nullptr && sizes->numel() > 0) {
    if (static_cast<std::size_t>(sizes->numel()) != rank) {
      throw UserError(fmt::format("sizes has {} values for an input of rank {}", sizes->numel(), rank));
    }
    for (std::size_t i = 0; i < rank; ++i) {
      out[i] = sizes->as_int64(static_cast<std::int64_t>(i));
      if (out[i] < 0) throw UserError(fmt::format("sizes has a negative value {}", out[i]));
    }
  } else {
    throw UserError("Resize needs constant 'scales' or 'sizes'");
  }
  for (std::size_t i = 0; i < rank; ++i) {
    if (x.shape[i] == 0 && out[i] > 0) {
      throw UserError(fmt::format("dimension {} resizes an empty axis to {}: there is nothing to read", i, out[i]));
    }
  }
  set_output(node, 0, x.dtype, out);
}

void infer_softmax(Node& node) {
  const Value& x = required_input(node, 0);
  expect_float(x, "input");
  normalize_axis(node.attrs.get_int("axis", -1), static_cast<std::int64_t>(x.shape.size()));
  set_output(node, 0, x.dtype, x.shape);
}

void infer_batchnorm(Node& node) {
  const Value& x = required_input(node, 0);
  expect_rank_at_least(x, 2);
  expect_float(x, "input");
  for (std::size_t i = 1; i < 5; ++i) {
    const Value& p = required_input(node, i);
    if (p.shape != Shape{x.shape[1]}) {
      throw UserError(fmt::format("parameter '{}' of shape {} should be [{}] (one per channel)", p.name,
                                  format_shape(p.shape), x.shape[1]));
    }
  }
  set_output(node, 0, x.dtype, x.shape);
}

void infer_quantize(Node& node) {
  const Value& x = required_input(node, 0);
  const Value& scale = required_input(node, 1);
  const Value* zero_point = node.input(2);
  // One scale (per tensor), or one per index of `axis` (per axis); the zero point alike.
  if (num_elements(scale.shape) != 1) {
    const std::int64_t axis = normalize_axis(node.attrs.get_int("axis", 1), static_cast<std::int64_t>(x.shape.size()));
    const std::int64_t extent = x.shape[static_cast<std::size_t>(axis)];
    if (scale.shape != Shape{extent}) {
      throw UserError(fmt::format("scale '{}' of shape {} should be one value or [{}] (one per index of axis {})",
                                  scale.name, format_shape(scale.shape), extent, axis));
    }
  }
  if (zero_point != nullptr && num_elements(zero_point->shape) != num_elements(scale.shape)) {
    throw UserError(fmt::format("zero point '{}' of shape {} does not match scale '{}' of shape {}", zero_point->name,
                                format_shape(zero_point->shape), scale.name, format_shape(scale.shape)));
  }
  if (node.op == OpKind::QuantizeLinear) {
    set_output(node, 0, zero_point ? zero_point->dtype : DType::U8, x.shape);
  } else {
    set_output(node, 0, DType::F32, x.shape);
  }
}

void infer_dropout(Node& node) {
  const Value& x = required_input(node, 0);
  set_output(node, 0, x.dtype, x.shape);
  set_output(node, 1, DType::Bool, x.shape);
}

void infer_clip(Node& node) {
  const Value& x = required_input(node, 0);
  for (std::size_t i = 1; i < 3; ++i) {
    const Value* bound = node.input(i);
    if (bound != nullptr && (bound->dtype != x.dtype || num_elements(bound->shape) != 1)) {
      throw UserError(fmt::format("bound '{}' must be a scalar of the input's type {}", bound->name,
                                  dtype_name(x.dtype)));
    }
  }
  set_output(node, 0, x.dtype, x.shape);
}

void infer_node_or_throw(Node& node) {
  if (is_elementwise_arithmetic(node.op)) {
    infer_variadic_broadcast(node);
    return;
  }
  if (is_unary_activation(node.op) && node.op != OpKind::Clip) {  // Clip also checks its bounds
    infer_same_as_input(node);
    return;
  }
  switch (node.op) {
    case OpKind::Conv: infer_conv(node, false); break;
    case OpKind::ConvInteger:
    case OpKind::QLinearConv: infer_conv(node, true); break;
    case OpKind::ConvTranspose: infer_conv_transpose(node); break;
    case OpKind::LSTM:
    case OpKind::GRU:
    case OpKind::RNN: infer_recurrent(node); break;
    case OpKind::MaxPool:
    case OpKind::AveragePool: infer_pool(node); break;
    case OpKind::GlobalAveragePool:
    case OpKind::GlobalMaxPool: infer_global_pool(node); break;
    case OpKind::Identity: infer_same_as_input(node); break;
    case OpKind::Clip: infer_clip(node); break;
    case OpKind::PRelu: infer_prelu(node); break;
    case OpKind::Softmax: infer_softmax(node); break;
    case OpKind::Concat: infer_concat(node); break;
    case OpKind::Gemm: infer_gemm(node); break;
    case OpKind::MatMul:
    case OpKind::MatMulInteger:
    case OpKind::QLinearMatMul: infer_matmul(node); break;
    case OpKind::Flatten: infer_flatten(node); break;
    case OpKind::Reshape: infer_reshape(node); break;
    case OpKind::Transpose: infer_transpose(node); break;
    case OpKind::Pad: infer_pad(node); break;
    case OpKind::Resize: infer_resize(node); break;
    case OpKind::BatchNormalization: infer_batchnorm(node); break;
    case OpKind::Dropout: infer_dropout(node); break;
    case OpKind::QuantizeLinear:
    case OpKind::DequantizeLinear: infer_quantize(node); break;
    default:
      if (!shape_detail::infer_shape_op(node)) shape_detail::infer_math_op(node);  // or Unsupported: nothing
      break;
  }
}

}  // namespace

std::int64_t normalize_axis(std::int64_t axis, std::int64_t rank, bool allow_end) {
  const std::int64_t limit = allow_end ? rank + 1 : rank;
  const std::int64_t normalized = axis < 0 ? axis + limit - (allow_end ? 1 : 0) : axis;
  if (normalized < 0 || normalized >= limit) {
    throw UserError(fmt::format("axis {} is out of range for rank {}", axis, rank));
  }
  return normalized;
}

bool infer_node(Node& node) {
  try {
    infer_node_or_throw(node);
  } catch (const NeedsData&) {
    return false;
  }
  return true;
}


void infer_shapes(Graph& graph) {
  for (Node* node : graph.topological_order()) {
    if (node->op == OpKind::Unsupported) continue;
    const bool inputs_typed = std::all_of(node->inputs.begin(), node->inputs.end(),
                                          [](const Value* v) { return v == nullptr || v->has_type(); });
    if (!inputs_typed) continue;  // downstream of an unsupported or data-dependent node
    try {
      infer_node(*node);
    } catch (const UserError& e) {
      throw UserError(fmt::format("node '{}' ({}): {}", node->name, node->op_type, e.what()));
    }
  }
}

}  // namespace wb
