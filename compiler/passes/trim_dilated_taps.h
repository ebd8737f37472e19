#pragma once

#include "compiler/passes/pass.h"

namespace wb {

// Drops the leading and trailing kernel rows (columns) of a dilated 2-D Conv that read only
// padding for every output: an atrous rate as wide as the feature map (DeepLabV3's ASPP at 12,
// 24 and 36 on a 14 x 14 map) leaves the centre tap alone inside it. The dropped taps multiply
// zeros, so the result is the same, and the back ends stop spending MACs and im2col copies on
// them. The pads shift with the first kept tap; an axis down to one tap loses its dilation.
class TrimDilatedTapsPass : public Pass {
 public:
  std::string_view name() const override { return "trim-dilated-taps"; }
  std::vector<std::string_view> must_follow() const override { return {"fold-pad"}; }
  bool run(Graph& graph, PassStatistics& stats) override;
};

}  // namespace wb
