#pragma once

#include "compiler/passes/pass.h"

namespace wb {

// A 2-D ConvTranspose (U-Net's and FCN's decoders) as the Conv it is: a stride-1 Conv over the
// input with stride - 1 zeros inserted between neighbouring pixels (the "input_dilations"
// attribute, window_geometry.h), the kernel flipped in H and W with its two channel axes
// swapped, and pads (kernel - 1) x dilation - pad (output_padding and an output_shape beyond
// the taps: a larger end pad). From there every pass and the quantizer treat it as a Conv
// (BatchNorm folds into it, ReLU fuses); each target runs it its own way (docs/quant.md,
// "ConvTranspose"). Left as they are, for the quantizer to name: other ranks, weights computed
// at run time, pads beyond the kernel's extent.
class ConvTransposeToConvPass : public Pass {
 public:
  std::string_view name() const override { return "conv-transpose-to-conv"; }
  std::vector<std::string_view> must_follow() const override { return {"fold-constants"}; }
  bool run(Graph& graph, PassStatistics& stats) override;
};

}  // namespace wb
