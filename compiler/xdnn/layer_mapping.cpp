#include "compiler/xdnn/layer_mapping.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "compiler/quant/qgraph_queries.h"
#include "compiler/xdnn/layer_problems.h"
#include "compiler/xdnn/layer_rules.h"
#include "isa/xdnn_program.h"

namespace wb::xdnn {

namespace {

using quant::QGraph;
using quant::QNode;
using quant::QOpKind;
using quant::conv_macs;
using quant::consumers_of;
using quant::pool_ops;

std::int64_t dim(const quant::QTensor& t, std::size_t i) { return quant::dim_or_one(t, i); }
bool is_output(const QGraph& graph, int tensor) { return quant::is_graph_output(graph, tensor); }

bool is_power_stride(std::int64_t s) { return s == 1 || s == 2 || s == 4 || s == 8; }

}  // namespace

std::string array_conv_problem(const QGraph& graph, const QNode& node, const XdnnParams& hw) {
  const auto& in = graph.tensor(node.inputs[0]);
  const std::int64_t cin_g = dim(in, 1) / node.group;
  const std::int64_t filter = node.kernel[0] * node.kernel[1] * cin_g;
  if (filter > hw.max_filter_elements) {
    return fmt::format("its filter {}x{}x{} = {} elements exceeds the array's limit of {} (max_filter_elements)",
                       node.kernel[0], node.kernel[1], cin_g, filter, hw.max_filter_elements);
  }
  if (!is_power_stride(node.strides[0]) || !is_power_stride(node.strides[1])) {
    return fmt::format("stride {}x{}: the array supports strides 1, 2, 4 and 8", node.strides[0], node.strides[1]);
  }
  if (node.kernel[0] > 255 || node.kernel[1] > 255) return "kernel larger than 255";
  // A transposed conv (XNDeconv): ML Suite's overlay lists deconvolution strides 1, 2, 4 and 8.
  if (!is_power_stride(node.input_dilations[0]) || !is_power_stride(node.input_dilations[1])) {
    return fmt::format("transposed conv of stride {}x{}: the array's deconvolution supports strides 1, 2, 4 and 8",
                       node.input_dilations[0], node.input_dilations[1]);
  }
  return {};
}

namespace {

// Why neither the array nor the host can run this conv, or "".
std::string conv_problem(const QGraph& graph, const QNode& node) {
  const auto& in = graph.tensor(node.inputs[0]);
  if (in.shape.size() == 4 && in.shape[0] != 1) return "batch size must be 1";
  return {};
}

std::string pool_problem(const QGraph& graph, const QNode& node) {
  if (!is_power_stride(node.strides[0]) || !is_power_stride(node.strides[1])) {
    return fmt::format("stride {}x{}: the pool unit supports strides 1, 2, 4 and 8", node.strides[0], node.strides[1]);
  }
  if (node.dilations[0] != 1 || node.dilations[1] != 1) return "dilated pooling is not supported";
  if (graph.tensor(node.inputs[0]).shape.size() != 4) return "pooling needs an N x C x H x W input";
  return {};
}

// A constant operand lives in DDR with the weights and comes up like a network input: what
// may read one.
std::string constant_reader_problem(const QGraph& graph, const QNode& node) {
  for (const int input : node.inputs) {
    const auto& t = graph.tensor(input);
    if (!t.is_constant()) continue;
    const bool add = node.kind == QOpKind::Add || node.kind == QOpKind::Mul;  // Mul: rotary embeddings' tables
    const bool concat_w = node.kind == QOpKind::Concat && node.concat_axis == 3;
    if (!add && !concat_w && node.kind != QOpKind::Embedding) {
      return fmt::format("reads the constant '{}'; on xDNN only an Add, a Mul, a concat along W or an embedding reads a "
                         "constant",
                         t.name);
    }
    if (t.shape.size() != 4 || t.shape[0] != 1) return fmt::format("the constant '{}' is not an N=1 x C x H x W image", t.name);
  }
  return {};
}

}  // namespace

const char* layer_unit(const XLayer& layer) {
  if (layer.on_host) return "host";
  switch (layer.kind) {
    case XLayerKind::Conv: return "array";
    case XLayerKind::Pool: return "pool";
    case XLayerKind::Eltwise: return "eltwise";
    case XLayerKind::Concat: return "ddr";
    case XLayerKind::HostElementwise: return "host";
    case XLayerKind::ChannelGather: return "ddr";
    case XLayerKind::PixelCopy: return "ddr";
  }
  return "?";
}

int resolve_alias(const LayerMapping& mapping, int tensor) {
  for (auto it = mapping.aliases.find(tensor); it != mapping.aliases.end(); it = mapping.aliases.find(tensor)) {
    tensor = it->second;
  }
  return tensor;
}

namespace {

// map_layers in named steps: the network's inputs, then each node by its row of the legality
// table or, for the ops whose layer depends on the graph around them, by its own step, then the
// nested concat buffers. A step returns true when `layer` is a layer to add; false when the
// node became none (refused, an alias of its input, or placed in a concat's buffer).
class LayerMapper {
 public:
  LayerMapper(const QGraph& graph, const XdnnParams& hw, const CompileOptions& options)
      : graph_(graph), hw_(hw), options_(options), consumers_(consumers_of(graph)) {}

  LayerMapping run() {
    check_inputs();
    for (std::size_t n = 0; n < graph_.nodes.size(); ++n) {
      if (fused_pools_.count(static_cast<int>(n)) != 0) continue;
      XLayer layer;
      if (map_node(static_cast<int>(n), layer)) mapping_.layers.push_back(std::move(layer));
    }
    flatten_nested_placements();
    return std::move(mapping_);
  }

 private:
  void refuse(const QNode& node, const std::string& why) {
    mapping_.unsupported.push_back(fmt::format("node '{}' ({}): {}", node.name, quant::qop_name(node.kind), why));
  }

  const QNode& node_at(int n) const { return graph_.nodes[static_cast<std::size_t>(n)]; }

  void check_inputs() {
    for (const int input : graph_.inputs) {
      const auto& t = graph_.tensor(input);
      // An [N=1, C] input (a feature vector: MLPerf Tiny's autoencoder) is a 1x1 image of C
      // channels, laid out as the classifier outputs of that shape already are.
      if ((t.shape.size() != 4 && t.shape.size() != 2) || t.shape[0] != 1) {
        mapping_.unsupported.push_back(fmt::format(
            "input '{}': the overlay takes one N=1 x C x H x W image or N=1 x C vector (got {} dimensions{})", t.name,
            t.shape.size(), t.shape.empty() || t.shape[0] == 1 ? "" : ", batch > 1"));
      }
    }
  }

  bool map_node(int n, XLayer& layer) {
    const QNode& node = node_at(n);
    if (const std::string problem = constant_reader_problem(graph_, node); !problem.empty()) {
      refuse(node, problem);
      return false;
    }
    layer.name = node.name;
    for (const int t : node.inputs) layer.inputs.push_back(resolve_alias(mapping_, t));
    layer.output = node.output;
    if (const LayerRule* rule = layer_rule(node.kind)) {
      if (const std::string problem = rule->problem(graph_, node); !problem.empty()) {
        refuse(node, problem);
        return false;
      }
      apply_rule(*rule, graph_, node, n, layer);
      if (layer.on_host) host_outputs_.insert(node.output);
      return true;
    }
    switch (node.kind) {
      case QOpKind::Conv: return map_conv(n, layer);
      case QOpKind::MaxPool:
      case QOpKind::AvgPool: return map_pool(n, layer);
      case QOpKind::Add: return map_add(n, layer);
      case QOpKind::Reshape: return map_reshape(n, layer);
      case QOpKind::Concat: return map_concat(n, layer);
      default:
        refuse(node, "no layer of the overlay runs it (compiler/xdnn/layer_rules.def)");
        return false;
    }
  }

  bool map_conv(int n, XLayer& layer) {
    const QNode& node = node_at(n);
    if (const std::string problem = conv_problem(graph_, node); !problem.empty()) {
      refuse(node, problem);
      return false;
    }
    layer.host_reason = array_conv_problem(graph_, node, hw_);
    const auto& in = graph_.tensor(node.inputs[0]);
    const auto& out_t = graph_.tensor(node.output);
    // An FC is a 1x1 conv of a 1x1 image (gemm-to-conv makes it one), or of an [N, C] tensor.
    const bool fc = in.shape.size() == 2 || (node.kernel[0] == 1 && node.kernel[1] == 1 && dim(in, 2) == 1 &&
                                             dim(in, 3) == 1 && dim(out_t, 2) == 1 && dim(out_t, 3) == 1);
    const bool depthwise = node.group > 1 && node.group == dim(in, 1) && node.group == dim(out_t, 1);
    layer.kind = XLayerKind::Conv;
    layer.conv_node = n;
    const bool transposed = node.input_dilations != std::vector<std::int64_t>{1, 1};
    layer.type = fc ? "fc" : transposed ? "deconv" : depthwise ? "depthwise" : "conv";
    layer.on_host = (fc && hw_.host_fc_softmax) || !layer.host_reason.empty();
    if (layer.on_host && layer.host_reason.empty()) layer.host_reason = "FC on the host (host_fc_softmax)";
    if (layer.on_host) host_outputs_.insert(node.output);
    layer.macs = conv_macs(graph_, node);
    layer.ops = 2 * layer.macs;
    if (options_.pool_pipelining && !fc && !layer.on_host) pipeline_pool(node, layer);
    return true;
  }

  // A pool that is the conv's only reader, when the conv's output is not needed elsewhere (not
  // a network output), runs in the conv's pipeline.
  void pipeline_pool(const QNode& conv, XLayer& layer) {
    const auto& users = consumers_[static_cast<std::size_t>(conv.output)];
    if (users.size() != 1 || is_output(graph_, conv.output)) return;
    const QNode& next = node_at(users[0]);
    if ((next.kind != QOpKind::MaxPool && next.kind != QOpKind::AvgPool) || !pool_problem(graph_, next).empty()) return;
    layer.pool_node = users[0];
    layer.fused_tensor = conv.output;
    layer.output = next.output;
    layer.type = next.kind == QOpKind::MaxPool ? "conv+maxpool" : "conv+avgpool";
    layer.ops += pool_ops(graph_, next);
    fused_pools_.insert(users[0]);
  }

  static void make_pixel_copy(int n, const char* type, XLayer& layer) {
    layer.kind = XLayerKind::PixelCopy;
    layer.copy_node = n;
    layer.type = type;
  }

  bool map_pool(int n, XLayer& layer) {
    const QNode& node = node_at(n);
    const std::string problem = pool_problem(graph_, node);
    // A 1x1 max pool takes one pixel in every window: a copy of pixels, whatever the stride
    // (the class token's, of stride T, which the pool unit lacks).
    if (node.kind == QOpKind::MaxPool && !problem.empty() && pixel_copy_problem(graph_, node).empty()) {
      make_pixel_copy(n, "pixel_copy", layer);
      return true;
    }
    if (!problem.empty()) {
      refuse(node, problem);
      return false;
    }
    layer.kind = XLayerKind::Pool;
    layer.pool_node = n;
    layer.type = node.kind == QOpKind::MaxPool ? "maxpool" : "avgpool";
    layer.ops = pool_ops(graph_, node);
    return true;
  }

  bool map_add(int n, XLayer& layer) {
    const QNode& node = node_at(n);
    if (graph_.tensor(node.inputs[0]).shape != graph_.tensor(node.inputs[1]).shape) {
      refuse(node, "broadcasting add: the eltwise unit adds two tensors of one shape");
      return false;
    }
    layer.kind = XLayerKind::Eltwise;
    layer.eltwise_node = n;
    layer.type = "eltwise";
    std::uint64_t elements = 1;
    for (const auto d : graph_.tensor(node.output).shape) elements *= static_cast<std::uint64_t>(d);
    layer.ops = elements;
    return true;
  }

  bool map_reshape(int n, XLayer& layer) {
    const QNode& node = node_at(n);
    const auto& in = graph_.tensor(node.inputs[0]);
    const auto& out_t = graph_.tensor(node.output);
    const bool flat_image = in.shape.size() == 4 && in.shape[2] == 1 && in.shape[3] == 1;
    const bool same = in.shape == out_t.shape;
    // The patch embedding's image C x H x W viewed as the tokens C x 1 x (H W): in AM each
    // of its H rows goes after the one before, a copy of pixels (rows aligned on v2, and
    // the AM buffer keeps the shape its writer gives it).
    const bool rows_to_tokens = in.shape.size() == 4 && out_t.shape.size() == 4 && in.shape[0] == 1 &&
                                out_t.shape[1] == in.shape[1] && out_t.shape[2] == 1 &&
                                out_t.shape[3] == in.shape[2] * in.shape[3] && in.shape[2] > 1;
    // Where rows are not padded (v3's AM, and any home: rows back to back) the image is
    // already its tokens, pixel (h, w) at token h W + w: a view, when only concats along W
    // read it (their copies step through its pixels one after another; a conv, an add or the
    // network's output would take the buffer's H x W shape instead).
    const auto& readers = consumers_[static_cast<std::size_t>(node.output)];
    const bool only_concats_w = !readers.empty() && !is_output(graph_, node.output) &&
                                std::all_of(readers.begin(), readers.end(), [&](int r) {
                                  const QNode& reader = node_at(r);
                                  return reader.kind == QOpKind::Concat && reader.concat_axis == 3;
                                });
    if (rows_to_tokens && only_concats_w && in.shape[3] % hw_.am_width_align == 0 &&
        pixel_copy_problem(graph_, node).empty()) {
      mapping_.aliases[node.output] = resolve_alias(mapping_, node.inputs[0]);
      return false;
    }
    if (rows_to_tokens && pixel_copy_problem(graph_, node).empty()) {
      make_pixel_copy(n, "pixel_copy", layer);
      return true;
    }
    // The reverse, tokens C x 1 (H W) as the image C x H x W (Swin's last stage, one window
    // of the whole image): each row of W tokens copied to its image row.
    const bool tokens_to_rows = in.shape.size() == 4 && out_t.shape.size() == 4 && in.shape[0] == 1 &&
                                in.shape[1] == out_t.shape[1] && in.shape[2] == 1 && out_t.shape[2] > 1 &&
                                in.shape[3] == out_t.shape[2] * out_t.shape[3];
    if (tokens_to_rows && pixel_copy_problem(graph_, node).empty()) {
      make_pixel_copy(n, "pixel_copy", layer);
      return true;
    }
    if (!flat_image && !same && in.shape.size() != 2) {
      refuse(node, "a reshape that reorders a C x H x W image (H or W > 1) needs a host step; the "
                   "overlay flattens only 1 x 1 images");
      return false;
    }
    mapping_.aliases[node.output] = resolve_alias(mapping_, node.inputs[0]);
    return false;
  }

  bool map_concat(int n, XLayer& layer) {
    const QNode& node = node_at(n);
    if (node.concat_axis == 3) {
      if (const std::string problem = pixel_copy_problem(graph_, node); !problem.empty()) {
        refuse(node, problem);
        return false;
      }
      make_pixel_copy(n, "concat_w", layer);
      return true;
    }
    if (node.concat_axis != 1) {
      refuse(node, fmt::format("a concat along axis {}: the overlay concatenates channels (placement) or W "
                               "(pixel copies)",
                               node.concat_axis));
      return false;
    }
    if (!options_.concat_placement || !placeable(node)) {
      // Copy: each input goes to DDR and comes back at its channel offset.
      if (graph_.tensor(node.output).shape.size() != 4) {
        refuse(node, "a concat of non-image tensors cannot be copied");
        return false;
      }
      layer.kind = XLayerKind::Concat;
      layer.concat_node = n;
      layer.type = "concat";
      return true;
    }
    // Placement: each input is written at its channel offset of the concat's buffer.
    std::uint32_t offset = 0;
    for (const int raw : node.inputs) {
      const int t = resolve_alias(mapping_, raw);
      mapping_.placements[t] = Placement{node.output, offset};
      offset += static_cast<std::uint32_t>(dim(graph_.tensor(t), 1));
    }
    mapping_.concats.push_back(node.name);
    return false;
  }

  // Each input a layer's own output, read once, not placed already, not a host layer's.
  bool placeable(const QNode& concat) const {
    std::set<int> seen;
    for (const int raw : concat.inputs) {
      const int t = resolve_alias(mapping_, raw);
      if (!seen.insert(t).second || graph_.producer(t) == nullptr || mapping_.placements.count(t) != 0 ||
          host_outputs_.count(t) != 0) {
        return false;
      }
    }
    return true;
  }

  // Nested concats: a member of a concat that is itself placed lives in the outer buffer.
  void flatten_nested_placements() {
    bool changed = true;
    while (changed) {
      changed = false;
      for (auto& [tensor, placement] : mapping_.placements) {
        const auto outer = mapping_.placements.find(placement.buffer_tensor);
        if (outer != mapping_.placements.end()) {
          placement.buffer_tensor = outer->second.buffer_tensor;
          placement.channel_offset += outer->second.channel_offset;
          changed = true;
        }
      }
    }
  }

  const QGraph& graph_;
  const XdnnParams& hw_;
  const CompileOptions& options_;
  const std::vector<std::vector<int>> consumers_;
  std::set<int> fused_pools_;
  std::set<int> host_outputs_;  // host layers' outputs: never placed in a concat buffer (see the header)
  LayerMapping mapping_;
};

}  // namespace

LayerMapping map_layers(const QGraph& graph, const XdnnParams& hw, const CompileOptions& options) {
  return LayerMapper(graph, hw, options).run();
}

}  // namespace wb::xdnn
