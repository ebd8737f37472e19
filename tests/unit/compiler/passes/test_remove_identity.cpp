#include "compiler/passes/remove_identity.h"

#include <gtest/gtest.h>

#include "tests/support/pass_testing.h"

namespace wb {
namespace {

using test::OnnxBuilder;

TEST(RemoveIdentity, RemovesIdentityAndDropoutKeepingOutputNames) {
  OnnxBuilder b;
  b.input("x", {1, 4}).output("y");
  b.node("Identity", {"x"}, {"a"});
  b.node("Relu", {"a"}, {"r"});
  b.node("Dropout", {"r"}, {"y"});
  const auto out = test::run_pass(b, "remove-identity");
  EXPECT_TRUE(out.changed);
  EXPECT_EQ(out.after.node_count(), 1u);
  EXPECT_EQ(out.after.outputs()[0]->name, "y");
  EXPECT_EQ(out.stats.counters().at("identities removed"), 1);
  EXPECT_EQ(out.stats.counters().at("dropouts removed"), 1);
  test::expect_same_outputs(out.before, out.after, 0.0);
}

TEST(RemoveIdentity, KeepsAnIdentityBetweenGraphInputAndOutput) {
  OnnxBuilder b;
  b.input("x", {1, 4}).output("y");
  b.node("Identity", {"x"}, {"y"});
  const auto out = test::run_pass(b, "remove-identity");
  EXPECT_FALSE(out.changed);
  EXPECT_EQ(out.after.node_count(), 1u);
}

TEST(RemoveIdentity, KeepsADropoutWhoseMaskIsRead) {
  OnnxBuilder b;
  b.input("x", {1, 4}).output("y").output("mask");
  b.node("Dropout", {"x"}, {"y", "mask"});
  EXPECT_FALSE(test::run_pass(b, "remove-identity").changed);
}

}  // namespace
}  // namespace wb
