#pragma once
// The overlay's memories as byte arrays (backing stores: pages on first write), and reading/writing tensors in the hardware layout
// (isa/xdnn.proto TensorLayout) with every access bounds-checked.

#include <cstdint>
#include <string>
#include <vector>

#include "isa/xdnn.pb.h"
#include "sim/common/backing_store.h"

namespace wb::sim::xdnn {

// The memories' sizes: all the pre-run checks need (they allocate nothing).
struct MemorySizes {
  std::uint64_t am = 0, ddr = 0, filter_cache = 0;
  std::uint64_t of(isa::xdnn::Memory memory) const;  // 0 for an unknown memory
};

struct Memories {
  BackingStore am, ddr, filter_cache;
  BackingStore& of(isa::xdnn::Memory memory);
  const BackingStore& of(isa::xdnn::Memory memory) const;
  MemorySizes sizes() const { return {am.size(), ddr.size(), filter_cache.size()}; }
};

// "" when the region's bytes lie inside its memory and its layout is valid, else why not.
std::string region_problem(const isa::xdnn::Region& region, const MemorySizes& memories);
std::string range_problem(isa::xdnn::Memory memory, std::uint64_t address, std::uint64_t bytes,
                          const MemorySizes& memories);

// Dense view of a region's tensor: values[c][h][w] as int32 (copy 0 of a replicated tensor,
// or copy `copy`, whose word w holds pixel w + copy).
struct DenseTensor {
  std::uint32_t channels = 0, height = 0, width = 0;
  std::vector<std::int32_t> values;
  std::int32_t at(std::uint32_t c, std::uint32_t h, std::uint32_t w) const {
    return values[(static_cast<std::size_t>(c) * height + h) * width + w];
  }
};
DenseTensor read_region(const isa::xdnn::Region& region, const Memories& memories, std::uint32_t copy = 0);

// Writes rows [row_begin, row_end) of `rows_values` (channels x (row_end - row_begin) x width,
// already clamped to the element type) at region rows [row_begin - row_offset, ...); every
// copy of a replicated layout is written (copy j, word w: pixel w + j, zero past the edge).
void write_region_rows(const isa::xdnn::Region& region, Memories& memories, const std::vector<std::int32_t>& rows_values,
                       std::uint32_t row_begin, std::uint32_t row_end, std::uint32_t row_offset);

}  // namespace wb::sim::xdnn
