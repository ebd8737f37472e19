#include "compiler/passes/canonicalize_nchw.h"

#include <numeric>

#include "compiler/ir/shape_inference.h"
#include "compiler/passes/rewrite/rewrite.h"

namespace wb {
namespace {

std::vector<std::int64_t> permutation(const Node& node) {
  std::vector<std::int64_t> reversed(node.input(0)->shape.size());
  std::iota(reversed.rbegin(), reversed.rend(), 0);
  return node.attrs.get_ints("perm", reversed);
}

bool is_identity(const std::vector<std::int64_t>& perm) {
  for (std::size_t i = 0; i < perm.size(); ++i) {
    if (perm[i] != static_cast<std::int64_t>(i)) return false;
  }
  return true;
}

// Transpose(Transpose(x, p1), p2) = Transpose(x, p1[p2[i]]).
bool merge_transposes(Graph& graph, Node* second) {
  Value* mid = second->input(0);
  Node* first = mid->producer;
  if (first == nullptr || first->op != OpKind::Transpose || rewrite::single_user(graph, mid) != second) return false;
  const auto p1 = permutation(*first);
  const auto p2 = permutation(*second);
  std::vector<std::int64_t> merged(p2.size());
  for (std::size_t i = 0; i < p2.size(); ++i) merged[i] = p1[static_cast<std::size_t>(p2[i])];
  second->inputs[0] = first->input(0);
  second->attrs.set("perm", merged);
  graph.erase_node(first);
  graph.erase_value(mid);
  return true;
}

// Reshape(Reshape(x)) and Reshape(Flatten(x)) read x directly: only the final shape counts.
bool merge_reshapes(Graph& graph, Node* second) {
  Value* mid = second->input(0);
  Node* first = mid->producer;
  if (first == nullptr || (first->op != OpKind::Reshape && first->op != OpKind::Flatten)) return false;
  if (rewrite::single_user(graph, mid) != second || !second->output(0)->has_type()) return false;
  const Shape& target = second->output(0)->shape;
  second->op = OpKind::Reshape;
  second->op_type = "Reshape";
  second->attrs = Attributes{};
  second->inputs = {first->input(0),
                    graph.add_constant(graph.unique_value_name(second->name + "_shape"),
                                       Tensor::from_vector<std::int64_t>({static_cast<std::int64_t>(target.size())}, target))};
  graph.erase_node(first);
  graph.erase_value(mid);
  return true;
}

}  // namespace

bool CanonicalizeNchwPass::run(Graph& graph, PassStatistics& stats) {
  bool changed = false;
  for (Node* node : graph.topological_order()) {
    const Value* in = node->input(0);
    const Value* out = node->output(0);
    if (in == nullptr || out == nullptr || !in->has_type() || !out->has_type()) continue;
    if (node->op == OpKind::Transpose) {
      if (merge_transposes(graph, node)) {
        stats.add("transposes merged");
        changed = true;
      }
      if (is_identity(permutation(*node)) && rewrite::bypass(graph, node)) {
        stats.add("identity transposes removed");
        changed = true;
      }
    } else if (node->op == OpKind::Reshape || node->op == OpKind::Flatten) {
      if (node->op == OpKind::Reshape && merge_reshapes(graph, node)) {
        stats.add("reshapes merged");
        changed = true;
      }
      if (node->input(0)->shape == node->output(0)->shape && rewrite::bypass(graph, node)) {
        stats.add("no-op reshapes removed");
        changed = true;
      }
    }
  }
  return changed;
}

}  // namespace wb
