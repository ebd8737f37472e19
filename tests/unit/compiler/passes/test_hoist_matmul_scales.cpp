#include "compiler/passes/hoist_matmul_scales.h"

#include <gtest/gtest.h>

#include "tests/support/pass_testing.h"

namespace wb {
namespace {

using test::OnnxBuilder;

// Attention's scores as torch >= 2.1 exports scaled_dot_product_attention: q and the keys
// (already transposed) each scaled before their product; `k_divided` writes the keys' factor as
// a Div by its inverse; `k_read_elsewhere` makes the scaled keys a graph output too.
OnnxBuilder scaled_product(bool scale_q, bool k_divided, bool k_read_elsewhere) {
  OnnxBuilder b;
  b.input("q", {1, 2, 4, 8}).input("kt", {1, 2, 8, 5});
  b.initializer("cq", Tensor::scalar<float>(0.5f)).initializer("ck", Tensor::scalar<float>(k_divided ? 2.0f : 0.5f));
  b.output("scores");
  if (k_read_elsewhere) b.output("kt_scaled");
  if (scale_q) b.node("Mul", {"q", "cq"}, {"q_scaled"});
  b.node(k_divided ? "Div" : "Mul", {"kt", "ck"}, {"kt_scaled"});
  b.node("MatMul", {scale_q ? "q_scaled" : "q", "kt_scaled"}, {"scores"}, "/attn/MatMul");
  return b;
}

TEST(HoistMatMulScales, BothOperandsScalesBecomeOneFactorAfterTheProduct) {
  for (const bool k_divided : {false, true}) {
    const auto out = test::run_pass(scaled_product(true, k_divided, false), "hoist-matmul-scales");
    EXPECT_EQ(out.stats.counters().at("MatMul operand scales moved after the product"), 1) << k_divided;
    ASSERT_EQ(out.after.node_count(), 2u);  // MatMul, Mul
    const Node* matmul = out.after.find_node("/attn/MatMul");
    ASSERT_NE(matmul, nullptr);
    EXPECT_EQ(matmul->input(0)->name, "q");
    EXPECT_EQ(matmul->input(1)->name, "kt");
    const Node* scale = out.after.users(matmul->output(0)).at(0);
    EXPECT_EQ(scale->op, OpKind::Mul);
    EXPECT_FLOAT_EQ(scale->constant_input(1)->as_double(0), 0.25);
    EXPECT_EQ(scale->output(0)->name, "scores") << "the graph output keeps its name";
    test::expect_same_outputs(out.before, out.after);
  }
}

TEST(HoistMatMulScales, OneScaledOperandOrAScaleReadElsewhereIsLeftAlone) {
  for (const auto& [scale_q, read_elsewhere] : {std::pair{false, false}, std::pair{true, true}}) {
    const auto out = test::run_pass(scaled_product(scale_q, false, read_elsewhere), "hoist-matmul-scales");
    EXPECT_EQ(out.stats.counters().count("MatMul operand scales moved after the product"), 0u) << scale_q;
    EXPECT_EQ(out.after.node_count(), out.before.node_count());
  }
}

}  // namespace
}  // namespace wb
