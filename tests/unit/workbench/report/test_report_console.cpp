// The run report on the console (workbench/report/report_console.h): the per-layer table, units and
// totals.

#include "workbench/report/report_console.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include "support/error.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/workbench/report/report_testing.h"
#include "workbench/report/report_csv.h"

namespace wb::report {
namespace {

using fixtures::lines_of;
using fixtures::parse_csv;
using fixtures::sample_report;

// ---- console --------------------------------------------------------------------------------

std::size_t code_points(const std::string& text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// The table: the lines before the first empty line.
std::vector<std::string> table_lines(const std::string& out) {
  std::vector<std::string> table;
  for (const std::string& line : lines_of(out)) {
    if (line.empty()) break;
    table.push_back(line);
  }
  return table;
}

TEST(RunReportTable, ShowsEveryLayerAndTheTotalsAligned) {
  RunReport r = sample_report();
  r.layers[0].name = "/layer4/layer4.1/downsample/downsample.0/Conv_with_a_much_longer_name";
  r.layers.push_back(r.layers[1]);
  r.layers.back().name = "\xc3\xa9t\xc3\xa9";  // "été": UTF-8 counts by code point
  std::ostringstream os;
  print_table(r, os);
  const std::string out = os.str();

  const auto table = table_lines(out);
  ASSERT_EQ(table.size(), 4u) << out;  // header + 3 layers
  for (const std::string& line : table) EXPECT_EQ(code_points(line), code_points(table[0])) << out;
  for (const char* title :
       {"name", "type", "MACs", "cycles", "us", "MAC/cycle", "util %", "stall", "DDR in", "DDR out", "tiles"}) {
    EXPECT_NE(table[0].find(title), std::string::npos) << title << "\n" << out;
  }
  // The long name is cut with an ellipsis; the others appear whole.
  EXPECT_EQ(out.find(r.layers[0].name), std::string::npos) << out;
  EXPECT_NE(out.find(r.layers[0].name.substr(0, 39) + "\xe2\x80\xa6  Conv+Relu"), std::string::npos) << out;
  EXPECT_NE(out.find("fc, final"), std::string::npos) << out;
  EXPECT_NE(out.find("\xc3\xa9t\xc3\xa9"), std::string::npos) << out;
  // Row values, grouped by thousands.
  EXPECT_NE(table[1].find("118,013,952"), std::string::npos) << out;
  EXPECT_NE(table[1].find("25.0"), std::string::npos) << out;
  EXPECT_NE(table[1].find("142.9"), std::string::npos) << out;  // microseconds beside the cycles

  for (const char* expected :
       {"cycles", "1,234,567", "latency", "1.764 ms", "1458.00", "47.5 %", "DDR bytes", "98,765,432", "moveops", "42",
        "host time", "12.5 ms", "peak_am_bytes", "9,000,000 bytes", "am_allocator", "bestfit", "verdict",
        "bit-exact"}) {
    EXPECT_NE(out.find(expected), std::string::npos) << expected << "\n" << out;
  }
  EXPECT_EQ(out.find("L3 bytes"), std::string::npos) << out;
}

// Where the time went, by layer type and by unit: shares of the layers' cycles, largest first.
TEST(RunReportTable, TotalsShowTheTimeByLayerTypeAndByUnit) {
  RunReport r = sample_report();  // a Conv+Relu on the array (100,000 cycles), a Gemm on the host (4,000)
  r.layers.push_back(r.layers[0]);
  r.layers.back().cycles = 96'000;
  std::ostringstream os;
  print_totals(r, os);
  EXPECT_THAT(os.str(), testing::ContainsRegex("time by type +Conv\\+Relu 98% \\(2\\), Gemm 2% \\(1\\)\n")) << os.str();
  EXPECT_THAT(os.str(), testing::ContainsRegex("time by unit +array 98% \\(2\\), host 2% \\(1\\)\n")) << os.str();
  r.layers.clear();
  std::ostringstream none;
  print_totals(r, none);
  EXPECT_EQ(none.str().find("time by"), std::string::npos) << none.str();
}

TEST(RunReportTable, NamesTheCauseMostOfALayersTimeWentTo) {
  RunReport r = sample_report();
  std::ostringstream without;
  print_table(r, without);
  EXPECT_EQ(without.str().find("most time"), std::string::npos) << without.str();  // no causes, no column
  r.layers[0].time = {{"array", 15'000}, {"weights_ddr", 80'000}, {"issue", 5'000}};
  std::ostringstream os;
  print_table(r, os);
  const auto table = table_lines(os.str());
  ASSERT_EQ(table.size(), 3u) << os.str();
  EXPECT_NE(table[0].find("most time"), std::string::npos) << os.str();
  EXPECT_NE(table[1].find("weights_ddr 80%"), std::string::npos) << os.str();
  // The fc has no causes: its "most time" cell, before the map % column (the target declares mapping_efficiency).
  const std::size_t column = table[0].find("most time");
  EXPECT_EQ(table[2].substr(column, table[2].find(' ', column) - column), "-") << os.str();
  EXPECT_NE(table[0].find("map %"), std::string::npos) << os.str();
}

TEST(RunReportTable, ShowsWhatBindsEachLayerAndHowCloseItCame) {
  RunReport r = sample_report();
  std::ostringstream without;
  print_table(r, without);
  EXPECT_EQ(without.str().find("bound"), std::string::npos) << without.str();  // no bounds, no column or total
  r.layers[0].bound = {60'000, {{"ddr_channel", 75'000, 1'500'000}}};
  r.totals.bound = {900'000, {{"ddr_channel", 300'000, 98'765'432}}};
  std::ostringstream os;
  print_table(r, os);
  const auto table = table_lines(os.str());
  ASSERT_EQ(table.size(), 3u) << os.str();
  EXPECT_NE(table[0].find("bound, attained"), std::string::npos) << os.str();
  EXPECT_NE(table[1].find("ddr_channel 75%"), std::string::npos) << os.str();
  EXPECT_EQ(table[2][table[2].find_last_not_of(' ')], '-') << os.str();  // the fc has none
  EXPECT_NE(os.str().find("900,000 cycles (compute 900,000, ddr_channel 300,000); attained compute 73%"),
            std::string::npos)
      << os.str();
  const auto rows = parse_csv(csv_text(r));
  const auto column = [&](const std::string& name) {
    return static_cast<std::size_t>(std::find(rows[0].begin(), rows[0].end(), name) - rows[0].begin());
  };
  ASSERT_LT(column("bound"), rows[0].size());
  EXPECT_EQ(rows[1][column("bound_cycles")], "75000");
  EXPECT_EQ(rows[1][column("bound")], "ddr_channel");
  EXPECT_EQ(rows[2][column("bound_cycles")], "");
}

TEST(RunReportTable, ListsTheUnitsBetweenTheLayersAndTheTotals) {
  RunReport r = sample_report();
  std::ostringstream without;
  print_table(r, without);
  EXPECT_EQ(without.str().find("busy %"), std::string::npos) << without.str();
  r.units = {{"array", 900'000, 0.729, 640, 0, 12'000}, {"ddr_channel", 300'000, 0.243, 1'280, 98'765'432, 4'000}};
  std::ostringstream os;
  print_table(r, os);
  const std::string out = os.str();
  const auto units = out.find("busy %");
  ASSERT_NE(units, std::string::npos) << out;
  EXPECT_LT(out.find("/conv1/Conv"), units) << out;
  EXPECT_LT(units, out.find("latency")) << out;
  EXPECT_NE(out.find("72.9"), std::string::npos) << out;
  EXPECT_NE(out.find("98,765,432"), std::string::npos) << out;
}

TEST(RunReportTable, ShowsThePredictionBesideTheCyclesOnATargetThatPredicts) {
  std::ostringstream os;
  print_table(fixtures::sample_pulp_report(), os);
  const std::string out = os.str();
  const auto table = table_lines(out);
  ASSERT_EQ(table.size(), 3u) << out;
  const std::size_t cycles = table[0].find("cycles"), pred = table[0].find("pred"), err = table[0].find("err%");
  ASSERT_NE(pred, std::string::npos) << out;
  ASSERT_NE(err, std::string::npos) << out;
  EXPECT_LT(cycles, pred);
  EXPECT_LT(pred, err);
  EXPECT_LT(err, table[0].find(" us "));
  // Simulated 1,200 against 1,000 predicted: +20.0; 900 against 1,000: -10.0.
  EXPECT_NE(table[1].find("1,200  1,000  +20.0"), std::string::npos) << out;
  EXPECT_NE(table[2].find("900  1,000  -10.0"), std::string::npos) << out;
  // The totals: 2,100 simulated against 2,000 predicted, +5.0 %.
  EXPECT_NE(out.find("\npredicted "), std::string::npos) << out;
  EXPECT_NE(out.find(" 2,000 cycles (simulated +5.0 %)\n"), std::string::npos) << out;
  EXPECT_NE(out.find("tiler"), std::string::npos) << out;
  // A target without a predictor shows no empty columns nor a totals line.
  std::ostringstream xdnn;
  print_table(sample_report(), xdnn);
  EXPECT_EQ(xdnn.str().find("pred"), std::string::npos) << xdnn.str();
  EXPECT_EQ(xdnn.str().find("err%"), std::string::npos) << xdnn.str();
}

TEST(RunReportTable, PulpShowsL3AndTheMismatch) {
  RunReport r = sample_report();
  r.target = "pulp";
  r.totals.offchip_bytes = 123'456;
  r.verdict = "mismatch";
  r.mismatch = Mismatch{"/conv1/Conv", 17, 3, 4};
  std::ostringstream os;
  print_table(r, os);
  const std::string out = os.str();
  EXPECT_NE(table_lines(out)[0].find("L3 in"), std::string::npos) << out;
  EXPECT_NE(out.find("L3 bytes"), std::string::npos) << out;
  EXPECT_NE(out.find("123,456"), std::string::npos) << out;
  EXPECT_EQ(out.find("DDR"), std::string::npos) << out;
  EXPECT_NE(out.find("mismatch (layer /conv1/Conv, element 17: expected 3, got 4)"), std::string::npos) << out;
}

}  // namespace
}  // namespace wb::report
