#include "compiler/pulp/layer_mapping.h"

#include <fmt/format.h>

#include <algorithm>

#include "compiler/pulp/deconv_phases.h"
#include "compiler/pulp/kernel_rules.h"
#include "compiler/quant/qgraph_queries.h"
#include "isa/pulp_program.h"

namespace wb::pulp {

namespace {

using quant::QGraph;
using quant::QNode;
using quant::QOpKind;

// Everything the int8 kernels need of a node's tensors, or why not.
std::string tensor_problem(const QGraph& graph, const QNode& node) {
  for (const int t : node.inputs) {
    const auto& q = graph.tensor(t);
    if (q.token_ids) continue;  // an embedding's 16-bit ids pick rows, no kernel computes with them
    if (q.bits != 8) return fmt::format("input '{}' is {}-bit; PULP-NN's kernels here are 8-bit", q.name, q.bits);
    const std::int64_t batch = quant::dim_or_one(q, 0);
    if (q.shape.size() != 3 && batch != 1) return fmt::format("input '{}' has batch {}; batch 1 only", q.name, batch);
  }
  const auto& out = graph.tensor(node.output);
  if (out.bits != 8) return fmt::format("output '{}' is {}-bit; PULP-NN's kernels here are 8-bit", out.name, out.bits);
  return {};
}

// Our conv, grouped conv and depthwise kernels dilate (PULP-NN's have no dilation); pools do not.
std::string window_problem(const QNode& node) {
  if (node.kind != QOpKind::Conv && (node.dilations[0] != 1 || node.dilations[1] != 1)) {
    return fmt::format("dilation {}x{}; only the conv kernels dilate", node.dilations[0], node.dilations[1]);
  }
  // with_deconv_phases lowered every transposed conv it could; the one left says why not.
  if (node.kind == QOpKind::Conv && node.input_dilations != std::vector<std::int64_t>{1, 1}) {
    const std::string why = deconv_phases_problem(node);
    return why.empty() ? "a transposed conv the phase lowering left (with_deconv_phases)" : why;
  }
  return {};
}

// The concat whose buffer holds each concat: the one with the longest input list that starts
// with this one's inputs (DenseNet's dense block concatenates [x0], [x0, y1], [x0, y1, y2], ...:
// each a channel prefix of the block's last, so all live in the last one's buffer), else itself.
std::map<int, int> concat_owners(const QGraph& graph) {
  std::vector<int> concats;
  std::map<int, int> owners;
  for (std::size_t n = 0; n < graph.nodes.size(); ++n) {
    if (graph.nodes[n].kind != QOpKind::Concat) continue;
    if (graph.nodes[n].concat_axis == 1) {
      concats.push_back(static_cast<int>(n));
    } else {
      owners[static_cast<int>(n)] = static_cast<int>(n);  // along W: never a prefix view
    }
  }
  for (const int c : concats) {
    const auto& inputs = graph.nodes[static_cast<std::size_t>(c)].inputs;
    int owner = c;
    for (const int d : concats) {
      const auto& longer = graph.nodes[static_cast<std::size_t>(d)].inputs;
      if (longer.size() > graph.nodes[static_cast<std::size_t>(owner)].inputs.size() &&
          std::equal(inputs.begin(), inputs.end(), longer.begin())) {
        owner = d;
      }
    }
    owners[c] = owner;
  }
  return owners;
}

// Records where each input of a concat is written, or says why it cannot be placed: the
// producer writes into the concat's tensor (its readers read that slice), so the input must be
// a layer's output, not a network input or output, and not already in another concat. A
// channel concat that is a channel prefix of a longer one is a view of the longer one's buffer.
// A concat along W of one-row images (tokens) places each input's pixels after the previous
// input's: in HWC they follow each other (a reshape of a producer's image to one row is the same
// bytes, so its producer writes there).
std::string place_concat(const QGraph& graph, const QNode& node, int owner_node, LayerMapping& mapping) {
  if (std::string problem = tensor_problem(graph, node); !problem.empty()) return problem;
  const auto& out = graph.tensor(node.output);
  if (out.shape.size() != 4) return fmt::format("output '{}' is not NCHW; only concats of images are placed", out.name);
  const bool along_w = node.concat_axis == 3;
  if (!along_w && node.concat_axis != 1) return fmt::format("a concat along axis {}; only channels and W are placed", node.concat_axis);
  if (along_w && quant::dim_or_one(out, 2) != 1) {
    return fmt::format("a concat along W of images of {} rows; only one-row images (tokens) are placed", quant::dim_or_one(out, 2));
  }
  const QNode& owner = graph.nodes[static_cast<std::size_t>(owner_node)];
  if (&owner != &node) {
    mapping.slices[node.output] = ConcatSlice{owner.output, 0, static_cast<std::uint32_t>(quant::dim_or_one(out, 1)), 0};
    return {};
  }
  std::map<int, ConcatSlice> placed;
  std::uint32_t offset = 0;
  for (const int input : node.inputs) {
    const int t = along_w ? resolve_alias(mapping, input) : input;
    const auto& in = graph.tensor(t);
    const auto& read = graph.tensor(input);  // as the concat reads it: its tokens
    if (in.is_constant()) {
      return fmt::format("input '{}' is a constant; the compiler copies it with a layer of its own first "
                         "(with_concat_copies)",
                         in.name);
    }
    const bool produced = std::any_of(mapping.layers.begin(), mapping.layers.end(),
                                      [&](const PLayer& layer) { return layer.output == t; });
    if (!produced) {
      return fmt::format("input '{}' is not the output of a conv, add or pool layer (a network input, reshape or "
                         "concat that is not a channel prefix of this one); only layer outputs are written into a "
                         "concat",
                         in.name);
    }
    if (std::count(graph.outputs.begin(), graph.outputs.end(), t) != 0) {
      return fmt::format("input '{}' is also a network output, which must be a dense tensor", in.name);
    }
    if (mapping.slices.count(t) != 0 || placed.count(t) != 0) {
      return fmt::format("input '{}' is already written into another concat (or twice into this one); a layer "
                         "writes its output to one place",
                         in.name);
    }
    const auto channels = static_cast<std::uint32_t>(quant::dim_or_one(in, 1));
    if (along_w) {
      placed[t] = ConcatSlice{node.output, 0, channels, offset, channels != quant::dim_or_one(out, 1)};
      offset += static_cast<std::uint32_t>(quant::dim_or_one(read, 2) * quant::dim_or_one(read, 3));
    } else {
      placed[t] = ConcatSlice{node.output, offset, channels, 0};
      offset += channels;
    }
  }
  for (const auto& [t, slice] : placed) mapping.slices[t] = slice;
  return {};
}

}  // namespace

const char* kernel_type_name(isa::pulp::KernelKind kind) { return isa::pulp::kernel_kind_name(kind); }

std::uint64_t hwc_bytes(const quant::QTensor& t) { return quant::element_count(t) * (t.bits > 8 ? 2 : 1); }

PixelDims pixel_dims(const quant::QTensor& t) {
  const auto u32 = [](std::int64_t v) { return static_cast<std::uint32_t>(v); };
  if (t.shape.size() == 3) return {u32(t.shape[2]), u32(t.shape[0] * t.shape[1]), 1};
  return {u32(quant::dim_or_one(t, 1)), u32(quant::dim_or_one(t, 2)), u32(quant::dim_or_one(t, 3))};
}

quant::QGraph with_concat_copies(const QGraph& graph) {
  QGraph lowered = graph;
  lowered.nodes.clear();
  for (const QNode& node : graph.nodes) {
    QNode reader = node;
    if (node.kind == QOpKind::Concat) {
      for (int& input : reader.inputs) {
        const bool network_input = std::count(graph.inputs.begin(), graph.inputs.end(), input) != 0;
        if (!graph.tensor(input).is_constant() && !network_input) continue;
        quant::QTensor copy = graph.tensor(input);
        copy.name += "_copy";
        copy.data = Tensor{};
        lowered.tensors.push_back(copy);
        QNode pool;
        pool.kind = QOpKind::MaxPool;  // 1x1, stride 1: a copy, of the same type and scale
        pool.name = node.name + "/copy_" + graph.tensor(input).name;
        pool.inputs = {input};
        pool.output = static_cast<int>(lowered.tensors.size()) - 1;
        lowered.nodes.push_back(pool);
        input = pool.output;
      }
    }
    lowered.nodes.push_back(std::move(reader));
  }
  return lowered;
}

bool reads_regrouped(const LayerMapping& mapping, int tensor) {
  for (auto it = mapping.aliases.find(tensor); it != mapping.aliases.end(); it = mapping.aliases.find(tensor)) {
    if (mapping.regrouped.count(tensor) != 0) return true;
    tensor = it->second;
  }
  return false;
}

int resolve_alias(const LayerMapping& mapping, int tensor) {
  for (auto it = mapping.aliases.find(tensor); it != mapping.aliases.end(); it = mapping.aliases.find(tensor)) {
    tensor = it->second;
  }
  return tensor;
}

LayerMapping map_layers(const QGraph& graph) {
  LayerMapping mapping;
  const auto unsupported = [&](const QNode& node, const std::string& why) {
    mapping.unsupported.push_back(fmt::format("node '{}' ({}): {}", node.name, quant::qop_name(node.kind), why));
  };
  const std::map<int, int> owners = concat_owners(graph);
  for (std::size_t n = 0; n < graph.nodes.size(); ++n) {
    const QNode& node = graph.nodes[n];
    // An add (or a mul: rotary embeddings' tables) reads a constant from the L3 image like a
    // second input; so does the copy layer a
    // concat's constant gets (with_concat_copies: a max pool), and an embedding its table.
    if (node.kind != QOpKind::Add && node.kind != QOpKind::Mul && node.kind != QOpKind::Concat &&
        node.kind != QOpKind::MaxPool && node.kind != QOpKind::Embedding) {
      const auto constant = std::find_if(node.inputs.begin(), node.inputs.end(),
                                         [&](int t) { return graph.tensor(t).is_constant(); });
      if (constant != node.inputs.end()) {
        unsupported(node, fmt::format("reads the constant '{}'; only an add, a mul, a concat's copy or an "
                                      "embedding's table reads a constant operand, from the L3 image",
                                      graph.tensor(*constant).name));
        continue;
      }
    }
    if (node.kind == QOpKind::Reshape || node.kind == QOpKind::HwcReshape) {
      // Stored HWC, both keep their input's bytes: views, no layer.
      mapping.aliases[node.output] = resolve_alias(mapping, node.inputs.at(0));
      if (node.kind == QOpKind::HwcReshape) mapping.regrouped.insert(node.output);
      continue;
    }
    if (node.kind == QOpKind::Concat) {
      if (const std::string problem = place_concat(graph, node, owners.at(static_cast<int>(n)), mapping);
          !problem.empty()) {
        unsupported(node, problem);
      }
      continue;
    }
    std::string problem = tensor_problem(graph, node);
    if (problem.empty() && node.kind != QOpKind::Add) problem = window_problem(node);
    for (const int t : node.inputs) {
      if (problem.empty() && reads_regrouped(mapping, t)) {
        problem = fmt::format("reads '{}', an image's pixels regrouped as tokens in place (HwcReshape); only a concat "
                              "along W or the network's output reads it",
                              graph.tensor(t).name);
      }
    }
    PLayer layer;
    layer.name = node.name;
    layer.node = static_cast<int>(n);
    layer.output = node.output;
    for (const int t : node.inputs) layer.inputs.push_back(resolve_alias(mapping, t));
    const KernelRule* rule = kernel_rule(node.kind);
    if (rule == nullptr) {
      if (problem.empty()) problem = "no PULP-NN kernel (compiler/pulp/kernel_rules.def)";
    } else {
      layer.kind = rule->choose != nullptr ? rule->choose(graph, layer) : rule->kernel;
      if (problem.empty()) problem = rule->problem(graph, node, layer);
      rule->count(graph, node, layer);
    }
    if (!problem.empty()) {
      unsupported(node, problem);
      continue;
    }
    mapping.layers.push_back(std::move(layer));
  }
  return mapping;
}

}  // namespace wb::pulp
