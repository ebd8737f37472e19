#pragma once
// Shape and element-type inference over the whole graph, in topological order.
// Precondition: graph inputs and constants carry dtype and shape; every node is in the
// canonical form the frontend produces (docs/ir.md).
// Postcondition: every value reachable from the inputs without passing an Unsupported node
// or a node whose output shape depends on non-constant data (a Reshape whose target shape
// is a graph input, say) has dtype and shape; the others stay Undefined, and the reference
// executor infers them at run time from the actual tensors.

#include <cstdint>

#include "compiler/ir/graph.h"

namespace wb {

// Throws UserError naming the node (name and op) whose inputs are inconsistent.
void infer_shapes(Graph& graph);

// Infers the outputs of one node from its (typed) inputs. Returns false, leaving the
// outputs untouched, when they depend on the data of an input that is not constant.
bool infer_node(Node& node);

// Maps a possibly negative axis into [0, rank) (or [0, rank] with allow_end); UserError otherwise.
std::int64_t normalize_axis(std::int64_t axis, std::int64_t rank, bool allow_end = false);

}  // namespace wb
