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

}  // namespace
}  // namespace wb
