#pragma once

#include "compiler/passes/pass.h"

namespace wb {

// Turns a BatchNormalization that fold-batchnorm could not fold (its input is no Conv/Gemm
// of its own, e.g. DenseNet's BN + ReLU after a concat) into what it computes: a
// per-channel scale and shift, written as a depthwise 1x1 Conv with weight[c] = scale[c]
// and bias[c] = shift[c], so both targets run it on their depthwise path and a following
// ReLU fuses into it. The Conv is marked kFoldedBatchNormAttr (per-channel requant).
//
// Pre: fold-batchnorm has run (a foldable BN is better folded). Post: no 4-D
// BatchNormalization with constant parameters is left.
class BatchNormToDepthwisePass : public Pass {
 public:
  std::string_view name() const override { return "batchnorm-to-depthwise"; }
  std::vector<std::string_view> must_follow() const override { return {"fold-batchnorm"}; }
  bool run(Graph& graph, PassStatistics& stats) override;
};

}  // namespace wb
