#include "compiler/passes/channels_last_blocks.h"

#include <set>

#include "compiler/ir/op_kind.h"
#include "compiler/ir/shape_inference.h"
#include "compiler/passes/rewrite/rewrite.h"

namespace wb {
namespace {

bool is_transpose(const Node& node, const std::vector<std::int64_t>& perm) {
  return node.op == OpKind::Transpose && node.attrs.get_ints("perm") == perm && node.input(0) != nullptr &&
         node.input(0)->has_type() && node.input(0)->shape.size() == 4;
}

// The constant operand of a binary node beside `x`, when it varies over the last axis only
// (every other dimension 1) and is float: a per-channel constant of the NHWC view.
const Tensor* last_axis_constant(const Node& node, const Value* x) {
  if (node.inputs.size() != 2 || node.output(0)->shape != x->shape) return nullptr;
  const std::size_t at = node.input(0) == x ? 1 : node.input(1) == x ? 0 : 2;
  if (at == 2 || node.input(at) == x) return nullptr;
  const Tensor* c = node.constant_input(at);
  if (c == nullptr || c->dtype() != DType::F32 || c->rank() > 4) return nullptr;
  const Shape& shape = c->shape();
  for (std::size_t d = 0; d + 1 < shape.size(); ++d) {
    if (shape[d] != 1) return nullptr;
  }
  return c->numel() == 1 || c->numel() == x->shape.back() ? c : nullptr;
}

// A step of a block that has an NCHW form: it reads `x` (the NHWC view) as its data input.
bool movable(const Node& node, const Value* x) {
  switch (node.op) {
    case OpKind::LayerNormalization:
    case OpKind::RMSNormalization:
      return node.input(0) == x && normalize_axis(node.attrs.get_int("axis", -1), 4) == 3;
    case OpKind::MatMul: {
      const Tensor* w = node.constant_input(1);
      return node.input(0) == x && w != nullptr && w->dtype() == DType::F32 && w->rank() == 2 &&
             w->shape()[0] == x->shape.back();
    }
    case OpKind::Add:
    case OpKind::Mul: return last_axis_constant(node, x) != nullptr;
    case OpKind::Gelu: return node.input(0) == x;
    default: return is_unary_activation(node.op) && node.input(0) == x;
  }
}

// The steps between the opening Transpose and the closing one (included, last), or empty.
std::vector<Node*> match_block(const Graph& graph, const Node& front) {
  if (!is_transpose(front, {0, 2, 3, 1}) || front.input(0)->is_constant()) return {};
  std::vector<Node*> steps;
  const Value* x = front.output(0);
  bool only_layernorm = true;
  for (;;) {
    Node* next = rewrite::single_user(graph, x);
    if (next == nullptr) return {};
    if (is_transpose(*next, {0, 3, 1, 2})) {
      steps.push_back(next);
      break;
    }
    if (!movable(*next, x)) return {};
    only_layernorm = only_layernorm && is_row_normalization(next->op);
    steps.push_back(next);
    x = next->output(0);
  }
  // A LayerNorm alone between the Transposes is the form already.
  return only_layernorm ? std::vector<Node*>{} : steps;
}

Shape to_nchw(const Shape& nhwc) { return {nhwc[0], nhwc[3], nhwc[1], nhwc[2]}; }

class BlockWriter {
 public:
  BlockWriter(Graph& graph, Value* x) : graph_(graph), x_(x) {}

  // The NCHW form of `step` (already erased: its attributes and constants are copied) on the
  // current value; `result`, when given, is the value it writes (the block's output).
  void write(const Node& step, const std::vector<Value*>& operands, Value* result) {
    const Shape shape = to_nchw(step.output(0)->shape);
    switch (step.op) {
      case OpKind::LayerNormalization:
      case OpKind::RMSNormalization: {
        Value* nhwc = node(OpKind::Transpose, step.name + "_to_nhwc", {x_}, step.output(0)->shape, nullptr);
        nhwc->producer->attrs.set("perm", std::vector<std::int64_t>{0, 2, 3, 1});
        std::vector<Value*> inputs = operands;
        inputs[0] = nhwc;
        Value* normalised = node(step.op, step.name, inputs, step.output(0)->shape, nullptr);
        normalised->producer->attrs = step.attrs;
        x_ = node(OpKind::Transpose, step.name + "_to_nchw", {normalised}, shape, result);
        x_->producer->attrs.set("perm", std::vector<std::int64_t>{0, 3, 1, 2});
        return;
      }
      case OpKind::MatMul: {
        const Tensor& w = *operands[1]->constant;
        Tensor weights = rewrite::transposed_matrix(w).reshaped({w.shape()[1], w.shape()[0], 1, 1});
        Value* constant = graph_.add_constant(graph_.unique_value_name(step.name + "_conv_weight"), std::move(weights));
        x_ = node(OpKind::Conv, step.name, {x_, constant}, shape, result);
        x_->producer->attrs.set("kernel_shape", std::vector<std::int64_t>{1, 1});
        return;
      }
      case OpKind::Add:
      case OpKind::Mul: {
        const Value* c = operands[0]->is_constant() ? operands[0] : operands[1];
        Tensor per_channel = c->constant->numel() == 1 ? c->constant->reshaped({1})
                                                        : c->constant->reshaped({c->constant->numel(), 1, 1});
        Value* constant = graph_.add_constant(graph_.unique_value_name(step.name + "_per_channel"), std::move(per_channel));
        x_ = node(step.op, step.name, {x_, constant}, shape, result);
        return;
      }
      default: {
        std::vector<Value*> inputs = operands;
        inputs[0] = x_;
        x_ = node(step.op, step.name, inputs, shape, result);
        x_->producer->attrs = step.attrs;
        return;
      }
    }
  }

 private:
  Value* node(OpKind op, const std::string& name, std::vector<Value*> inputs, const Shape& shape, Value* result) {
    Value* out = result != nullptr ? result : graph_.add_value(graph_.unique_value_name(name + "_nchw"));
    graph_.add_node(op, name, std::move(inputs), {out});
    out->dtype = DType::F32;
    out->shape = shape;
    return out;
  }

  Graph& graph_;
  Value* x_;
};

}  // namespace

bool ChannelsLastBlocksPass::run(Graph& graph, PassStatistics& stats) {
  bool changed = false;
  // The walk's order is taken before any rewrite: nodes a rewrite erased are skipped unread.
  std::set<const Node*> erased;
  for (Node* front : graph.topological_order()) {
    if (erased.count(front) != 0 || front->op != OpKind::Transpose) continue;
    const std::vector<Node*> steps = match_block(graph, *front);
    if (steps.empty()) continue;
    Value* x = front->input(0);
    Value* block_output = steps.back()->output(0);
    // Copy what the rewrite needs, then erase the old chain: its output value survives (the
    // new last step writes it), the pass manager drops the intermediate values.
    struct Step {
      Node copy;
      std::vector<Value*> operands;
    };
    std::vector<Step> copies;
    for (std::size_t i = 0; i + 1 < steps.size(); ++i) {
      Step s;
      s.copy.op = steps[i]->op;
      s.copy.name = steps[i]->name;
      s.copy.attrs = steps[i]->attrs;
      s.copy.outputs = steps[i]->outputs;
      s.operands = steps[i]->inputs;
      copies.push_back(std::move(s));
    }
    std::vector<Node*> chain{front};
    chain.insert(chain.end(), steps.begin(), steps.end());
    erased.insert(chain.begin(), chain.end());
    rewrite::erase_chain(graph, chain);
    BlockWriter writer(graph, x);
    for (std::size_t i = 0; i < copies.size(); ++i) {
      writer.write(copies[i].copy, copies[i].operands, i + 1 == copies.size() ? block_output : nullptr);
    }
    stats.add("channels-last blocks computed on NCHW");
    for (const Step& s : copies) {
      if (s.copy.op == OpKind::MatMul) stats.add("channels-last Linears as 1x1 convolutions");
    }
    changed = true;
  }
  return changed;
}

}  // namespace wb
