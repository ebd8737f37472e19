#pragma once
// Graph inputs that are token ids: integers a model reads as the indices of an embedding table
// (a Gather of a constant [V, C] along axis 0, as torch exports nn.Embedding). Seeded inputs
// draw ids inside the table, and the report counts them as tokens.

#include <cstdint>
#include <optional>

#include "compiler/ir/graph.h"

namespace wb {

// The table [V, C] an embedding reads: `node`'s constant data when it is a Gather along axis 0
// of a 2-D constant by computed integer indices; nullptr otherwise.
const Tensor* embedding_table(const Node& node);

// The rows of the smallest embedding table `input` indexes, read through views of its values
// (Cast, Reshape, Flatten, Squeeze, Unsqueeze); nullopt when it is not an integer input or no
// Gather of a constant table reads it so.
std::optional<std::int64_t> token_id_rows(const Graph& graph, const Value& input);

}  // namespace wb
