#pragma once

#include "compiler/passes/pass.h"

namespace wb {

// Turns Flatten -> Gemm/MatMul with constant weights into a Conv whose kernel covers the
// whole feature map, followed by the Flatten: fully-connected layers then run on the
// convolution engine.
class GemmToConvPass : public Pass {
 public:
  std::string_view name() const override { return "gemm-to-conv"; }
  std::vector<std::string_view> must_follow() const override { return {"fuse-activation"}; }
  bool run(Graph& graph, PassStatistics& stats) override;
};

}  // namespace wb
