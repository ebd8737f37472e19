#include "compiler/passes/batchnorm_to_depthwise.h"

#include <gtest/gtest.h>

#include "compiler/passes/fold_batchnorm.h"
#include "support/error.h"
#include "tests/support/pass_testing.h"

namespace wb {
namespace {

using test::OnnxBuilder;
using test::set_attr;



TEST(BatchNormToDepthwise, BatchNormAfterConcatBecomesAPerChannelConv) {
  // DenseNet: BN + ReLU on a concat, which no conv produces.
  OnnxBuilder b;
  b.input("x", {1, 2, 5, 5}).input("z", {1, 3, 5, 5}).output("y");
  set_attr(b.node("Concat", {"x", "z"}, {"cat"}), "axis", std::int64_t{1});
  test::add_batchnorm(b, "cat", "y", 5);
  const auto out = test::run_pass(b, "batchnorm-to-depthwise");
  ASSERT_TRUE(out.changed);
  EXPECT_EQ(test::count_op(out.after, OpKind::BatchNormalization), 0u);
  const Node* conv = out.after.outputs()[0]->producer;
  ASSERT_EQ(conv->op, OpKind::Conv);
  EXPECT_EQ(conv->attrs.get_int("group", 1), 5);
  EXPECT_EQ(conv->attrs.get_ints("kernel_shape"), (std::vector<std::int64_t>{1, 1}));
  EXPECT_EQ(conv->constant_input(1)->shape(), (Shape{5, 1, 1, 1}));
  EXPECT_EQ(conv->attrs.get_int(kFoldedBatchNormAttr, 0), 1);
  EXPECT_EQ(out.stats.counters().at("batchnorms as depthwise convs"), 1);
  test::expect_same_outputs(out.before, out.after);
}

TEST(BatchNormToDepthwise, ReluFusesIntoTheNewConvInTheDefaultPipeline) {
  OnnxBuilder b;
  b.input("x", {1, 4, 3, 3}).output("y");
  set_attr(b.node("MaxPool", {"x"}, {"p"}), "kernel_shape", std::vector<std::int64_t>{1, 1});
  test::add_batchnorm(b, "p", "n", 4);
  b.node("Relu", {"n"}, {"y"});
  const auto out = test::run_pass(b, "default");
  EXPECT_EQ(test::count_op(out.after, OpKind::BatchNormalization), 0u);
  EXPECT_EQ(test::count_op(out.after, OpKind::Relu), 0u);
  test::expect_same_outputs(out.before, out.after);
}

TEST(BatchNormToDepthwise, LeavesWhatHasNoPerChannelForm) {
  // A 2-D input (BatchNorm1d) has no spatial axes to run a 1x1 conv over.
  OnnxBuilder b;
  b.input("x", {2, 4}).output("y");
  test::add_batchnorm(b, "x", "y", 4);
  EXPECT_FALSE(test::run_pass(b, "batchnorm-to-depthwise").changed);
  // Non-constant statistics.
  OnnxBuilder c;
  c.input("x", {1, 2, 3, 3}).input("gamma", {2}).output("y");
  c.initializer("beta", test::random_tensor({2}, 4))
      .initializer("mean", test::random_tensor({2}, 5))
      .initializer("var", test::positive_tensor({2}, 6));
  c.node("BatchNormalization", {"x", "gamma", "beta", "mean", "var"}, {"y"});
  EXPECT_FALSE(test::run_pass(c, "batchnorm-to-depthwise").changed);
}

TEST(BatchNormToDepthwise, MustFollowFoldBatchNorm) {
  // A BN after a conv is folded, not turned into a second conv.
  OnnxBuilder b;
  b.input("x", {1, 3, 6, 6}).initializer("w", test::random_tensor({4, 3, 3, 3}, 1)).output("y");
  b.node("Conv", {"x", "w"}, {"c"});
  test::add_batchnorm(b, "c", "y", 4);
  const auto out = test::run_pass(b, "fold-batchnorm,batchnorm-to-depthwise");
  EXPECT_EQ(test::count_op(out.after, OpKind::Conv), 1u);
  EXPECT_THROW(test::run_pass(b, "batchnorm-to-depthwise,fold-batchnorm"), UserError);
}

}  // namespace
}  // namespace wb
