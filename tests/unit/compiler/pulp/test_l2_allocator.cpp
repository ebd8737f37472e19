// The first-fit L2 allocator: lowest and highest placement, coalescing frees, double frees.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <stdexcept>
#include <utility>
#include <vector>

#include "compiler/pulp/l2_allocator.h"

namespace wb::pulp {
namespace {

TEST(PulpL2Allocator, FirstFitHighAndCoalescing) {
  FirstFitAllocator a(1000, 4);
  EXPECT_EQ(a.allocate(10), 0u);           // rounded to 12
  EXPECT_EQ(a.allocate(4), 12u);
  EXPECT_EQ(a.allocate_high(100), 900u);   // the end of the free space
  EXPECT_EQ(a.largest_free(), 900u - 16u);
  a.release(0, 10);
  a.release(12, 4);
  EXPECT_EQ(a.largest_free(), 900u);       // [0, 900) is one block again
  EXPECT_FALSE(a.allocate(901).has_value());
  EXPECT_THROW(a.release(0, 4), std::logic_error);  // already free: a double free
}

TEST(PulpL2Allocator, SizesAreRoundedUpAndTheMemoryDown) {
  FirstFitAllocator a(1003, 8);            // 1000 usable bytes: the last 3 cannot hold an aligned block
  EXPECT_EQ(a.largest_free(), 1000u);
  EXPECT_EQ(a.aligned(0), 0u);
  EXPECT_EQ(a.aligned(1), 8u);
  EXPECT_EQ(a.aligned(16), 16u);
  EXPECT_EQ(a.allocate(0), 0u);            // an empty tensor still takes a block of its own
  EXPECT_EQ(a.allocate(1), 8u);
  EXPECT_EQ(a.allocate(984), 16u);         // exactly the rest
  EXPECT_EQ(a.largest_free(), 0u);
  EXPECT_FALSE(a.allocate(1).has_value());
  EXPECT_FALSE(a.allocate_high(1).has_value());
  EXPECT_THROW(FirstFitAllocator(64, 0), std::logic_error);
  EXPECT_FALSE(FirstFitAllocator(3, 4).allocate(1).has_value());  // smaller than one aligned block
}

TEST(PulpL2Allocator, AHoleIsReusedByWhatFitsAndSkippedByWhatDoesNot) {
  FirstFitAllocator a(400, 4);
  ASSERT_EQ(a.allocate(100), 0u);
  ASSERT_EQ(a.allocate(100), 100u);
  ASSERT_EQ(a.allocate(100), 200u);
  a.release(100, 100);                     // a hole of 100 between two live blocks, 100 free at the end
  EXPECT_EQ(a.largest_free(), 100u);       // fragmented: 200 free, no block of more than 100
  EXPECT_FALSE(a.allocate(104).has_value());
  EXPECT_EQ(a.allocate_high(40), 360u);    // the end of the highest block with room
  EXPECT_EQ(a.allocate(60), 100u);         // the lowest hole with room: [160, 200) stays free
  EXPECT_EQ(a.allocate_high(48), 312u);    // [300, 312) stays free
  EXPECT_EQ(a.allocate_high(40), 160u);    // the top block is too small now: the hole's end
  EXPECT_EQ(a.largest_free(), 12u);
}

TEST(PulpL2Allocator, AFreeMergesWithBothNeighboursAndTheHighWaterStays) {
  FirstFitAllocator a(300, 4);
  ASSERT_EQ(a.allocate(100), 0u);
  ASSERT_EQ(a.allocate(100), 100u);
  ASSERT_EQ(a.allocate(100), 200u);
  EXPECT_EQ(a.high_water(), 300u);
  a.release(0, 100);
  a.release(200, 100);
  EXPECT_EQ(a.largest_free(), 100u);
  a.release(100, 100);                     // joins [0, 100) and [200, 300)
  EXPECT_EQ(a.largest_free(), 300u);
  EXPECT_EQ(a.allocate(300), 0u);
  EXPECT_EQ(a.high_water(), 300u);         // highest end ever allocated, not lowered by frees
}

TEST(PulpL2Allocator, FreeingBytesThatAreFreeIsADoubleFree) {
  FirstFitAllocator a(300, 4);
  ASSERT_EQ(a.allocate(100), 0u);
  ASSERT_EQ(a.allocate(100), 100u);
  a.release(0, 100);
  EXPECT_THROW(a.release(96, 8), std::logic_error);   // overlaps the free block before it
  EXPECT_THROW(a.release(196, 8), std::logic_error);  // overlaps the free block after it
  EXPECT_THROW(a.release(100, 200), std::logic_error);
  a.release(100, 100);
  EXPECT_EQ(a.largest_free(), 300u);
}

// Random allocations and frees against a byte map of the memory: first fit is the lowest
// address where a run of free bytes has room, allocate_high the end of the highest such run,
// and no two live blocks overlap.
TEST(PulpL2Allocator, AgreesWithAByteMapOverRandomAllocationsAndFrees) {
  constexpr std::uint64_t kBytes = 2048, kAlignment = 16;
  FirstFitAllocator a(kBytes, kAlignment);
  std::vector<bool> used(kBytes, false);
  struct Live {
    std::uint64_t address, bytes;
  };
  std::vector<Live> live;
  // Maximal runs of free bytes, in address order: [begin, end).
  const auto free_runs = [&] {
    std::vector<std::pair<std::uint64_t, std::uint64_t>> runs;
    for (std::uint64_t i = 0; i < kBytes;) {
      if (used[i]) {
        ++i;
        continue;
      }
      std::uint64_t j = i;
      while (j < kBytes && !used[j]) ++j;
      runs.emplace_back(i, j);
      i = j;
    }
    return runs;
  };
  std::mt19937 rng(7);
  std::uniform_int_distribution<std::uint64_t> size(1, 300);
  for (int op = 0; op < 2000; ++op) {
    SCOPED_TRACE(op);
    if (!live.empty() && rng() % 3 == 0) {
      const std::size_t k = rng() % live.size();
      a.release(live[k].address, live[k].bytes);
      const std::uint64_t rounded = (live[k].bytes + kAlignment - 1) / kAlignment * kAlignment;
      for (std::uint64_t b = live[k].address; b < live[k].address + rounded; ++b) used[b] = false;
      live.erase(live.begin() + static_cast<std::ptrdiff_t>(k));
    } else {
      const std::uint64_t bytes = size(rng);
      const std::uint64_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
      const bool high = rng() % 2 == 0;
      std::optional<std::uint64_t> expected;
      for (const auto& [begin, end] : free_runs()) {
        if (end - begin < rounded) continue;
        if (!high && !expected) expected = begin;
        if (high) expected = end - rounded;
      }
      std::uint64_t largest = 0;
      for (const auto& [begin, end] : free_runs()) largest = std::max(largest, end - begin);
      ASSERT_EQ(a.largest_free(), largest);
      const std::optional<std::uint64_t> got = high ? a.allocate_high(bytes) : a.allocate(bytes);
      ASSERT_EQ(got, expected) << (high ? "allocate_high(" : "allocate(") << bytes << ")";
      if (!got) continue;
      EXPECT_EQ(*got % kAlignment, 0u);
      for (std::uint64_t b = *got; b < *got + rounded; ++b) {
        ASSERT_FALSE(used[b]) << "byte " << b << " given twice";
        used[b] = true;
      }
      live.push_back({*got, bytes});
    }
  }
}

}  // namespace
}  // namespace wb::pulp
