#pragma once
// Small graph edits the passes share.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/ir/graph.h"

namespace wb::rewrite {

// The only node reading `value`, or nullptr if it has none, several, or is a graph output.
Node* single_user(const Graph& graph, const Value* value);

// Removes a node whose output equals its input 0 (Identity, a no-op Reshape, ...). Uses of
// the output read the input instead; when the output is a graph output, the producer of the
// input is made to produce it directly so graph output names do not change. Returns false
// (and changes nothing) when that is impossible (the input is itself a graph input or
// output, a constant, or read by other nodes).
bool bypass(Graph& graph, Node* node);

// Makes `consumer`'s output be produced by `producer` instead (producer's old output value is
// erased) and erases `consumer`: the fusion step of "producer absorbs consumer". The old
// output must have no other reader.
void absorb(Graph& graph, Node* producer, Node* consumer);

// The node of op `op` that writes `v`, or nullptr (v null, an input or constant, another op).
const Node* made_by(const Value* v, OpKind op);

// The scalar value of a constant single-element input, if it is one.
std::optional<double> constant_scalar(const Node& node, std::size_t input);

// The name of a node that replaces several, after the one it is named from: exporters name
// nodes "/module/path/Op", so the last component becomes `op` ("/ln_1/Div" -> "/ln_1/LayerNormalization");
// a name without a path is kept.
std::string renamed_for(const std::string& name, std::string_view op);

// A float matrix [R, C] as [C, R]: a MatMul's weights [K, M] by output (what a 1x1 Conv's
// weights are, reshaped [M, K, 1, 1]), a token constant [T, C] by channel.
Tensor transposed_matrix(const Tensor& m);

// Erases a matched chain of nodes, last first (each reads the one before it).
void erase_chain(Graph& graph, const std::vector<Node*>& nodes);

// True when `target` depends, directly or not, on `source`'s producer (a path source -> target).
bool depends_on(const Graph& graph, const Value* target, const Value* source);

}  // namespace wb::rewrite
