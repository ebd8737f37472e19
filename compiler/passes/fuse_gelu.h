#pragma once

#include "compiler/passes/pass.h"

namespace wb {

// GELU as torch exports it before opset 20, x * 0.5 * (1 + erf(x / sqrt(2))) (the two Muls
// in either order, the divide by sqrt(2) also as a multiply by 1/sqrt(2)), as one Gelu node.
class FuseGeluPass : public Pass {
 public:
  std::string_view name() const override { return "fuse-gelu"; }
  std::vector<std::string_view> must_follow() const override { return {"fold-constants"}; }
  bool run(Graph& graph, PassStatistics& stats) override;
};

}  // namespace wb
