#include "compiler/passes/fuse_residual_add.h"

#include <gtest/gtest.h>

#include "compiler/ir/fusion.h"
#include "tests/support/pass_testing.h"

namespace wb {
namespace {

using test::OnnxBuilder;
using test::set_attr;

TEST(FuseResidualAdd, BasicBlockAddBecomesTheSecondConvsResidual) {
  OnnxBuilder b;
  b.input("x", {1, 4, 5, 5})
      .initializer("w1", test::random_tensor({4, 4, 3, 3}, 1))
      .initializer("w2", test::random_tensor({4, 4, 3, 3}, 2))
      .output("y");
  set_attr(b.node("Conv", {"x", "w1"}, {"c1"}, "conv1"), "pads", std::vector<std::int64_t>{1, 1, 1, 1});
  b.node("Relu", {"c1"}, {"r1"});
  set_attr(b.node("Conv", {"r1", "w2"}, {"c2"}, "conv2"), "pads", std::vector<std::int64_t>{1, 1, 1, 1});
  b.node("Add", {"c2", "x"}, {"sum"});
  b.node("Relu", {"sum"}, {"y"});
  const auto out = test::run_pass(b, "fuse-residual-add");
  EXPECT_EQ(test::count_op(out.after, OpKind::Add), 0u);
  const Node* conv2 = out.after.find_node("conv2");
  ASSERT_NE(conv2->input(kConvResidualInput), nullptr);
  EXPECT_EQ(conv2->input(kConvResidualInput)->name, "x");
  test::expect_same_outputs(out.before, out.after);
}

TEST(FuseResidualAdd, TwoConvBranchesPickTheLaterOne) {
  OnnxBuilder b;
  b.input("x", {1, 2, 4, 4})
      .initializer("w1", test::random_tensor({3, 2, 1, 1}, 1))
      .initializer("w2", test::random_tensor({3, 2, 1, 1}, 2))
      .output("y");
  b.node("Conv", {"x", "w1"}, {"a"}, "first");
  b.node("Conv", {"x", "w2"}, {"b"}, "second");
  b.node("Add", {"a", "b"}, {"y"});
  const auto out = test::run_pass(b, "fuse-residual-add");
  EXPECT_NE(out.after.find_node("second")->input(kConvResidualInput), nullptr);
  EXPECT_EQ(out.after.find_node("first")->input(kConvResidualInput), nullptr);
  EXPECT_EQ(out.after.outputs()[0]->name, "y");
  test::expect_same_outputs(out.before, out.after);
}

TEST(FuseResidualAdd, NeverCreatesACycle) {
  // y = conv(x) + relu(conv(x)): the other operand depends on the conv itself.
  OnnxBuilder b;
  b.input("x", {1, 2, 4, 4}).initializer("w", test::random_tensor({2, 2, 1, 1}, 1)).output("y");
  b.node("Conv", {"x", "w"}, {"c"});
  b.node("Relu", {"c"}, {"r"});
  b.node("Add", {"c", "r"}, {"y"});
  EXPECT_FALSE(test::run_pass(b, "fuse-residual-add").changed);
}

TEST(FuseResidualAdd, BroadcastingAddIsNotAResidual) {
  OnnxBuilder b;
  b.input("x", {1, 2, 4, 4}).initializer("w", test::random_tensor({2, 2, 1, 1}, 1)).input("bias", {1, 2, 1, 1}).output("y");
  b.node("Conv", {"x", "w"}, {"c"});
  b.node("Add", {"c", "bias"}, {"y"});
  EXPECT_FALSE(test::run_pass(b, "fuse-residual-add").changed);
}

}  // namespace
}  // namespace wb
