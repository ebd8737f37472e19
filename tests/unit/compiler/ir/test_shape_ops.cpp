#include "compiler/ir/shape_ops.h"

#include <gtest/gtest.h>

#include <limits>

#include "support/error.h"

namespace wb {
namespace {

constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();

TEST(ShapeOps, ShapeRangeCountsNegativesFromTheEndAndClamps) {
  Attributes a;
  EXPECT_EQ(shape_op_range(a, 4), (std::pair<std::int64_t, std::int64_t>{0, 4}));
  a.set("start", std::int64_t{-2});
  EXPECT_EQ(shape_op_range(a, 4), (std::pair<std::int64_t, std::int64_t>{2, 4}));
  a.set("start", std::int64_t{-9});
  a.set("end", std::int64_t{9});
  EXPECT_EQ(shape_op_range(a, 4), (std::pair<std::int64_t, std::int64_t>{0, 4}));
  a.set("start", std::int64_t{3});
  a.set("end", std::int64_t{1});
  const auto [start, end] = shape_op_range(a, 4);
  EXPECT_EQ(end - start, 0);  // an empty range, not a negative one
}

TEST(ShapeOps, SliceToTheEndWithExportersSentinels) {
  // torch writes INT64_MAX for "to the end"; adding the size must not overflow.
  const auto r = slice_ranges({1, 116, 28, 28}, {58}, {kMax}, std::vector<std::int64_t>{1}, std::nullopt);
  EXPECT_EQ(r[1].start, 58);
  EXPECT_EQ(r[1].count, 58);
  EXPECT_EQ(r[0].count, 1);
  EXPECT_EQ(r[2].count, 28);  // axes not named keep the whole axis
}

TEST(ShapeOps, SliceWithNegativeStepReversesDownToTheFirstElement) {
  const auto r = slice_ranges({5}, {-1}, {kMin}, std::nullopt, std::vector<std::int64_t>{-1});
  EXPECT_EQ(r[0].start, 4);
  EXPECT_EQ(r[0].step, -1);
  EXPECT_EQ(r[0].count, 5);
  const auto stride2 = slice_ranges({10}, {1}, {8}, std::nullopt, std::vector<std::int64_t>{3});
  EXPECT_EQ(stride2[0].count, 3);  // 1, 4, 7
  const auto empty = slice_ranges({10}, {7}, {2}, std::nullopt, std::nullopt);
  EXPECT_EQ(empty[0].count, 0);
}

TEST(ShapeOps, SliceRejectsStepZeroAndAxesNamedTwice) {
  EXPECT_THROW(slice_ranges({4}, {0}, {4}, std::nullopt, std::vector<std::int64_t>{0}), UserError);
  EXPECT_THROW(slice_ranges({4, 4}, {0, 0}, {1, 1}, std::vector<std::int64_t>{1, -1}, std::nullopt), UserError);
  EXPECT_THROW(slice_ranges({4}, {0, 1}, {1}, std::nullopt, std::nullopt), UserError);
}

TEST(ShapeOps, SqueezeNamedAxesMustBeOnes) {
  EXPECT_EQ(squeezed_shape({1, 3, 1, 1}, std::nullopt), (Shape{3}));
  EXPECT_EQ(squeezed_shape({1, 3, 1, 1}, std::vector<std::int64_t>{-1}), (Shape{1, 3, 1}));
  EXPECT_THROW(squeezed_shape({1, 3}, std::vector<std::int64_t>{1}), UserError);
}

TEST(ShapeOps, UnsqueezeAxesAreOutputPositions) {
  EXPECT_EQ(unsqueezed_shape({3, 4}, {0, 3}), (Shape{1, 3, 4, 1}));
  EXPECT_EQ(unsqueezed_shape({}, {0}), (Shape{1}));
  EXPECT_EQ(unsqueezed_shape({3}, {-1}), (Shape{3, 1}));
  EXPECT_THROW(unsqueezed_shape({3}, {0, 0}), UserError);
  EXPECT_THROW(unsqueezed_shape({3}, {2}), UserError);
}

TEST(ShapeOps, RangeCountRoundsUpAndNeverGoesNegative) {
  EXPECT_EQ(range_count(0, 10, 3), 4);
  EXPECT_EQ(range_count(10, 4, -2), 3);
  EXPECT_EQ(range_count(5, 1, 1), 0);
  EXPECT_THROW(range_count(0, 1, 0), UserError);
  EXPECT_THROW(range_count(0, 1e300, 1e-300), UserError);
}

TEST(ShapeOps, ReducedAxesDefaultToAll) {
  Attributes a;
  EXPECT_EQ(reduced_axes(a, 3), (std::set<std::int64_t>{0, 1, 2}));
  a.set("axes", std::vector<std::int64_t>{-1, -2});
  EXPECT_EQ(reduced_axes(a, 4), (std::set<std::int64_t>{2, 3}));
  a.set("axes", std::vector<std::int64_t>{4});
  EXPECT_THROW(reduced_axes(a, 4), UserError);
}

}  // namespace
}  // namespace wb
