#pragma once
// ONNX's recurrent ops, LSTM, GRU and RNN, read once: the sizes and attributes that shape
// inference, op counting, the reference kernel and the unroll-recurrence pass share.
//
//   X [T, B, I] (layout 0) or [B, T, I] (layout 1); W [D, G H, I]; R [D, G H, H]; B [D, 2 G H];
//   sequence_lens [B]; initial_h (and LSTM's initial_c) [D, B, H] ([B, D, H] in layout 1);
//   LSTM's P [D, 3 H]. Outputs Y [T, D, B, H] ([B, T, D, H]), Y_h and Y_c [D, B, H].
// G gates per step: LSTM 4 (i, o, f, c), GRU 3 (z, r, h), RNN 1; D is 2 when bidirectional.
// Only the default activations are supported (LSTM, GRU: sigmoid and tanh; RNN: tanh), without
// clip and input_forget.

#include <cstdint>
#include <optional>
#include <string>

#include "compiler/ir/graph.h"

namespace wb {

struct RecurrentSpec {
  OpKind op = OpKind::LSTM;
  std::int64_t gates = 4;
  std::int64_t hidden = 0;
  std::int64_t directions = 1;
  bool reverse = false;  // direction "reverse" (one direction that reads X backwards)
  bool batch_first = false;  // layout 1
  bool linear_before_reset = false;  // GRU: r multiplies (h R_h + Rb_h) rather than h
  std::int64_t steps = 0, batch = 0, input = 0;
};

// Reads the node's attributes and the shapes of X, W and R (and of B when given: `b` null
// otherwise). UserError naming what is off.
RecurrentSpec recurrent_spec(const Node& node, const Shape& x, const Shape& w, const Shape& r, const Shape* b);
// The same from the node's input values (their shapes known).
RecurrentSpec recurrent_spec(const Node& node);

// Why the workbench cannot run this node's attributes ("" when it can): non-default
// activations, clip, input_forget. The frontend refuses the node with it.
std::optional<std::string> recurrent_attribute_problem(OpKind op, const Attributes& attrs);

// Why unroll-recurrence leaves the node ("" when it unrolls it): a batch above 1, weights or
// biases computed at run time, given sequence lengths, initial states other than zeros,
// peepholes. The quantizer names it.
std::string recurrent_unroll_problem(const Node& node, const RecurrentSpec& spec);

}  // namespace wb
