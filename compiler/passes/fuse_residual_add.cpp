#include "compiler/passes/fuse_residual_add.h"

#include <algorithm>

#include "compiler/ir/fusion.h"
#include "compiler/passes/rewrite/rewrite.h"

namespace wb {
namespace {

bool can_take_residual(const Graph& graph, const Node* conv, const Node& add) {
  return conv != nullptr && conv->op == OpKind::Conv && conv->input(kConvResidualInput) == nullptr &&
         FusedActivation::of(*conv).kind == FusedActivation::Kind::None &&
         rewrite::single_user(graph, conv->output(0)) == &add;
}

}  // namespace

bool FuseResidualAddPass::run(Graph& graph, PassStatistics& stats) {
  bool changed = false;
  const auto order = graph.topological_order();
  for (Node* add : order) {
    if (add->op != OpKind::Add || add->inputs.size() != 2) continue;
    Value* a = add->input(0);
    Value* b = add->input(1);
    if (a == b || !a->has_type() || a->shape != b->shape || a->dtype != b->dtype || a->shape != add->output(0)->shape) {
      continue;
    }
    // Prefer the branch computed later, so the other one is ready when the conv runs;
    // never one the residual itself depends on (that would be a cycle).
    auto position = [&](const Value* v) {
      return v->producer ? std::find(order.begin(), order.end(), v->producer) - order.begin() : -1;
    };
    Value* conv_out = nullptr;
    Value* residual = nullptr;
    for (auto [candidate, other] : {std::pair{a, b}, std::pair{b, a}}) {
      if (!can_take_residual(graph, candidate->producer, *add) || rewrite::depends_on(graph, other, candidate)) continue;
      if (conv_out == nullptr || position(candidate) > position(conv_out)) {
        conv_out = candidate;
        residual = other;
      }
    }
    if (conv_out == nullptr) continue;
    Node* conv = conv_out->producer;
    conv->inputs.resize(kConvResidualInput + 1, nullptr);
    conv->inputs[kConvResidualInput] = residual;
    rewrite::absorb(graph, conv, add);
    stats.add("residual adds fused");
    changed = true;
  }
  return changed;
}

}  // namespace wb
