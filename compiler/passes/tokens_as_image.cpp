#include "compiler/passes/tokens_as_image.h"

#include "compiler/passes/token_layout/rewriter.h"

namespace wb {

bool TokensAsImagePass::run(Graph& graph, PassStatistics& stats) {
  const bool changed = token_rewrite::TokenRewriter(graph, stats).run();
  if (changed) stats.add("token sequences computed as images");
  return changed;
}

}  // namespace wb
