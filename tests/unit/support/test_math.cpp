#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "support/math.h"

namespace wb {
namespace {

TEST(CeilDiv, RoundsUpExactQuotientsStay) {
  EXPECT_EQ(ceil_div<std::uint64_t>(0, 4), 0u);
  EXPECT_EQ(ceil_div<std::uint64_t>(1, 4), 1u);
  EXPECT_EQ(ceil_div<std::uint64_t>(4, 4), 1u);
  EXPECT_EQ(ceil_div<std::uint64_t>(5, 4), 2u);
  EXPECT_EQ(ceil_div<std::uint32_t>(96, 32), 3u);
  EXPECT_EQ(ceil_div<std::uint32_t>(97, 32), 4u);
}

TEST(CeilDiv, NegativeDividendsRoundTowardsPlusInfinity) {
  EXPECT_EQ(ceil_div<std::int64_t>(-7, 2), -3);
  EXPECT_EQ(ceil_div<std::int64_t>(-8, 2), -4);
  EXPECT_EQ(ceil_div<std::int64_t>(-1, 5), 0);
  EXPECT_EQ(ceil_div<std::int64_t>(7, 2), 4);
}

TEST(CeilDiv, TheDividendsTypeDecides) {
  // The divisor converts to the dividend's type (a literal 4 with a 64-bit count).
  const std::uint64_t big = std::uint64_t{1} << 40;
  static_assert(std::is_same_v<decltype(ceil_div(big, 4)), std::uint64_t>);
  EXPECT_EQ(ceil_div(big + 1, 4), (big >> 2) + 1);
}

TEST(AlignUp, ToTheNextMultiple) {
  EXPECT_EQ(align_up<std::uint64_t>(0, 64), 0u);
  EXPECT_EQ(align_up<std::uint64_t>(1, 64), 64u);
  EXPECT_EQ(align_up<std::uint64_t>(64, 64), 64u);
  EXPECT_EQ(align_up<std::uint64_t>(65, 64), 128u);
  EXPECT_EQ(align_up<std::uint32_t>(7, 3), 9u);
  static_assert(align_up<std::uint32_t>(5, 4) == 8);  // usable in constant expressions
}

}  // namespace
}  // namespace wb
