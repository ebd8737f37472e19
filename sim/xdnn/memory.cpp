#include "sim/xdnn/memory.h"

#include <fmt/format.h>

#include <stdexcept>

#include "isa/extent.h"
#include "isa/xdnn_program.h"

namespace wb::sim::xdnn {

namespace {

std::int32_t load(const std::uint8_t* p, std::uint32_t element_bytes, bool is_signed) {
  if (element_bytes == 1) return is_signed ? static_cast<std::int8_t>(p[0]) : p[0];
  const auto raw = static_cast<std::uint16_t>(p[0] | (p[1] << 8));
  return is_signed ? static_cast<std::int16_t>(raw) : raw;
}

void store(std::uint8_t* p, std::uint32_t element_bytes, std::int32_t value) {
  p[0] = static_cast<std::uint8_t>(value & 0xff);
  if (element_bytes == 2) p[1] = static_cast<std::uint8_t>((value >> 8) & 0xff);
}

}  // namespace

BackingStore& Memories::of(isa::xdnn::Memory memory) {
  return const_cast<BackingStore&>(static_cast<const Memories&>(*this).of(memory));
}

const BackingStore& Memories::of(isa::xdnn::Memory memory) const {
  switch (memory) {
    case isa::xdnn::MEMORY_AM: return am;
    case isa::xdnn::MEMORY_DDR: return ddr;
    case isa::xdnn::MEMORY_FILTER_CACHE: return filter_cache;
    default: break;
  }
  throw std::invalid_argument("unknown memory");
}

std::uint64_t MemorySizes::of(isa::xdnn::Memory memory) const {
  switch (memory) {
    case isa::xdnn::MEMORY_AM: return am;
    case isa::xdnn::MEMORY_DDR: return ddr;
    case isa::xdnn::MEMORY_FILTER_CACHE: return filter_cache;
    default: return 0;
  }
}

std::string range_problem(isa::xdnn::Memory memory, std::uint64_t address, std::uint64_t bytes,
                          const MemorySizes& memories) {
  if (memory != isa::xdnn::MEMORY_AM && memory != isa::xdnn::MEMORY_DDR && memory != isa::xdnn::MEMORY_FILTER_CACHE) {
    return "names an unknown memory";
  }
  const std::uint64_t size = memories.of(memory);
  if (!isa::inside(address, bytes, size)) {
    return fmt::format("{} bytes at 0x{:x} lie outside {} ({} bytes)", bytes, address, isa::xdnn::memory_name(memory),
                       size);
  }
  return {};
}

std::string region_problem(const isa::xdnn::Region& region, const MemorySizes& memories) {
  const std::string layout = isa::xdnn::layout_problem(region.layout());
  if (!layout.empty()) return "has a bad layout: " + layout;
  return range_problem(region.memory(), region.address(), isa::xdnn::buffer_bytes(region.layout()), memories);
}

DenseTensor read_region(const isa::xdnn::Region& region, const Memories& memories, std::uint32_t copy) {
  const auto& l = region.layout();
  DenseTensor t;
  t.channels = l.channels();
  t.height = l.height();
  t.width = l.width();
  t.values.resize(static_cast<std::size_t>(t.channels) * t.height * t.width);
  const std::uint8_t* base = memories.of(region.memory()).data() + region.address();
  const std::uint64_t word = std::uint64_t{l.section_channels()} * l.element_bytes();
  // Channels are independent (and the simulated time does not depend on this loop).
#pragma omp parallel for schedule(static)
  for (std::uint32_t c = 0; c < t.channels; ++c) {
    for (std::uint32_t h = 0; h < t.height; ++h) {
      const std::uint8_t* p = base + isa::xdnn::replica_offset(l, c, h, 0, copy);
      std::int32_t* out = t.values.data() + (static_cast<std::size_t>(c) * t.height + h) * t.width;
      for (std::uint32_t w = 0; w < t.width; ++w, p += word) out[w] = load(p, l.element_bytes(), l.is_signed());
    }
  }
  return t;
}

void write_region_rows(const isa::xdnn::Region& region, Memories& memories, const std::vector<std::int32_t>& rows_values,
                       std::uint32_t row_begin, std::uint32_t row_end, std::uint32_t row_offset) {
  const auto& l = region.layout();
  const std::uint32_t rows = row_end - row_begin;
  std::uint8_t* base = memories.of(region.memory()).data() + region.address();
  const std::uint64_t word = std::uint64_t{l.section_channels()} * l.element_bytes();
  const std::uint32_t copies = std::max<std::uint32_t>(l.replication(), 1);
  for (std::uint32_t j = 0; j < copies; ++j) {
#pragma omp parallel for schedule(static)
    for (std::uint32_t c = 0; c < l.channels(); ++c) {
      for (std::uint32_t r = 0; r < rows; ++r) {
        const std::int32_t* in = rows_values.data() + (static_cast<std::size_t>(c) * rows + r) * l.width();
        std::uint8_t* p = base + isa::xdnn::replica_offset(l, c, row_begin + r - row_offset, 0, j);
        for (std::uint32_t w = 0; w < l.width(); ++w, p += word) {
          store(p, l.element_bytes(), w + j < l.width() ? in[w + j] : 0);
        }
      }
    }
  }
}

}  // namespace wb::sim::xdnn
