#pragma once
// Internal to shape inference: the helpers its per-op-family files share.

#include <fmt/format.h>

#include <string_view>

#include "compiler/ir/graph.h"
#include "support/error.h"

namespace wb::shape_detail {

// Thrown when an output shape depends on the data of a non-constant input.
struct NeedsData {};

inline const Value& required_input(const Node& node, std::size_t i) {
  const Value* v = node.input(i);
  if (v == nullptr) throw UserError(fmt::format("required input #{} is missing", i));
  return *v;
}

inline void set_output(Node& node, std::size_t i, DType dtype, Shape shape) {
  Value* out = node.output(i);
  if (out == nullptr) return;
  out->dtype = dtype;
  out->shape = std::move(shape);
}

inline const Tensor& constant_input(const Node& node, std::size_t i, std::string_view what) {
  const Tensor* t = node.constant_input(i);
  if (t == nullptr) {
    if (node.input(i) == nullptr) throw UserError(fmt::format("input #{} ({}) is missing", i, what));
    throw NeedsData{};
  }
  return *t;
}

// Shape, Gather, Slice, Squeeze, Unsqueeze, Cast, ConstantOfShape, Range, Expand, ReduceMean
// (shape_inference_shape_ops.cpp). Returns false for any other op.
bool infer_shape_op(Node& node);

// Equal, Where, Not, Mod, ScatterND, Pow, Sqrt, Erf, Gelu, LayerNormalization: the masks and
// arithmetic of transformer exports (shape_inference_math_ops.cpp). False for any other op.
bool infer_math_op(Node& node);

}  // namespace wb::shape_detail
