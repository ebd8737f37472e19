#pragma once

#include "compiler/passes/pass.h"

namespace wb {

// Channel data movement as one Gather of constant channels (axis 1) of an NCHW tensor, the
// form the quantizer gives an integer ChannelGather:
//   * a channel shuffle, Reshape [N, C, H, W] -> [N, g, C/g, H, W] -> Transpose (0, 2, 1, 3,
//     4) -> Reshape [N, C, H, W] (ShuffleNet's): output channel k*g + i is input channel
//     i*(C/g) + k;
//   * a Slice of constant bounds that keeps every axis but the channels (torch's chunk and
//     the frontend's Split) with step 1.
// Anything else (a slice of rows, strided, a transpose with another permutation) is left alone.
class ChannelMovesToGatherPass : public Pass {
 public:
  std::string_view name() const override { return "channel-moves-to-gather"; }
  std::vector<std::string_view> must_follow() const override { return {"fold-constants"}; }
  bool run(Graph& graph, PassStatistics& stats) override;
};

}  // namespace wb
