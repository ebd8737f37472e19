// Pareto frontiers: minimise x; minimise y, or maximise it for rates.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "workbench/sweep_report/pareto.h"

namespace wb {
namespace {

using sweep::pareto_frontier;
using testing::ElementsAre;

TEST(Pareto, MinimisingBoth) {
  //             0        1        2        3        4         5
  const std::vector<std::pair<double, double>> points = {{1, 10}, {2, 8}, {2, 9}, {3, 8}, {4, 3}, {5, 5}};
  // (2,9) is beaten by (2,8); (3,8) is no better than (2,8); (5,5) is beaten by (4,3).
  EXPECT_THAT(pareto_frontier(points, false), ElementsAre(0, 1, 4));
}

TEST(Pareto, MaximisingY) {
  const std::vector<std::pair<double, double>> points = {{1, 2}, {2, 5}, {3, 4}, {4, 9}, {4, 7}};
  EXPECT_THAT(pareto_frontier(points, true), ElementsAre(0, 1, 3));
}

TEST(Pareto, TiesAndNonFiniteValues) {
  const double nan = std::nan("");
  const std::vector<std::pair<double, double>> points = {{1, 5}, {1, 5}, {nan, 1}, {2, nan}, {3, 5}};
  EXPECT_THAT(pareto_frontier(points, false), ElementsAre(0));
  EXPECT_TRUE(pareto_frontier({}, false).empty());
}

TEST(Pareto, MetricsOfAPoint) {
  sweep::StoredPoint p;
  EXPECT_FALSE(sweep::result_metric(p, "cycles").has_value());  // no result
  p.status = "done";
  p.cycles = 12;
  p.mac_per_cycle = 3.5;
  p.totals = {{"ddr_bytes", 4096}, {"xdnn", {{"ddr_spill_bytes", 64}, {"am_allocator", "top"}}}};  // schema 3
  EXPECT_EQ(sweep::result_metric(p, "cycles"), 12.0);
  EXPECT_EQ(sweep::result_metric(p, "ddr_spill_bytes"), 64.0);
  EXPECT_EQ(sweep::result_metric(p, "ddr_bytes"), 4096.0);
  EXPECT_FALSE(sweep::result_metric(p, "am_allocator").has_value());  // a name, not a number
  EXPECT_FALSE(sweep::result_metric(p, "xdnn").has_value());          // the block itself
  EXPECT_TRUE(sweep::higher_is_better("mac_per_cycle"));
  EXPECT_FALSE(sweep::higher_is_better("latency_ms"));
  // Rates per second, declared so by their unit: a frame rate is maximised, a card's time not.
  EXPECT_TRUE(sweep::higher_is_better("card_fps"));
  EXPECT_TRUE(sweep::higher_is_better("fps_per_pe"));
  EXPECT_TRUE(sweep::higher_is_better("tokens_per_s"));
  EXPECT_FALSE(sweep::higher_is_better("card_cycles"));
}

}  // namespace
}  // namespace wb
