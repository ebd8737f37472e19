#include "compiler/passes/collapse_concat.h"

#include <gtest/gtest.h>

#include "tests/support/pass_testing.h"

namespace wb {
namespace {

using test::OnnxBuilder;
using test::set_attr;

TEST(CollapseConcat, InnerConcatOnTheSameAxisIsSpliced) {
  OnnxBuilder b;
  b.input("a", {1, 1, 2, 2}).input("b", {1, 2, 2, 2}).input("c", {1, 3, 2, 2}).output("y");
  set_attr(b.node("Concat", {"a", "b"}, {"ab"}), "axis", std::int64_t{1});
  set_attr(b.node("Concat", {"ab", "c"}, {"y"}), "axis", std::int64_t{-3});
  const auto out = test::run_pass(b, "collapse-concat");
  ASSERT_EQ(out.after.node_count(), 1u);
  EXPECT_EQ(out.after.nodes()[0]->inputs.size(), 3u);
  test::expect_same_outputs(out.before, out.after, 0.0);
}

TEST(CollapseConcat, DifferentAxesStay) {
  OnnxBuilder b;
  b.input("a", {1, 2, 2, 2}).input("b", {1, 2, 2, 2}).input("c", {1, 2, 4, 2}).output("y");
  set_attr(b.node("Concat", {"a", "b"}, {"ab"}), "axis", std::int64_t{2});
  set_attr(b.node("Concat", {"ab", "c"}, {"y"}), "axis", std::int64_t{1});
  EXPECT_FALSE(test::run_pass(b, "collapse-concat").changed);
}

}  // namespace
}  // namespace wb
