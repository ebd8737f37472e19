// The run report as CSV (workbench/report/report_csv.h): SCALE-Sim's COMPUTE_REPORT columns first,
// RFC 4180 quoting, and the files both writers leave (or do not).

#include "workbench/report/report_csv.h"

#include <fmt/format.h>
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
#include "workbench/report/report_json.h"

namespace wb::report {
namespace {

using nlohmann::json;
using fixtures::lines_of;
using fixtures::parse_csv;
using fixtures::sample_report;

// ---- CSV ------------------------------------------------------------------------------------

TEST(RunReportCsv, StartsWithScaleSimComputeReportColumns) {
  const std::string csv = csv_text(sample_report());
  const auto lines = lines_of(csv);
  ASSERT_EQ(lines.size(), 3u) << csv;  // header + one line per layer, no totals line
  // SCALE-Sim v2 (scalesim/simulator.py) writes this prefix, with ", " where plain CSV has ",".
  EXPECT_EQ(lines[0].rfind("LayerID,Total Cycles,Stall Cycles,Overall Util %,Mapping Efficiency %,Compute Util %,", 0), 0u)
      << lines[0];
  // Plain CSV: no blank after a separator, in the header or any line.
  for (const auto& line : lines) EXPECT_EQ(line.find(", "), line.find(", final")) << line;
  const auto rows = parse_csv(csv);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0],
            (std::vector<std::string>{"LayerID", "Total Cycles", "Stall Cycles", "Overall Util %",
                                      "Mapping Efficiency %", "Compute Util %",
                                      // every plain standard statistic SCALE-Sim's columns do not carry
                                      "name", "type", "unit", "output", "macs", "ops", "us", "mac_per_cycle", "bytes_in",
                                      "bytes_out", "tiles",
                                      // the target's own, in declaration order
                                      "ddr_weight_bytes", "mapping_efficiency"}));
  for (const auto& row : rows) EXPECT_EQ(row.size(), rows[0].size());
}

TEST(RunReportCsv, ValuesFollowScaleSimMeanings) {
  const auto rows = parse_csv(csv_text(sample_report()));
  ASSERT_EQ(rows.size(), 3u);
  const auto& conv = rows[1];
  EXPECT_EQ(conv[0], "0");                      // LayerID counts from 0 like SCALE-Sim
  EXPECT_EQ(conv[1], "100000");                 // Total Cycles
  EXPECT_EQ(conv[2], "20000");                  // Stall Cycles
  EXPECT_DOUBLE_EQ(std::stod(conv[3]), 25.0);   // Overall Util % = 100 x utilization
  EXPECT_DOUBLE_EQ(std::stod(conv[5]), 31.25);  // Compute Util %: stalls excluded, 25 x 100000/80000
  EXPECT_DOUBLE_EQ(std::stod(conv[4]), 31.25);  // Mapping Efficiency %: Compute Util % when unknown
  const auto column = [&](const std::string& name) {
    return static_cast<std::size_t>(std::find(rows[0].begin(), rows[0].end(), name) - rows[0].begin());
  };
  EXPECT_EQ(conv[column("name")], "/conv1/Conv");
  EXPECT_EQ(conv[column("type")], "Conv+Relu");
  EXPECT_EQ(conv[column("macs")], "118013952");
  EXPECT_EQ(conv[column("tiles")], "7");
  EXPECT_EQ(conv[column("unit")], "array");  // where it ran
  EXPECT_EQ(conv[column("us")], "142.857");
  EXPECT_EQ(conv[column("ddr_weight_bytes")], "9408");
  EXPECT_EQ(conv[column("mapping_efficiency")], "");  // no mapping_efficiency in this layer

  const auto& fc = rows[2];
  EXPECT_EQ(fc[0], "1");
  EXPECT_DOUBLE_EQ(std::stod(fc[5]), 50.0);  // no stalls: compute util = overall util
  EXPECT_EQ(fc[column("name")], "fc, final");
  EXPECT_EQ(fc[column("unit")], "host");
  EXPECT_EQ(fc[column("mapping_efficiency")], "0.625");
  EXPECT_DOUBLE_EQ(std::stod(fc[4]), 62.5);  // Mapping Efficiency %: the target's figure when it has one

  RunReport r = sample_report();
  r.layers[0].specific["mapping_efficiency"] = 0.75;
  const auto with_mapping = parse_csv(csv_text(r));
  EXPECT_DOUBLE_EQ(std::stod(with_mapping[1][4]), 75.0);
}

TEST(RunReportCsv, TimeCausesAreColumnsAfterThePlainStatistics) {
  RunReport r = sample_report();
  r.layers[0].time = {{"array", 80'000}, {"weights_ddr", 15'000}, {"issue", 5'000}};
  const auto rows = parse_csv(csv_text(r));
  ASSERT_EQ(rows.size(), 3u);
  const auto tiles = static_cast<std::size_t>(std::find(rows[0].begin(), rows[0].end(), "tiles") - rows[0].begin());
  ASSERT_LT(tiles, rows[0].size());
  const std::vector<std::string> tail(rows[0].begin() + static_cast<std::ptrdiff_t>(tiles), rows[0].end());
  EXPECT_EQ(tail, (std::vector<std::string>{"tiles", "time_array", "time_weights_ddr", "time_issue",
                                            "ddr_weight_bytes", "mapping_efficiency"}));
  const auto first_cause = static_cast<std::ptrdiff_t>(tiles + 1);
  EXPECT_EQ(std::vector<std::string>(rows[1].begin() + first_cause, rows[1].begin() + first_cause + 3),
            (std::vector<std::string>{"80000", "15000", "5000"}));
  EXPECT_EQ(std::vector<std::string>(rows[2].begin() + first_cause, rows[2].begin() + first_cause + 3),
            (std::vector<std::string>{"", "", ""}));  // the fc has none
}

TEST(RunReportCsv, ThePredictionFollowsTheBoundsOnATargetThatPredicts) {
  const auto rows = parse_csv(csv_text(fixtures::sample_pulp_report()));
  ASSERT_EQ(rows.size(), 3u);
  const auto column = [&](const std::string& name) {
    return static_cast<std::size_t>(std::find(rows[0].begin(), rows[0].end(), name) - rows[0].begin());
  };
  const std::size_t predicted = column("predicted_cycles");
  ASSERT_LT(predicted + 1, rows[0].size());
  EXPECT_EQ(rows[0][predicted + 1], "prediction_error_pct");
  EXPECT_LT(predicted, column("kernel"));  // before the target's own columns
  // (1200 - 1000) / 1000 = +20 %; (900 - 1000) / 1000 = -10 %.
  EXPECT_EQ(rows[1][predicted], "1000");
  EXPECT_EQ(rows[1][predicted + 1], "20.0");
  EXPECT_EQ(rows[2][predicted + 1], "-10.0");
  EXPECT_EQ(rows[1][column("tiler_cycles")], "990");
  // A layer without a prediction leaves the fields empty; a report without any has no columns.
  RunReport partial = fixtures::sample_pulp_report();
  partial.layers[1].predicted_cycles.reset();
  EXPECT_EQ(parse_csv(csv_text(partial))[2][predicted], "");
  const auto xdnn = parse_csv(csv_text(sample_report()));
  EXPECT_EQ(std::find(xdnn[0].begin(), xdnn[0].end(), "predicted_cycles"), xdnn[0].end());
}

TEST(RunReportCsv, QuotesFieldsWithCommasAndQuotesPerRfc4180) {
  RunReport r = sample_report();
  r.layers[1].type = "Gemm \"x\"";
  const std::string csv = csv_text(r);
  // The quote opens the field right after the comma (RFC 4180), quotes inside are doubled.
  EXPECT_NE(csv.find(",\"fc, final\",\"Gemm \"\"x\"\"\","), std::string::npos) << csv;
  EXPECT_EQ(csv.find("\"/conv1/Conv\""), std::string::npos) << csv;  // plain fields unquoted
  EXPECT_NE(csv.find(",802816,7,9408,\n"), std::string::npos) << csv;  // an empty last field
  EXPECT_NE(csv.find("0,100000,20000,25.0,31.25,31.25,/conv1/Conv,"), std::string::npos)
      << csv;  // floats as Python writes them
}

TEST(RunReportCsv, NoLayersIsJustTheHeader) {
  RunReport r = sample_report();
  r.layers.clear();
  const auto lines = lines_of(csv_text(r));
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].rfind("LayerID,Total Cycles", 0), 0u);
}

// ---- files ----------------------------------------------------------------------------------

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(RunReportFiles, WritesJsonAndCsvThatReadBack) {
  test::TempDir dir;
  const RunReport r = sample_report();
  write_json(r, dir / "run.json");
  write_csv(r, dir / "run.csv");
  EXPECT_EQ(from_json(json::parse(read_text(dir / "run.json"))), r);
  EXPECT_EQ(read_text(dir / "run.csv"), csv_text(r));
  // Nothing but the two files: the temporaries were renamed away.
  std::set<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
    names.insert(entry.path().filename().string());
  EXPECT_EQ(names, (std::set<std::string>{"run.json", "run.csv"}));
}

TEST(RunReportFiles, MissingFolderIsAUserErrorAndLeavesNoFile) {
  test::TempDir dir;
  const RunReport r = sample_report();
  EXPECT_THROW(write_json(r, dir / "missing" / "run.json"), UserError);
  EXPECT_THROW(write_csv(r, dir / "missing" / "run.csv"), UserError);
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

}  // namespace
}  // namespace wb::report
