#pragma once

#include "compiler/passes/pass.h"

namespace wb {

// LayerNorm as exporters before opset 17 write it (mean, centre, square, mean, add epsilon,
// square root, divide, then an optional per-channel Mul and Add by constants) as one
// LayerNormalization node, so the quantizer and the back ends see the operation, not the
// arithmetic.
class FuseLayerNormPass : public Pass {
 public:
  std::string_view name() const override { return "fuse-layernorm"; }
  std::vector<std::string_view> must_follow() const override { return {"fold-constants"}; }
  bool run(Graph& graph, PassStatistics& stats) override;
};

}  // namespace wb
