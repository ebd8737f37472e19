// `workbench compare` (workbench/compare/compare_reports.h): the unit it picks, the figures of
// a joined row, ratios across clocks, the printed table and CSV, and the command's bad input.

#include "workbench/compare/compare_reports.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "support/error.h"
#include "tests/support/cli_testing.h"
#include "tests/support/test_paths.h"

namespace wb::compare {
namespace {

report::LayerRow layer(const std::string& name, const std::string& output, std::uint64_t cycles, std::uint64_t macs,
                       std::uint64_t bytes_in = 0) {
  report::LayerRow row;
  row.name = name;
  row.output = output;
  row.cycles = cycles;
  row.macs = macs;
  row.bytes_in = bytes_in;
  return row;
}

ReportSide side(const std::string& label, const std::string& target, double clock_mhz,
                std::vector<report::LayerRow> layers) {
  ReportSide s;
  s.label = label;
  s.path = label + ".json";
  s.clock_mhz = clock_mhz;
  s.report.target = target;
  s.report.model_name = "net";
  for (const auto& l : layers) {
    s.report.totals.cycles += l.cycles;
    s.report.totals.macs += l.macs;
  }
  s.report.layers = std::move(layers);
  return s;
}

// PULP at 100 MHz runs conv and pool apart; xDNN at 700 MHz one conv+pool layer.
std::vector<ReportSide> pulp_and_xdnn() {
  return {side("A", "pulp", 100,
               {layer("conv", "t_conv", 1000, 5000, 64), layer("pool", "t_pool", 200, 0), layer("fc", "t_fc", 100, 10)}),
          side("B", "xdnn", 700, {layer("conv+pool", "t_pool", 700, 5000, 32), layer("fc", "t_fc", 1400, 10)})};
}

TEST(CompareReports, CyclesWithinOneTargetAndClockMicrosecondsAcross) {
  const auto a = side("A", "xdnn", 700, {});
  const auto b = side("B", "xdnn", 700, {});
  const auto c = side("C", "xdnn", 500, {});
  const auto d = side("D", "pulp", 700, {});
  EXPECT_EQ(choose_unit({a, b}, std::nullopt), TimeUnit::Cycles);
  EXPECT_EQ(choose_unit({a, c}, std::nullopt), TimeUnit::Microseconds);
  EXPECT_EQ(choose_unit({a, d}, std::nullopt), TimeUnit::Microseconds);
  EXPECT_EQ(choose_unit({a, b}, TimeUnit::Microseconds), TimeUnit::Microseconds);
  EXPECT_EQ(choose_unit({a, d}, TimeUnit::Cycles), TimeUnit::Cycles);  // one clock: cycles are comparable
  try {
    choose_unit({a, c}, TimeUnit::Cycles);
    FAIL() << "cycles across clocks accepted";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("--unit us"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("500 MHz"), std::string::npos) << e.what();
  }
}

TEST(CompareReports, ARowSumsItsLayersAndRatiosCompareTimeAcrossClocks) {
  const Comparison c = compare(pulp_and_xdnn(), std::nullopt);
  EXPECT_EQ(c.unit, TimeUnit::Microseconds);
  ASSERT_EQ(c.rows.size(), 2u);
  const RowFigures& first = c.rows[0];
  EXPECT_EQ(first.output, "t_pool");
  EXPECT_EQ(first.names[0], (std::vector<std::string>{"conv", "pool"}));
  EXPECT_EQ(first.cycles, (std::vector<std::uint64_t>{1200, 700}));
  EXPECT_EQ(first.macs, (std::vector<std::uint64_t>{5000, 5000}));
  EXPECT_EQ(first.bytes, (std::vector<std::uint64_t>{64, 32}));
  EXPECT_DOUBLE_EQ(first.microseconds[0], 12.0);
  EXPECT_DOUBLE_EQ(first.microseconds[1], 1.0);
  EXPECT_DOUBLE_EQ(*ratio(first.microseconds[0], first.microseconds[1]), 1.0 / 12.0);
  // 100 cycles at 100 MHz and 1400 at 700 MHz: the same microsecond... twice.
  EXPECT_DOUBLE_EQ(*ratio(c.rows[1].microseconds[0], c.rows[1].microseconds[1]), 2.0);
  EXPECT_DOUBLE_EQ(time_of(c, c.rows[1], 1), 2.0);
  EXPECT_FALSE(ratio(0, 5).has_value());
  EXPECT_THROW(compare({pulp_and_xdnn()[0]}, std::nullopt), UserError);
}

TEST(CompareReports, TheTableShowsEveryRowTheTotalsAndWhatMovedMost) {
  const Comparison c = compare(pulp_and_xdnn(), std::nullopt);
  std::ostringstream out;
  print_comparison(c, 5, out);
  const std::string text = out.str();
  EXPECT_NE(text.find("time in us"), std::string::npos) << text;
  EXPECT_NE(text.find("B/A"), std::string::npos) << text;
  EXPECT_NE(text.find("pool (+1)"), std::string::npos) << text;  // A's two layers of row 1
  EXPECT_NE(text.find("0.083"), std::string::npos) << text;      // 1 us over 12 us
  EXPECT_NE(text.find("total"), std::string::npos) << text;
  EXPECT_NE(text.find("moved most, B against A"), std::string::npos) << text;
  // Row 1 moved by 11 us, row 2 by 1 us: row 1 first.
  EXPECT_LT(text.find("#1 "), text.find("#2 ")) << text;
  EXPECT_NE(text.find("-11.0 us"), std::string::npos) << text;
  EXPECT_EQ(text.find(" *"), std::string::npos) << "MACs agree, no mark: " << text;

  EXPECT_EQ(text.find("rates:"), std::string::npos) << "no report has a rate: " << text;

  // A target's rates per second (xDNN's frames/s), with the card's PEs and what binds it.
  std::vector<ReportSide> streamed = pulp_and_xdnn();
  streamed[1].report.totals.specific = {{"fps_per_pe", 968.5}, {"card_fps", 3873.9}, {"pes", 4}, {"card_binding", "host"},
                                       {"images", 3}};
  std::ostringstream with_rates;
  print_comparison(compare(std::move(streamed), std::nullopt), 0, with_rates);
  EXPECT_NE(with_rates.str().find("rates:\n  B  fps_per_pe 968.5 frames/s, card_fps 3873.9 frames/s, 4 PE(s), bound by host\n"),
            std::string::npos)
      << with_rates.str();

  std::vector<ReportSide> other_work = pulp_and_xdnn();
  other_work[1].report.layers[1].macs = 11;
  std::ostringstream marked;
  print_comparison(compare(std::move(other_work), std::nullopt), 0, marked);
  EXPECT_NE(marked.str().find("MACs differ"), std::string::npos) << marked.str();
  EXPECT_EQ(marked.str().find("moved most"), std::string::npos) << "--top 0 lists none";
}

TEST(CompareReports, TheCsvHasOneLinePerRowWithEveryReportsFigures) {
  const std::string csv = comparison_csv(compare(pulp_and_xdnn(), std::nullopt));
  std::istringstream lines(csv);
  std::string header, row1, row2, extra;
  std::getline(lines, header);
  std::getline(lines, row1);
  std::getline(lines, row2);
  EXPECT_FALSE(std::getline(lines, extra));
  EXPECT_EQ(header, "row,output,A_layers,A_cycles,A_us,A_macs,A_mac_per_cycle,A_bytes,A_energy_uj,A_energy_delay,"
                    "B_layers,B_cycles,B_us,B_macs,B_mac_per_cycle,B_bytes,B_energy_uj,B_energy_delay,ratio_B_A");
  EXPECT_EQ(row1.rfind("1,t_pool,conv + pool,1200,12.0,5000,", 0), 0u) << row1;
  EXPECT_EQ(row2.substr(row2.rfind(',') + 1), "2.0") << row2;
}

TEST(CompareReports, EnergyIsSummedPerRowAndShownWhenAReportHasIt) {
  std::vector<ReportSide> sides = pulp_and_xdnn();
  sides[0].report.layers[0].energy = {{"cores", 2e6}, {"static", 1e6}};  // 3 uJ
  sides[0].report.layers[1].energy = {{"cores", 0.5e6}};
  sides[0].report.totals.energy = {{"cores", 4e6}, {"static", 1e6}};
  const Comparison c = compare(sides, std::nullopt);
  ASSERT_TRUE(c.rows[0].energy_uj[0].has_value());
  EXPECT_DOUBLE_EQ(*c.rows[0].energy_uj[0], 3.5);        // conv + pool
  EXPECT_FALSE(c.rows[0].energy_uj[1].has_value());      // B has none
  std::ostringstream out;
  print_comparison(c, 0, out);
  EXPECT_NE(out.str().find("A uJ"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("3.50"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("5.00"), std::string::npos) << out.str();  // the report's own total
  const std::string csv = comparison_csv(c);
  EXPECT_NE(csv.find(",3.5,"), std::string::npos) << csv;
  // Reports without energy: no energy column.
  std::ostringstream plain;
  print_comparison(compare(pulp_and_xdnn(), std::nullopt), 0, plain);
  EXPECT_EQ(plain.str().find(" uJ"), std::string::npos) << plain.str();
}

TEST(CompareReports, ARowsEnergyDelayIsItsEnergyTimesItsTimeNotItsLayersSummed) {
  std::vector<ReportSide> sides = pulp_and_xdnn();
  sides[0].report.layers[0].energy = {{"cores", 3e6}};  // 3 uJ over 10 us
  sides[0].report.layers[1].energy = {{"cores", 1e6}};  // 1 uJ over 2 us
  sides[0].report.totals.energy = {{"cores", 5e6}};
  const Comparison c = compare(sides, std::nullopt);
  ASSERT_TRUE(c.rows[0].energy_delay[0].has_value());
  // (3 + 1) uJ x (10 + 2) us = 4 x 0.012 uJ x ms, not 3 x 0.010 + 1 x 0.002.
  EXPECT_NEAR(*c.rows[0].energy_delay[0], 4 * 0.012, 1e-12);
  EXPECT_FALSE(c.rows[0].energy_delay[1].has_value());
  std::ostringstream out;
  print_comparison(c, 0, out);
  EXPECT_NE(out.str().find("A uJ*ms"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("0.048"), std::string::npos) << out.str();
  // The total: the report's energy over its 13 us.
  EXPECT_NE(out.str().find("0.065"), std::string::npos) << out.str();
}

TEST(CompareReports, AskedStatisticsAreSummedPerRowAndNamedWhenUnknown) {
  std::vector<ReportSide> sides = pulp_and_xdnn();
  sides[0].report.layers[0].specific = {{"l1_bytes_in", 100}, {"start_cycle", 0}};
  sides[0].report.layers[1].specific = {{"l1_bytes_in", 20}, {"start_cycle", 1000}};
  const Comparison c = compare(sides, std::nullopt, {"l1_bytes_in", "bytes_in"});
  ASSERT_EQ(c.rows[0].stats.size(), 2u);
  EXPECT_EQ(c.rows[0].stats[0][0], std::optional<std::uint64_t>(120));  // conv + pool
  EXPECT_FALSE(c.rows[0].stats[0][1].has_value());                       // xDNN has no such statistic
  EXPECT_EQ(c.rows[0].stats[1][0], std::optional<std::uint64_t>(64));
  EXPECT_EQ(c.rows[0].stats[1][1], std::optional<std::uint64_t>(32));
  std::ostringstream out;
  print_comparison(c, 0, out);
  EXPECT_NE(out.str().find("A l1_bytes_in"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("B bytes_in"), std::string::npos) << out.str();
  const std::string csv = comparison_csv(c);
  EXPECT_NE(csv.find("A_l1_bytes_in,A_bytes_in,"), std::string::npos) << csv;
  // Not counts: a name, a real, a point in time, a statistic nobody declares.
  for (const char* stat : {"name", "mac_per_cycle", "start_cycle", "l1_bytes"}) {
    try {
      compare(pulp_and_xdnn(), std::nullopt, {stat});
      ADD_FAILURE() << stat << " accepted";
    } catch (const UserError& e) {
      EXPECT_NE(std::string(e.what()).find(fmt::format("--stat {}:", stat)), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("l1_bytes_in"), std::string::npos) << e.what();  // the choices
    }
  }
}

TEST(CompareCli, BadInputIsOneLineNamingIt) {
  test::expect_bad_input(test::workbench("compare " + test::workload("tiny_resnet.onnx")), "at least two");
  test::expect_bad_input(test::workbench("compare /nonexistent/a.json /nonexistent/b.json"), "/nonexistent/a.json");
  test::expect_bad_input(test::workbench("compare --unit hours a.json b.json"), "hours");
  test::expect_bad_input(test::workbench("compare --stat nonsense a.json b.json"), "a.json");
}

// The end-to-end checks of the join (every layer once, ratios) are in
// tests/integration/test_compare_models.cpp on ResNet-18 and ResNet-50.
TEST(CompareCli, TwoRunsOfATinyNetworkPrintTheTableAndWriteTheCsv) {
  const auto dir = std::filesystem::temp_directory_path() / fmt::format("wb_compare_{}", ::getpid());
  std::filesystem::create_directories(dir);
  const std::string model = test::workload("tiny_resnet.onnx");
  for (const char* config : {"gap8", "v3_96"}) {
    const auto run = test::workbench(fmt::format("run --hw {}/configs/{}.yaml {} --no-data --quiet --json {}/{}.json",
                                                 test::source_dir().string(), config, model, dir.string(), config));
    ASSERT_EQ(run.exit_code, 0) << run.out;
  }
  const auto run = test::workbench(
      fmt::format("compare {0}/gap8.json --stat l1_bytes_in {0}/v3_96.json --csv {0}/joined.csv --stat ddr_weight_bytes",
                  dir.string()));
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_NE(run.out.find("A l1_bytes_in"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("B ddr_weight_bytes"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("time in us"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("(pulp, 100 MHz)"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("(xdnn, 700 MHz)"), std::string::npos) << run.out;
  std::ifstream csv(dir / "joined.csv");
  std::size_t lines = 0;
  for (std::string line; std::getline(csv, line);) ++lines;
  EXPECT_NE(run.out.find(fmt::format("wrote {} rows to", lines - 1)), std::string::npos) << run.out;
  EXPECT_GT(lines, 5u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace wb::compare
