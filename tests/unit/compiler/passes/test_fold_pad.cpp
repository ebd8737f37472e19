#include "compiler/passes/fold_pad.h"

#include <gtest/gtest.h>

#include "tests/support/pass_testing.h"

namespace wb {
namespace {

using test::OnnxBuilder;
using test::set_attr;

OnnxBuilder pad_then(const std::string& op, float value, bool relu_first) {
  OnnxBuilder b;
  b.input("x", {1, 2, 5, 5})
      .initializer("pads", Tensor::from_vector<std::int64_t>({8}, {0, 0, 0, 0, 0, 0, 1, 1}))
      .initializer("value", Tensor::scalar<float>(value))
      .initializer("w", test::random_tensor({3, 2, 3, 3}, 1))
      .output("y");
  b.node(relu_first ? "Relu" : "Identity", {"x"}, {"src"});
  b.node("Pad", {"src", "pads", "value"}, {"p"});
  if (op == "Conv") {
    set_attr(b.node("Conv", {"p", "w"}, {"y"}), "strides", std::vector<std::int64_t>{2, 2});
  } else {
    auto& pool = b.node(op, {"p"}, {"y"});
    set_attr(pool, "kernel_shape", std::vector<std::int64_t>{2, 2});
    set_attr(pool, "strides", std::vector<std::int64_t>{2, 2});
  }
  return b;
}

TEST(FoldPad, AsymmetricPadGoesIntoTheConv) {
  const auto out = test::run_pass(pad_then("Conv", 0.0f, false), "fold-pad");
  EXPECT_EQ(test::count_op(out.after, OpKind::Pad), 0u);
  EXPECT_EQ(out.after.find_node("Conv_2")->attrs.get_ints("pads"), (std::vector<std::int64_t>{0, 0, 1, 1}));
  test::expect_same_outputs(out.before, out.after);
}

TEST(FoldPad, AveragePoolCountsThePadding) {
  const auto out = test::run_pass(pad_then("AveragePool", 0.0f, false), "fold-pad");
  EXPECT_EQ(test::count_op(out.after, OpKind::Pad), 0u);
  test::expect_same_outputs(out.before, out.after);
}

TEST(FoldPad, MaxPoolOnlyWhenThePaddingCannotWin) {
  EXPECT_FALSE(test::run_pass(pad_then("MaxPool", 0.0f, false), "fold-pad").changed);
  const auto relu = test::run_pass(pad_then("MaxPool", 0.0f, true), "fold-pad");
  EXPECT_TRUE(relu.changed);
  test::expect_same_outputs(relu.before, relu.after);
}

TEST(FoldPad, NonZeroValueStaysForConv) {
  EXPECT_FALSE(test::run_pass(pad_then("Conv", 1.0f, false), "fold-pad").changed);
}

TEST(FoldPad, AZeroPadIsRemoved) {
  OnnxBuilder b;
  b.input("x", {1, 2, 4, 4}).initializer("pads", Tensor::from_vector<std::int64_t>({8}, {0, 0, 0, 0, 0, 0, 0, 0}));
  b.output("y");
  b.node("Pad", {"x", "pads"}, {"p"});
  b.node("Relu", {"p"}, {"y"});
  const auto out = test::run_pass(b, "fold-pad");
  EXPECT_EQ(test::count_op(out.after, OpKind::Pad), 0u);
  EXPECT_EQ(out.stats.counters().at("zero pads removed"), 1);
}

// torch exports avg_pool2d(padding=1) as Pad + AveragePool with explicit zero pads and
// count_include_pad unset (Inception v3, DenseNet).
OnnxBuilder pad_then_average_pool(std::int64_t ceil_mode, std::int64_t size, std::int64_t kernel = 3) {
  OnnxBuilder b;
  b.input("x", {1, 2, size, size})
      .initializer("pads", Tensor::from_vector<std::int64_t>({8}, {0, 0, 1, 1, 0, 0, 1, 1}))
      .output("y");
  b.node("Pad", {"x", "pads"}, {"p"});
  auto& pool = b.node("AveragePool", {"p"}, {"y"}, "pool");
  set_attr(pool, "kernel_shape", std::vector<std::int64_t>{kernel, kernel});
  set_attr(pool, "strides", std::vector<std::int64_t>{2, 2});
  set_attr(pool, "pads", std::vector<std::int64_t>{0, 0, 0, 0});
  set_attr(pool, "ceil_mode", ceil_mode);
  return b;
}

TEST(FoldPad, AveragePoolWithExplicitZeroPadsTakesThePadding) {
  const auto out = test::run_pass(pad_then_average_pool(0, 6), "fold-pad");
  EXPECT_EQ(test::count_op(out.after, OpKind::Pad), 0u);
  EXPECT_EQ(out.after.find_node("pool")->attrs.get_int("count_include_pad", 0), 1);
  test::expect_same_outputs(out.before, out.after);
}

TEST(FoldPad, CeilModeFoldsOnlyWhenTheOutputKeepsItsShape) {
  // 5 + 2 padded, k2 s2, ceil: a last window may start in the Pad's trailing zero (at 6:
  // 4 outputs), but not in the pool's own trailing padding (3 outputs): kept apart.
  const auto kept = test::run_pass(pad_then_average_pool(1, 5, 2), "fold-pad");
  EXPECT_EQ(test::count_op(kept.after, OpKind::Pad), 1u);
  EXPECT_EQ(kept.after.outputs()[0]->shape, (Shape{1, 2, 4, 4}));
  // 6 + 2 padded, k3 s2: the last window starts at 6 inside the input either way, so it
  // folds and computes the same.
  const auto folded = test::run_pass(pad_then_average_pool(1, 6), "fold-pad");
  EXPECT_EQ(test::count_op(folded.after, OpKind::Pad), 0u);
  test::expect_same_outputs(folded.before, folded.after);
}

}  // namespace
}  // namespace wb
