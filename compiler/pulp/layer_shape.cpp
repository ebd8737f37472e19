#include "compiler/pulp/layer_shape.h"

#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

#include "compiler/pulp/self_tiled_layers.h"

namespace wb::pulp {

namespace {

using quant::QGraph;

std::uint32_t u32(std::int64_t v) { return static_cast<std::uint32_t>(v); }

// MUL's second operand, right-aligned to NCHW as broadcasting reads it.
void set_second_operand_shape(const quant::QTensor& b, LayerShape& s) {
  const auto dim_from_end = [&](std::size_t k) {
    return k < b.shape.size() ? u32(b.shape[b.shape.size() - 1 - k]) : 1u;
  };
  s.b_w = dim_from_end(0);
  s.b_h = dim_from_end(1);
  s.b_c = dim_from_end(2);
}

}  // namespace

LayerShape layer_shape(const QGraph& graph, const PLayer& layer) {
  if (tiles_itself(layer.kind)) return self_tiled_layer_shape(graph, layer);
  const quant::QNode& node = graph.nodes[static_cast<std::size_t>(layer.node)];
  const PixelDims in = pixel_dims(graph.tensor(layer.inputs.at(0)));
  const PixelDims out = pixel_dims(graph.tensor(layer.output));
  LayerShape s;
  s.kind = layer.kind;
  s.c_in = in.c;
  s.h_in = in.h;
  s.w_in = in.w;
  s.c_out = out.c;
  s.h_out = out.h;
  s.w_out = out.w;
  const bool windowed = layer.kind != isa::pulp::KERNEL_ADD && layer.kind != isa::pulp::KERNEL_LUT &&
                        layer.kind != isa::pulp::KERNEL_MUL && layer.kind != isa::pulp::KERNEL_GATHER &&
                        layer.kind != isa::pulp::KERNEL_SOFTMAX && layer.kind != isa::pulp::KERNEL_RESIZE &&
                        layer.kind != isa::pulp::KERNEL_LAYERNORM;
  if (windowed) {
    s.k_h = u32(node.kernel[0]);
    s.k_w = u32(node.kernel[1]);
    s.stride_h = u32(node.strides[0]);
    s.stride_w = u32(node.strides[1]);
    s.pad_top = u32(node.pads_begin[0]);
    s.pad_left = u32(node.pads_begin[1]);
    s.pad_bottom = u32(node.pads_end[0]);
    s.pad_right = u32(node.pads_end[1]);
    if (layer.kind == isa::pulp::KERNEL_CONV || layer.kind == isa::pulp::KERNEL_GROUPED_CONV ||
        layer.kind == isa::pulp::KERNEL_DEPTHWISE) {
      s.dilation_h = u32(node.dilations[0]);
      s.dilation_w = u32(node.dilations[1]);
    }
  }
  if (layer.kind == isa::pulp::KERNEL_GROUPED_CONV) s.groups = u32(node.group);
  if (layer.kind == isa::pulp::KERNEL_MUL) set_second_operand_shape(graph.tensor(layer.inputs.at(1)), s);
  if (layer.kind == isa::pulp::KERNEL_GATHER) {
    const auto [first, last] = std::minmax_element(node.gather_channels.begin(), node.gather_channels.end());
    s.gather_first = u32(*first);
    s.gather_span = u32(*last - *first + 1);
  }
  if (layer.kind == isa::pulp::KERNEL_RESIZE) {
    s.resize_rows = std::make_shared<const std::vector<std::int64_t>>(node.resize_rows);
    s.resize_cols = std::make_shared<const std::vector<std::int64_t>>(node.resize_cols);
  }
  if (layer.kind == isa::pulp::KERNEL_SOFTMAX && !node.softmax_labels.empty()) {
    const auto& rows = graph.tensor(layer.output);  // [W h, L, L]
    const std::size_t tokens = static_cast<std::size_t>(rows.shape[1]);
    const std::size_t windows = node.softmax_labels.size() / tokens;
    // Labels are compared, never indexed: each window's renumbered in order of appearance.
    std::vector<std::uint8_t> labels(node.softmax_labels.size());
    for (std::size_t w = 0; w < windows; ++w) {
      std::vector<std::int64_t> seen;
      for (std::size_t i = w * tokens; i < (w + 1) * tokens; ++i) {
        const auto found = std::find(seen.begin(), seen.end(), node.softmax_labels[i]);
        labels[i] = static_cast<std::uint8_t>(found - seen.begin());
        if (found == seen.end()) seen.push_back(node.softmax_labels[i]);
      }
    }
    s.softmax_labels = std::make_shared<const std::vector<std::uint8_t>>(std::move(labels));
    s.softmax_label_tokens = u32(tokens);
    s.softmax_label_windows = u32(windows);
    s.softmax_label_heads = u32(rows.shape[0] / static_cast<std::int64_t>(windows));
  }
  if (layer.kind == isa::pulp::KERNEL_SOFTMAX && node.softmax_causal) {
    s.softmax_causal_queries = u32(graph.tensor(layer.output).shape.at(1));  // [h, Q, K]
    s.softmax_causal_offset = u32(node.softmax_causal_offset);
  }
  if (layer.kind == isa::pulp::KERNEL_LUT || layer.kind == isa::pulp::KERNEL_SOFTMAX ||
      layer.kind == isa::pulp::KERNEL_LAYERNORM) {
    // Elementwise (a softmax or layernorm per pixel): the input is read as the output's shape
    // (a flattened 1x1 image is the same bytes).
    s.c_in = s.c_out;
    s.h_in = s.h_out;
    s.w_in = s.w_out;
  }
  // A one-row image (a transformer's tokens, [1, C, 1, T]) of per-pixel work is the one-column
  // image of the same HWC bytes: tiles and the cores' split, both by rows, then cut its pixels.
  const bool one_window = s.k_h == 1 && s.k_w == 1 && s.stride_h == 1 && s.stride_w == 1 && s.pad_top == 0 &&
                          s.pad_bottom == 0 && s.pad_left == 0 && s.pad_right == 0;
  // A 1x1, stride-1 layer maps pixel p to pixel p: an input of the output's pixel count in
  // another H x W (through a Reshape, an alias: Swin's one window of a stage's pixels as tokens)
  // is read in the output's geometry, the same HWC bytes. Not a resize (its 1x1 window reads
  // other pixels: [2, 8] -> [4, 4] is a resize) nor a product (its second operand broadcasts).
  if (one_window && layer.kind != isa::pulp::KERNEL_MUL && layer.kind != isa::pulp::KERNEL_RESIZE &&
      std::uint64_t{s.h_in} * s.w_in == std::uint64_t{s.h_out} * s.w_out) {
    s.h_in = s.h_out;
    s.w_in = s.w_out;
  }
  const bool per_pixel = layer.kind != isa::pulp::KERNEL_MUL && layer.kind != isa::pulp::KERNEL_RESIZE &&
                         layer.kind != isa::pulp::KERNEL_DEPTHWISE && layer.kind != isa::pulp::KERNEL_GROUPED_CONV &&
                         layer.kind != isa::pulp::KERNEL_CONV && one_window;
  if (per_pixel && s.h_in == 1 && s.h_out == 1 && s.w_in == s.w_out && s.w_out > 1) {
    std::swap(s.h_in, s.w_in);
    std::swap(s.h_out, s.w_out);
  }
  return s;
}

}  // namespace wb::pulp
