#pragma once

#include "compiler/passes/pass.h"

namespace wb {

// Folds a constant Pad of the spatial axes into the Conv, AveragePool or MaxPool that
// reads it (MaxPool only when the padding cannot win the max: -inf, or zero padding of a
// non-negative input).
class FoldPadPass : public Pass {
 public:
  std::string_view name() const override { return "fold-pad"; }
  std::vector<std::string_view> must_follow() const override { return {"remove-identity", "canonicalize-nchw"}; }
  bool run(Graph& graph, PassStatistics& stats) override;
};

}  // namespace wb
