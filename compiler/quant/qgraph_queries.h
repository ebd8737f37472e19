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

// A PixelGather's output pixels as runs that each back end copies in one transfer: consecutive
// output pixels of one output row that copy consecutive input pixels of one input row (a row of
// one of Swin's windows). `in_width` and `out_width` are the W of the gather's input and output.
struct PixelRun {
  std::uint32_t from_row = 0, from_column = 0;
  std::uint32_t to_row = 0, to_column = 0;
  std::uint32_t length = 0;
};
std::vector<PixelRun> pixel_runs(const std::vector<std::int64_t>& pixels, std::int64_t in_width, std::int64_t out_width);

}  // namespace wb::quant
