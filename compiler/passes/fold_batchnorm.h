#pragma once

#include "compiler/passes/pass.h"

namespace wb {

// Folds BatchNormalization, and Mul/Add by per-channel constants ("Scale"), into the
// weights and bias of the Conv or Gemm that produces their input. A producer that took a
// per-channel scale is marked with the attribute kFoldedBatchNormAttr = 1.
inline constexpr std::string_view kFoldedBatchNormAttr = "folded_batchnorm";

class FoldBatchNormPass : public Pass {
 public:
  std::string_view name() const override { return "fold-batchnorm"; }
  std::vector<std::string_view> must_follow() const override { return {"remove-identity"}; }
  bool run(Graph& graph, PassStatistics& stats) override;
};

}  // namespace wb
