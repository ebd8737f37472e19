#include "compiler/ir/verifier.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <stdexcept>

namespace wb {

void verify_graph(const Graph& graph) {
  const auto nodes = graph.nodes();
  const std::set<const Node*> node_set(nodes.begin(), nodes.end());
  const auto values = graph.values();
  const std::set<const Value*> value_set(values.begin(), values.end());
  auto fail = [](const std::string& message) { throw std::logic_error("invalid graph: " + message); };

  for (const Value* in : graph.inputs()) {
    if (value_set.count(in) == 0) fail("a graph input is not in the graph");
    if (in->producer != nullptr) fail(fmt::format("graph input '{}' has a producer", in->name));
  }
  for (const Value* out : graph.outputs()) {
    if (value_set.count(out) == 0) fail("a graph output is not in the graph");
  }
  for (const Node* node : nodes) {
    for (const Value* in : node->inputs) {
      if (in == nullptr) continue;
      if (value_set.count(in) == 0) fail(fmt::format("node '{}' reads a value that is not in the graph", node->name));
      const bool is_input = std::find(graph.inputs().begin(), graph.inputs().end(), in) != graph.inputs().end();
      if (!in->is_constant() && !is_input && (in->producer == nullptr || node_set.count(in->producer) == 0)) {
        fail(fmt::format("node '{}' reads '{}', which nothing produces", node->name, in->name));
      }
    }
    for (const Value* out : node->outputs) {
      if (out != nullptr && out->producer != node) {
        fail(fmt::format("node '{}' lists output '{}' produced by another node", node->name, out->name));
      }
    }
  }
  for (const Value* out : graph.outputs()) {
    const bool is_input = std::find(graph.inputs().begin(), graph.inputs().end(), out) != graph.inputs().end();
    if (!out->is_constant() && !is_input && out->producer == nullptr) {
      fail(fmt::format("graph output '{}' is produced by nothing", out->name));
    }
  }
  graph.topological_order();  // throws on a cycle
}

}  // namespace wb
