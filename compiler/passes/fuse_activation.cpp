#include "compiler/passes/fuse_activation.h"

#include <limits>

#include "compiler/ir/fusion.h"
#include "compiler/passes/rewrite/rewrite.h"

namespace wb {
namespace {

std::optional<FusedActivation> activation_of(const Node& node) {
  if (node.op == OpKind::Relu) return FusedActivation::relu();
  if (node.op != OpKind::Clip) return std::nullopt;
  const auto lo = node.input(1) ? rewrite::constant_scalar(node, 1) : std::optional<double>(-std::numeric_limits<float>::infinity());
  const auto hi = node.input(2) ? rewrite::constant_scalar(node, 2) : std::optional<double>(std::numeric_limits<float>::infinity());
  if (!lo || !hi) return std::nullopt;  // bounds computed at run time
  return FusedActivation::clip(static_cast<float>(*lo), static_cast<float>(*hi));
}

}  // namespace

bool FuseActivationPass::run(Graph& graph, PassStatistics& stats) {
  bool changed = false;
  for (Node* node : graph.topological_order()) {
    const auto activation = activation_of(*node);
    if (!activation || !node->output(0)->has_type() || node->output(0)->dtype != DType::F32) continue;
    Node* producer = node->input(0)->producer;
    if (producer == nullptr || (producer->op != OpKind::Conv && producer->op != OpKind::Gemm)) continue;
    if (FusedActivation::of(*producer).kind != FusedActivation::Kind::None) continue;
    if (rewrite::single_user(graph, node->input(0)) != node) continue;
    activation->store(*producer);
    stats.add(node->op == OpKind::Relu ? "relus fused" : "clips fused");
    rewrite::absorb(graph, producer, node);
    changed = true;
  }
  return changed;
}

}  // namespace wb
