#pragma once

#include "compiler/passes/pass.h"

namespace wb {

// Fuses Add(conv_out, r) into the Conv as a residual input: y = conv(x) + b + r.
class FuseResidualAddPass : public Pass {
 public:
  std::string_view name() const override { return "fuse-residual-add"; }
  std::vector<std::string_view> must_follow() const override { return {"fold-batchnorm"}; }
  bool run(Graph& graph, PassStatistics& stats) override;
};

}  // namespace wb
