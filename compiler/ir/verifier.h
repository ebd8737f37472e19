#pragma once
// Structural checks of a graph, run by the pass manager after every pass: every input is
// a constant, a graph input or produced by a node of this graph; every output has this
// node as producer; graph outputs exist; no cycles; names are unique. A failure is a bug
// in whatever changed the graph last, so it throws std::logic_error naming the node.

#include "compiler/ir/graph.h"

namespace wb {

void verify_graph(const Graph& graph);

}  // namespace wb
