#include "compiler/xdnn/weight_packing.h"

#include <fmt/format.h>

#include <algorithm>
#include <string_view>

#include "support/error.h"
#include "support/huge_pages.h"

namespace wb::xdnn {

namespace {

using quant::QNode;

std::uint32_t dim(const quant::QTensor& t, std::size_t i) {
  return i < t.shape.size() ? static_cast<std::uint32_t>(t.shape[i]) : 1U;
}

// The largest divisor of `cin` up to the array's rows: the channels of one dense group an
// array without a depthwise mode runs a depthwise conv as.
std::uint32_t depthwise_group(std::uint32_t cin, const XdnnParams& hw) {
  std::uint32_t d = 1;
  for (std::uint32_t cand = 1; cand <= std::min<std::uint32_t>(cin, static_cast<std::uint32_t>(hw.array.rows)); ++cand) {
    if (cin % cand == 0) d = cand;
  }
  return d;
}

// Output channels per block (see the header).
std::uint32_t block_channels(const XLayer& layer, bool streams, const ConvWeights& cw, std::uint32_t cout,
                             std::uint64_t max_channels, const XdnnParams& hw) {
  std::uint32_t block = 0;
  if (layer.on_host || streams) {
    block = cout;
  } else if (cw.groups == 1) {
    block = static_cast<std::uint32_t>(std::min<std::uint64_t>(static_cast<std::uint64_t>(hw.array.cols), max_channels));
  } else if (cw.cout_g == 1) {
    block = static_cast<std::uint32_t>(std::min<std::uint64_t>(static_cast<std::uint64_t>(hw.array.rows), max_channels));
  } else {
    const std::uint64_t wanted = std::max<std::uint64_t>(static_cast<std::uint64_t>(hw.array.cols), cw.cout_g);
    const std::uint64_t groups_per_block = std::max<std::uint64_t>(1, std::min(wanted, max_channels) / cw.cout_g);
    block = static_cast<std::uint32_t>(groups_per_block * cw.cout_g);
  }
  return std::min(block, cout);
}

// One conv's weights as the array reads them, its blocks one after another from `offset`.
struct PackedConv {
  ConvWeights weights;
  std::string converted;  // the bytes, when they are not the tensor's own
  std::string_view raw;   // else the tensor's bytes
  std::string_view bytes() const { return converted.empty() ? raw : std::string_view(converted); }
};

// Packs one conv layer's weights to start at `offset` in the blob: how it runs, and its bytes.
PackedConv pack_conv(const quant::QGraph& graph, const LayerMapping& mapping, const BufferPlan& plan,
                     const XLayer& layer, const XdnnParams& hw, std::uint64_t offset) {
  const QNode& node = graph.nodes[static_cast<std::size_t>(layer.conv_node)];
  PackedConv packed;
  ConvWeights& cw = packed.weights;
  const std::uint32_t cin = dim(graph.tensor(node.inputs[0]), 1);
  const std::uint32_t cout = dim(graph.tensor(node.output), 1);
  const auto kh = static_cast<std::uint32_t>(node.kernel[0]);
  const auto kw = static_cast<std::uint32_t>(node.kernel[1]);
  cw.weight_bytes = node.weights.dtype() == DType::I16 ? 2 : 1;
  std::uint32_t expand_depthwise = 0;
  if (layer.type == "depthwise" && !hw.depthwise && !layer.on_host) {
    // The array has no depthwise mode: run groups of d channels as dense convs whose
    // weights are zero off the diagonal (the array does d times the useful MACs).
    const std::uint32_t d = depthwise_group(cin, hw);
    cw.groups = cin / d;
    cw.cin_g = d;
    cw.cout_g = d;
    expand_depthwise = d;
  } else {
    cw.groups = static_cast<std::uint32_t>(node.group);
    cw.cin_g = cin / cw.groups;
    cw.cout_g = cout / cw.groups;
  }
  // Int8 or int16 weights in their own order are already what the array reads (the host is
  // little-endian): no copy.
  const bool raw_layout = (cw.weight_bytes == 1 && node.weights.dtype() == DType::I8) ||
                          (cw.weight_bytes == 2 && node.weights.dtype() == DType::I16);
  if (expand_depthwise == 0 && raw_layout) {
    packed.raw = std::string_view(reinterpret_cast<const char*>(node.weights.raw()), node.weights.nbytes());
  } else {
    packed.converted = array_weight_bytes(node.weights, cw.weight_bytes, cout, kh * kw, expand_depthwise);
  }
  const std::uint64_t per_channel = std::uint64_t{cw.cin_g} * kh * kw * cw.weight_bytes;
  const std::uint64_t half = static_cast<std::uint64_t>(hw.filter_cache_bytes) / 2;
  const std::uint64_t max_channels = half / per_channel;
  const std::uint64_t smallest_block = cw.groups == 1 ? 1 : cw.cout_g;
  if (max_channels < smallest_block && !layer.on_host) {
    throw UserError(fmt::format(
        "layer '{}': the weights of {} output channel(s) ({} bytes) do not fit half of the filter cache ({} "
        "bytes); raise filter_cache_bytes",
        layer.name, smallest_block, per_channel * smallest_block, half));
  }
  const std::uint32_t block =
      block_channels(layer, streams_input(graph, mapping, plan, layer), cw, cout, max_channels, hw);
  // The blocks cover the output channels in order, so the layer's bytes are its blocks'.
  for (std::uint32_t co = 0; co < cout; co += block) {
    const std::uint32_t end = std::min(cout, co + block);
    cw.blocks.push_back({co, end, offset + std::uint64_t{co} * per_channel, std::uint64_t{end - co} * per_channel});
  }
  return packed;
}

}  // namespace

std::string array_weight_bytes(const Tensor& w, std::uint32_t weight_bytes, std::uint32_t cout,
                               std::uint32_t kernel_elements, std::uint32_t expand_depthwise) {
  const std::uint32_t d = std::max<std::uint32_t>(expand_depthwise, 1);
  const std::size_t elements = expand_depthwise == 0 ? static_cast<std::size_t>(w.numel())
                                                     : static_cast<std::size_t>(cout) * d * kernel_elements;
  std::string bytes(elements * weight_bytes, '\0');
  const auto put = [&](std::size_t index, std::int64_t v) {
    bytes[index * weight_bytes] = static_cast<char>(v & 0xff);
    if (weight_bytes == 2) bytes[index * weight_bytes + 1] = static_cast<char>((v >> 8) & 0xff);
  };
  if (expand_depthwise == 0) {
    for (std::size_t i = 0; i < elements; ++i) put(i, w.as_int64(static_cast<std::int64_t>(i)));
    return bytes;
  }
  for (std::uint32_t co = 0; co < cout; ++co) {
    for (std::uint32_t k = 0; k < kernel_elements; ++k) {
      put((static_cast<std::size_t>(co) * d + co % d) * kernel_elements + k,
          w.as_int64(static_cast<std::int64_t>(co) * kernel_elements + k));
    }
  }
  return bytes;
}

PackedWeights pack_weights(const quant::QGraph& graph, const LayerMapping& mapping, const BufferPlan& plan,
                           const Schedule& schedule, const XdnnParams& hw) {
  PackedWeights packed;
  packed.convs.resize(mapping.layers.size());
  std::vector<std::pair<std::size_t, PackedConv>> convs;
  std::uint64_t bytes = 0;
  for (const int l : schedule.order) {
    const XLayer& layer = mapping.layers[static_cast<std::size_t>(l)];
    if (layer.kind != XLayerKind::Conv) continue;
    convs.emplace_back(static_cast<std::size_t>(l), pack_conv(graph, mapping, plan, layer, hw, bytes));
    bytes += convs.back().second.bytes().size();
  }
  // Sized once: a blob grown append by append is copied as it grows, and on ResNet-50 those
  // copies' fresh pages were two thirds of a timing-only run's page faults.
  packed.blob.reserve(bytes);
  advise_huge_pages(packed.blob.data(), bytes);
  for (auto& [l, conv] : convs) {
    packed.blob.append(conv.bytes());
    packed.convs[l] = std::move(conv.weights);
  }
  return packed;
}

}  // namespace wb::xdnn
