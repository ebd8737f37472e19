#include "compiler/passes/reduce_mean_to_pool.h"

#include <set>
#include <string>

#include "compiler/ir/shape_ops.h"

namespace wb {
namespace {

bool over_spatial_axes(const Node& node) {
  const Value* x = node.input(0);
  if (x == nullptr || !x->has_type() || x->shape.size() < 3 || !is_float(x->dtype)) return false;
  const auto rank = static_cast<std::int64_t>(x->shape.size());
  std::set<std::int64_t> spatial;
  for (std::int64_t d = 2; d < rank; ++d) spatial.insert(d);
  return reduced_axes(node.attrs, rank) == spatial;
}

}  // namespace

bool ReduceMeanToPoolPass::run(Graph& graph, PassStatistics& stats) {
  bool changed = false;
  for (Node* node : graph.nodes()) {
    if (node->op != OpKind::ReduceMean || !over_spatial_axes(*node)) continue;
    const bool keepdims = node->attrs.get_int("keepdims", 1) != 0;
    Value* x = node->input(0);
    Value* y = node->output(0);
    const std::string name = node->name;
    graph.erase_node(node);
    if (keepdims) {
      graph.add_node(OpKind::GlobalAveragePool, name, {x}, {y});
    } else {
      // [N, C, 1, ...] -> [N, C] is exactly Flatten at axis 1.
      Value* pooled = graph.add_value(graph.unique_value_name(name + "_pooled"));
      graph.add_node(OpKind::GlobalAveragePool, name, {x}, {pooled});
      graph.add_node(OpKind::Flatten, name + "_flatten", {pooled}, {y})->attrs.set("axis", std::int64_t{1});
    }
    stats.add("mean reductions to global pools");
    changed = true;
  }
  return changed;
}

}  // namespace wb
