#pragma once

#include "compiler/passes/pass.h"

namespace wb {

// ReduceMean over all spatial axes of an [N, C, spatial...] tensor (torch's x.mean([2, 3]))
// is a GlobalAveragePool, followed by a Flatten when the reduced axes are not kept.
class ReduceMeanToPoolPass : public Pass {
 public:
  std::string_view name() const override { return "reduce-mean-to-pool"; }
  std::vector<std::string_view> must_follow() const override { return {"fold-constants"}; }
  bool run(Graph& graph, PassStatistics& stats) override;
};

}  // namespace wb
