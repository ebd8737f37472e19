// The run report's data (workbench/report/report.h): bounds, and the off-chip level its target names.

#include "workbench/report/report.h"

#include <gtest/gtest.h>

#include "tests/unit/workbench/report/report_testing.h"

namespace wb::report {
namespace {

TEST(RunReportBound, BindingIsTheLargestAndNothingWithoutBounds) {
  Bound bound;
  EXPECT_TRUE(bound.empty());
  EXPECT_EQ(bound.binding(), "");
  EXPECT_EQ(bound.cycles(), 0u);
  bound.compute_cycles = 10;
  bound.memory = {{"cluster_dma_in", 12, 96}, {"udma", 11, 11}};
  EXPECT_EQ(bound.cycles(), 12u);
  EXPECT_EQ(bound.binding(), "cluster_dma_in");
  bound.compute_cycles = 12;  // a tie goes to compute
  EXPECT_EQ(bound.binding(), "compute");
}

TEST(RunReportBound, MappingBindsWhenMostOfTheComputeBoundIsEmptySlots) {
  Bound bound{100, {{"ddr_channel", 40, 4000}}};
  bound.mapping_cycles = 50;  // half: the work itself still holds it
  EXPECT_EQ(bound.binding(), "compute");
  bound.mapping_cycles = 51;
  EXPECT_EQ(bound.binding(), "mapping");
  EXPECT_EQ(bound.cycles(), 100u);  // the bound itself is the same
  bound.memory[0].cycles = 101;     // a memory level above it still binds
  EXPECT_EQ(bound.binding(), "ddr_channel");
}

TEST(RunReport, TheOffChipLevelIsTheTargetsOwn) {
  RunReport r = fixtures::sample_report();
  EXPECT_EQ(offchip_level(r), "DDR");
  r.target = "pulp";
  EXPECT_EQ(offchip_level(r), "L3");
  r.target = "unknown";
  EXPECT_EQ(offchip_level(r), "off-chip");
}

}  // namespace
}  // namespace wb::report
