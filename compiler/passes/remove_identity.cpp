#include "compiler/passes/remove_identity.h"

#include "compiler/passes/rewrite/rewrite.h"

namespace wb {

bool RemoveIdentityPass::run(Graph& graph, PassStatistics& stats) {
  bool changed = false;
  for (Node* node : graph.nodes()) {
    if (node->op != OpKind::Identity && node->op != OpKind::Dropout) continue;
    const bool identity = node->op == OpKind::Identity;
    if (rewrite::bypass(graph, node)) {  // erases the node
      stats.add(identity ? "identities removed" : "dropouts removed");
      changed = true;
    }
  }
  return changed;
}

}  // namespace wb
