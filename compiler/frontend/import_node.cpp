// Per-op canonicalisation of ONNX node signatures (opsets 6..17 -> 17).

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <limits>
#include <cfloat>
#include <numeric>

#include "compiler/frontend/import_context.h"
#include "compiler/frontend/tensor_proto.h"
#include "compiler/ir/shape_inference.h"
#include "compiler/ir/recurrent.h"
#include "compiler/ir/transposed_window.h"
#include "support/error.h"

namespace wb::frontend {

Value* ImportContext::constant(std::string_view base_name, Tensor data) {
  return graph_.add_constant(graph_.unique_value_name(base_name), std::move(data));
}

Node* ImportContext::emit(OpKind op, std::string name, std::vector<Value*> inputs, std::vector<std::string> outputs,
                          Attributes attrs) {
  while (!inputs.empty() && inputs.back() == nullptr) inputs.pop_back();
  std::vector<Value*> output_values;
  for (auto& output : outputs) output_values.push_back(output.empty() ? nullptr : graph_.add_value(output));
  Node* node = graph_.add_node(op, std::move(name), std::move(inputs), std::move(output_values));
  node->attrs = std::move(attrs);
  const bool typed = std::all_of(node->inputs.begin(), node->inputs.end(),
                                 [](const Value* v) { return v == nullptr || v->has_type(); });
  if (typed) {
    try {
      infer_node(*node);  // leaves data-dependent outputs untyped
    } catch (const UserError& e) {
      throw UserError(fmt::format("node '{}' ({}): {}", node->name, node->op_type, e.what()));
    }
  }
  return node;
}

Value* ImportContext::emit_internal(OpKind op, const std::string& base, std::vector<Value*> inputs, Attributes attrs) {
  const std::string out = graph_.unique_value_name(base);
  return emit(op, out, std::move(inputs), {out}, std::move(attrs))->output(0);
}

namespace {

using Reason = std::optional<std::string>;

bool typed(const Value* v) { return v != nullptr && v->has_type(); }

Value* reshape_to(ImportContext& ctx, Value* value, const Shape& shape, const std::string& base) {
  if (value->is_constant()) return ctx.constant(base, value->constant->reshaped(shape));
  Value* target = ctx.constant(base + "_shape", Tensor::from_vector<std::int64_t>({static_cast<std::int64_t>(shape.size())}, shape));
  return ctx.emit_internal(OpKind::Reshape, base, {value, target});
}

Tensor scalar_of(DType dtype, double value) {
  Tensor t = Tensor::scalar<double>(value);
  return dtype == DType::F64 ? t : t.cast(dtype);
}

Reason check_window_rank(const NodeSpec& spec) {
  const Value* x = spec.inputs.empty() ? nullptr : spec.inputs[0];
  if (typed(x) && x->shape.size() > 4) {
    return fmt::format("{}-D spatial window (only 1-D and 2-D are supported)", x->shape.size() - 2);
  }
  return std::nullopt;
}

// Opset < 7 Add/Sub/Mul/Div: broadcast=1 aligns B with A starting at `axis`.
Reason upgrade_legacy_broadcast(ImportContext& ctx, NodeSpec& spec) {
  const bool legacy = spec.attrs.get_int("broadcast", 0) != 0;
  const auto axis_attr = spec.attrs.find_int("axis");
  spec.attrs.erase("broadcast");
  spec.attrs.erase("axis");
  if (!legacy || spec.inputs.size() < 2) return std::nullopt;
  Value* a = spec.inputs[0];
  Value* b = spec.inputs[1];
  if (!typed(a) || !typed(b)) return "legacy broadcasting with input shapes unknown at import";
  const auto rank_a = static_cast<std::int64_t>(a->shape.size());
  const auto rank_b = static_cast<std::int64_t>(b->shape.size());
  const std::int64_t axis = axis_attr ? normalize_axis(*axis_attr, rank_a) : rank_a - rank_b;
  const std::int64_t trailing = rank_a - axis - rank_b;
  if (trailing < 0) throw UserError(fmt::format("node '{}': broadcast axis {} does not fit", spec.name, axis));
  if (trailing > 0) {
    Shape shape = b->shape;
    shape.insert(shape.end(), static_cast<std::size_t>(trailing), 1);
    spec.inputs[1] = reshape_to(ctx, b, shape, b->name + "_aligned");
  }
  return std::nullopt;
}

Reason upgrade_clip(ImportContext& ctx, NodeSpec& spec) {
  if (ctx.opset() >= 11) return std::nullopt;
  const DType dtype = typed(spec.inputs[0]) ? spec.inputs[0]->dtype : DType::F32;
  const float lo = spec.attrs.get_float("min", -FLT_MAX);
  const float hi = spec.attrs.get_float("max", FLT_MAX);
  spec.attrs.erase("min");
  spec.attrs.erase("max");
  spec.inputs.resize(3, nullptr);
  spec.inputs[1] = ctx.constant(spec.name + "_min", scalar_of(dtype, lo));
  spec.inputs[2] = ctx.constant(spec.name + "_max", scalar_of(dtype, hi));
  return std::nullopt;
}

Reason upgrade_pad(ImportContext& ctx, NodeSpec& spec) {
  if (ctx.opset() < 11) {
    const DType dtype = typed(spec.inputs[0]) ? spec.inputs[0]->dtype : DType::F32;
    // Pad-1 called the attribute "paddings".
    auto pads = spec.attrs.get_ints(ctx.opset() < 2 ? "paddings" : "pads");
    spec.attrs.erase("paddings");
    const float value = spec.attrs.get_float("value", 0.0f);
    spec.attrs.erase("pads");
    spec.attrs.erase("value");
    spec.inputs.resize(3, nullptr);
    spec.inputs[1] = ctx.constant(spec.name + "_pads", Tensor::from_vector<std::int64_t>({static_cast<std::int64_t>(pads.size())}, pads));
    spec.inputs[2] = ctx.constant(spec.name + "_value", scalar_of(dtype, value));
  }
  if (spec.inputs.size() < 2 || spec.inputs[1] == nullptr) return "no pads given";
  if (spec.inputs.size() > 3 && spec.inputs[3] != nullptr) return "'axes' input";
  return std::nullopt;
}

Reason upgrade_batchnorm(ImportContext& ctx, NodeSpec& spec) {
  if (spec.attrs.get_int("spatial", 1) == 0) return "spatial=0 (per-activation statistics)";
  if (spec.attrs.get_int("training_mode", 0) != 0) return "training_mode=1";
  if (ctx.opset() < 7 && spec.attrs.get_int("is_test", 0) == 0 &&
      std::any_of(spec.outputs.begin() + 1, spec.outputs.end(), [](const auto& o) { return !o.empty(); })) {
    return "training mode (is_test=0 with statistics outputs)";
  }
  for (std::size_t i = 1; i < spec.outputs.size(); ++i) {
    if (!spec.outputs[i].empty() && ctx.is_consumed(spec.outputs[i])) return "training statistics outputs are used";
  }
  spec.outputs.resize(1);
  const float epsilon = spec.attrs.get_float("epsilon", 1e-5f);
  spec.attrs = Attributes{};
  spec.attrs.set("epsilon", epsilon);
  return std::nullopt;
}

// Only the normalized output: Mean and InvStdDev are training-time outputs.
Reason upgrade_layer_normalization(ImportContext& ctx, NodeSpec& spec) {
  for (std::size_t i = 1; i < spec.outputs.size(); ++i) {
    if (!spec.outputs[i].empty() && ctx.is_consumed(spec.outputs[i])) return "the Mean or InvStdDev output is used";
  }
  spec.outputs.resize(1);
  spec.attrs.erase("stash_type");
  if (spec.inputs.size() < 2 || spec.inputs[1] == nullptr) return "no Scale input";
  return std::nullopt;
}

Reason upgrade_dropout(ImportContext& ctx, NodeSpec& spec) {
  spec.inputs.resize(1);
  spec.attrs = Attributes{};
  if (spec.outputs.size() > 1 && !spec.outputs[1].empty() && !ctx.is_consumed(spec.outputs[1])) spec.outputs.resize(1);
  return std::nullopt;
}

Reason upgrade_maxpool(ImportContext& ctx, NodeSpec& spec) {
  if (spec.outputs.size() > 1 && !spec.outputs[1].empty() && ctx.is_consumed(spec.outputs[1])) {
    return "the Indices output is used";
  }
  spec.outputs.resize(1);
  spec.attrs.erase("storage_order");
  return check_window_rank(spec);
}

// ConvTranspose's output_shape, auto_pad and output_padding become explicit pads (possibly
// negative at the end: transposed_window.h), so everything after the frontend reads one form.
Reason upgrade_conv_transpose(NodeSpec& spec) {
  const Value* x = spec.inputs.empty() ? nullptr : spec.inputs[0];
  const Value* w = spec.inputs.size() > 1 ? spec.inputs[1] : nullptr;
  if (!typed(x) || !typed(w)) return "input or weights of unknown shape at import";
  if (x->shape.size() < 3 || x->shape.size() > 5) {
    return fmt::format("{}-D input (a transposed convolution has 1 to 3 spatial axes)", x->shape.size());
  }
  if (w->shape.size() != x->shape.size()) {
    return fmt::format("weights of rank {} for an input of rank {}", w->shape.size(), x->shape.size());
  }
  const std::vector<std::int64_t> kernel(w->shape.begin() + 2, w->shape.end());
  if (spec.attrs.has("kernel_shape") && spec.attrs.get_ints("kernel_shape") != kernel) {
    return fmt::format("kernel_shape [{}] disagrees with the weights {}", fmt::join(spec.attrs.get_ints("kernel_shape"), ","),
                       format_shape(w->shape));
  }
  const std::vector<std::int64_t> input(x->shape.begin() + 2, x->shape.end());
  spec.attrs.set("pads", canonical_transposed_pads(spec.attrs, input, kernel));
  spec.attrs.set("kernel_shape", kernel);
  for (const char* name : {"output_shape", "output_padding", "auto_pad"}) spec.attrs.erase(name);
  return std::nullopt;
}

Reason upgrade_gemm(NodeSpec& spec) {
  spec.attrs.erase("broadcast");
  return std::nullopt;
}

Reason upgrade_prelu(ImportContext& ctx, NodeSpec& spec) {
  Value* x = spec.inputs[0];
  Value* slope = spec.inputs.size() > 1 ? spec.inputs[1] : nullptr;
  // Before opset 7 a per-channel slope was given as [C]; numpy broadcasting needs [C,1,1].
  if (ctx.opset() < 7 && typed(x) && typed(slope) && slope->shape.size() == 1 && x->shape.size() > 2 &&
      slope->shape[0] == x->shape[1] && slope->shape[0] != 1) {
    Shape shape{slope->shape[0]};
    shape.insert(shape.end(), x->shape.size() - 2, 1);
    spec.inputs[1] = reshape_to(ctx, slope, shape, slope->name + "_aligned");
  }
  return std::nullopt;
}

Reason upgrade_reshape(ImportContext& ctx, NodeSpec& spec) {
  if (ctx.opset() < 5) {
    // Reshape-1 took the target shape as an attribute.
    const auto shape = spec.attrs.get_ints("shape");
    spec.attrs.erase("shape");
    spec.inputs.resize(1);
    spec.inputs.push_back(
        ctx.constant(spec.name + "_shape", Tensor::from_vector<std::int64_t>({static_cast<std::int64_t>(shape.size())}, shape)));
  }
  if (spec.inputs.size() < 2 || spec.inputs[1] == nullptr) return "no target shape given";
  return std::nullopt;
}

Reason check_resize(NodeSpec& spec) {
  const std::string mode = spec.attrs.get_string("mode", "nearest");
  if (mode != "nearest" && mode != "linear") return fmt::format("mode '{}' (nearest and linear are supported)", mode);
  if (spec.attrs.get_string("coordinate_transformation_mode", "") == "tf_crop_and_resize") {
    return "coordinate_transformation_mode 'tf_crop_and_resize'";
  }
  if (spec.attrs.get_int("antialias", 0) != 0) return "antialias";
  spec.inputs.resize(4, nullptr);
  for (std::size_t i : {std::size_t{2}, std::size_t{3}}) {
    Value* v = spec.inputs[i];
    if (v != nullptr && v->is_constant() && v->constant->numel() == 0) spec.inputs[i] = nullptr;
  }
  if (spec.inputs[2] == nullptr && spec.inputs[3] == nullptr) return "neither scales nor sizes given";
  spec.inputs[1] = nullptr;  // roi only matters for tf_crop_and_resize
  return std::nullopt;
}

Reason upgrade_resize(ImportContext& ctx, NodeSpec& spec) {
  if (ctx.opset() < 11) {
    // Resize-10: (X, scales), asymmetric coordinates and truncating nearest, as Upsample.
    Value* scales = spec.inputs.size() > 1 ? spec.inputs[1] : nullptr;
    spec.inputs = {spec.inputs[0], nullptr, scales, nullptr};
    spec.attrs.set("coordinate_transformation_mode", std::string("asymmetric"));
    spec.attrs.set("nearest_mode", std::string("floor"));
  }
  if (!spec.attrs.has("mode")) spec.attrs.set("mode", std::string("nearest"));
  if (!spec.attrs.has("coordinate_transformation_mode")) {
    spec.attrs.set("coordinate_transformation_mode", std::string("half_pixel"));
  }
  if (!spec.attrs.has("nearest_mode")) spec.attrs.set("nearest_mode", std::string("round_prefer_floor"));
  spec.attrs.erase("cubic_coeff_a");
  spec.attrs.erase("exclude_outside");
  spec.attrs.erase("extrapolation_value");
  return check_resize(spec);
}

// Upsample (opsets 7..9, deprecated in 10) becomes Resize with asymmetric coordinates and
// truncating nearest-neighbour, which is what Upsample specified.
Reason upgrade_upsample(ImportContext& ctx, NodeSpec& spec) {
  if (ctx.opset() < 7) return "Upsample before opset 7 (experimental height_scale/width_scale form)";
  Value* scales = spec.inputs.size() > 1 ? spec.inputs[1] : nullptr;
  if (ctx.opset() < 9) {
    const auto values = spec.attrs.get_floats("scales");
    scales = ctx.constant(spec.name + "_scales",
                          Tensor::from_vector<float>({static_cast<std::int64_t>(values.size())}, values));
  }
  const std::string mode = spec.attrs.get_string("mode", "nearest");
  spec.attrs = Attributes{};
  spec.attrs.set("mode", mode);
  spec.attrs.set("coordinate_transformation_mode", std::string("asymmetric"));
  spec.attrs.set("nearest_mode", std::string("floor"));
  spec.op = OpKind::Resize;
  spec.inputs = {spec.inputs[0], nullptr, scales, nullptr};
  return check_resize(spec);
}

Value* int64_list(ImportContext& ctx, const std::string& base, const std::vector<std::int64_t>& values) {
  return ctx.constant(base, Tensor::from_vector<std::int64_t>({static_cast<std::int64_t>(values.size())}, values));
}

// Slice before opset 10 took starts, ends and axes as attributes.
Reason upgrade_slice(ImportContext& ctx, NodeSpec& spec) {
  if (ctx.opset() >= 10) {
    if (spec.inputs.size() < 3 || spec.inputs[1] == nullptr || spec.inputs[2] == nullptr) return "no starts or ends given";
    return std::nullopt;
  }
  const auto starts = spec.attrs.get_ints("starts");
  const auto ends = spec.attrs.get_ints("ends");
  spec.inputs.resize(1);
  spec.inputs.push_back(int64_list(ctx, spec.name + "_starts", starts));
  spec.inputs.push_back(int64_list(ctx, spec.name + "_ends", ends));
  if (spec.attrs.has("axes")) spec.inputs.push_back(int64_list(ctx, spec.name + "_axes", spec.attrs.get_ints("axes")));
  spec.attrs = Attributes{};
  return std::nullopt;
}

// Squeeze and Unsqueeze before opset 13 took the axes as an attribute.
Reason upgrade_axes_attribute(ImportContext& ctx, NodeSpec& spec) {
  if (ctx.opset() >= 13) return std::nullopt;
  spec.inputs.resize(1);
  if (spec.attrs.has("axes")) spec.inputs.push_back(int64_list(ctx, spec.name + "_axes", spec.attrs.get_ints("axes")));
  spec.attrs.erase("axes");
  return std::nullopt;
}

// The IR names Cast's target type as dtype_name does; ONNX wrote a type code (a type name
// such as "FLOAT" before opset 6).
Reason upgrade_cast(ImportContext& ctx, NodeSpec& spec) {
  int code = 0;
  if (ctx.opset() < 6) {
    const std::string name = spec.attrs.get_string("to", "");
    onnx::TensorProto::DataType parsed{};
    if (!onnx::TensorProto::DataType_Parse(name, &parsed)) return fmt::format("Cast to unknown type '{}'", name);
    code = parsed;
  } else {
    code = static_cast<int>(spec.attrs.get_int("to", 0));
  }
  const DType to = dtype_from_onnx(code, "the Cast target");
  spec.attrs = Attributes{};
  spec.attrs.set("to", std::string(dtype_name(to)));
  return std::nullopt;
}

Reason emit_softmax(ImportContext& ctx, NodeSpec& spec) {
  Value* x = spec.inputs[0];
  if (ctx.opset() >= 13) {
    spec.attrs.set("axis", spec.attrs.get_int("axis", -1));
    ctx.emit(OpKind::Softmax, spec.name, spec.inputs, spec.outputs, spec.attrs);
    return std::nullopt;
  }
  // Before opset 13 Softmax flattened the input to 2-D at `axis` (default 1). An input whose
  // shape is known only after fold-constants (a ViT's scores, reshaped by shape arithmetic)
  // keeps that meaning as `flatten_at_axis` until then (fold-constants, kernels_normalization).
  if (!typed(x)) {
    Attributes attrs;
    attrs.set("axis", spec.attrs.get_int("axis", 1));
    attrs.set("flatten_at_axis", std::int64_t{1});
    ctx.emit(OpKind::Softmax, spec.name, spec.inputs, spec.outputs, attrs);
    return std::nullopt;
  }
  const auto rank = static_cast<std::int64_t>(x->shape.size());
  const std::int64_t axis = normalize_axis(spec.attrs.get_int("axis", 1), rank);
  Attributes attrs;
  if (axis == rank - 1) {
    attrs.set("axis", axis);
    ctx.emit(OpKind::Softmax, spec.name, spec.inputs, spec.outputs, attrs);
    return std::nullopt;
  }
  std::int64_t outer = 1;
  std::int64_t inner = 1;
  for (std::int64_t d = 0; d < rank; ++d) (d < axis ? outer : inner) *= x->shape[d];
  Value* flat = reshape_to(ctx, x, {outer, inner}, spec.name + "_2d");
  attrs.set("axis", std::int64_t{1});
  Value* soft = ctx.emit_internal(OpKind::Softmax, spec.name + "_softmax_2d", {flat}, attrs);
  Value* target = ctx.constant(spec.name + "_shape", Tensor::from_vector<std::int64_t>({rank}, x->shape));
  ctx.emit(OpKind::Reshape, spec.name, {soft, target}, spec.outputs, {});
  return std::nullopt;
}

// Split as one Slice per output along its axis: sizes from the `split` input (opset 13+) or
// attribute, else equal parts.
// The input's shape may be unknown until fold-constants (after a mask built from shapes, as
// torch exports scaled_dot_product_attention's) when the sizes are given and the axis is not
// negative; each Slice then carries `split_extent`, the sizes' total, which shape inference
// checks against the axis once it is known (kernels_shape, fold-constants).
Reason emit_split(ImportContext& ctx, NodeSpec& spec) {
  Value* x = spec.inputs.empty() ? nullptr : spec.inputs[0];
  if (x == nullptr) return "a Split without an input";
  const std::int64_t axis_attribute = spec.attrs.get_int("axis", 0);
  const bool shape_known = typed(x);
  const auto parts = static_cast<std::int64_t>(spec.outputs.size());
  std::vector<std::int64_t> sizes;
  if (spec.inputs.size() > 1 && spec.inputs[1] != nullptr) {
    if (!spec.inputs[1]->is_constant()) return "split sizes that are not constants";
    sizes = spec.inputs[1]->constant->to_int64_vector();
  } else if (spec.attrs.has("split")) {
    sizes = spec.attrs.get_ints("split");
  }
  if (!shape_known && (sizes.empty() || axis_attribute < 0)) {
    return "a Split of an input of unknown shape into equal parts or along a negative axis";
  }
  const std::int64_t axis =
      shape_known ? normalize_axis(axis_attribute, static_cast<std::int64_t>(x->shape.size())) : axis_attribute;
  const std::int64_t extent =
      shape_known ? x->shape[static_cast<std::size_t>(axis)] : std::numeric_limits<std::int64_t>::max();
  if (sizes.empty()) {
    if (parts == 0 || extent % parts != 0) {
      return fmt::format("{} equal parts of an axis of {}", parts, extent);
    }
    sizes.assign(static_cast<std::size_t>(parts), extent / parts);
  }
  if (static_cast<std::int64_t>(sizes.size()) != parts) {
    return fmt::format("{} split sizes for {} outputs", sizes.size(), parts);
  }
  // Added with a check at each step: huge sizes must not overflow the sum.
  std::int64_t total = 0;
  for (const std::int64_t s : sizes) {
    if (s < 0 || s > extent - total) return fmt::format("split sizes that do not add up to the axis's {}", extent);
    total += s;
  }
  if (shape_known && total != extent) return fmt::format("split sizes that do not add up to the axis's {}", extent);
  Attributes attrs;
  if (!shape_known) attrs.set("split_extent", total);
  std::int64_t begin = 0;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    const std::int64_t end = begin + sizes[i];
    if (!spec.outputs[i].empty()) {
      const std::string part = fmt::format("{}_{}", spec.name, i);
      ctx.emit(OpKind::Slice, i == 0 ? spec.name : part,
               {x, int64_list(ctx, part + "_starts", {begin}), int64_list(ctx, part + "_ends", {end}),
                int64_list(ctx, part + "_axes", {axis})},
               {spec.outputs[i]}, attrs);
    }
    begin = end;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> import_node(ImportContext& ctx, NodeSpec& spec) {
  Reason reason;
  // The upgrades below read the data input of these ops, which ONNX requires of each.
  const bool reads_data = spec.op_type == "Upsample" || spec.op == OpKind::Clip || spec.op == OpKind::Pad ||
                          spec.op == OpKind::PRelu || spec.op == OpKind::Resize || spec.op == OpKind::Softmax;
  // Every op we import has a first output (a recurrent op may leave out Y and give Y_h alone); a
  // node without one would be folded or run into nothing.
  const bool recurrent = spec.op == OpKind::LSTM || spec.op == OpKind::GRU || spec.op == OpKind::RNN;
  const bool some_output = std::any_of(spec.outputs.begin(), spec.outputs.end(), [](const std::string& o) { return !o.empty(); });
  if (spec.outputs.empty() || (recurrent ? !some_output : spec.outputs[0].empty())) {
    throw UserError(fmt::format("node '{}' ({}) has no output (output 0); the model is malformed", spec.name,
                                spec.op_type));
  }
  if (reads_data && (spec.inputs.empty() || spec.inputs[0] == nullptr)) {
    throw UserError(fmt::format("node '{}' ({}) has no data input (input 0); the model is malformed", spec.name,
                                spec.op_type));
  }
  if (spec.op_type == "Split") return emit_split(ctx, spec);
  if (spec.op_type == "Upsample") {
    reason = upgrade_upsample(ctx, spec);
    if (!reason) ctx.emit(OpKind::Resize, spec.name, spec.inputs, spec.outputs, spec.attrs);
    return reason;
  }
  switch (spec.op) {
    case OpKind::Add:
    case OpKind::Sub:
    case OpKind::Mul:
    case OpKind::Div: reason = upgrade_legacy_broadcast(ctx, spec); break;
    case OpKind::Clip: reason = upgrade_clip(ctx, spec); break;
    case OpKind::Pad: reason = upgrade_pad(ctx, spec); break;
    case OpKind::BatchNormalization: reason = upgrade_batchnorm(ctx, spec); break;
    case OpKind::Dropout: reason = upgrade_dropout(ctx, spec); break;
    case OpKind::LayerNormalization: reason = upgrade_layer_normalization(ctx, spec); break;
    case OpKind::MaxPool: reason = upgrade_maxpool(ctx, spec); break;
    case OpKind::Gemm: reason = upgrade_gemm(spec); break;
    case OpKind::ConvTranspose: reason = upgrade_conv_transpose(spec); break;
    case OpKind::LSTM:
    case OpKind::GRU:
    case OpKind::RNN: reason = recurrent_attribute_problem(spec.op, spec.attrs); break;
    case OpKind::PRelu: reason = upgrade_prelu(ctx, spec); break;
    case OpKind::Resize: reason = upgrade_resize(ctx, spec); break;
    case OpKind::Softmax: return emit_softmax(ctx, spec);
    case OpKind::Reshape: reason = upgrade_reshape(ctx, spec); break;
    case OpKind::Slice: reason = upgrade_slice(ctx, spec); break;
    case OpKind::Squeeze:
    case OpKind::Unsqueeze: reason = upgrade_axes_attribute(ctx, spec); break;
    case OpKind::Cast: reason = upgrade_cast(ctx, spec); break;
    case OpKind::Concat:
      // Concat before opset 4 defaulted to axis 1.
      if (ctx.opset() < 4 && !spec.attrs.has("axis")) spec.attrs.set("axis", std::int64_t{1});
      break;
    case OpKind::Conv:
    case OpKind::ConvInteger:
    case OpKind::QLinearConv:
    case OpKind::AveragePool:
    case OpKind::GlobalAveragePool:
    case OpKind::GlobalMaxPool: reason = check_window_rank(spec); break;
    default: break;
  }
  if (reason) return reason;
  ctx.emit(spec.op, spec.name, spec.inputs, spec.outputs, spec.attrs);
  return std::nullopt;
}

}  // namespace wb::frontend
