// The per-run roofline (`--plot`): one chart per memory level of the bounds, every layer with
// MACs and bytes at that level drawn where its intensity and MAC/cycle put it, the roof at the
// target's peak and the level's bandwidth; nothing to draw without bounds; files written whole.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "support/error.h"
#include "tests/support/onnx_builder.h"
#include "workbench/sweep_report/roofline.h"

namespace wb {
namespace {

using testing::HasSubstr;

report::RunReport two_level_report() {
  report::RunReport r;
  r.model_name = "net";
  r.target = "pulp";
  r.hw_path = "configs/gap8.yaml";
  r.totals.cycles = 1'000;
  r.totals.macs = 8'000;
  r.totals.mac_per_cycle = 8;
  r.totals.utilization = 0.25;  // a peak of 32 MAC/cycle
  r.totals.bound = {600, {{"cluster_dma_in", 400, 3'200}, {"udma", 100, 100}}};
  report::LayerRow conv;
  conv.name = "conv";
  conv.type = "conv";
  conv.macs = 8'000;
  conv.cycles = 700;
  conv.mac_per_cycle = 8'000.0 / 700;
  conv.bound = {600, {{"cluster_dma_in", 300, 2'400}, {"udma", 0, 0}}};
  report::LayerRow add;  // no MACs: not on a roofline
  add.name = "add";
  add.type = "add";
  add.cycles = 300;
  add.bound = {100, {{"cluster_dma_in", 100, 800}, {"udma", 100, 100}}};
  r.layers = {conv, add};
  return r;
}

TEST(Roofline, OneChartPerLevelWithTheLayersThatCrossIt) {
  const auto charts = sweep::roofline_charts(two_level_report());
  // udma: the only layer with MACs moved nothing over it, so no chart.
  ASSERT_EQ(charts.size(), 1u);
  EXPECT_EQ(charts[0].level, "cluster_dma_in");
  EXPECT_EQ(charts[0].layers_plotted, 1u);
  const std::string& svg = charts[0].svg;
  EXPECT_THAT(svg, HasSubstr("<svg"));
  EXPECT_THAT(svg, HasSubstr("net on gap8: roofline over cluster_dma_in (1 layers with MACs)"));
  // The roof: 32 MAC/cycle peak, 3,200 bytes in 400 cycles = 8 B/cycle.
  EXPECT_THAT(svg, HasSubstr("roof: 32 MAC/cycle, 8 B/cycle"));
  // Bandwidth x intensity up to the ridge (4 MAC/B), the peak after it: a path of three points.
  EXPECT_TRUE(std::regex_search(svg, std::regex("<path d=\"M[0-9.,]+ L[0-9.,]+ L[0-9.,]+\" fill=\"none\" stroke=\"#555555\"")))
      << svg;
  EXPECT_THAT(svg, HasSubstr("conv (conv): 11.4 MAC/cycle, compute bound, attained 86%"));
  EXPECT_EQ(svg.find("add (add)"), std::string::npos);
  EXPECT_THAT(svg, HasSubstr("net: 8.0 MAC/cycle"));  // the whole run
}

TEST(Roofline, ALayerBoundByAnotherLevelIsNotCalledBoundByThisOne) {
  report::RunReport r = two_level_report();
  r.layers[0].bound = {100, {{"cluster_dma_in", 300, 2'400}, {"udma", 500, 500}}};  // udma binds
  const auto charts = sweep::roofline_charts(r);
  ASSERT_EQ(charts.size(), 2u);  // the conv now crosses the uDMA too
  EXPECT_THAT(charts[0].svg, HasSubstr("bound by another memory level"));
  EXPECT_EQ(charts[0].svg.find("cluster_dma_in-bound layers"), std::string::npos) << charts[0].svg;
  EXPECT_THAT(charts[0].svg, HasSubstr("conv (conv): 11.4 MAC/cycle, udma bound"));
  EXPECT_THAT(charts[1].svg, HasSubstr("udma-bound layers"));
}

TEST(Roofline, NothingToDrawWithoutBounds) {
  report::RunReport r = two_level_report();
  r.totals.bound = {};
  EXPECT_TRUE(sweep::roofline_charts(r).empty());
  test::TempDir dir;
  EXPECT_TRUE(sweep::write_roofline_plots(r, dir / "plots").empty());
  EXPECT_FALSE(std::filesystem::exists(dir / "plots"));  // nothing written, not even the folder
}

TEST(Roofline, WritesOneSvgPerChartIntoTheFolder) {
  test::TempDir dir;
  const auto written = sweep::write_roofline_plots(two_level_report(), dir / "plots");
  ASSERT_EQ(written.size(), 1u);
  EXPECT_EQ(written[0], dir / "plots" / "roofline_cluster_dma_in.svg");
  std::ifstream in(written[0]);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), sweep::roofline_charts(two_level_report())[0].svg);
  // A file where the folder should be: one clear error.
  std::ofstream(dir / "file") << "x";
  EXPECT_THROW(sweep::write_roofline_plots(two_level_report(), dir / "file"), UserError);
}

}  // namespace
}  // namespace wb
