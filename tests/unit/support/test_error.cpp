#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/error.h"

namespace wb {
namespace {

TEST(IndentedList, ShowsTenItemsThenHowManyMoreAndWhereToSeeThem) {
  std::vector<std::string> items;
  for (int i = 0; i < 13; ++i) items.push_back(std::string("node").append(std::to_string(i)));
  const std::string text = indented_list(items, "see elsewhere");
  EXPECT_NE(text.find("\n  node9"), std::string::npos) << text;
  EXPECT_EQ(text.find("node10"), std::string::npos) << text;
  EXPECT_NE(text.find("\n  and 3 more; see elsewhere"), std::string::npos) << text;
  const std::vector<std::string> few = {"a", "b"};
  EXPECT_EQ(indented_list(few, "unused"), "\n  a\n  b");
}


}  // namespace
}  // namespace wb
