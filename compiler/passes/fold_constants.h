#pragma once

#include "compiler/passes/pass.h"

namespace wb {

// Evaluates, once, every node of the shape-arithmetic and data-movement family (Shape,
// Gather, Slice, Squeeze, Unsqueeze, Concat, Cast, ConstantOfShape, Range, Expand, Reshape,
// Flatten, Transpose, Identity and the elementwise arithmetic ops) whose inputs are all
// constants, and a Shape whose input's shape is known, with the reference executor's
// kernels; its outputs become constants. This is what exporters leave around Pad and
// Reshape (torch's `pads` and target-shape computations). Quantize/DequantizeLinear are
// never folded: a QDQ model's weights stay quantized.
class FoldConstantsPass : public Pass {
 public:
  std::string_view name() const override { return "fold-constants"; }
  bool run(Graph& graph, PassStatistics& stats) override;
};

}  // namespace wb
