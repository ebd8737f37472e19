// BackingStore: a simulated memory's size is a limit, not an allocation; pages come on first
// write, zero-filled.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <span>
#include <utility>

#include "sim/common/backing_store.h"
#include "support/error.h"

namespace wb::sim {
namespace {

constexpr std::uint64_t kGiB = std::uint64_t{1} << 30;
constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;

TEST(BackingStore, A64GiBMemoryCostsOnlyThePagesWritten) {
  BackingStore l3(64 * kGiB, "L3");
  ASSERT_EQ(l3.size(), 64 * kGiB);
  EXPECT_EQ(l3.resident_bytes(), 0u);
  l3.data()[0] = 0x5a;
  l3.data()[64 * kGiB - 1] = 0xa5;
  std::fill_n(l3.data() + 32 * kGiB, 1000, std::uint8_t{7});
  EXPECT_EQ(l3.data()[0], 0x5a);
  EXPECT_EQ(l3.data()[64 * kGiB - 1], 0xa5);
  EXPECT_EQ(l3.data()[32 * kGiB + 999], 7);
  // Never written: zero, as a memory the simulator cleared would be.
  EXPECT_EQ(l3.data()[16 * kGiB], 0);
  EXPECT_EQ(l3.data()[32 * kGiB + 1000], 0);
  // Three written places and the one read: a few pages, not 64 GiB.
  EXPECT_GT(l3.resident_bytes(), 0u);
  EXPECT_LT(l3.resident_bytes(), 1 * kMiB);
}

TEST(BackingStore, IsARangeASpanViewsAndMovesWithoutCopying) {
  BackingStore a(4096 * 3, "L2");
  a.begin()[5] = 9;
  const std::uint8_t* where = a.data();
  BackingStore b = std::move(a);
  EXPECT_EQ(a.size(), 0u);
  EXPECT_EQ(a.data(), nullptr);
  EXPECT_EQ(b.data(), where);
  const std::span<std::uint8_t> view = b;
  EXPECT_EQ(view.size(), 4096u * 3);
  EXPECT_EQ(view[5], 9);
  EXPECT_EQ(std::count(b.begin(), b.end(), 0), 4096 * 3 - 1);
  const BackingStore empty(0, "L1");
  EXPECT_EQ(empty.begin(), empty.end());
}

TEST(BackingStore, ASizeNoMachineCanMapIsAUserErrorNamingTheMemory) {
  try {
    BackingStore huge(std::uint64_t{1} << 62, "DDR");
    FAIL() << "4 EiB of address space was reserved";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), testing::HasSubstr("the simulated DDR (4611686018427387904 bytes) cannot be reserved"));
  }
}

}  // namespace
}  // namespace wb::sim
