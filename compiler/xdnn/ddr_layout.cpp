#include "compiler/xdnn/ddr_layout.h"

#include <algorithm>
#include <limits>

#include "isa/xdnn_program.h"
#include "support/math.h"

namespace wb::xdnn {

namespace {

constexpr std::uint64_t kUnplaced = std::numeric_limits<std::uint64_t>::max();

}  // namespace

DdrLayout::DdrLayout(const quant::QGraph& graph, const LayerMapping& mapping, const BufferPlan& plan,
                     std::uint64_t weight_bytes)
    : graph_(graph), mapping_(mapping), plan_(plan), home_(plan.buffers.size(), kUnplaced),
      host_elementwise_operand_(plan.buffers.size(), false), cursor_(align_up(weight_bytes, kDdrAlignment)) {
  for (const XLayer& layer : mapping.layers) {
    if (layer.kind != XLayerKind::HostElementwise) continue;
    for (const int t : layer.inputs) host_elementwise_operand_[static_cast<std::size_t>(buffer_of(plan, mapping, t))] = true;
    host_elementwise_operand_[static_cast<std::size_t>(buffer_of(plan, mapping, layer.output))] = true;
  }
}

bool DdrLayout::host_elementwise_operand(int buffer) const {
  return host_elementwise_operand_[static_cast<std::size_t>(buffer)];
}

bool DdrLayout::compact(int buffer) const {
  const Buffer& b = plan_.buffers[static_cast<std::size_t>(buffer)];
  return b.network_input || b.network_output || host_elementwise_operand(buffer);
}

isa::xdnn::TensorLayout DdrLayout::home_layout(int buffer) const {
  const Buffer& b = plan_.buffers[static_cast<std::size_t>(buffer)];
  isa::xdnn::TensorLayout layout = buffer_layout(plan_, b);
  if (compact(buffer)) {
    layout.set_section_channels(layout.buffer_channels());
    layout.set_width_stride(b.width);
  }
  return layout;
}

std::uint64_t DdrLayout::home(int buffer) {
  auto& h = home_[static_cast<std::size_t>(buffer)];
  if (h == kUnplaced) {
    h = cursor_;
    cursor_ = align_up(cursor_ + isa::xdnn::buffer_bytes(home_layout(buffer)), kDdrAlignment);
  }
  return h;
}

isa::xdnn::Region DdrLayout::region(int tensor) {
  isa::xdnn::Region r;
  const int b = buffer_of(plan_, mapping_, tensor);
  r.set_memory(isa::xdnn::MEMORY_DDR);
  r.set_address(home(b));
  isa::xdnn::TensorLayout layout = home_layout(b);
  const isa::xdnn::TensorLayout slice = tensor_layout(graph_, mapping_, plan_, tensor);
  layout.set_channels(slice.channels());
  layout.set_channel_offset(slice.channel_offset());
  *r.mutable_layout() = layout;
  return r;
}

std::uint64_t DdrLayout::scratch(std::uint64_t bytes) {
  const std::uint64_t address = cursor_;
  cursor_ = align_up(cursor_ + bytes, kDdrAlignment);
  return address;
}

std::vector<isa::xdnn::Copy> DdrLayout::home_copies(Transfer::Kind kind, int buffer_index, std::uint64_t am_address,
                                                    RowRange rows, std::uint32_t c0, std::uint32_t c1) {
  const bool up = kind == Transfer::Kind::Upload;
  const Buffer& buffer = plan_.buffers[static_cast<std::size_t>(buffer_index)];
  const std::uint64_t ddr = home(buffer_index);
  const isa::xdnn::TensorLayout am_layout = buffer_layout(plan_, buffer);
  const std::uint64_t eb = am_layout.element_bytes();
  const std::uint64_t lanes = am_layout.section_channels();
  const std::uint64_t channels = am_layout.buffer_channels();
  const std::uint64_t row = isa::xdnn::row_bytes(am_layout);
  const std::uint64_t ddr_section = std::uint64_t{buffer.height} * row, am_section = std::uint64_t{rows.size()} * row;
  const std::uint64_t first_section = c0 / lanes, end_section = (c1 + lanes - 1) / lanes;
  const auto make = [&](std::uint64_t ddr_at, std::uint64_t am_at, std::uint64_t bytes) {
    return up ? isa::xdnn::linear_copy(isa::xdnn::MEMORY_DDR, ddr_at, isa::xdnn::MEMORY_AM, am_at, bytes)
              : isa::xdnn::linear_copy(isa::xdnn::MEMORY_AM, am_at, isa::xdnn::MEMORY_DDR, ddr_at, bytes);
  };
  std::vector<isa::xdnn::Copy> copies;
  const bool compact_home = compact(buffer_index);
  const bool whole_sections = c0 % lanes == 0 && (c1 % lanes == 0 || c1 == channels);
  if (!compact_home && whole_sections) {
    const std::uint64_t ddr_at = ddr + first_section * ddr_section + std::uint64_t{rows.begin} * row;
    const std::uint64_t am_at = am_address + first_section * am_section;
    if (rows.size() == buffer.height) {
      copies.push_back(make(ddr_at, am_at, (end_section - first_section) * ddr_section));
    } else {
      isa::xdnn::Copy copy = make(ddr_at, am_at, am_section);
      copy.set_count(static_cast<std::uint32_t>(end_section - first_section));
      copy.set_source_stride(up ? ddr_section : am_section);
      copy.set_destination_stride(up ? am_section : ddr_section);
      copies.push_back(copy);
    }
    return copies;
  }
  const std::uint64_t ddr_stride = compact_home ? channels * eb : lanes * eb, am_stride = lanes * eb;
  const std::uint64_t ddr_row = compact_home ? ddr_stride * buffer.width : row;
  for (std::uint64_t section = first_section; section < end_section; ++section) {
    const std::uint64_t lo = std::max<std::uint64_t>(c0, section * lanes);
    const std::uint64_t hi = std::min<std::uint64_t>({c1, (section + 1) * lanes, channels});
    const std::uint64_t ddr_at = compact_home
                                     ? ddr + (std::uint64_t{rows.begin} * buffer.width * channels + lo) * eb
                                     : ddr + section * ddr_section + std::uint64_t{rows.begin} * row + (lo % lanes) * eb;
    isa::xdnn::Copy copy = make(ddr_at, am_address + section * am_section + (lo % lanes) * eb, (hi - lo) * eb);
    copy.set_count(buffer.width);
    copy.set_rows(rows.size());
    copy.set_source_stride(up ? ddr_stride : am_stride);
    copy.set_destination_stride(up ? am_stride : ddr_stride);
    copy.set_source_row_stride(up ? ddr_row : row);
    copy.set_destination_row_stride(up ? row : ddr_row);
    copies.push_back(copy);
  }
  return copies;
}

}  // namespace wb::xdnn
