#pragma once
// First-fit allocation of one memory (L2), with coalescing frees: the compiler walks the
// layers in order, allocating each tensor when it is produced and freeing it after its last
// reader, so residual tensors stay put until their add.

#include <cstdint>
#include <map>
#include <optional>

#include "support/math.h"

namespace wb::pulp {

class FirstFitAllocator {
 public:
  FirstFitAllocator(std::uint64_t bytes, std::uint64_t alignment);

  // The lowest free address with `bytes` room, or nothing.
  std::optional<std::uint64_t> allocate(std::uint64_t bytes);
  // The highest: the end of the highest free block with room. Producing a layer's output at the
  // other end of L2 from its input keeps the free space in one piece (DORY's L2 does the same).
  std::optional<std::uint64_t> allocate_high(std::uint64_t bytes);
  void release(std::uint64_t address, std::uint64_t bytes);

  std::uint64_t largest_free() const;
  std::uint64_t high_water() const { return high_water_; }  // highest end ever allocated
  std::uint64_t aligned(std::uint64_t bytes) const { return align_up(bytes, alignment_); }

 private:
  std::map<std::uint64_t, std::uint64_t> free_;  // address -> size
  std::uint64_t alignment_;
  std::uint64_t high_water_ = 0;
};

}  // namespace wb::pulp
