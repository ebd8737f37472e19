#pragma once
// What the tokens-as-image tests share: an int64 shape constant, the attention products (MatMuls
// of two activations) left in a graph, and a checked-in workload after the default pipeline.

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/ir/graph.h"

namespace wb::test {

inline Tensor ints_tensor(const std::vector<std::int64_t>& v) {
  return Tensor::from_vector<std::int64_t>({static_cast<std::int64_t>(v.size())}, v);
}

inline std::size_t count_matmuls_of_activations(const Graph& g) {
  std::size_t n = 0;
  for (const Node* node : g.nodes()) n += node->op == OpKind::MatMul && node->constant_input(1) == nullptr;
  return n;
}

// A checked-in workload after the default pipeline: its graph, its node counts, and its float
// output's error against torch's (relative to the peak) on the workload's input.
struct PipelinedWorkload {
  Graph graph;
  std::size_t convs = 0, matmuls = 0;
  std::vector<const Node*> layernorms;
  double error = 0;
};

PipelinedWorkload after_default_pipeline(const std::string& name);

}  // namespace wb::test
