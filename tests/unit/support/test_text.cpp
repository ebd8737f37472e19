#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "support/text.h"

namespace wb {
namespace {

TEST(Grouped, CommasEveryThreeDigits) {
  EXPECT_EQ(grouped(std::uint64_t{0}), "0");
  EXPECT_EQ(grouped(std::uint64_t{999}), "999");
  EXPECT_EQ(grouped(std::uint64_t{1000}), "1,000");
  EXPECT_EQ(grouped(std::uint64_t{1234567}), "1,234,567");
  EXPECT_EQ(grouped(std::numeric_limits<std::uint64_t>::max()), "18,446,744,073,709,551,615");
}

TEST(Grouped, TheSignIsNotADigit) {
  EXPECT_EQ(grouped(std::int64_t{-1}), "-1");
  EXPECT_EQ(grouped(std::int64_t{-100}), "-100");
  EXPECT_EQ(grouped(std::int64_t{-1000}), "-1,000");
  EXPECT_EQ(grouped(std::int64_t{-123456}), "-123,456");
  EXPECT_EQ(grouped(std::numeric_limits<std::int64_t>::min()), "-9,223,372,036,854,775,808");
}

TEST(Grouped, EveryIntegerTypeFindsAnOverload) {
  EXPECT_EQ(grouped(12345), "12,345");
  EXPECT_EQ(grouped(12345u), "12,345");
  EXPECT_EQ(grouped(12345LL), "12,345");
  EXPECT_EQ(grouped(std::size_t{12345}), "12,345");
}

}  // namespace
}  // namespace wb
