// Host wall-clock statistics: the Mann-Whitney U test against values computed by hand (the
// exact null distribution of U is the count of rank subsets), and compare_speed's two paths
// (U test with enough samples, min-of-N below that).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "workbench/regress/wall_stats.h"

namespace wb::regress {
namespace {

using Change = SpeedVerdict::Change;
using testing::HasSubstr;

// Of the C(6,3) = 20 equally likely rank sets of a 3 vs 3 test, U = 0 has 1.
TEST(MannWhitneyU, FullySeparatedThreeVsThreeHasExactPOfTwoTwentieths) {
  const UTest t = mann_whitney_u({1, 2, 3}, {4, 5, 6});
  EXPECT_TRUE(t.exact);
  EXPECT_DOUBLE_EQ(t.u, 0);
  EXPECT_DOUBLE_EQ(t.p, 2.0 / 20);
}

// Ranks {1, 2, 4}: U = 1; P(U <= 1) = 2/20 (rank sets {1,2,3} and {1,2,4}).
TEST(MannWhitneyU, OneInversionThreeVsThreeHasExactPOfFourTwentieths) {
  const UTest t = mann_whitney_u({1, 2, 4}, {3, 5, 6});
  EXPECT_TRUE(t.exact);
  EXPECT_DOUBLE_EQ(t.u, 1);
  EXPECT_DOUBLE_EQ(t.p, 4.0 / 20);
}

// Ranks {1, 3, 5}: U = 3; P(U <= 3) = (1 + 1 + 2 + 3) / 20.
TEST(MannWhitneyU, InterleavedThreeVsThreeHasExactPOfFourteenTwentieths) {
  const UTest t = mann_whitney_u({1, 3, 5}, {2, 4, 6});
  EXPECT_TRUE(t.exact);
  EXPECT_DOUBLE_EQ(t.u, 3);
  EXPECT_DOUBLE_EQ(t.p, 14.0 / 20);
}

// Ranks {1, 4, 5}: U = 4, the lower half of the distribution already holds 10 of 20.
TEST(MannWhitneyU, CentralUHasPOne) {
  const UTest t = mann_whitney_u({1, 4, 5}, {2, 3, 6});
  EXPECT_TRUE(t.exact);
  EXPECT_DOUBLE_EQ(t.u, 4);
  EXPECT_DOUBLE_EQ(t.p, 1.0);
}

TEST(MannWhitneyU, IdenticalSamplesHavePOne) {
  const UTest t = mann_whitney_u({1, 2, 3}, {1, 2, 3});
  EXPECT_DOUBLE_EQ(t.u, 4.5);  // m n / 2
  EXPECT_DOUBLE_EQ(t.p, 1.0);
}

// C(10,5) = 252 rank sets, one each for U = 0 and U = 25.
TEST(MannWhitneyU, FullySeparatedFiveVsFiveHasExactPOfTwoIn252) {
  const UTest t = mann_whitney_u({1.0, 1.1, 1.2, 1.3, 1.4}, {2.0, 2.1, 2.2, 2.3, 2.4});
  EXPECT_TRUE(t.exact);
  EXPECT_DOUBLE_EQ(t.u, 0);
  EXPECT_NEAR(t.p, 2.0 / 252, 1e-12);
}

TEST(MannWhitneyU, SwappingTheSidesGivesTheSamePAndTheComplementaryU) {
  const std::vector<double> a = {3.1, 0.4, 2.7, 5.0}, b = {1.2, 6.3, 4.4, 7.5, 8.1};
  const UTest ab = mann_whitney_u(a, b), ba = mann_whitney_u(b, a);
  EXPECT_NEAR(ab.p, ba.p, 1e-12);
  EXPECT_DOUBLE_EQ(ab.u + ba.u, static_cast<double>(a.size() * b.size()));
}

// a = {1,1,1}, b = {2,2,2}: U = 0, mean 4.5, tie-corrected variance
// 3*3/12 * (7 - (2 * (27 - 3)) / (6 * 5)) = 4.05; z = (4.5 - 0.5) / sqrt(4.05).
TEST(MannWhitneyU, TiesUseTheNormalApproximationWithTieAndContinuityCorrection) {
  const UTest t = mann_whitney_u({1, 1, 1}, {2, 2, 2});
  EXPECT_FALSE(t.exact);
  EXPECT_DOUBLE_EQ(t.u, 0);
  const double z = 4.0 / std::sqrt(4.05);
  EXPECT_NEAR(t.p, std::erfc(z / std::sqrt(2.0)), 1e-9);
}

TEST(MannWhitneyU, ATieAnywhereMakesItInexact) {
  EXPECT_FALSE(mann_whitney_u({1, 2, 3}, {3, 4, 5}).exact);
  EXPECT_TRUE(mann_whitney_u({1, 2, 3}, {3.5, 4, 5}).exact);
}

TEST(MannWhitneyU, LargeSamplesUseTheNormalApproximation) {
  // 40 vs 40 (beyond the exact table), overlapping by half: b_j = j + 20.5.
  std::vector<double> a, b;
  for (int i = 0; i < 40; ++i) {
    a.push_back(i);
    b.push_back(i + 20.5);
  }
  double u = 0;  // pairs (a_i, b_j) with a_i > b_j
  for (double x : a) {
    for (double y : b) u += x > y ? 1 : 0;
  }
  const UTest t = mann_whitney_u(a, b);
  EXPECT_FALSE(t.exact);
  EXPECT_DOUBLE_EQ(t.u, u);
  const double z = (std::abs(u - 800) - 0.5) / std::sqrt(40.0 * 40 * 81 / 12);
  const double expected = std::erfc(z / std::sqrt(2.0));
  EXPECT_NEAR(t.p, expected, expected * 1e-6);
  EXPECT_LT(t.p, 1e-6);
}

TEST(MannWhitneyU, AnEmptySideThrowsInvalidArgument) {
  EXPECT_THROW(mann_whitney_u({}, {1, 2}), std::invalid_argument);
  EXPECT_THROW(mann_whitney_u({1, 2}, {}), std::invalid_argument);
}

TEST(CompareSpeed, SeparatedSlowerSamplesBeyondTheFactorAreSlowerByUTest) {
  const std::vector<double> base = {1.00, 1.02, 0.98, 1.01, 0.99}, now = {1.50, 1.52, 1.48, 1.51, 1.49};
  const SpeedVerdict v = compare_speed(base, now, 1.10, 0.05);
  EXPECT_EQ(v.change, Change::Slower);
  EXPECT_TRUE(v.u_test);
  EXPECT_NEAR(v.p, 2.0 / 252, 1e-12);
  EXPECT_DOUBLE_EQ(v.ratio, 1.50 / 1.00);  // of the medians
  EXPECT_EQ(v.baseline_samples, 5u);
  EXPECT_EQ(v.current_samples, 5u);
  EXPECT_THAT(v.describe(), HasSubstr("1.50x slower"));
  EXPECT_THAT(v.describe(), HasSubstr("5 vs 5"));
}

TEST(CompareSpeed, SeparatedFasterSamplesAreFaster) {
  const SpeedVerdict v = compare_speed({1.50, 1.52, 1.48, 1.51, 1.49}, {1.00, 1.02, 0.98, 1.01, 0.99}, 1.10, 0.05);
  EXPECT_EQ(v.change, Change::Faster);
  EXPECT_THAT(v.describe(), HasSubstr("1.50x faster"));
}

TEST(CompareSpeed, ASignificantShiftWithinTheFactorIsNoChange) {
  // Separated (p = 2/252) but the medians differ by 5% only, under the 10% factor.
  const SpeedVerdict v = compare_speed({1.00, 1.01, 1.02, 1.03, 1.04}, {1.05, 1.06, 1.07, 1.08, 1.09}, 1.10, 0.05);
  EXPECT_TRUE(v.u_test);
  EXPECT_LT(v.p, 0.05);
  EXPECT_EQ(v.change, Change::None);
}

TEST(CompareSpeed, OverlappingNoisySamplesAreNoChangeEvenWhenTheMediansDiffer) {
  // Medians 1.2 and 1.5 (ratio 1.25 > 1.10), but the samples interleave: U = 12 of 25.
  const std::vector<double> base = {1.0, 2.0, 1.1, 1.9, 1.2}, now = {1.05, 1.95, 1.5, 1.6, 1.15};
  const SpeedVerdict v = compare_speed(base, now, 1.10, 0.05);
  EXPECT_TRUE(v.u_test);
  EXPECT_DOUBLE_EQ(v.ratio, 1.5 / 1.2);
  EXPECT_GT(v.p, 0.05);
  EXPECT_EQ(v.change, Change::None);
  EXPECT_THAT(v.describe(), HasSubstr("no significant change"));
}

TEST(CompareSpeed, ThreeVsThreeCanNeverReachFivePercent) {
  // The smallest exact two-sided p of 3 vs 3 is 0.1.
  const SpeedVerdict v = compare_speed({1, 1.1, 1.2}, {5, 5.1, 5.2}, 1.10, 0.05);
  EXPECT_TRUE(v.u_test);
  EXPECT_DOUBLE_EQ(v.p, 0.1);
  EXPECT_EQ(v.change, Change::None);
}

TEST(CompareSpeed, FewSamplesCompareTheMinimaAgainstTheFactor) {
  const SpeedVerdict slower = compare_speed({2.0, 1.0}, {1.2}, 1.10, 0.05);
  EXPECT_FALSE(slower.u_test);
  EXPECT_DOUBLE_EQ(slower.ratio, 1.2 / 1.0);
  EXPECT_DOUBLE_EQ(slower.p, 1.0);
  EXPECT_EQ(slower.change, Change::Slower);
  EXPECT_THAT(slower.describe(), HasSubstr("min of 2 vs min of 1"));

  EXPECT_EQ(compare_speed({1.0}, {1.05, 3.0}, 1.10, 0.05).change, Change::None);
  EXPECT_EQ(compare_speed({1.0, 1.1}, {0.8}, 1.10, 0.05).change, Change::Faster);  // 0.8 < 1 / 1.1
}

TEST(CompareSpeed, UnknownSamplesAreDroppedFirst) {
  // Three baseline samples of which two are unknown: 1 vs 3, so min-of-N, not the U test.
  const SpeedVerdict v = compare_speed({0, 1.0, -1}, {1.5, 1.6, 1.7}, 1.10, 0.05);
  EXPECT_FALSE(v.u_test);
  EXPECT_EQ(v.baseline_samples, 1u);
  EXPECT_EQ(v.current_samples, 3u);
  EXPECT_DOUBLE_EQ(v.ratio, 1.5);
  EXPECT_EQ(v.change, Change::Slower);
}

TEST(CompareSpeed, OnlyUnknownSamplesOnASideAreTooFewSamples) {
  const SpeedVerdict v = compare_speed({0, 0, 0}, {1, 2, 3}, 1.10, 0.05);
  EXPECT_EQ(v.change, Change::TooFewSamples);
  EXPECT_EQ(v.baseline_samples, 0u);
  EXPECT_EQ(compare_speed({1, 2}, {}, 1.10, 0.05).change, Change::TooFewSamples);
  EXPECT_THAT(v.describe(), HasSubstr("no samples"));
}

}  // namespace
}  // namespace wb::regress
