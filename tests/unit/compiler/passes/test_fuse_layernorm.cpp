#include "compiler/passes/fuse_layernorm.h"

#include <gtest/gtest.h>

#include "tests/support/pass_testing.h"

namespace wb {
namespace {

using test::OnnxBuilder;
using test::set_attr;

Tensor scalar_f32(float v) { return Tensor::scalar<float>(v); }

// nn.LayerNorm(8) over [1, 4, 8] as torch exports it before opset 17.
OnnxBuilder decomposed_layernorm(bool affine, bool centred_read_elsewhere = false, std::int64_t first_mean_axis = -1) {
  OnnxBuilder b;
  b.input("x", {1, 4, 8}).initializer("two", scalar_f32(2)).initializer("eps", scalar_f32(1e-5f));
  b.initializer("gamma", test::positive_tensor({8}, 3)).initializer("beta", test::random_tensor({8}, 4));
  b.output("y");
  set_attr(b.node("ReduceMean", {"x"}, {"mean"}), "axes", std::vector<std::int64_t>{first_mean_axis});
  b.node("Sub", {"x", "mean"}, {"centred"});
  b.node("Pow", {"centred", "two"}, {"squared"});
  set_attr(b.node("ReduceMean", {"squared"}, {"variance"}), "axes", std::vector<std::int64_t>{-1});
  b.node("Add", {"variance", "eps"}, {"shifted"});
  b.node("Sqrt", {"shifted"}, {"deviation"});
  b.node("Div", {"centred", "deviation"}, {affine ? "normalized" : "y"}, "/block/norm/Div");
  if (affine) {
    b.node("Mul", {"normalized", "gamma"}, {"scaled"});
    b.node("Add", {"scaled", "beta"}, {"y"});
  }
  if (centred_read_elsewhere) {
    b.output("c");
    b.node("Relu", {"centred"}, {"c"});
  }
  return b;
}

TEST(FuseLayerNorm, TheDecompositionWithScaleAndBiasIsOneNode) {
  const auto out = test::run_pass(decomposed_layernorm(true), "fold-constants,fuse-layernorm");
  EXPECT_EQ(out.after.node_count(), 1u);
  EXPECT_EQ(test::count_op(out.after, OpKind::LayerNormalization), 1u);
  EXPECT_NE(out.after.find_node("/block/norm/LayerNormalization"), nullptr) << "named after the module";
  EXPECT_EQ(out.stats.counters().at("LayerNorms fused"), 1);
  test::expect_same_outputs(out.before, out.after);
}

TEST(FuseLayerNorm, WithoutAffineTheScaleIsOne) {
  const auto out = test::run_pass(decomposed_layernorm(false), "fuse-layernorm");
  EXPECT_EQ(out.after.node_count(), 1u);
  test::expect_same_outputs(out.before, out.after);
}

TEST(FuseLayerNorm, ACentredValueReadElsewhereIsLeftAlone) {
  const auto out = test::run_pass(decomposed_layernorm(true, true), "fuse-layernorm");
  EXPECT_FALSE(out.changed);
  EXPECT_EQ(test::count_op(out.after, OpKind::LayerNormalization), 0u);
}

TEST(FuseLayerNorm, AMeanOverALeadingAxisIsNotALayerNorm) {
  // The first mean over the tokens (axis 1): centring by another statistic.
  const auto out = test::run_pass(decomposed_layernorm(false, false, 1), "fuse-layernorm");
  EXPECT_FALSE(out.changed);
}


// How an RMSNorm's x is divided by its root mean square, as exporters write it.
enum class RmsDivide {
  Div,             // x / sqrt(ms + eps)
  MulReciprocal,   // x * Reciprocal(sqrt(ms + eps))
  MulOneOver,      // x * (1 / sqrt(ms + eps)): torch.rsqrt as torch 1.13 exports it
  OneOverTimesX,   // (1 / sqrt(ms + eps)) * x, the Mul's operands the other way round
};

// Llama's RMSNorm over [1, 4, 8]: x * rsqrt(mean(x^2, -1) + eps) * weight.
OnnxBuilder decomposed_rmsnorm(RmsDivide divide, bool square_as_mul = false, bool weight = true,
                               std::int64_t mean_axis = -1) {
  OnnxBuilder b;
  b.input("x", {1, 4, 8}).initializer("two", scalar_f32(2)).initializer("eps", scalar_f32(1e-6f));
  b.initializer("one", scalar_f32(1)).initializer("weight", test::positive_tensor({8}, 5));
  b.output("y");
  if (square_as_mul) {
    b.node("Mul", {"x", "x"}, {"squared"});
  } else {
    b.node("Pow", {"x", "two"}, {"squared"});
  }
  set_attr(b.node("ReduceMean", {"squared"}, {"mean_square"}), "axes", std::vector<std::int64_t>{mean_axis});
  b.node("Add", {"eps", "mean_square"}, {"shifted"});  // epsilon first: either operand counts
  b.node("Sqrt", {"shifted"}, {"root"});
  const std::string normalized = weight ? "normalized" : "y";
  switch (divide) {
    case RmsDivide::Div: b.node("Div", {"x", "root"}, {normalized}, "/norm/Div"); break;
    case RmsDivide::MulReciprocal:
      b.node("Reciprocal", {"root"}, {"inverse"});
      b.node("Mul", {"x", "inverse"}, {normalized}, "/norm/Mul");
      break;
    case RmsDivide::MulOneOver:
      b.node("Div", {"one", "root"}, {"inverse"});
      b.node("Mul", {"x", "inverse"}, {normalized}, "/norm/Mul");
      break;
    case RmsDivide::OneOverTimesX:
      b.node("Div", {"one", "root"}, {"inverse"});
      b.node("Mul", {"inverse", "x"}, {normalized}, "/norm/Mul");
      break;
  }
  if (weight) b.node("Mul", {"weight", "normalized"}, {"y"});
  return b;
}

TEST(FuseRmsNorm, EveryExportedFormIsOneNodeThatComputesTheSame) {
  for (const RmsDivide divide : {RmsDivide::Div, RmsDivide::MulReciprocal, RmsDivide::MulOneOver, RmsDivide::OneOverTimesX}) {
    for (const bool square_as_mul : {false, true}) {
      SCOPED_TRACE(::testing::Message() << "divide form " << static_cast<int>(divide) << ", square as Mul " << square_as_mul);
      const auto out = test::run_pass(decomposed_rmsnorm(divide, square_as_mul), "fuse-rmsnorm");
      EXPECT_EQ(out.after.node_count(), 1u);
      EXPECT_EQ(test::count_op(out.after, OpKind::RMSNormalization), 1u);
      EXPECT_EQ(out.stats.counters().at("RMSNorms fused"), 1);
      test::expect_same_outputs(out.before, out.after);
    }
  }
}

TEST(FuseRmsNorm, IsNamedAfterTheModuleAndWithoutWeightScalesByOne) {
  const auto out = test::run_pass(decomposed_rmsnorm(RmsDivide::Div, false, false), "fuse-rmsnorm");
  ASSERT_EQ(out.after.node_count(), 1u);
  EXPECT_NE(out.after.find_node("/norm/RMSNormalization"), nullptr);
  test::expect_same_outputs(out.before, out.after);
}

TEST(FuseRmsNorm, AMeanSquareOverALeadingAxisIsNotAnRmsNorm) {
  const auto out = test::run_pass(decomposed_rmsnorm(RmsDivide::Div, false, true, 1), "fuse-rmsnorm");
  EXPECT_FALSE(out.changed);
  EXPECT_EQ(test::count_op(out.after, OpKind::RMSNormalization), 0u);
}

TEST(FuseRmsNorm, ALayerNormFusedFirstStaysALayerNorm) {
  // A LayerNorm is the RMSNorm of x - mean(x): fuse-rmsnorm alone would write that (the Sub
  // and an RMSNormalization, the same values); after fuse-layernorm, as the pipeline runs them,
  // nothing is left for it.
  const auto alone = test::run_pass(decomposed_layernorm(true), "fuse-rmsnorm");
  EXPECT_EQ(test::count_op(alone.after, OpKind::RMSNormalization), 1u);
  test::expect_same_outputs(alone.before, alone.after);
  const auto out = test::run_pass(decomposed_layernorm(true), "fuse-layernorm,fuse-rmsnorm");
  EXPECT_EQ(test::count_op(out.after, OpKind::LayerNormalization), 1u);
  EXPECT_EQ(test::count_op(out.after, OpKind::RMSNormalization), 0u);
}

}  // namespace
}  // namespace wb
