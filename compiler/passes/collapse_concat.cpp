#include "compiler/passes/collapse_concat.h"

#include "compiler/ir/shape_inference.h"
#include "compiler/passes/rewrite/rewrite.h"

namespace wb {

bool CollapseConcatPass::run(Graph& graph, PassStatistics& stats) {
  bool changed = false;
  for (Node* outer : graph.topological_order()) {
    if (outer->op != OpKind::Concat || !outer->output(0)->has_type()) continue;
    const auto rank = static_cast<std::int64_t>(outer->output(0)->shape.size());
    const std::int64_t axis = normalize_axis(outer->attrs.get_int("axis", 0), rank);
    std::vector<Value*> spliced;
    std::vector<Node*> absorbed;
    for (Value* in : outer->inputs) {
      Node* inner = in->producer;
      if (inner != nullptr && inner->op == OpKind::Concat && rewrite::single_user(graph, in) == outer &&
          normalize_axis(inner->attrs.get_int("axis", 0), rank) == axis) {
        spliced.insert(spliced.end(), inner->inputs.begin(), inner->inputs.end());
        absorbed.push_back(inner);
      } else {
        spliced.push_back(in);
      }
    }
    if (absorbed.empty()) continue;
    outer->inputs = spliced;
    for (Node* inner : absorbed) {
      Value* out = inner->output(0);
      graph.erase_node(inner);
      graph.erase_value(out);
      stats.add("concats collapsed");
    }
    changed = true;
  }
  return changed;
}

}  // namespace wb
