#pragma once

#include "compiler/passes/pass.h"

namespace wb {

// A channels-last block of an NCHW network, Transpose(0, 2, 3, 1) -> per-pixel ops ->
// Transpose(0, 3, 1, 2) (ConvNeXt's: LayerNorm, Linear, GELU, Linear), computed on the NCHW
// image itself: a MatMul by a constant [C, C'] becomes a 1x1 Conv, an Add or Mul of a
// constant over the last axis the same op with the constant as [C', 1, 1], an activation
// stays as it is, and a LayerNormalization over the last axis keeps its own NHWC view
// (Transpose -> LayerNormalization -> Transpose, the form the quantizer reads as one LayerNorm
// over the channels). docs/token_layout.md, step 5 of `tokens-as-image`.
class ChannelsLastBlocksPass : public Pass {
 public:
  std::string_view name() const override { return "channels-last-blocks"; }
  std::vector<std::string_view> must_follow() const override { return {"fuse-layernorm", "fuse-rmsnorm", "fuse-gelu"}; }
  bool run(Graph& graph, PassStatistics& stats) override;
};

}  // namespace wb
