#include "compiler/passes/fuse_gelu.h"

#include <gtest/gtest.h>

#include "tests/support/pass_testing.h"

namespace wb {
namespace {

using test::OnnxBuilder;

// nn.GELU() as torch exports it: x / sqrt(2) -> Erf -> + 1 -> * x -> * 0.5, or with the two
// Muls the other way round, after a MatMul as in a transformer's MLP.
OnnxBuilder exported_gelu(float divisor, bool half_first) {
  OnnxBuilder b;
  b.input("x", {1, 3, 4}).initializer("w", test::random_tensor({4, 4}, 5));
  b.initializer("root2", Tensor::scalar<float>(divisor)).initializer("one", Tensor::scalar<float>(1));
  b.initializer("half", Tensor::scalar<float>(0.5f)).output("y");
  b.node("MatMul", {"x", "w"}, {"h"});
  b.node("Div", {"h", "root2"}, {"scaled"});
  b.node("Erf", {"scaled"}, {"e"}, "/mlp/act/Erf");
  b.node("Add", {"e", "one"}, {"e1"});
  if (half_first) {
    b.node("Mul", {"e1", "half"}, {"halved"});
    b.node("Mul", {"h", "halved"}, {"y"});
  } else {
    b.node("Mul", {"h", "e1"}, {"product"});
    b.node("Mul", {"product", "half"}, {"y"});
  }
  return b;
}

TEST(FuseGelu, TorchsExportIsOneGeluInEitherMulOrder) {
  for (const bool half_first : {false, true}) {
    const auto out = test::run_pass(exported_gelu(1.4142135f, half_first), "fuse-gelu");
    EXPECT_EQ(out.after.node_count(), 2u) << half_first;  // MatMul, Gelu
    EXPECT_NE(out.after.find_node("/mlp/act/Gelu"), nullptr);
    EXPECT_EQ(out.stats.counters().at("GELUs fused"), 1);
    test::expect_same_outputs(out.before, out.after);
  }
}

TEST(FuseGelu, AnErfOfAnotherScaleIsLeftAlone) {
  const auto out = test::run_pass(exported_gelu(2.0f, false), "fuse-gelu");
  EXPECT_FALSE(out.changed);
  EXPECT_EQ(test::count_op(out.after, OpKind::Erf), 1u);
}

}  // namespace
}  // namespace wb
