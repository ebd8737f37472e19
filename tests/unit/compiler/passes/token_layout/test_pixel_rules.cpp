// Data moves of whole pixels (compiler/passes/token_layout/pixel_rules.cpp): Swin's roll, window
// partition and reverse kept as tables of pixels and written as one Gather when an op reads them.
#include "compiler/passes/tokens_as_image.h"

#include <gtest/gtest.h>

#include "compiler/ir/printer.h"
#include "tests/support/pass_testing.h"
#include "tests/support/swin_models.h"
#include "tests/unit/compiler/passes/token_layout/token_layout_testing.h"

namespace wb {
namespace {

using test::ints_tensor;
using test::OnnxBuilder;
using test::set_attr;
using Ints = std::vector<std::int64_t>;

std::size_t count_pixel_gathers(const Graph& g) {
  std::size_t n = 0;
  for (const Node* node : g.nodes()) n += node->op == OpKind::Gather && node->attrs.get_int("axis", 0) == 3;
  return n;
}

// tests/support/swin_models: a roll by (-1, -1) as Slices and Concats along H and W, the
// window partition into 2x2 windows [4, 4, C], a Linear on the windows (and the way back).
TEST(TokenPixelRules, ARollAndAWindowPartitionAreOneGatherOfPixels) {
  const auto out = test::run_pass(test::shifted_window_block(false), "tokens-as-image");
  ASSERT_TRUE(out.changed);
  EXPECT_EQ(out.stats.counters().at("channels-last stages computed on images"), 1);
  EXPECT_EQ(out.stats.counters().at("pixel moves as one gather"), 1);
  EXPECT_EQ(count_pixel_gathers(out.after), 1u);
  EXPECT_EQ(test::count_op(out.after, OpKind::Slice), 0u);
  EXPECT_EQ(test::count_op(out.after, OpKind::Concat), 0u);
  EXPECT_EQ(test::count_op(out.after, OpKind::Transpose), 3u);  // the LayerNorm's NHWC view, the output's layout
  EXPECT_EQ(test::count_op(out.after, OpKind::MatMul), 0u);  // the Linear is a 1x1 Conv on the windows
  test::expect_same_outputs(out.before, out.after);
}

TEST(TokenPixelRules, AWindowReverseAndRollBackEndInTheStagesImage) {
  const auto out = test::run_pass(test::shifted_window_block(true), "tokens-as-image");
  ASSERT_TRUE(out.changed);
  // Into the windows, and back into the stage's pixels: two gathers; the residual Add and the
  // stage's end (Transpose(0, 3, 1, 2)) are the image itself, only the LayerNorm's view transposes.
  EXPECT_EQ(count_pixel_gathers(out.after), 2u) << to_string(out.after);
  EXPECT_EQ(test::count_op(out.after, OpKind::Transpose), 2u) << to_string(out.after);
  EXPECT_EQ(out.stats.counters().count("token values read back in their layout"), 0u);
  test::expect_same_outputs(out.before, out.after);
}

TEST(TokenPixelRules, APaddedPixelIsNoMovedPixel) {
  // The padded pixels hold no pixel of the image: the Pad stays, read from the stage in its layout.
  OnnxBuilder b(17);
  b.input("x", {1, 2, 3, 3}).output("y");
  b.initializer("pads", ints_tensor({0, 0, 0, 0, 0, 1, 1, 0}));
  b.initializer("w", test::random_tensor({2, 2}, 5));
  b.initializer("gamma", test::random_tensor({2}, 2)).initializer("beta", test::random_tensor({2}, 3));
  set_attr(b.node("Transpose", {"x"}, {"nhwc"}), "perm", Ints{0, 2, 3, 1});
  set_attr(b.node("LayerNormalization", {"nhwc", "gamma", "beta"}, {"normed"}), "axis", std::int64_t{-1});
  b.node("Relu", {"normed"}, {"r"});
  b.node("Pad", {"r", "pads"}, {"padded"});  // [1, 4, 4, 2]
  b.node("MatMul", {"padded", "w"}, {"y"});
  const auto out = test::run_pass(b, "tokens-as-image");
  ASSERT_TRUE(out.changed);
  EXPECT_EQ(test::count_op(out.after, OpKind::Pad), 1u);
  EXPECT_EQ(count_pixel_gathers(out.after), 0u);
  test::expect_same_outputs(out.before, out.after);
}

}  // namespace
}  // namespace wb
