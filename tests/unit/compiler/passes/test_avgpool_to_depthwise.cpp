#include "compiler/passes/avgpool_to_depthwise.h"

#include <gtest/gtest.h>

#include "tests/support/pass_testing.h"

namespace wb {
namespace {

using test::OnnxBuilder;
using test::set_attr;

TEST(AvgPoolToDepthwise, GlobalAndWindowedPools) {
  OnnxBuilder b;
  b.input("x", {1, 3, 6, 6}).output("y").output("g");
  auto& pool = b.node("AveragePool", {"x"}, {"y"});
  set_attr(pool, "kernel_shape", std::vector<std::int64_t>{2, 2});
  set_attr(pool, "strides", std::vector<std::int64_t>{2, 2});
  b.node("GlobalAveragePool", {"x"}, {"g"});
  const auto out = test::run_pass(b, "avgpool-to-depthwise");
  EXPECT_EQ(test::count_op(out.after, OpKind::Conv), 2u);
  EXPECT_EQ(out.stats.counters().at("global average pools as depthwise convs"), 1);
  test::expect_same_outputs(out.before, out.after);
}

TEST(AvgPoolToDepthwise, PartialWindowsStayPools) {
  // count_include_pad=0 with padding: the border windows divide by fewer elements.
  OnnxBuilder b;
  b.input("x", {1, 3, 5, 5}).output("y");
  auto& pool = b.node("AveragePool", {"x"}, {"y"});
  set_attr(pool, "kernel_shape", std::vector<std::int64_t>{3, 3});
  set_attr(pool, "pads", std::vector<std::int64_t>{1, 1, 1, 1});
  EXPECT_FALSE(test::run_pass(b, "avgpool-to-depthwise").changed);
  // ...but with count_include_pad=1 every window divides by 9.
  OnnxBuilder c;
  c.input("x", {1, 3, 5, 5}).output("y");
  auto& counted = c.node("AveragePool", {"x"}, {"y"});
  set_attr(counted, "kernel_shape", std::vector<std::int64_t>{3, 3});
  set_attr(counted, "pads", std::vector<std::int64_t>{1, 1, 1, 1});
  set_attr(counted, "count_include_pad", std::int64_t{1});
  const auto out = test::run_pass(c, "avgpool-to-depthwise");
  EXPECT_TRUE(out.changed);
  test::expect_same_outputs(out.before, out.after);
}

TEST(AvgPoolToDepthwise, AWindowLargerThanTheInputStaysAPool) {
  // Padding counted in the divisor lets a window be far larger than the input: as a depthwise
  // conv its weights would take 8 x 40001 x 40001 floats (51 GB) for a 2x2 input.
  OnnxBuilder b;
  b.input("x", {1, 8, 2, 2}).output("y");
  auto& pool = b.node("AveragePool", {"x"}, {"y"});
  set_attr(pool, "kernel_shape", std::vector<std::int64_t>{40001, 40001});
  set_attr(pool, "pads", std::vector<std::int64_t>{20000, 20000, 20000, 20000});
  set_attr(pool, "count_include_pad", std::int64_t{1});
  const auto out = test::run_pass(b, "avgpool-to-depthwise");
  EXPECT_FALSE(out.changed);
  EXPECT_EQ(test::count_op(out.after, OpKind::AveragePool), 1u);
  // A window of as many elements as the input has pixels is still converted (7x7 over 7x7).
  OnnxBuilder c;
  c.input("x", {1, 8, 7, 7}).output("y");
  set_attr(c.node("AveragePool", {"x"}, {"y"}), "kernel_shape", std::vector<std::int64_t>{7, 7});
  EXPECT_TRUE(test::run_pass(c, "avgpool-to-depthwise").changed);
}

}  // namespace
}  // namespace wb
