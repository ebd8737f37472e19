#include "compiler/passes/trim_dilated_taps.h"

#include <gtest/gtest.h>

#include "tests/support/pass_testing.h"

namespace wb {
namespace {

using test::OnnxBuilder;
using test::set_attr;

// x[1, 4, h, w] -> a 3x3 Conv (8) with the given dilations, pads (top, left, bottom, right) and
// strides, and a bias.
OnnxBuilder dilated_conv(std::int64_t h, std::int64_t w, std::vector<std::int64_t> dilations,
                         std::vector<std::int64_t> pads, std::int64_t stride = 1) {
  OnnxBuilder b;
  b.input("x", {1, 4, h, w})
      .initializer("w", test::random_tensor({8, 4, 3, 3}, 21))
      .initializer("b", test::random_tensor({8}, 22))
      .output("y");
  auto& conv = b.node("Conv", {"x", "w", "b"}, {"y"}, "atrous");
  set_attr(conv, "dilations", dilations);
  set_attr(conv, "pads", pads);
  set_attr(conv, "strides", std::vector<std::int64_t>{stride, stride});
  return b;
}

std::vector<std::int64_t> ints(const Graph& g, const char* attr) { return g.find_node("atrous")->attrs.get_ints(attr); }

// ASPP's rate 12 on a 6 x 6 map: every output's window has only its centre inside the image.
TEST(TrimDilatedTaps, ARateWiderThanTheMapLeavesTheCentreAsA1x1Conv) {
  const auto out = test::run_pass(dilated_conv(6, 6, {12, 12}, {12, 12, 12, 12}), "trim-dilated-taps");
  ASSERT_TRUE(out.changed);
  EXPECT_EQ(ints(out.after, "kernel_shape"), (std::vector<std::int64_t>{1, 1}));
  EXPECT_EQ(ints(out.after, "pads"), (std::vector<std::int64_t>{0, 0, 0, 0}));
  EXPECT_EQ(ints(out.after, "dilations"), (std::vector<std::int64_t>{1, 1}));
  EXPECT_EQ(out.after.find_node("atrous")->constant_input(1)->shape(), (Shape{8, 4, 1, 1}));
  EXPECT_EQ(out.stats.counters().at("taps dropped"), 8);
  test::expect_same_outputs(out.before, out.after);
}

// Rows: pads 12 above, 0 below at rate 6 on 10 rows: the first tap row reads rows -12..-3 only;
// columns: rate 6 on 10 columns with pads 6: every tap reads some column, nothing to drop.
TEST(TrimDilatedTaps, OnlyTheDeadSideOfOneAxisGoesAndThePadsFollow) {
  const auto out = test::run_pass(dilated_conv(10, 10, {6, 6}, {12, 6, 0, 6}), "trim-dilated-taps");
  ASSERT_TRUE(out.changed);
  EXPECT_EQ(ints(out.after, "kernel_shape"), (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(ints(out.after, "pads"), (std::vector<std::int64_t>{6, 6, 0, 6}));
  EXPECT_EQ(ints(out.after, "dilations"), (std::vector<std::int64_t>{6, 6}));
  test::expect_same_outputs(out.before, out.after);
}

TEST(TrimDilatedTaps, StridedWindowsKeepTheirOutputs) {
  // Stride 2, rate 5 on 7 x 7 with pads 5: outputs 0..3 start at -5, -3, -1, 1.
  const auto out = test::run_pass(dilated_conv(7, 7, {5, 5}, {5, 5, 5, 5}, 2), "trim-dilated-taps");
  test::expect_same_outputs(out.before, out.after);
  EXPECT_EQ(out.after.find_node("atrous")->output(0)->shape, out.before.find_node("atrous")->output(0)->shape);
}

TEST(TrimDilatedTaps, ConvsWhoseTapsAllReadTheImageStayAsTheyAre) {
  EXPECT_FALSE(test::run_pass(dilated_conv(12, 12, {2, 2}, {2, 2, 2, 2}), "trim-dilated-taps").changed);
  EXPECT_FALSE(test::run_pass(dilated_conv(6, 6, {1, 1}, {1, 1, 1, 1}), "trim-dilated-taps").changed);
}

}  // namespace
}  // namespace wb
