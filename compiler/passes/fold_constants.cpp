#include "compiler/passes/fold_constants.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "compiler/golden/kernels.h"
#include "compiler/ir/shape_inference.h"
#include "compiler/ir/shape_ops.h"
#include "support/error.h"

namespace wb {
namespace {

// A folded constant this large is more likely a mistake (an Expand to a huge shape) than
// shape arithmetic; it stays a node and the graph stays small.
constexpr std::int64_t kMaxFoldedElements = std::int64_t{1} << 24;

bool foldable_op(OpKind op) {
  if (is_elementwise_arithmetic(op)) return true;
  switch (op) {
    case OpKind::ShapeOf:
    case OpKind::Gather:
    case OpKind::Slice:
    case OpKind::Squeeze:
    case OpKind::Unsqueeze:
    case OpKind::Concat:
    case OpKind::Cast:
    case OpKind::ConstantOfShape:
    case OpKind::Range:
    case OpKind::Expand:
    case OpKind::Reshape:
    case OpKind::Flatten:
    case OpKind::Transpose:
    case OpKind::Equal:
    case OpKind::Where:
    case OpKind::Not:
    case OpKind::Mod:
    case OpKind::ScatterND:
    case OpKind::Pow:
    case OpKind::Sqrt:
    case OpKind::Reciprocal:
    case OpKind::Neg:
    case OpKind::Trilu:
    case OpKind::Identity: return true;
    default: return false;
  }
}

// An importer's opset < 13 Softmax (flatten_at_axis) whose input shape is now known and whose
// axis is the last: nothing is flattened.
bool is_last_axis_legacy_softmax(const Node& node) {
  if (node.op != OpKind::Softmax || node.attrs.get_int("flatten_at_axis", 0) == 0) return false;
  const auto rank = static_cast<std::int64_t>(node.input(0)->shape.size());
  return normalize_axis(node.attrs.get_int("axis", 1), rank) == rank - 1;
}

bool inputs_known(const Node& node) {
  if (node.op == OpKind::ShapeOf) return node.input(0) != nullptr && node.input(0)->has_type();
  return std::all_of(node.inputs.begin(), node.inputs.end(), [](const Value* v) { return v == nullptr || v->is_constant(); });
}

// The node's outputs computed by its reference kernel; nullopt when they cannot be typed or
// are too large to keep as constants.
std::optional<std::vector<Tensor>> evaluate(Node& node) {
  if (!infer_node(node)) return std::nullopt;
  std::vector<Tensor> outputs;
  for (const Value* out : node.outputs) {
    if (out == nullptr || !out->has_type() || num_elements(out->shape) > kMaxFoldedElements) return std::nullopt;
    outputs.emplace_back(out->dtype, out->shape);
  }
  if (node.op == OpKind::ShapeOf) {
    // Only the input's (known) shape is read, not its data, which need not be constant.
    const Shape& shape = node.input(0)->shape;
    const auto [start, end] = shape_op_range(node.attrs, static_cast<std::int64_t>(shape.size()));
    outputs[0] = Tensor::from_vector<std::int64_t>({end - start}, {shape.begin() + start, shape.begin() + end});
    return outputs;
  }
  std::vector<const Tensor*> inputs;
  for (const Value* in : node.inputs) inputs.push_back(in == nullptr ? nullptr : in->constant.get());
  golden::kernel_for(node.op)(node, inputs, outputs);
  return outputs;
}

// Erases the nodes computing the `pending` values that nothing reads any more (a Shape read it and was folded:
// torch's scaled_dot_product_attention reads the keys' shape from a view of its own), and
// theirs in turn. A graph output is kept.
int erase_unread(Graph& graph, std::vector<Value*> pending) {
  int erased = 0;
  std::set<const Value*> gone;
  while (!pending.empty()) {
    Value* v = pending.back();
    pending.pop_back();
    Node* producer = v == nullptr || gone.count(v) ? nullptr : v->producer;
    if (producer == nullptr) continue;
    const bool unread = std::all_of(producer->outputs.begin(), producer->outputs.end(), [&](const Value* out) {
      return out == nullptr || (!graph.is_graph_output(out) && graph.users(out).empty());
    });
    if (!unread) continue;
    const std::vector<Value*> inputs = producer->inputs;
    const std::vector<Value*> outputs = producer->outputs;
    graph.erase_node(producer);
    for (Value* out : outputs) {
      if (out == nullptr) continue;
      gone.insert(out);
      graph.erase_value(out);
    }
    ++erased;
    for (Value* in : inputs) pending.push_back(in);
  }
  return erased;
}

}  // namespace

bool FoldConstantsPass::run(Graph& graph, PassStatistics& stats) {
  bool changed = false;
  std::vector<Value*> shape_sources;
  for (Node* node : graph.topological_order()) {
    // Types flow on as constants appear: a Slice whose bounds were just folded gets its
    // shape here, so the Shape reading it further down can be folded in this same walk.
    const bool typed = std::all_of(node->inputs.begin(), node->inputs.end(),
                                   [](const Value* v) { return v == nullptr || v->has_type(); });
    if (node->op != OpKind::Unsupported && typed) infer_node(*node);
    if (typed && is_last_axis_legacy_softmax(*node)) {
      // Opset < 13's flattening at the last axis is opset 13's Softmax over it.
      node->attrs.erase("flatten_at_axis");
      stats.add("legacy Softmax over the last axis made opset 13's");
      changed = true;
    }
    if (!foldable_op(node->op) || !inputs_known(*node)) continue;
    const bool feeds_output = std::any_of(node->outputs.begin(), node->outputs.end(),
                                          [&](const Value* v) { return v != nullptr && graph.is_graph_output(v); });
    if (feeds_output) continue;
    std::optional<std::vector<Tensor>> results;
    try {
      results = evaluate(*node);
    } catch (const UserError& e) {
      throw UserError(fmt::format("node '{}' ({}): {}", node->name, node->op_type, e.what()));
    }
    if (!results) continue;
    stats.add(fmt::format("{} folded", node->op_type.empty() ? op_name(node->op) : node->op_type));
    std::vector<Value*> outputs = node->outputs;
    if (node->op == OpKind::ShapeOf) shape_sources.push_back(node->input(0));
    graph.erase_node(node);
    for (std::size_t i = 0; i < outputs.size(); ++i) {
      outputs[i]->constant = std::make_shared<const Tensor>(std::move((*results)[i]));
    }
    changed = true;
  }
  if (const int erased = erase_unread(graph, std::move(shape_sources)); erased > 0) {
    stats.add("nodes read by a folded Shape alone removed", erased);
  }
  return changed;
}

}  // namespace wb
