#include "compiler/passes/reduce_mean_to_pool.h"

#include <gtest/gtest.h>

#include "tests/support/pass_testing.h"

namespace wb {
namespace {

using test::OnnxBuilder;
using test::set_attr;

OnnxBuilder mean_over(std::vector<std::int64_t> axes, std::int64_t keepdims) {
  OnnxBuilder b;
  b.input("x", {1, 4, 3, 5}).output("y");
  auto& mean = b.node("ReduceMean", {"x"}, {"y"}, "mean");
  set_attr(mean, "axes", std::move(axes));
  set_attr(mean, "keepdims", keepdims);
  return b;
}

TEST(ReduceMeanToPool, KeptDimsGiveAGlobalPool) {
  const auto out = test::run_pass(mean_over({2, 3}, 1), "reduce-mean-to-pool");
  EXPECT_EQ(out.after.find_node("mean")->op, OpKind::GlobalAveragePool);
  EXPECT_EQ(out.after.node_count(), 1u);
  test::expect_same_outputs(out.before, out.after);
}

TEST(ReduceMeanToPool, DroppedDimsGiveAGlobalPoolAndAFlatten) {
  const auto out = test::run_pass(mean_over({-1, -2}, 0), "reduce-mean-to-pool");
  EXPECT_EQ(test::count_op(out.after, OpKind::GlobalAveragePool), 1u);
  EXPECT_EQ(test::count_op(out.after, OpKind::Flatten), 1u);
  EXPECT_EQ(out.after.outputs()[0]->name, "y");
  EXPECT_EQ(out.after.outputs()[0]->shape, (Shape{1, 4}));
  test::expect_same_outputs(out.before, out.after);
}

TEST(ReduceMeanToPool, OtherAxesStayAReduceMean) {
  EXPECT_FALSE(test::run_pass(mean_over({1}, 1), "reduce-mean-to-pool").changed);
  EXPECT_FALSE(test::run_pass(mean_over({3}, 1), "reduce-mean-to-pool").changed);
  EXPECT_FALSE(test::run_pass(mean_over({1, 2, 3}, 0), "reduce-mean-to-pool").changed);
}

}  // namespace
}  // namespace wb
