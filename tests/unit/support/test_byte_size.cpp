#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "support/byte_size.h"

namespace wb {
namespace {

using testing::HasSubstr;

TEST(ByteSize, ParsesUnits) {
  const std::vector<std::pair<std::string, std::int64_t>> cases = {
      {"0", 0},
      {"4194304", 4194304},
      {"1B", 1},
      {"512kB", 512000},
      {"64 KiB", 65536},
      {"9 MB", 9000000},
      {"4MiB", 4 << 20},
      {"2GB", 2000000000},
      {"16GiB", std::int64_t{16} << 30},
      {"1.5MiB", 1572864},
      {"0.5kB", 500},
      {"0.25 KiB", 256},
      {"  7  ", 7},
      {"9223372036854775807", std::numeric_limits<std::int64_t>::max()},
  };
  for (const auto& [text, bytes] : cases) {
    std::string why;
    const auto parsed = parse_byte_size(text, &why);
    ASSERT_TRUE(parsed.has_value()) << text << ": " << why;
    EXPECT_EQ(*parsed, bytes) << text;
  }
}

TEST(ByteSize, RejectsWhatIsNotAWholeSize) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "empty"},
      {"MiB", "does not start with a number"},
      {"-1", "negative"},
      {"4KB", "unknown unit 'KB'"},
      {"4mb", "unknown unit 'mb'"},
      {"4 Mib", "unknown unit 'Mib'"},
      {"4MiB4", "unknown unit 'MiB4'"},
      {"1.5B", "not a whole number of bytes"},
      {"0.3KiB", "not a whole number of bytes"},
      {"1.", "no digits after the decimal point"},
      {"1.1234567MiB", "more than 6 decimals"},
      {"9223372036854775808", "too large"},
      {"9999999999GiB", "too large"},
      {"9223372036.9GB", "too large"},
  };
  for (const auto& [text, reason] : cases) {
    std::string why;
    EXPECT_FALSE(parse_byte_size(text, &why).has_value()) << text;
    EXPECT_THAT(why, HasSubstr(reason)) << text;
  }
}

TEST(ByteSize, FormatsWithTheLargestExactUnit) {
  EXPECT_EQ(format_byte_size(0), "0 bytes");
  EXPECT_EQ(format_byte_size(1001), "1001 bytes");
  EXPECT_EQ(format_byte_size(1000), "1 kB");
  EXPECT_EQ(format_byte_size(64000), "64 kB");
  EXPECT_EQ(format_byte_size(313344), "306 KiB");
  EXPECT_EQ(format_byte_size(9 << 20), "9 MiB");
  EXPECT_EQ(format_byte_size(2000000000), "2 GB");
  EXPECT_EQ(format_byte_size(std::int64_t{16} << 30), "16 GiB");
  for (const std::int64_t bytes :
       {std::int64_t{1}, std::int64_t{1536}, std::int64_t{5} << 20, std::int64_t{123456789}}) {
    EXPECT_EQ(parse_byte_size(format_byte_size(bytes).substr(0, format_byte_size(bytes).find(" bytes"))), bytes);
  }
}

}  // namespace
}  // namespace wb
