#include "compiler/passes/channel_moves_to_gather.h"

#include <numeric>
#include <optional>
#include <set>
#include <string>

#include "compiler/ir/shape_ops.h"
#include "compiler/passes/rewrite/rewrite.h"

namespace wb {
namespace {

bool is_nchw(const Value* v) { return v != nullptr && v->has_type() && v->shape.size() == 4 && is_float(v->dtype); }

std::optional<std::vector<std::int64_t>> constant_ints(const Node& node, std::size_t input) {
  const Tensor* t = node.constant_input(input);
  if (t == nullptr) return std::nullopt;
  return t->to_int64_vector();
}

// The channels a Slice keeps, when it keeps every other axis whole with step 1.
std::optional<std::vector<std::int64_t>> sliced_channels(const Node& slice) {
  const Value* x = slice.input(0);
  if (!is_nchw(x)) return std::nullopt;
  const auto starts = constant_ints(slice, 1), ends = constant_ints(slice, 2);
  if (!starts || !ends) return std::nullopt;
  std::optional<std::vector<std::int64_t>> axes, steps;
  if (slice.input(3) != nullptr && !(axes = constant_ints(slice, 3))) return std::nullopt;
  if (slice.input(4) != nullptr && !(steps = constant_ints(slice, 4))) return std::nullopt;
  const std::vector<SliceRange> ranges = slice_ranges(x->shape, *starts, *ends, axes, steps);
  for (std::size_t d = 0; d < ranges.size(); ++d) {
    if (ranges[d].step != 1) return std::nullopt;
    if (d != 1 && (ranges[d].start != 0 || ranges[d].count != x->shape[d])) return std::nullopt;
  }
  std::vector<std::int64_t> channels(static_cast<std::size_t>(ranges[1].count));
  std::iota(channels.begin(), channels.end(), ranges[1].start);
  return channels;
}

// The input and channel order of a shuffle ending in `last` (the second Reshape).
std::optional<std::pair<Value*, std::vector<std::int64_t>>> shuffled_channels(const Graph& graph, const Node& last) {
  const Node* transpose = last.input(0) == nullptr ? nullptr : last.input(0)->producer;
  if (transpose == nullptr || transpose->op != OpKind::Transpose ||
      transpose->attrs.get_ints("perm") != std::vector<std::int64_t>{0, 2, 1, 3, 4} ||
      rewrite::single_user(graph, transpose->output(0)) != &last) {
    return std::nullopt;
  }
  const Node* first = transpose->input(0)->producer;
  if (first == nullptr || first->op != OpKind::Reshape || rewrite::single_user(graph, first->output(0)) != transpose) {
    return std::nullopt;
  }
  Value* x = first->input(0);
  const Value* grouped = first->output(0);
  if (!is_nchw(x) || !is_nchw(last.output(0)) || last.output(0)->shape != x->shape || !grouped->has_type() ||
      grouped->shape.size() != 5) {
    return std::nullopt;
  }
  const Shape& g = grouped->shape;  // [N, groups, C / groups, H, W]
  if (g[0] != x->shape[0] || g[1] * g[2] != x->shape[1] || g[3] != x->shape[2] || g[4] != x->shape[3]) {
    return std::nullopt;
  }
  std::vector<std::int64_t> channels(static_cast<std::size_t>(x->shape[1]));
  for (std::int64_t j = 0; j < x->shape[1]; ++j) channels[static_cast<std::size_t>(j)] = (j % g[1]) * g[2] + j / g[1];
  return std::make_pair(x, channels);
}

}  // namespace

bool ChannelMovesToGatherPass::run(Graph& graph, PassStatistics& stats) {
  bool changed = false;
  std::set<const Node*> erased;  // a shuffle's first Reshape and Transpose, erased with its last
  for (Node* node : graph.nodes()) {
    if (erased.count(node) != 0) continue;
    std::optional<std::pair<Value*, std::vector<std::int64_t>>> move;
    const char* what = nullptr;
    if (node->op == OpKind::Slice) {
      if (auto channels = sliced_channels(*node)) move = std::make_pair(node->input(0), std::move(*channels));
      what = "channel slices to gathers";
    } else if (node->op == OpKind::Reshape) {
      move = shuffled_channels(graph, *node);
      what = "channel shuffles to gathers";
    }
    if (!move) continue;
    Value* y = node->output(0);
    const std::string name = node->name;
    std::vector<Value*> dead;  // the shuffle's 5-D intermediates
    if (node->op == OpKind::Reshape) {
      Node* transpose = node->input(0)->producer;
      Node* first = transpose->input(0)->producer;
      dead = {transpose->output(0), first->output(0)};
      for (Node* n : {node, transpose, first}) {
        erased.insert(n);
        graph.erase_node(n);
      }
    } else {
      graph.erase_node(node);
    }
    for (Value* v : dead) graph.erase_value(v);
    const auto count = static_cast<std::int64_t>(move->second.size());
    Value* indices = graph.add_constant(graph.unique_value_name(name + "_channels"),
                                        Tensor::from_vector<std::int64_t>({count}, move->second));
    graph.add_node(OpKind::Gather, name, {move->first, indices}, {y})->attrs.set("axis", std::int64_t{1});
    stats.add(what);
    changed = true;
  }
  return changed;
}

}  // namespace wb
