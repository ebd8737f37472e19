#pragma once

#include "compiler/passes/pass.h"

namespace wb {

// Fuses Relu and Clip (ReLU6) into the Conv or Gemm that produces their input.
class FuseActivationPass : public Pass {
 public:
  std::string_view name() const override { return "fuse-activation"; }
  std::vector<std::string_view> must_follow() const override { return {"fold-batchnorm", "fuse-residual-add"}; }
  bool run(Graph& graph, PassStatistics& stats) override;
};

}  // namespace wb
