#pragma once
// What memory an xDNN instruction reads and writes. The compiler orders conflicting
// instructions with dependency flags from these; the simulator checks, with the same
// function, that no two instructions in flight on different units conflict.

#include <cstdint>
#include <vector>

#include "isa/xdnn.pb.h"

namespace wb::isa::xdnn {

struct Access {
  Memory memory = MEMORY_AM;
  std::uint64_t begin = 0, end = 0;  // bytes [begin, end)
  // A region of a sectioned buffer: accesses at the same base address with disjoint channel
  // ranges do not conflict (concat inputs writing their own channels of one buffer).
  bool has_channels = false;
  std::uint64_t base = 0;
  std::uint32_t channel_begin = 0, channel_end = 0;
  bool write = false;
};

// Every byte of the region's buffer, with its channel range (none for replicated layouts).
Access region_access(const Region& region, bool write);
Access bytes_access(Memory memory, std::uint64_t begin, std::uint64_t bytes, bool write);
// The instruction's reads and writes (regions, weights, copy extents).
std::vector<Access> instruction_accesses(const Instr& instr);
// Two accesses conflict when one writes bytes (and channels) the other touches.
bool conflict(const Access& a, const Access& b);

}  // namespace wb::isa::xdnn
