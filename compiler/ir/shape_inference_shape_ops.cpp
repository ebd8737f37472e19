// Shape inference of the shape-arithmetic and indexing ops exporters emit around Reshape
// and Pad (Shape, Gather, Slice, Squeeze, Unsqueeze, Cast, ConstantOfShape, Range, Expand)
// and of ReduceMean. Their index arithmetic lives in shape_ops.h, shared with the kernels.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <set>

#include "compiler/ir/broadcast.h"
#include "compiler/ir/shape_inference.h"
#include "compiler/ir/shape_inference_detail.h"
#include "compiler/ir/shape_ops.h"

namespace wb::shape_detail {
namespace {

std::int64_t rank_of(const Value& v) { return static_cast<std::int64_t>(v.shape.size()); }

void expect_index_type(const Value& v, std::string_view what) {
  if (v.dtype != DType::I64 && v.dtype != DType::I32) {
    throw UserError(fmt::format("{} '{}' must be int64 or int32, got {}", what, v.name, dtype_name(v.dtype)));
  }
}

void infer_shape(Node& node) {
  const Value& x = required_input(node, 0);
  const auto [start, end] = shape_op_range(node.attrs, rank_of(x));
  set_output(node, 0, DType::I64, {end - start});
}

void infer_gather(Node& node) {
  const Value& data = required_input(node, 0);
  const Value& indices = required_input(node, 1);
  expect_index_type(indices, "indices");
  if (data.shape.empty()) throw UserError("Gather needs data of rank >= 1");
  const std::int64_t axis = normalize_axis(node.attrs.get_int("axis", 0), rank_of(data));
  Shape out(data.shape.begin(), data.shape.begin() + axis);
  out.insert(out.end(), indices.shape.begin(), indices.shape.end());
  out.insert(out.end(), data.shape.begin() + axis + 1, data.shape.end());
  set_output(node, 0, data.dtype, out);
}

void infer_slice(Node& node) {
  const Value& x = required_input(node, 0);
  const Tensor& starts = constant_input(node, 1, "starts");
  const Tensor& ends = constant_input(node, 2, "ends");
  const Tensor* axes = node.input(3) ? &constant_input(node, 3, "axes") : nullptr;
  const Tensor* steps = node.input(4) ? &constant_input(node, 4, "steps") : nullptr;
  const auto ranges = slice_ranges(x.shape, starts.to_int64_vector(), ends.to_int64_vector(),
                                   axes ? std::optional(axes->to_int64_vector()) : std::nullopt,
                                   steps ? std::optional(steps->to_int64_vector()) : std::nullopt);
  if (node.attrs.has("split_extent")) {
    // A part of a Split imported before its input's shape was known: its sizes must add up to
    // the axis, as ONNX requires of a Split (the importer's emit_split).
    const std::int64_t axis = axes != nullptr ? axes->to_int64_vector().at(0) : 0;
    const std::int64_t total = node.attrs.get_int("split_extent", 0);
    if (axis >= static_cast<std::int64_t>(x.shape.size()) || x.shape[static_cast<std::size_t>(axis)] != total) {
      throw UserError(fmt::format("Split '{}': its sizes add up to {} along axis {}, but its input '{}' is {}", node.name,
                                  total, axis, x.name, format_shape(x.shape)));
    }
  }
  Shape out(x.shape.size());
  for (std::size_t d = 0; d < out.size(); ++d) out[d] = ranges[d].count;
  set_output(node, 0, x.dtype, out);
}

void infer_squeeze(Node& node) {
  const Value& x = required_input(node, 0);
  std::optional<std::vector<std::int64_t>> axes;
  if (node.input(1)) axes = constant_input(node, 1, "axes").to_int64_vector();
  set_output(node, 0, x.dtype, squeezed_shape(x.shape, axes));
}

void infer_unsqueeze(Node& node) {
  const Value& x = required_input(node, 0);
  const auto axes = constant_input(node, 1, "axes").to_int64_vector();
  set_output(node, 0, x.dtype, unsqueezed_shape(x.shape, axes));
}

void infer_cast(Node& node) {
  const Value& x = required_input(node, 0);
  const std::string to = node.attrs.get_string("to", "");
  const auto dtype = dtype_from_name(to);
  if (!dtype) throw UserError(fmt::format("Cast to '{}', which is not an element type the workbench has", to));
  set_output(node, 0, *dtype, x.shape);
}

void infer_constant_of_shape(Node& node) {
  const Value& shape_value = required_input(node, 0);
  expect_index_type(shape_value, "shape");
  const auto dims = constant_input(node, 0, "shape").to_int64_vector();
  for (auto d : dims) {
    if (d < 0) throw UserError(fmt::format("shape [{}] has a negative dimension", fmt::join(dims, ",")));
  }
  const Tensor* value = node.attrs.find_tensor("value");
  if (value != nullptr && value->numel() != 1) {
    throw UserError(fmt::format("attribute 'value' must hold one element, it holds {}", value->numel()));
  }
  set_output(node, 0, value ? value->dtype() : DType::F32, Shape(dims.begin(), dims.end()));
}

void infer_range(Node& node) {
  const Value& start = required_input(node, 0);
  for (std::size_t i = 0; i < 3; ++i) {
    const Value& v = required_input(node, i);
    if (!v.shape.empty() && num_elements(v.shape) != 1) {
      throw UserError(fmt::format("input '{}' must be a scalar, got shape {}", v.name, format_shape(v.shape)));
    }
    if (v.dtype != start.dtype) throw UserError("start, limit and delta must have one element type");
  }
  const double first = constant_input(node, 0, "start").as_double(0);
  const double limit = constant_input(node, 1, "limit").as_double(0);
  const double delta = constant_input(node, 2, "delta").as_double(0);
  set_output(node, 0, start.dtype, {range_count(first, limit, delta)});
}

void infer_expand(Node& node) {
  const Value& x = required_input(node, 0);
  expect_index_type(required_input(node, 1), "shape");
  const auto dims = constant_input(node, 1, "shape").to_int64_vector();
  set_output(node, 0, x.dtype, broadcast_shapes(x.shape, Shape(dims.begin(), dims.end())));
}

void infer_reduce_mean(Node& node) {
  const Value& x = required_input(node, 0);
  if (!is_float(x.dtype)) throw UserError(fmt::format("ReduceMean of {} (float only)", dtype_name(x.dtype)));
  const auto axes = reduced_axes(node.attrs, rank_of(x));
  const bool keepdims = node.attrs.get_int("keepdims", 1) != 0;
  Shape out;
  for (std::int64_t d = 0; d < rank_of(x); ++d) {
    if (!axes.count(d)) out.push_back(x.shape[d]);
    else if (keepdims) out.push_back(1);
  }
  set_output(node, 0, x.dtype, out);
}

}  // namespace

bool infer_shape_op(Node& node) {
  switch (node.op) {
    case OpKind::ShapeOf: infer_shape(node); return true;
    case OpKind::Gather: infer_gather(node); return true;
    case OpKind::Slice: infer_slice(node); return true;
    case OpKind::Squeeze: infer_squeeze(node); return true;
    case OpKind::Unsqueeze: infer_unsqueeze(node); return true;
    case OpKind::Cast: infer_cast(node); return true;
    case OpKind::ConstantOfShape: infer_constant_of_shape(node); return true;
    case OpKind::Range: infer_range(node); return true;
    case OpKind::Expand: infer_expand(node); return true;
    case OpKind::ReduceMean: infer_reduce_mean(node); return true;
    default: return false;
  }
}

}  // namespace wb::shape_detail
