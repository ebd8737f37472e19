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

}  // namespace
}  // namespace wb
