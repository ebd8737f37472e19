#include "compiler/quant/qgraph_queries.h"

#include "compiler/ir/window_geometry.h"

namespace wb::quant {

std::vector<std::vector<int>> consumers_of(const QGraph& graph) {
  std::vector<std::vector<int>> consumers(graph.tensors.size());
  for (std::size_t n = 0; n < graph.nodes.size(); ++n) {
    for (const int t : graph.nodes[n].inputs) consumers[static_cast<std::size_t>(t)].push_back(static_cast<int>(n));
  }
  return consumers;
}

bool is_graph_output(const QGraph& graph, int tensor) {
  for (const int o : graph.outputs) {
    if (o == tensor) return true;
  }
  return false;
}

std::int64_t dim_or_one(const QTensor& t, std::size_t i) { return i < t.shape.size() ? t.shape[i] : 1; }

std::uint64_t element_count(const QTensor& t) {
  std::uint64_t elements = 1;
  for (const auto d : t.shape) elements *= static_cast<std::uint64_t>(d);
  return elements;
}

std::uint64_t conv_macs(const QGraph& graph, const QNode& node) {
  const auto& in = graph.tensor(node.inputs[0]);
  const auto& out = graph.tensor(node.output);
  const auto cin_g = static_cast<std::uint64_t>(dim_or_one(in, 1) / node.group);
  // Taps on an input-dilated conv's inserted zeros are no MACs (window_geometry.h).
  std::uint64_t taps = 1;
  for (std::size_t a = 0; a < 2; ++a) {
    taps *= static_cast<std::uint64_t>(taps_on_pixels(dim_or_one(out, 2 + a), node.kernel[a], node.strides[a],
                                                      node.dilations[a], node.pads_begin[a], node.input_dilations[a]));
  }
  return static_cast<std::uint64_t>(dim_or_one(out, 1)) * cin_g * taps;
}

std::uint64_t matmul_macs(const QGraph& graph, const QNode& node) {
  const auto& a = graph.tensor(node.inputs[0]);
  const auto& b = graph.tensor(node.inputs[1]);
  // Per query: the keys of its window (all of them without windows) times C; the context's a
  // is [W h, L, L'], its dimension 1 a window's queries.
  const std::int64_t queries = node.matmul_form == MatMulForm::Scores ? dim_or_one(a, 3) / node.matmul_windows
                                                                      : dim_or_one(a, 1);
  // b is K or V, the image [1, C, 1, keys] of every head's channels.
  return static_cast<std::uint64_t>(queries * dim_or_one(b, 1) * dim_or_one(b, 3));
}

std::uint64_t pool_ops(const QGraph& graph, const QNode& node) {
  return element_count(graph.tensor(node.output)) * static_cast<std::uint64_t>(node.kernel[0] * node.kernel[1]);
}

std::vector<PixelRun> pixel_runs(const std::vector<std::int64_t>& pixels, std::int64_t in_width, std::int64_t out_width) {
  std::vector<PixelRun> runs;
  for (std::size_t p = 0; p < pixels.size(); ++p) {
    const auto out_pixel = static_cast<std::int64_t>(p);
    const std::int64_t from = pixels[p];
    const bool extends = !runs.empty() && out_pixel % out_width != 0 && from % in_width != 0 &&
                         pixels[p - 1] + 1 == from;
    if (extends) {
      ++runs.back().length;
      continue;
    }
    runs.push_back({static_cast<std::uint32_t>(from / in_width), static_cast<std::uint32_t>(from % in_width),
                    static_cast<std::uint32_t>(out_pixel / out_width), static_cast<std::uint32_t>(out_pixel % out_width), 1});
  }
  return runs;
}

}  // namespace wb::quant
