#include "compiler/xdnn/sibling_merge.h"

#include <cstring>
#include <set>

#include "compiler/quant/qgraph_queries.h"
#include "compiler/xdnn/buffer_plan.h"

namespace wb::xdnn {

namespace {

using quant::QGraph;
using quant::QNode;
using quant::QOpKind;

std::int64_t channels(const QGraph& graph, int tensor) { return quant::dim_or_one(graph.tensor(tensor), 1); }

// Whether conv `n` may join a merge (see the header).
bool mergeable(const QGraph& graph, std::size_t n, const std::vector<std::vector<int>>& consumers,
               const XdnnParams& hw, const CompileOptions& options) {
  const QNode& node = graph.nodes[n];
  if (node.kind != QOpKind::Conv || node.group != 1 || node.inputs.size() != 1) return false;
  const auto& in = graph.tensor(node.inputs[0]);
  const auto& out = graph.tensor(node.output);
  if (in.shape.size() != 4 || out.shape.size() != 4 || in.shape[0] != 1) return false;
  if (!array_conv_problem(graph, node, hw).empty()) return false;
  if (out.shape[2] == 1 && out.shape[3] == 1) return false;  // an FC (or a 1 x 1 image): nothing to share
  if (quant::is_graph_output(graph, node.output)) return false;
  const auto& readers = consumers[static_cast<std::size_t>(node.output)];
  if (readers.empty()) return false;
  for (const int r : readers) {
    if (graph.nodes[static_cast<std::size_t>(r)].kind != QOpKind::Conv) return false;
  }
  if (options.replication && readers.size() == 1) {
    const QNode& reader = graph.nodes[static_cast<std::size_t>(readers[0])];
    if (reader.group == 1 &&
        replication_factor(static_cast<std::uint32_t>(out.shape[1]), static_cast<std::uint32_t>(reader.kernel[1]),
                           static_cast<std::uint32_t>(hw.array.rows)) > 1) {
      return false;
    }
  }
  return true;
}

// Whether two mergeable convs compute the same kind of thing over the same window.
bool siblings(const QGraph& graph, const QNode& a, const QNode& b) {
  const auto& ta = graph.tensor(a.output);
  const auto& tb = graph.tensor(b.output);
  return a.inputs[0] == b.inputs[0] && a.kernel == b.kernel && a.strides == b.strides && a.dilations == b.dilations &&
         a.pads_begin == b.pads_begin && a.pads_end == b.pads_end && a.weights.dtype() == b.weights.dtype() &&
         a.weight_bits == b.weight_bits && a.bias.empty() == b.bias.empty() &&
         (a.bias.empty() || a.bias.dtype() == b.bias.dtype()) && ta.bits == tb.bits && ta.is_signed == tb.is_signed &&
         a.requant.lo == b.requant.lo && a.requant.hi == b.requant.hi &&
         a.requant.intermediate_bits == b.requant.intermediate_bits;
}

// `tensors` side by side along their first dimension (C_out).
Tensor concat_first_dim(const std::vector<const Tensor*>& tensors) {
  Shape shape = tensors.front()->shape();
  shape[0] = 0;
  for (const Tensor* t : tensors) shape[0] += t->shape()[0];
  Tensor merged(tensors.front()->dtype(), shape);
  std::size_t at = 0;
  for (const Tensor* t : tensors) {
    std::memcpy(merged.raw() + at, t->raw(), t->nbytes());
    at += t->nbytes();
  }
  return merged;
}

// Per-channel entries of `values` (one entry: the same for every channel) over `count` channels.
template <typename T>
void append_per_channel(std::vector<T>& to, const std::vector<T>& values, std::int64_t count) {
  for (std::int64_t c = 0; c < count; ++c) to.push_back(values.size() == 1 ? values[0] : values[static_cast<std::size_t>(c)]);
}

bool same_per_tensor_requant(const std::vector<const QNode*>& members) {
  const quant::Requant& first = members.front()->requant;
  for (const QNode* m : members) {
    const quant::Requant& r = m->requant;
    if (r.channels() != 1 || r.multiplier != first.multiplier || r.offset != first.offset || r.shift != first.shift) {
      return false;
    }
  }
  return true;
}

QNode merged_node(const QGraph& graph, const std::vector<const QNode*>& members, int output) {
  QNode merged = *members.front();
  merged.output = output;
  merged.name = members.front()->name;
  for (std::size_t i = 1; i < members.size(); ++i) merged.name += "_merged_" + members[i]->name;
  std::vector<const Tensor*> weights, biases;
  for (const QNode* m : members) {
    weights.push_back(&m->weights);
    biases.push_back(&m->bias);
  }
  merged.weights = concat_first_dim(weights);
  if (!merged.bias.empty()) merged.bias = concat_first_dim(biases);
  merged.weight_scale.clear();
  for (const QNode* m : members) append_per_channel(merged.weight_scale, m->weight_scale, channels(graph, m->output));
  if (!same_per_tensor_requant(members)) {
    merged.requant.multiplier.clear();
    merged.requant.offset.clear();
    merged.requant.shift.clear();
    for (const QNode* m : members) {
      const std::int64_t c = channels(graph, m->output);
      append_per_channel(merged.requant.multiplier, m->requant.multiplier, c);
      append_per_channel(merged.requant.offset, m->requant.offset, c);
      append_per_channel(merged.requant.shift, m->requant.shift, c);
    }
  }
  return merged;
}

}  // namespace

SiblingMerge merge_siblings(const QGraph& graph, const XdnnParams& hw, const CompileOptions& options) {
  SiblingMerge result;
  if (!options.sibling_merge) return result;
  const auto consumers = quant::consumers_of(graph);
  // Groups of siblings, each in graph order, by their first member. A conv's siblings are
  // among the other readers of its input (consumers_of lists them in graph order).
  std::map<std::size_t, std::vector<std::size_t>> groups;
  std::set<std::size_t> grouped;
  for (std::size_t n = 0; n < graph.nodes.size(); ++n) {
    if (grouped.count(n) != 0 || !mergeable(graph, n, consumers, hw, options)) continue;
    std::vector<std::size_t> group{n};
    for (const int reader : consumers[static_cast<std::size_t>(graph.nodes[n].inputs[0])]) {
      const auto m = static_cast<std::size_t>(reader);
      if (m > n && grouped.count(m) == 0 && siblings(graph, graph.nodes[n], graph.nodes[m]) &&
          mergeable(graph, m, consumers, hw, options)) {
        group.push_back(m);
      }
    }
    if (group.size() < 2) continue;
    grouped.insert(group.begin(), group.end());
    groups.emplace(n, std::move(group));
  }
  if (groups.empty()) return result;

  QGraph merged = graph;
  merged.nodes.clear();
  for (std::size_t n = 0; n < graph.nodes.size(); ++n) {
    const auto group = groups.find(n);
    if (group == groups.end()) {
      if (grouped.count(n) == 0) merged.nodes.push_back(graph.nodes[n]);
      continue;
    }
    std::vector<const QNode*> members;
    for (const std::size_t m : group->second) members.push_back(&graph.nodes[m]);
    // The merged output: the siblings' outputs side by side (their scales may differ; the
    // per-channel requant carries each one's arithmetic, and nothing reads the merged scale).
    quant::QTensor output = graph.tensor(members.front()->output);
    output.shape[1] = 0;
    for (const QNode* m : members) {
      if (m != members.front()) output.name += "_merged_" + graph.tensor(m->output).name;
      output.shape[1] += channels(graph, m->output);
    }
    const int output_index = static_cast<int>(merged.tensors.size());
    merged.tensors.push_back(output);
    std::uint32_t offset = 0;
    for (const QNode* m : members) {
      result.parts[m->output] = Placement{output_index, offset};
      result.parts_of[output_index].push_back(m->output);
      offset += static_cast<std::uint32_t>(channels(graph, m->output));
    }
    merged.nodes.push_back(merged_node(graph, members, output_index));
  }
  result.graph = std::move(merged);
  return result;
}

LayerMapping map_merged_layers(const QGraph& graph, const SiblingMerge& merge, const XdnnParams& hw,
                               const CompileOptions& options) {
  LayerMapping mapping = map_layers(merge.graph_or(graph), hw, options);
  for (const auto& [tensor, placement] : merge.parts) mapping.placements[tensor] = placement;
  for (XLayer& layer : mapping.layers) {
    const auto parts = merge.parts_of.find(layer.output);
    if (parts != merge.parts_of.end()) layer.output_parts = parts->second;
  }
  return mapping;
}

}  // namespace wb::xdnn
