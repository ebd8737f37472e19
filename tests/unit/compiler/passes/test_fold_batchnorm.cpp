#include "compiler/passes/fold_batchnorm.h"

#include <gtest/gtest.h>

#include "tests/support/pass_testing.h"

namespace wb {
namespace {

using test::OnnxBuilder;
using test::set_attr;


TEST(FoldBatchNorm, ConvWithoutBiasGetsOne) {
  OnnxBuilder b;
  b.input("x", {1, 3, 6, 6}).initializer("w", test::random_tensor({4, 3, 3, 3}, 1)).output("y");
  b.node("Conv", {"x", "w"}, {"c"});
  test::add_batchnorm(b, "c", "y", 4);
  const auto out = test::run_pass(b, "fold-batchnorm");
  EXPECT_EQ(test::count_op(out.after, OpKind::BatchNormalization), 0u);
  EXPECT_EQ(out.after.outputs()[0]->producer->op, OpKind::Conv);
  EXPECT_NE(out.after.outputs()[0]->producer->input(2), nullptr);
  EXPECT_EQ(out.stats.counters().at("batchnorms folded"), 1);
  EXPECT_EQ(out.after.outputs()[0]->producer->attrs.get_int(kFoldedBatchNormAttr, 0), 1);
  test::expect_same_outputs(out.before, out.after);
  // The original graph's constants are untouched (they are shared with clones).
  EXPECT_EQ(*out.before.find_value("w")->constant, test::random_tensor({4, 3, 3, 3}, 1));
}

TEST(FoldBatchNorm, GemmInBothWeightLayouts) {
  for (std::int64_t trans_b : {0, 1}) {
    OnnxBuilder b;
    b.input("x", {2, 5}).output("y");
    b.initializer("w", test::random_tensor(trans_b ? Shape{3, 5} : Shape{5, 3}, 1));
    b.initializer("bias", test::random_tensor({3}, 2));
    set_attr(b.node("Gemm", {"x", "w", "bias"}, {"g"}), "transB", trans_b);
    test::add_batchnorm(b, "g", "y", 3);
    const auto out = test::run_pass(b, "fold-batchnorm");
    EXPECT_TRUE(out.changed) << trans_b;
    test::expect_same_outputs(out.before, out.after);
  }
}

TEST(FoldBatchNorm, PerChannelMulAndAddFold) {
  OnnxBuilder b;
  b.input("x", {1, 3, 4, 4})
      .initializer("w", test::random_tensor({2, 3, 1, 1}, 1))
      .initializer("s", test::random_tensor({2, 1, 1}, 2))
      .initializer("t", test::random_tensor({1, 2, 1, 1}, 3))
      .output("y");
  b.node("Conv", {"x", "w"}, {"c"});
  b.node("Mul", {"c", "s"}, {"m"});
  b.node("Add", {"t", "m"}, {"y"});
  const auto out = test::run_pass(b, "fold-batchnorm");
  EXPECT_EQ(out.after.node_count(), 1u);
  test::expect_same_outputs(out.before, out.after);
}

TEST(FoldBatchNorm, LeavesAConvWithSeveralReaders) {
  OnnxBuilder b;
  b.input("x", {1, 3, 6, 6}).initializer("w", test::random_tensor({4, 3, 3, 3}, 1)).output("y").output("c");
  b.node("Conv", {"x", "w"}, {"c"});
  test::add_batchnorm(b, "c", "y", 4);
  EXPECT_FALSE(test::run_pass(b, "fold-batchnorm").changed);
}

}  // namespace
}  // namespace wb
