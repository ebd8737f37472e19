#pragma once
// Text form of a graph, one node a line, for debugging, tests and pass dumps:
//   graph "name" (opset 13)
//   input %x : f32[1,3,224,224]
//   %y : f32[1,64,112,112] = Conv "conv1" (%x, %w : const f32[64,3,7,7]) {strides=[2,2], ...}
//   output %y

#include <iosfwd>
#include <string>

#include "compiler/ir/graph.h"

namespace wb {

void print_graph(std::ostream& os, const Graph& graph);
std::string to_string(const Graph& graph);
std::string format_value_type(const Value& value);  // "f32[1,3,224,224]" or "?"

}  // namespace wb
