#pragma once

#include "compiler/passes/pass.h"

namespace wb {

// LSTM, GRU and RNN (keyword spotters on MFCCs, as torch exports nn.LSTM / nn.GRU: batch 1,
// 1 or 2 layers, either direction) as the steps they compute, in ops every target runs:
// * the input projections of every step at once, one per gate and direction: a MatMul of the
//   sequence [T, 1, I] by the gate's W^T [I, H] plus its biases (a 1x1 conv over the tokens);
// * per step, the gate's row of it (a Gather of token t), plus the state's product by R^T (a
//   1x1 conv of the state), the gate activations (Sigmoid, Tanh: tables), the cell's and the
//   state's elementwise products and sums (Mul, Add); GRU's 1 - z as Sub(1, Sigmoid(a)) (one
//   table of a);
// * Y, Y_h and Y_c assembled from the steps' states (Concat, Reshape).
// The initial state is zero: the first step has no recurrent product (GRU's runs its formula
// on a zero state, a product by zero weights). Left as they are, for the quantizer to name:
// a batch above 1, computed weights, given initial states or sequence lengths, peepholes.
class UnrollRecurrencePass : public Pass {
 public:
  std::string_view name() const override { return "unroll-recurrence"; }
  std::vector<std::string_view> must_follow() const override { return {"fold-constants"}; }
  bool run(Graph& graph, PassStatistics& stats) override;
};

}  // namespace wb
