#include "compiler/passes/fuse_activation.h"

#include <gtest/gtest.h>

#include "compiler/ir/fusion.h"
#include "tests/support/pass_testing.h"

namespace wb {
namespace {

using test::OnnxBuilder;

TEST(FuseActivation, ReluAndRelu6) {
  OnnxBuilder b;
  b.input("x", {1, 2, 4, 4})
      .initializer("w", test::random_tensor({3, 2, 1, 1}, 1))
      .initializer("fc", test::random_tensor({48, 5}, 2))
      .initializer("lo", Tensor::scalar<float>(0.0f))
      .initializer("hi", Tensor::scalar<float>(0.25f))
      .output("y");
  b.node("Conv", {"x", "w"}, {"c"}, "conv");
  b.node("Clip", {"c", "lo", "hi"}, {"r6"});
  b.node("Flatten", {"r6"}, {"f"});
  b.node("Gemm", {"f", "fc"}, {"g"}, "fc");
  b.node("Relu", {"g"}, {"y"});
  const auto out = test::run_pass(b, "fuse-activation");
  EXPECT_EQ(out.after.node_count(), 3u);
  const auto conv_act = FusedActivation::of(*out.after.find_node("conv"));
  EXPECT_EQ(conv_act.kind, FusedActivation::Kind::Clip);
  EXPECT_FLOAT_EQ(conv_act.max, 0.25f);
  EXPECT_EQ(FusedActivation::of(*out.after.find_node("fc")).kind, FusedActivation::Kind::Relu);
  EXPECT_EQ(out.after.outputs()[0]->name, "y");
  test::expect_same_outputs(out.before, out.after);
}

TEST(FuseActivation, AfterAResidualTheReluStillFuses) {
  OnnxBuilder b;
  b.input("x", {1, 2, 4, 4}).initializer("w", test::random_tensor({2, 2, 1, 1}, 1)).output("y");
  b.node("Conv", {"x", "w"}, {"c"}, "conv");
  b.node("Add", {"c", "x"}, {"s"});
  b.node("Relu", {"s"}, {"y"});
  const auto out = test::run_pass(b, "fuse-residual-add,fuse-activation");
  EXPECT_EQ(out.after.node_count(), 1u);
  test::expect_same_outputs(out.before, out.after);
}

TEST(FuseActivation, ConvWithTwoReadersKeepsItsRelu) {
  OnnxBuilder b;
  b.input("x", {1, 2, 4, 4}).initializer("w", test::random_tensor({2, 2, 1, 1}, 1)).output("y").output("c");
  b.node("Conv", {"x", "w"}, {"c"});
  b.node("Relu", {"c"}, {"y"});
  EXPECT_FALSE(test::run_pass(b, "fuse-activation").changed);
}

}  // namespace
}  // namespace wb
