#include <gtest/gtest.h>

#include <string_view>
#include <vector>

#include "support/spelling.h"

namespace wb {
namespace {

TEST(EditDistance, CountsInsertionsDeletionsAndSubstitutions) {
  EXPECT_EQ(edit_distance("", ""), 0u);
  EXPECT_EQ(edit_distance("am_bytes", "am_bytes"), 0u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(edit_distance("abc", ""), 3u);
  EXPECT_EQ(edit_distance("am_byte", "am_bytes"), 1u);   // insertion
  EXPECT_EQ(edit_distance("am_bytess", "am_bytes"), 1u); // deletion
  EXPECT_EQ(edit_distance("am_bites", "am_bytes"), 1u);  // substitution
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("ab", "ba"), 2u);  // a transposition is two edits
}

TEST(ClosestSpelling, TheNearestWithinTheLimitOrNothing) {
  const std::vector<std::string_view> keys = {"am_bytes", "ddr_gbps", "ddr_bytes", "clock_mhz"};
  EXPECT_EQ(closest_spelling("am_byte", keys), "am_bytes");
  EXPECT_EQ(closest_spelling("ddr_gbs", keys), "ddr_gbps");
  EXPECT_EQ(closest_spelling("clock", keys), "");          // 4 edits away
  EXPECT_EQ(closest_spelling("clock", keys, 4), "clock_mhz");
  EXPECT_EQ(closest_spelling("anything", {}), "");
}

TEST(ClosestSpelling, TheFirstOfEquallyNearCandidates) {
  EXPECT_EQ(closest_spelling("cat", {"bat", "hat"}), "bat");
  EXPECT_EQ(closest_spelling("cat", {"hat", "bat"}), "hat");
}

}  // namespace
}  // namespace wb
