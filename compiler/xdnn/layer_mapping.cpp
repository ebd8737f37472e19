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
    const bool add = node.kind == QOpKind::Add;
    const bool concat_w = node.kind == QOpKind::Concat && node.concat_axis == 3;
    if (!add && !concat_w) {
      return fmt::format("reads the constant '{}'; on xDNN only an Add or a concat along W reads a constant", t.name);
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

LayerMapping map_layers(const QGraph& graph, const XdnnParams& hw, const CompileOptions& options) {
  LayerMapping mapping;
  const auto consumers = consumers_of(graph);
  std::set<int> fused_pools;
  std::set<int> host_outputs;  // host layers' outputs: never placed in a concat buffer (see the header)
  const auto unsupported = [&](const QNode& node, const std::string& why) {
    mapping.unsupported.push_back(fmt::format("node '{}' ({}): {}", node.name, quant::qop_name(node.kind), why));
  };
  for (const int input : graph.inputs) {
    const auto& t = graph.tensor(input);
    // An [N=1, C] input (a feature vector: MLPerf Tiny's autoencoder) is a 1x1 image of C
    // channels, laid out as the classifier outputs of that shape already are.
    if ((t.shape.size() != 4 && t.shape.size() != 2) || t.shape[0] != 1) {
      mapping.unsupported.push_back(fmt::format(
          "input '{}': the overlay takes one N=1 x C x H x W image or N=1 x C vector (got {} dimensions{})", t.name,
          t.shape.size(), t.shape.empty() || t.shape[0] == 1 ? "" : ", batch > 1"));
    }
  }

  for (std::size_t n = 0; n < graph.nodes.size(); ++n) {
    const QNode& node = graph.nodes[n];
    if (fused_pools.count(static_cast<int>(n)) != 0) continue;
    if (const std::string problem = constant_reader_problem(graph, node); !problem.empty()) {
      unsupported(node, problem);
      continue;
    }
    XLayer layer;
    layer.name = node.name;
    for (const int t : node.inputs) layer.inputs.push_back(resolve_alias(mapping, t));
    layer.output = node.output;
    if (const LayerRule* rule = layer_rule(node.kind)) {
      if (const std::string problem = rule->problem(graph, node); !problem.empty()) {
        unsupported(node, problem);
        continue;
      }
      apply_rule(*rule, graph, node, static_cast<int>(n), layer);
      if (layer.on_host) host_outputs.insert(node.output);
      mapping.layers.push_back(std::move(layer));
      continue;
    }
    switch (node.kind) {
      case QOpKind::Conv: {
        const std::string problem = conv_problem(graph, node);
        if (!problem.empty()) {
          unsupported(node, problem);
          continue;
        }
        layer.host_reason = array_conv_problem(graph, node, hw);
        const auto& in = graph.tensor(node.inputs[0]);
        const auto& out_t = graph.tensor(node.output);
        // An FC is a 1x1 conv of a 1x1 image (gemm-to-conv makes it one), or of an [N, C] tensor.
        const bool fc = in.shape.size() == 2 || (node.kernel[0] == 1 && node.kernel[1] == 1 && dim(in, 2) == 1 &&
                                                 dim(in, 3) == 1 && dim(out_t, 2) == 1 && dim(out_t, 3) == 1);
        const bool depthwise = node.group > 1 && node.group == dim(in, 1) && node.group == dim(graph.tensor(node.output), 1);
        layer.kind = XLayerKind::Conv;
        layer.conv_node = static_cast<int>(n);
        const bool transposed = node.input_dilations != std::vector<std::int64_t>{1, 1};
        layer.type = fc ? "fc" : transposed ? "deconv" : depthwise ? "depthwise" : "conv";
        layer.on_host = (fc && hw.host_fc_softmax) || !layer.host_reason.empty();
        if (layer.on_host && layer.host_reason.empty()) layer.host_reason = "FC on the host (host_fc_softmax)";
        if (layer.on_host) host_outputs.insert(node.output);
        layer.macs = conv_macs(graph, node);
        layer.ops = 2 * layer.macs;
        // Pipelining: a pool that is the conv's only consumer, when the conv output is not
        // needed elsewhere (not a network output).
        const auto& users = consumers[static_cast<std::size_t>(node.output)];
        if (options.pool_pipelining && !fc && !layer.on_host && users.size() == 1 && !is_output(graph, node.output)) {
          const QNode& next = graph.nodes[static_cast<std::size_t>(users[0])];
          if ((next.kind == QOpKind::MaxPool || next.kind == QOpKind::AvgPool) && pool_problem(graph, next).empty()) {
            layer.pool_node = users[0];
            layer.fused_tensor = node.output;
            layer.output = next.output;
            layer.type = next.kind == QOpKind::MaxPool ? "conv+maxpool" : "conv+avgpool";
            layer.ops += pool_ops(graph, next);
            fused_pools.insert(users[0]);
          }
        }
        break;
      }
      case QOpKind::MaxPool:
      case QOpKind::AvgPool: {
        // A 1x1 max pool takes one pixel in every window: a copy of pixels, whatever the stride
        // (the class token's, of stride T, which the pool unit lacks).
        if (node.kind == QOpKind::MaxPool && !pool_problem(graph, node).empty() &&
            pixel_copy_problem(graph, node).empty()) {
          layer.kind = XLayerKind::PixelCopy;
          layer.copy_node = static_cast<int>(n);
          layer.type = "pixel_copy";
          break;
        }
        const std::string problem = pool_problem(graph, node);
        if (!problem.empty()) {
          unsupported(node, problem);
          continue;
        }
        layer.kind = XLayerKind::Pool;
        layer.pool_node = static_cast<int>(n);
        layer.type = node.kind == QOpKind::MaxPool ? "maxpool" : "avgpool";
        layer.ops = pool_ops(graph, node);
        break;
      }
      case QOpKind::Add: {
        const auto& a = graph.tensor(node.inputs[0]);
        const auto& b = graph.tensor(node.inputs[1]);
        if (a.shape != b.shape) {
          unsupported(node, "broadcasting add: the eltwise unit adds two tensors of one shape");
          continue;
        }
        layer.kind = XLayerKind::Eltwise;
        layer.eltwise_node = static_cast<int>(n);
        layer.type = "eltwise";
        std::uint64_t elements = 1;
        for (const auto d : graph.tensor(node.output).shape) elements *= static_cast<std::uint64_t>(d);
        layer.ops = elements;
        break;
      }
      case QOpKind::Reshape: {
        const auto& in = graph.tensor(node.inputs[0]);
        const bool flat_image = in.shape.size() == 4 && in.shape[2] == 1 && in.shape[3] == 1;
        const bool same = in.shape == graph.tensor(node.output).shape;
        const auto& out_t = graph.tensor(node.output);
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
        const auto& readers = consumers[static_cast<std::size_t>(node.output)];
        const bool only_concats_w =
            !readers.empty() && !is_output(graph, node.output) &&
            std::all_of(readers.begin(), readers.end(), [&](int r) {
              const QNode& reader = graph.nodes[static_cast<std::size_t>(r)];
              return reader.kind == QOpKind::Concat && reader.concat_axis == 3;
            });
        if (rows_to_tokens && only_concats_w && in.shape[3] % hw.am_width_align == 0 &&
            pixel_copy_problem(graph, node).empty()) {
          mapping.aliases[node.output] = resolve_alias(mapping, node.inputs[0]);
          continue;
        }
        if (rows_to_tokens && pixel_copy_problem(graph, node).empty()) {
          layer.kind = XLayerKind::PixelCopy;
          layer.copy_node = static_cast<int>(n);
          layer.type = "pixel_copy";
          break;
        }
        // The reverse, tokens C x 1 (H W) as the image C x H x W (Swin's last stage, one window
        // of the whole image): each row of W tokens copied to its image row.
        const bool tokens_to_rows = in.shape.size() == 4 && out_t.shape.size() == 4 && in.shape[0] == 1 &&
                                    in.shape[1] == out_t.shape[1] && in.shape[2] == 1 && out_t.shape[2] > 1 &&
                                    in.shape[3] == out_t.shape[2] * out_t.shape[3];
        if (tokens_to_rows && pixel_copy_problem(graph, node).empty()) {
          layer.kind = XLayerKind::PixelCopy;
          layer.copy_node = static_cast<int>(n);
          layer.type = "pixel_copy";
          break;
        }
        if (!flat_image && !same && in.shape.size() != 2) {
          unsupported(node, "a reshape that reorders a C x H x W image (H or W > 1) needs a host step; the "
                            "overlay flattens only 1 x 1 images");
          continue;
        }
        mapping.aliases[node.output] = resolve_alias(mapping, node.inputs[0]);
        continue;
      }
      case QOpKind::Concat: {
        if (node.concat_axis == 3) {
          const std::string problem = pixel_copy_problem(graph, node);
          if (!problem.empty()) {
            unsupported(node, problem);
            continue;
          }
          layer.kind = XLayerKind::PixelCopy;
          layer.copy_node = static_cast<int>(n);
          layer.type = "concat_w";
          break;
        }
        if (node.concat_axis != 1) {
          unsupported(node, fmt::format("a concat along axis {}: the overlay concatenates channels (placement) or W "
                                        "(pixel copies)",
                                        node.concat_axis));
          continue;
        }
        // Placement: each input is written at its channel offset of the concat's buffer.
        std::set<int> seen;
        bool placeable = true;
        for (const int raw : node.inputs) {
          const int t = resolve_alias(mapping, raw);
          if (!seen.insert(t).second || graph.producer(t) == nullptr || mapping.placements.count(t) != 0 ||
              host_outputs.count(t) != 0) {
            placeable = false;
          }
        }
        if (!options.concat_placement || !placeable) {
          // Copy: each input goes to DDR and comes back at its channel offset.
          if (graph.tensor(node.output).shape.size() != 4) {
            unsupported(node, "a concat of non-image tensors cannot be copied");
            continue;
          }
          layer.kind = XLayerKind::Concat;
          layer.concat_node = static_cast<int>(n);
          layer.type = "concat";
          break;
        }
        std::uint32_t offset = 0;
        for (const int raw : node.inputs) {
          const int t = resolve_alias(mapping, raw);
          mapping.placements[t] = Placement{node.output, offset};
          offset += static_cast<std::uint32_t>(dim(graph.tensor(t), 1));
        }
        mapping.concats.push_back(node.name);
        continue;
      }
      default:
        unsupported(node, "no layer of the overlay runs it (compiler/xdnn/layer_rules.def)");
        continue;
    }
    mapping.layers.push_back(std::move(layer));
  }

  // Nested concats: a member of a concat that is itself placed lives in the outer buffer.
  bool changed = true;
  while (changed) {
    changed = false;
    for (auto& [tensor, placement] : mapping.placements) {
      const auto outer = mapping.placements.find(placement.buffer_tensor);
      if (outer != mapping.placements.end()) {
        placement.buffer_tensor = outer->second.buffer_tensor;
        placement.channel_offset += outer->second.channel_offset;
        changed = true;
      }
    }
  }
  return mapping;
}

}  // namespace wb::xdnn
