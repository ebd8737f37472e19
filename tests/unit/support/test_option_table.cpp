// The compile-option table: one parser for every target's switches, choices and counts.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/option_table.h"
#include "support/error.h"
#include "tests/support/user_error_testing.h"

namespace wb {
namespace {

using testing::HasSubstr;

OptionTable table() {
  return OptionTable("demo", {{"fast", OptionKind::Switch, "on", {}, "go fast"},
                              {"slow", OptionKind::Switch, "off", {}, "go slow"},
                              {"mode", OptionKind::Choice, "a", {"a", "b"}, "pick one"},
                              {"budget", OptionKind::Count, "10", {}, "how many"}});
}

TEST(OptionTable, DefaultsThenGivenValuesLaterOnesWinning) {
  const OptionValues defaults = table().defaults();
  EXPECT_TRUE(defaults.on("fast"));
  EXPECT_FALSE(defaults.on("slow"));
  EXPECT_EQ(defaults.choice("mode"), "a");
  EXPECT_EQ(defaults.count("budget"), 10);
  const OptionValues v = table().parse({"fast=off", "mode=b", "budget=3", "fast=on"});
  EXPECT_TRUE(v.on("fast"));
  EXPECT_EQ(v.choice("mode"), "b");
  EXPECT_EQ(v.count("budget"), 3);
}

TEST(OptionTable, SwitchesAreOnOrOffOnly) {
  // One spelling for every switch of every target: on and off.
  for (const char* bad : {"fast=true", "fast=1", "fast=yes", "fast="}) {
    EXPECT_THAT(test::user_error_of([&] { table().parse({bad}); }), HasSubstr("expected on or off")) << bad;
  }
}

TEST(OptionTable, ErrorsNameTheItemAndWhatIsValid) {
  EXPECT_THAT(test::user_error_of([] { table().parse({"turbo=on"}); }),
              testing::AllOf(HasSubstr("--compile-opt turbo=on"), HasSubstr("not a demo compiler option"),
                             HasSubstr("fast, slow, mode, budget")));
  EXPECT_THAT(test::user_error_of([] { table().parse({"mode=c"}); }),
              testing::AllOf(HasSubstr("one of a, b"), HasSubstr("mode=a|b")));
  EXPECT_THAT(test::user_error_of([] { table().parse({"budget=0"}); }), HasSubstr("a positive integer"));
  EXPECT_THAT(test::user_error_of([] { table().parse({"budget=12x"}); }), HasSubstr("a positive integer"));
  EXPECT_THAT(test::user_error_of([] { table().parse({"fast"}); }), HasSubstr("expected name=value"));
  EXPECT_EQ(table().problem("fast=off"), "");
  EXPECT_NE(table().problem("fast=maybe"), "");
}

TEST(OptionTable, DescribesEveryOptionInTableOrder) {
  EXPECT_EQ(table().describe(table().parse({"mode=b"})), "fast=on,slow=off,mode=b,budget=10");
  EXPECT_THAT(table().help(), HasSubstr("fast=on|off (go fast; default on)"));
  EXPECT_THAT(table().help(), HasSubstr("budget=N (how many; default 10)"));
}

TEST(OptionTable, TheAblationTurnsOffEachSwitchThatIsOnByDefault) {
  EXPECT_EQ(table().ablation(), std::vector<std::string>{"fast=off"});
}

TEST(OptionTable, AMalformedTableIsABug) {
  EXPECT_THROW(OptionTable("demo", {{"x", OptionKind::Choice, "c", {"a", "b"}, ""}}), std::logic_error);
  EXPECT_THROW(table().defaults().on("mode"), std::logic_error);
  EXPECT_THROW(table().defaults().on("nope"), std::logic_error);
}

}  // namespace
}  // namespace wb
