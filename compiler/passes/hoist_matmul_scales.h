#pragma once

#include "compiler/passes/pass.h"

namespace wb {

// A MatMul of two activations whose operands are both scaled by a positive scalar constant
// (Mul, or Div as its inverse) before the product, each read by the product alone, as the
// product scaled once after it: MatMul(a c1, b c2) = MatMul(a, b) (c1 c2). torch >= 2.1 exports
// scaled_dot_product_attention so (q and the transposed k each times sqrt(1 / sqrt(d))), and
// attention's integer form takes one factor of the queries or of the scores. A MatMul with one
// scaled operand is left alone: that is the queries' factor.
class HoistMatMulScalesPass : public Pass {
 public:
  std::string_view name() const override { return "hoist-matmul-scales"; }
  std::vector<std::string_view> must_follow() const override { return {"fold-constants"}; }
  bool run(Graph& graph, PassStatistics& stats) override;
};

}  // namespace wb
