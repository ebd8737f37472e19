#pragma once
// Questions both back ends ask of a QGraph: who reads a tensor, is it a network output, how
// much work a node is (DESIGN.md §4.4: MACs count conv and FC; ops are 2 x MACs, plus
// k_h * k_w per pooled output element, plus 1 per added output element).

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/quant/qgraph.h"

namespace wb::quant {

// Consumers of each tensor, by node index (indexed by tensor).
std::vector<std::vector<int>> consumers_of(const QGraph& graph);

bool is_graph_output(const QGraph& graph, int tensor);

// A shape's dimension i, 1 when the shape is shorter.
std::int64_t dim_or_one(const QTensor& t, std::size_t i);

std::uint64_t element_count(const QTensor& t);

// True MACs of a Conv node: a depthwise conv counts C x K^2 per pixel.
std::uint64_t conv_macs(const QGraph& graph, const QNode& node);

// MACs of attention's MatMul (either form): heads x queries x keys x the head's channels.
std::uint64_t matmul_macs(const QGraph& graph, const QNode& node);

// k_h * k_w per output element of a pool node.
std::uint64_t pool_ops(const QGraph& graph, const QNode& node);

}  // namespace wb::quant
