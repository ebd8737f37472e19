#include "compiler/xdnn/buffer_plan.h"

#include <algorithm>
#include <stdexcept>

#include "isa/xdnn_program.h"
#include "support/math.h"

namespace wb::xdnn {

namespace {

using quant::QGraph;

std::uint32_t dim(const quant::QTensor& t, std::size_t i) {
  return i < t.shape.size() ? static_cast<std::uint32_t>(t.shape[i]) : 1U;
}

bool contains(const std::vector<int>& v, int x) {
  for (const int y : v) {
    if (y == x) return true;
  }
  return false;
}

}  // namespace

ImageDims image_dims(const quant::QTensor& t) {
  if (t.shape.size() == 3) return {dim(t, 0) * dim(t, 1), 1, dim(t, 2)};
  if (t.shape.size() == 4) return {dim(t, 1), dim(t, 2), dim(t, 3)};
  return {dim(t, 1), 1, 1};
}

std::uint32_t replication_factor(std::uint32_t channels, std::uint32_t kernel_w, std::uint32_t section_channels) {
  if (kernel_w <= 1 || channels == 0 || 2 * channels > section_channels) return 1;
  return std::min(section_channels / channels, kernel_w);
}

BufferPlan plan_buffers(const QGraph& graph, const LayerMapping& mapping, const XdnnParams& hw,
                        const CompileOptions& options) {
  BufferPlan plan;
  plan.section_channels = static_cast<std::uint32_t>(hw.array.rows);
  plan.width_align = static_cast<std::uint32_t>(hw.am_width_align);
  std::map<int, int> buffer_of_root;

  const auto root_of = [&](int tensor) -> TensorHome {
    tensor = resolve_alias(mapping, tensor);
    const auto placed = mapping.placements.find(tensor);
    if (placed != mapping.placements.end()) return {placed->second.buffer_tensor, placed->second.channel_offset};
    return {tensor, 0};
  };
  const auto home_of = [&](int tensor) -> TensorHome {
    const TensorHome root = root_of(tensor);
    auto it = buffer_of_root.find(root.buffer);
    if (it == buffer_of_root.end()) {
      const auto& t = graph.tensor(root.buffer);
      Buffer buffer;
      buffer.name = t.name;
      buffer.tensor = root.buffer;
      const ImageDims image = image_dims(t);
      buffer.channels = image.channels;
      buffer.height = image.height;
      buffer.width = image.width;
      buffer.element_bytes = t.bits > 8 ? 2 : 1;
      buffer.is_signed = t.is_signed;
      plan.buffers.push_back(buffer);
      it = buffer_of_root.emplace(root.buffer, static_cast<int>(plan.buffers.size()) - 1).first;
    }
    const TensorHome home{it->second, root.channel_offset};
    plan.homes[resolve_alias(mapping, tensor)] = home;
    return home;
  };

  for (const int input : graph.inputs) plan.buffers[static_cast<std::size_t>(home_of(input).buffer)].network_input = true;
  for (std::size_t l = 0; l < mapping.layers.size(); ++l) {
    const XLayer& layer = mapping.layers[l];
    for (const int t : layer.inputs) {
      Buffer& buffer = plan.buffers[static_cast<std::size_t>(home_of(t).buffer)];
      if (!contains(buffer.readers, static_cast<int>(l))) buffer.readers.push_back(static_cast<int>(l));
      if (graph.tensor(t).is_constant()) buffer.constant = buffer.network_input = true;
    }
    plan.buffers[static_cast<std::size_t>(home_of(layer.output).buffer)].writers.push_back(static_cast<int>(l));
  }
  for (const int output : graph.outputs) plan.buffers[static_cast<std::size_t>(home_of(output).buffer)].network_output = true;

  // Replication: a buffer read by exactly one dense conv with a wide kernel, written whole by
  // one writer (or the input loader), not a concat buffer, not a network output.
  for (Buffer& buffer : plan.buffers) {
    if (!options.replication || buffer.readers.size() != 1 || buffer.network_output || buffer.writers.size() > 1) continue;
    if (buffer.network_input == !buffer.writers.empty()) continue;
    if (!buffer.writers.empty()) {
      const XLayerKind writer = mapping.layers[static_cast<std::size_t>(buffer.writers[0])].kind;
      // Copied into by gathers and pixel copies, which write one copy.
      if (writer == XLayerKind::Concat || writer == XLayerKind::ChannelGather || writer == XLayerKind::PixelCopy) continue;
    }
    const XLayer& reader = mapping.layers[static_cast<std::size_t>(buffer.readers[0])];
    if (reader.kind != XLayerKind::Conv || reader.on_host) continue;
    const auto& node = graph.nodes[static_cast<std::size_t>(reader.conv_node)];
    // An input-dilated conv (a transposed conv) reads every s-th word: one copy.
    if (node.group != 1 || node.input_dilations != std::vector<std::int64_t>{1, 1} ||
        graph.tensor(buffer.tensor).name != graph.tensor(resolve_alias(mapping, node.inputs[0])).name) {
      continue;
    }
    buffer.replication =
        replication_factor(buffer.channels, static_cast<std::uint32_t>(node.kernel[1]), plan.section_channels);
    if (buffer.replication > 1) ++plan.replicated_buffers;
  }
  for (Buffer& buffer : plan.buffers) buffer.bytes = isa::xdnn::buffer_bytes(buffer_layout(plan, buffer));

  // Buffers nothing on the overlay needs in AM stay in their DDR homes: host readers only,
  // written by one host layer or there from the start (a network input: a ViT's image, which
  // its stride-16 patch embedding on the host reads), not a network output (the host would
  // leave it in its home anyway, but the AM check reads it); a constant only pixel copies read.
  const auto layer_at = [&](int l) -> const XLayer& { return mapping.layers[static_cast<std::size_t>(l)]; };
  const auto all_readers = [&](const Buffer& buffer, const auto& pred) {
    return !buffer.readers.empty() && std::all_of(buffer.readers.begin(), buffer.readers.end(), pred);
  };
  const auto on_host = [&](int l) { return layer_at(l).on_host; };
  const auto pixel_copy = [&](int l) { return layer_at(l).kind == XLayerKind::PixelCopy; };
  for (Buffer& buffer : plan.buffers) {
    const bool host_written = buffer.writers.size() == 1 && on_host(buffer.writers[0]);
    const bool host_only = !buffer.network_output && (buffer.network_input ? buffer.writers.empty() : host_written) &&
                           all_readers(buffer, on_host);
    const bool copied_constant = buffer.constant && all_readers(buffer, pixel_copy);
    if (!host_only && !copied_constant) continue;
    buffer.ddr_resident = true;
    buffer.bytes = 0;
  }

  // Input streaming: a network input whose one reader is a dense conv on the array, with
  // all its filters in the filter cache at once (so the input is streamed once).
  for (Buffer& buffer : plan.buffers) {
    if (!options.input_streaming || !buffer.network_input || buffer.network_output || buffer.readers.size() != 1) continue;
    const XLayer& reader = mapping.layers[static_cast<std::size_t>(buffer.readers[0])];
    if (reader.kind != XLayerKind::Conv || reader.on_host) continue;
    const quant::QNode& conv = graph.nodes[static_cast<std::size_t>(reader.conv_node)];
    if (conv.group != 1 || static_cast<std::int64_t>(conv.weights.nbytes()) > hw.filter_cache_bytes / 2) continue;
    buffer.streamed = true;
    buffer.bytes = 0;
  }
  return plan;
}

isa::xdnn::TensorLayout buffer_layout(const BufferPlan& plan, const Buffer& buffer) {
  isa::xdnn::TensorLayout layout;
  layout.set_channels(buffer.channels);
  layout.set_height(buffer.height);
  layout.set_width(buffer.width);
  layout.set_section_channels(plan.section_channels);
  layout.set_width_stride(align_up<std::uint32_t>(buffer.width, plan.width_align));
  layout.set_replication(buffer.replication);
  layout.set_element_bytes(buffer.element_bytes);
  layout.set_is_signed(buffer.is_signed);
  layout.set_channel_offset(0);
  layout.set_buffer_channels(buffer.channels * buffer.replication);
  return layout;
}

isa::xdnn::TensorLayout tensor_layout(const QGraph& graph, const LayerMapping& mapping, const BufferPlan& plan,
                                      int tensor) {
  tensor = resolve_alias(mapping, tensor);
  const auto home = plan.homes.find(tensor);
  if (home == plan.homes.end()) throw std::logic_error("tensor_layout: tensor without a buffer: " + graph.tensor(tensor).name);
  const Buffer& buffer = plan.buffers[static_cast<std::size_t>(home->second.buffer)];
  isa::xdnn::TensorLayout layout = buffer_layout(plan, buffer);
  layout.set_channels(image_dims(graph.tensor(tensor)).channels);
  layout.set_channel_offset(home->second.channel_offset);
  return layout;
}

int buffer_of(const BufferPlan& plan, const LayerMapping& mapping, int tensor) {
  return plan.homes.at(resolve_alias(mapping, tensor)).buffer;
}

bool streams_input(const QGraph& graph, const LayerMapping& mapping, const BufferPlan& plan, const XLayer& layer) {
  if (layer.kind != XLayerKind::Conv) return false;
  const quant::QNode& node = graph.nodes[static_cast<std::size_t>(layer.conv_node)];
  return plan.buffers[static_cast<std::size_t>(buffer_of(plan, mapping, node.inputs[0]))].streamed;
}

}  // namespace wb::xdnn
