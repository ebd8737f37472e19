#pragma once

#include "compiler/passes/pass.h"

namespace wb {

// LSTM, GRU and RNN (keyword spotters on MFCCs, as torch exports nn.LSTM / nn.GRU: batch 1,
// 1 or 2 layers, either direction) as the steps they compute, in ops every target runs, on
// images (docs/token_layout.md):
// * the sequence as the image [1, I, 1, T] (a network input [1, T, I] viewed as its tokens, or
//   the image an earlier unrolled layer's Y already is);
// * per step, its input pixel (a Gather of pixel t; a second layer reads the first layer's
//   step image itself), per gate a 1x1 Conv of it with W's rows and biases plus a 1x1 Conv of
//   the state with R's rows, the gate activations (Sigmoid, Tanh: tables), the cell's and
//   the state's elementwise products and sums (Mul, Add); GRU's 1 - z as Sub(1, Sigmoid(a))
//   (one table of a);
// * Y as the steps' images concatenated along W, Y_h and Y_c as the last steps'; views and
//   selections of Y read the step images they select.
// The initial state is zero: the first step has no recurrent product (GRU's reset term with
// linear_before_reset is r times R's bias: a depthwise 1x1 conv). Left as they are, for the
// quantizer to name: a batch above 1, computed weights, given initial states or sequence
// lengths, peepholes.
class UnrollRecurrencePass : public Pass {
 public:
  std::string_view name() const override { return "unroll-recurrence"; }
  std::vector<std::string_view> must_follow() const override { return {"fold-constants"}; }
  bool run(Graph& graph, PassStatistics& stats) override;
};

}  // namespace wb
