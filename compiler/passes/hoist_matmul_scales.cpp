#include "compiler/passes/hoist_matmul_scales.h"

#include <optional>

#include "compiler/passes/rewrite/rewrite.h"

namespace wb {
namespace {

// The operand's positive scalar factor and the scaled value when `operand` = Mul(x, c) or
// Div(x, c) read by `matmul` alone.
struct ScaledOperand {
  Node* scale = nullptr;
  Value* x = nullptr;
  double factor = 1.0;
};

std::optional<ScaledOperand> scaled_operand(const Graph& graph, const Node& matmul, Value* operand) {
  Node* scale = operand->producer;
  if (scale == nullptr || (scale->op != OpKind::Mul && scale->op != OpKind::Div) || scale->inputs.size() != 2 ||
      rewrite::single_user(graph, operand) != &matmul) {
    return std::nullopt;
  }
  const std::optional<double> c = rewrite::constant_scalar(*scale, 1);
  Value* x = scale->input(0);
  if (!c || *c <= 0 || x->is_constant() || !is_float(x->dtype)) return std::nullopt;
  return ScaledOperand{scale, x, scale->op == OpKind::Div ? 1.0 / *c : *c};
}

}  // namespace

bool HoistMatMulScalesPass::run(Graph& graph, PassStatistics& stats) {
  bool changed = false;
  for (Node* matmul : graph.topological_order()) {
    if (matmul->op != OpKind::MatMul || matmul->inputs.size() != 2 || matmul->input(0)->is_constant() ||
        matmul->input(1)->is_constant()) {
      continue;
    }
    const auto a = scaled_operand(graph, *matmul, matmul->input(0));
    const auto b = scaled_operand(graph, *matmul, matmul->input(1));
    // One scaled operand is attention's integer form already (the queries' factor); both are
    // what needs moving.
    if (!a || !b) continue;
    double factor = 1.0;
    for (const auto* operand : {&a, &b}) {
      if (!*operand) continue;
      const std::size_t slot = operand == &a ? 0 : 1;
      Value* scaled_operand_value = matmul->inputs[slot];
      matmul->inputs[slot] = (*operand)->x;
      factor *= (*operand)->factor;
      graph.erase_node((*operand)->scale);
      graph.erase_value(scaled_operand_value);
    }
    // The product now writes a new value; the Mul after it writes the old one, so every reader
    // and a graph output keep their name.
    Value* scaled = matmul->outputs[0];
    Value* product = graph.add_value(graph.unique_value_name(scaled->name + "_unscaled"));
    product->dtype = scaled->dtype;
    product->shape = scaled->shape;
    matmul->outputs[0] = product;
    product->producer = matmul;
    scaled->producer = nullptr;
    Value* c = graph.add_constant(graph.unique_value_name(scaled->name + "_factor"),
                                  Tensor::from_vector<float>({}, {static_cast<float>(factor)}));
    graph.add_node(OpKind::Mul, rewrite::renamed_for(matmul->name, "Mul_scores"), {product, c}, {scaled});
    stats.add("MatMul operand scales moved after the product");
    changed = true;
  }
  return changed;
}

}  // namespace wb
