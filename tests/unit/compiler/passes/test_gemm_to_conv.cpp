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
