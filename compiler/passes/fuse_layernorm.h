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

// RMSNorm as torch exports Llama's (x * rsqrt(mean(x^2) + eps) * weight): the mean square of x
// (Pow(x, 2) or Mul(x, x)) over the trailing axes, plus epsilon, square root, then x divided by
// it (Div, or a Mul by its Reciprocal or by 1 / it), then an optional per-channel Mul by a
// constant, as one RMSNormalization (ONNX opset 23: no bias).
class FuseRmsNormPass : public Pass {
 public:
  std::string_view name() const override { return "fuse-rmsnorm"; }
  std::vector<std::string_view> must_follow() const override { return {"fold-constants"}; }
  bool run(Graph& graph, PassStatistics& stats) override;
};

}  // namespace wb
