// Shape inference of the masks and arithmetic transformer exports carry: Equal, Where, Not,
// Mod and ScatterND (mostly shape arithmetic that fold-constants evaluates), Pow, Sqrt and Erf
// (LayerNorm and GELU before fuse-layernorm / fuse-gelu), Gelu and LayerNormalization.

#include <fmt/format.h>

#include "compiler/ir/broadcast.h"
#include "compiler/ir/shape_inference.h"
#include "compiler/ir/shape_inference_detail.h"

namespace wb::shape_detail {
namespace {

void expect_same_dtype(const Value& a, const Value& b) {
  if (a.dtype != b.dtype) {
    throw UserError(fmt::format("inputs '{}' ({}) and '{}' ({}) have different element types", a.name,
                                dtype_name(a.dtype), b.name, dtype_name(b.dtype)));
  }
}

void expect_float_input(const Node& node, const Value& v) {
  if (!is_float(v.dtype)) {
    throw UserError(fmt::format("{} of {} input '{}' (float only)", op_name(node.op), dtype_name(v.dtype), v.name));
  }
}

void infer_equal(Node& node) {
  const Value& a = required_input(node, 0);
  const Value& b = required_input(node, 1);
  expect_same_dtype(a, b);
  set_output(node, 0, DType::Bool, broadcast_shapes(a.shape, b.shape));
}

void infer_where(Node& node) {
  const Value& condition = required_input(node, 0);
  const Value& x = required_input(node, 1);
  const Value& y = required_input(node, 2);
  if (condition.dtype != DType::Bool) {
    throw UserError(fmt::format("condition '{}' must be bool, got {}", condition.name, dtype_name(condition.dtype)));
  }
  expect_same_dtype(x, y);
  set_output(node, 0, x.dtype, broadcast_shapes(condition.shape, broadcast_shapes(x.shape, y.shape)));
}

void infer_not(Node& node) {
  const Value& x = required_input(node, 0);
  if (x.dtype != DType::Bool) throw UserError(fmt::format("Not of {} input '{}' (bool only)", dtype_name(x.dtype), x.name));
  set_output(node, 0, DType::Bool, x.shape);
}

void infer_mod(Node& node) {
  const Value& a = required_input(node, 0);
  const Value& b = required_input(node, 1);
  expect_same_dtype(a, b);
  if (is_float(a.dtype) && node.attrs.get_int("fmod", 0) == 0) {
    throw UserError("Mod of floats needs fmod=1 (ONNX defines the integer remainder only for integers)");
  }
  set_output(node, 0, a.dtype, broadcast_shapes(a.shape, b.shape));
}

void infer_pow(Node& node) {
  const Value& x = required_input(node, 0);
  const Value& y = required_input(node, 1);
  expect_float_input(node, x);
  expect_float_input(node, y);
  set_output(node, 0, x.dtype, broadcast_shapes(x.shape, y.shape));
}

void infer_float_unary(Node& node) {
  const Value& x = required_input(node, 0);
  expect_float_input(node, x);
  set_output(node, 0, x.dtype, x.shape);
}

void infer_neg(Node& node) {
  const Value& x = required_input(node, 0);
  if (!is_float(x.dtype) && !is_signed(x.dtype)) {
    throw UserError(fmt::format("Neg of {} input '{}' (a float or signed integer)", dtype_name(x.dtype), x.name));
  }
  set_output(node, 0, x.dtype, x.shape);
}

// The triangle of the last two axes; k, when given, a scalar int64 (ONNX's shape [] or [1]).
void infer_trilu(Node& node) {
  const Value& x = required_input(node, 0);
  if (x.shape.size() < 2) throw UserError(fmt::format("Trilu of '{}', rank {} (at least 2)", x.name, x.shape.size()));
  if (const Value* k = node.input(1); k != nullptr) {
    if (k->dtype != DType::I64 || num_elements(k->shape) != 1) {
      throw UserError(fmt::format("Trilu's k '{}' must be one int64, got {} of shape {}", k->name, dtype_name(k->dtype),
                                  format_shape(k->shape)));
    }
  }
  const std::int64_t upper = node.attrs.get_int("upper", 1);
  if (upper != 0 && upper != 1) throw UserError(fmt::format("Trilu's upper is {} (0 or 1)", upper));
  set_output(node, 0, x.dtype, x.shape);
}

void infer_gelu(Node& node) {
  const std::string approximate = node.attrs.get_string("approximate", "none");
  if (approximate != "none" && approximate != "tanh") {
    throw UserError(fmt::format("approximate '{}' (none or tanh)", approximate));
  }
  infer_float_unary(node);
}

// Scale and bias broadcast to the normalized trailing axes X.shape[axis:].
void infer_layer_normalization(Node& node) {
  const Value& x = required_input(node, 0);
  expect_float_input(node, x);
  const auto rank = static_cast<std::int64_t>(x.shape.size());
  if (rank == 0) throw UserError(fmt::format("{} of a scalar", op_name(node.op)));
  const std::int64_t axis = normalize_axis(node.attrs.get_int("axis", -1), rank);
  const Shape normalized(x.shape.begin() + axis, x.shape.end());
  for (std::size_t i : {std::size_t{1}, std::size_t{2}}) {
    const Value* p = node.input(i);
    if (i == 1 && p == nullptr) throw UserError("required input #1 (Scale) is missing");
    if (p == nullptr) continue;
    expect_same_dtype(x, *p);
    if (!broadcasts_to(p->shape, normalized)) {
      throw UserError(fmt::format("{} '{}' of shape {} does not broadcast to the normalized axes {}",
                                  i == 1 ? "scale" : "bias", p->name, format_shape(p->shape), format_shape(normalized)));
    }
  }
  set_output(node, 0, x.dtype, x.shape);
}

// updates = indices.shape[:-1] + data.shape[k:], k = indices.shape[-1].
void infer_scatter_nd(Node& node) {
  const Value& data = required_input(node, 0);
  const Value& indices = required_input(node, 1);
  const Value& updates = required_input(node, 2);
  if (indices.dtype != DType::I64) throw UserError(fmt::format("indices '{}' must be int64", indices.name));
  expect_same_dtype(data, updates);
  const std::string reduction = node.attrs.get_string("reduction", "none");
  if (reduction != "none") throw UserError(fmt::format("reduction '{}' (only none)", reduction));
  if (indices.shape.empty()) throw UserError("indices of rank 0");
  const std::int64_t k = indices.shape.back();
  if (k < 1 || k > static_cast<std::int64_t>(data.shape.size())) {
    throw UserError(fmt::format("index tuples of {} for data of rank {}", k, data.shape.size()));
  }
  Shape expected(indices.shape.begin(), indices.shape.end() - 1);
  expected.insert(expected.end(), data.shape.begin() + k, data.shape.end());
  if (updates.shape != expected) {
    throw UserError(fmt::format("updates of shape {} where indices {} and data {} need {}", format_shape(updates.shape),
                                format_shape(indices.shape), format_shape(data.shape), format_shape(expected)));
  }
  set_output(node, 0, data.dtype, data.shape);
}

}  // namespace

bool infer_math_op(Node& node) {
  switch (node.op) {
    case OpKind::Equal: infer_equal(node); return true;
    case OpKind::Where: infer_where(node); return true;
    case OpKind::Not: infer_not(node); return true;
    case OpKind::Mod: infer_mod(node); return true;
    case OpKind::Pow: infer_pow(node); return true;
    case OpKind::Sqrt:
    case OpKind::Reciprocal:
    case OpKind::Erf: infer_float_unary(node); return true;
    case OpKind::Neg: infer_neg(node); return true;
    case OpKind::Trilu: infer_trilu(node); return true;
    case OpKind::Gelu: infer_gelu(node); return true;
    case OpKind::LayerNormalization:
    case OpKind::RMSNormalization: infer_layer_normalization(node); return true;
    case OpKind::ScatterND: infer_scatter_nd(node); return true;
    default: return false;
  }
}

}  // namespace wb::shape_detail
