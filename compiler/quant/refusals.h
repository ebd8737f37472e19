#pragma once
// Why nodes cannot be quantized, told by root cause. A node refused for what it is (an op with
// no integer form anywhere, weights computed at run time, an initial state) is a root cause. A
// node refused for where it is (a Transpose, a MatMul of two activations, a Softmax or a Mul
// whose shape fits no pattern) has an integer form inside the patterns the passes recognise; when
// a root cause sits beside it (joined directly, or through ops that only move data: views,
// slices, concats, gathers), that root cause broke its pattern, and it is listed once, under the
// root cause, not as an error of its own. Refusals of where with no root cause beside them are
// told as they are.

#include <string>
#include <vector>

#include "compiler/ir/graph.h"

namespace wb::quant {

struct Refusal {
  const Node* node = nullptr;
  std::string reason;
  bool for_where_it_is = false;  // has an integer form in some pattern, not in this one
};

// One line a cause, in the order given: "name (Op): reason". Root causes that move data, joined
// through data moves, are one line ("a (Op) and 2 more joined to it by data moves (b (Op), c (Op)): reason"
// and each other reason once); the refusals of where they strand are named in it ("; with it 4 nodes around
// fail, ...: d (Op), ...") instead of on lines of their own.
std::vector<std::string> refusal_lines(const Graph& graph, const std::vector<Refusal>& refusals);

}  // namespace wb::quant
