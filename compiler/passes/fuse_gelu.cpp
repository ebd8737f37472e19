#include "compiler/passes/fuse_gelu.h"

#include <cmath>
#include <numbers>

#include "compiler/passes/rewrite/rewrite.h"

namespace wb {
namespace {

bool near(double value, double expected) { return std::abs(value - expected) <= 1e-4 * std::abs(expected); }

// The other input of a two-input node, when `known` is one of them.
Value* other_input(const Node& node, const Value* known) {
  if (node.inputs.size() != 2) return nullptr;
  if (node.input(0) == known) return node.input(1);
  if (node.input(1) == known) return node.input(0);
  return nullptr;
}

// The constant scalar of a two-input node other than `known`.
std::optional<double> scalar_beside(const Node& node, const Value* known) {
  if (node.inputs.size() != 2) return std::nullopt;
  const std::size_t at = node.input(0) == known ? 1 : node.input(1) == known ? 0 : 2;
  return at == 2 ? std::nullopt : rewrite::constant_scalar(node, at);
}

struct GeluMatch {
  Value* x = nullptr;
  std::vector<Node*> nodes;  // in graph order, the last produces the result
};

// erf's input is x / sqrt(2) or x * (1 / sqrt(2)); its output + 1, then * x and * 0.5.
std::optional<GeluMatch> match(const Graph& graph, Node& erf) {
  Node* scale = erf.input(0) != nullptr ? erf.input(0)->producer : nullptr;
  if (scale == nullptr || rewrite::single_user(graph, scale->output(0)) != &erf) return std::nullopt;
  const bool divides = scale->op == OpKind::Div && near(rewrite::constant_scalar(*scale, 1).value_or(0), std::numbers::sqrt2);
  const bool multiplies = scale->op == OpKind::Mul && scale->inputs.size() == 2 &&
                          (near(rewrite::constant_scalar(*scale, 1).value_or(0), 1 / std::numbers::sqrt2) ||
                           near(rewrite::constant_scalar(*scale, 0).value_or(0), 1 / std::numbers::sqrt2));
  if (!divides && !multiplies) return std::nullopt;
  Value* x = scale->input(0)->is_constant() ? scale->input(1) : scale->input(0);
  Node* plus_one = rewrite::single_user(graph, erf.output(0));
  if (plus_one == nullptr || plus_one->op != OpKind::Add || !near(scalar_beside(*plus_one, erf.output(0)).value_or(0), 1.0)) {
    return std::nullopt;
  }
  GeluMatch found{x, {scale, &erf, plus_one}};
  // Then two Muls, one by x and one by 0.5, in either order.
  Value* current = plus_one->output(0);
  bool by_x = false;
  bool by_half = false;
  for (int step = 0; step < 2; ++step) {
    Node* mul = rewrite::single_user(graph, current);
    if (step == 1 && mul == nullptr) break;
    if (mul == nullptr || mul->op != OpKind::Mul) return std::nullopt;
    if (!by_x && other_input(*mul, current) == x) {
      by_x = true;
    } else if (!by_half && near(scalar_beside(*mul, current).value_or(0), 0.5)) {
      by_half = true;
    } else {
      return std::nullopt;
    }
    found.nodes.push_back(mul);
    current = mul->output(0);
  }
  if (!by_x || !by_half || current->shape != x->shape) return std::nullopt;
  return found;
}

}  // namespace

bool FuseGeluPass::run(Graph& graph, PassStatistics& stats) {
  // Matched first, rewritten after: a rewrite erases nodes the walk has not reached.
  std::vector<std::pair<std::string, GeluMatch>> matches;
  for (Node* node : graph.topological_order()) {
    if (node->op != OpKind::Erf) continue;
    if (auto found = match(graph, *node)) matches.emplace_back(node->name, std::move(*found));
  }
  for (auto& [name, found] : matches) {
    Value* result = found.nodes.back()->output(0);
    rewrite::erase_chain(graph, found.nodes);
    graph.add_node(OpKind::Gelu, rewrite::renamed_for(name, "Gelu"), {found.x}, {result})->attrs.set("approximate", std::string("none"));
    stats.add("GELUs fused");
  }
  return !matches.empty();
}

}  // namespace wb
