// support/huge_pages.h: large buffers get their own 2 MiB-aligned mapping advised for huge
// pages, small ones come from operator new, and a container over the allocator behaves as any.

#include "support/huge_pages.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <vector>

namespace wb {
namespace {

bool aligned_to(const void* p, std::uintptr_t alignment) { return reinterpret_cast<std::uintptr_t>(p) % alignment == 0; }

TEST(HugePages, ALargeBufferIsItsOwnAlignedMappingAndZeroed) {
  const std::size_t bytes = 3 * kHugePageBufferBytes + 123;
  auto* p = static_cast<unsigned char*>(allocate_large_buffer(bytes));
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(aligned_to(p, std::uintptr_t{2} << 20));
  // A fresh mapping reads as zeros and takes every byte asked for.
  EXPECT_EQ(p[0], 0);
  EXPECT_EQ(p[bytes - 1], 0);
  std::memset(p, 0x5a, bytes);
  EXPECT_EQ(p[bytes / 2], 0x5a);
  release_large_buffer(p, bytes);
}

TEST(HugePages, ASmallBufferComesFromOperatorNew) {
  void* p = allocate_large_buffer(64);
  ASSERT_NE(p, nullptr);
  std::memset(p, 1, 64);
  release_large_buffer(p, 64);
  release_large_buffer(nullptr, 64);
  release_large_buffer(nullptr, kHugePageBufferBytes);
}

TEST(HugePages, AdviceOnAnyRangeIsHarmless) {
  advise_huge_pages(nullptr, kHugePageBufferBytes);
  std::vector<char> small(100, 'x');
  advise_huge_pages(small.data(), small.size());  // below the threshold: nothing asked
  std::vector<char> large(kHugePageBufferBytes + 4097);
  advise_huge_pages(large.data() + 1, large.size() - 1);  // unaligned ends: their whole pages only
  large.back() = 'y';
  EXPECT_EQ(large.back(), 'y');
}

TEST(HugePages, AContainerGrowsAcrossTheThresholdAndCopies) {
  std::vector<std::uint32_t, LargeBufferAllocator<std::uint32_t>> values;
  for (std::uint32_t i = 0; i < kHugePageBufferBytes / 2; ++i) values.push_back(i);  // 2 MiB of values
  EXPECT_EQ(values[12345], 12345u);
  const auto copy = values;
  EXPECT_EQ(copy, values);
  values.clear();
  values.shrink_to_fit();
  EXPECT_TRUE(values.empty());
}

}  // namespace
}  // namespace wb
