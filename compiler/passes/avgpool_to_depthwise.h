#pragma once

#include "compiler/passes/pass.h"

namespace wb {

// Turns AveragePool and GlobalAveragePool into a depthwise Conv with reciprocal weights
// (as Graffitist does), where every window divides by the same count and has no more elements
// than the input has pixels (so the weights are never larger than the input). Not in the default
// pipeline: quantization schemes that want it ask for it.
class AvgPoolToDepthwisePass : public Pass {
 public:
  std::string_view name() const override { return "avgpool-to-depthwise"; }
  bool run(Graph& graph, PassStatistics& stats) override;
};

}  // namespace wb
