#include "compiler/passes/gemm_to_conv.h"

#include <gtest/gtest.h>

#include "compiler/ir/fusion.h"
#include "tests/support/pass_testing.h"

namespace wb {
namespace {

using test::OnnxBuilder;
using test::set_attr;

TEST(GemmToConv, ClassifierAfterGlobalPool) {
  for (std::int64_t trans_b : {0, 1}) {
    OnnxBuilder b;
    b.input("x", {1, 8, 1, 1})
        .initializer("w", test::random_tensor(trans_b ? Shape{5, 8} : Shape{8, 5}, 1))
        .initializer("bias", test::random_tensor({5}, 2))
        .output("y");
    b.node("Flatten", {"x"}, {"f"});
    set_attr(b.node("Gemm", {"f", "w", "bias"}, {"y"}, "fc"), "transB", trans_b);
    const auto out = test::run_pass(b, "gemm-to-conv");
    EXPECT_EQ(test::count_op(out.after, OpKind::Gemm), 0u);
    EXPECT_EQ(test::count_op(out.after, OpKind::Conv), 1u);
    EXPECT_EQ(out.after.outputs()[0]->shape, (Shape{1, 5}));
    test::expect_same_outputs(out.before, out.after);
  }
}

TEST(GemmToConv, FlattenOfAFeatureMapBecomesAFullKernel) {
  OnnxBuilder b;
  b.input("x", {2, 3, 2, 2}).initializer("w", test::random_tensor({12, 4}, 1)).output("y");
  b.node("Flatten", {"x"}, {"f"});
  b.node("MatMul", {"f", "w"}, {"y"});
  const auto out = test::run_pass(b, "gemm-to-conv");
  ASSERT_EQ(test::count_op(out.after, OpKind::Conv), 1u);
  EXPECT_EQ(out.after.find_value("y")->producer->op, OpKind::Flatten);
  test::expect_same_outputs(out.before, out.after);
}

TEST(GemmToConv, AnFcOnAComputedVectorBecomesAPointwiseConv) {
  // MobileNetV3's classifier: Gemm -> activation -> Gemm, the second reading a [N, K] tensor.
  for (std::int64_t trans_b : {0, 1}) {
    OnnxBuilder b;
    b.input("x", {2, 6}).output("y");
    b.initializer("w", test::random_tensor(trans_b ? Shape{4, 6} : Shape{6, 4}, 1));
    b.initializer("bias", test::random_tensor({4}, 2));
    b.node("Sigmoid", {"x"}, {"s"});
    set_attr(b.node("Gemm", {"s", "w", "bias"}, {"y"}, "fc"), "transB", trans_b);
    const auto out = test::run_pass(b, "gemm-to-conv");
    EXPECT_EQ(test::count_op(out.after, OpKind::Gemm), 0u) << trans_b;
    ASSERT_EQ(test::count_op(out.after, OpKind::Conv), 1u);
    EXPECT_EQ(out.after.find_node("fc")->input(0)->shape, (Shape{2, 6, 1, 1}));
    EXPECT_EQ(out.after.find_value("y")->producer->op, OpKind::Flatten);
    EXPECT_EQ(out.after.find_value("y")->shape, (Shape{2, 4}));
    test::expect_same_outputs(out.before, out.after);
  }
  // transA has no conv form: left alone.
  OnnxBuilder c;
  c.input("x", {6, 2}).initializer("w", test::random_tensor({6, 4}, 1)).output("y");
  set_attr(c.node("Gemm", {"x", "w"}, {"y"}), "transA", std::int64_t{1});
  EXPECT_FALSE(test::run_pass(c, "gemm-to-conv").changed);
}

TEST(GemmToConv, FusedActivationMovesToTheConv) {
  OnnxBuilder b;
  b.input("x", {1, 4, 1, 1}).initializer("w", test::random_tensor({3, 4}, 1)).output("y");
  b.node("Flatten", {"x"}, {"f"});
  set_attr(b.node("Gemm", {"f", "w"}, {"g"}, "fc"), "transB", std::int64_t{1});
  b.node("Relu", {"g"}, {"y"});
  const auto out = test::run_pass(b, "fuse-activation,gemm-to-conv");
  EXPECT_EQ(FusedActivation::of(*out.after.find_node("fc")).kind, FusedActivation::Kind::Relu);
  test::expect_same_outputs(out.before, out.after);
}

}  // namespace
}  // namespace wb
