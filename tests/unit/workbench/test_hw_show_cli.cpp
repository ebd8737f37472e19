// `workbench hw show` end to end: the resolved keys and derived figures of the checked-in
// configs, --set, --json, and the bad-input contract (exit 2, one line naming file and key).

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/support/cli_testing.h"
#include "tests/support/onnx_builder.h"
#include "tests/support/test_paths.h"

namespace wb {
namespace {

using test::CommandResult;
using test::expect_bad_input;
using test::workbench;

std::string config(const std::string& name) { return (test::source_dir() / "configs" / name).string(); }

TEST(HwShowCli, PrintsEveryKeyWithUnitAndThePeaks) {
  const CommandResult run = workbench("hw show " + config("v3_96.yaml"));
  ASSERT_EQ(run.exit_code, 0) << run.out;
  for (const char* expected : {"clock_mhz", "array.rows", "96", "am_bytes", "9437184 (9 MiB)", "bytes", "ddr_gbps",
                               "19.25", "GB/s", "host_fc_softmax", "peak_mac_per_cycle_int8", "3072", "peak_gops_int8",
                               "4300.8", "peak_gops_int16", "2150.4", "GOP/s"}) {
    EXPECT_NE(run.out.find(expected), std::string::npos) << expected << "\n" << run.out;
  }
  EXPECT_EQ(run.out.find("(--set)"), std::string::npos);
}

TEST(HwShowCli, SetOverridesAndMarksTheKey) {
  const CommandResult run = workbench("hw show --set array.rows=56 --set am_bytes=5MiB " + config("v2_28.yaml"));
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_NE(run.out.find("--set      array.rows=56"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("5242880 (5 MiB)"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("(--set)"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("3584"), std::string::npos) << run.out;  // v2 56x32 peak, GOP/s int8
}

TEST(HwShowCli, WritesJson) {
  const test::TempDir dir;
  const std::string out = (dir / "hw.json").string();
  const CommandResult run = workbench("hw show " + config("v2_56.yaml") + " --set clock_mhz=250 --json " + out);
  ASSERT_EQ(run.exit_code, 0) << run.out;
  std::ifstream in(out);
  const auto doc = nlohmann::json::parse(in);
  EXPECT_EQ(doc["target"], "xdnn");
  EXPECT_EQ(doc["name"], "v2_56");
  EXPECT_EQ(doc["resolved"]["array"]["rows"], 56);
  EXPECT_EQ(doc["resolved"]["am_bytes"], 6 << 20);
  EXPECT_EQ(doc["resolved"]["depthwise"], false);
  EXPECT_EQ(doc["units"]["ddr_gbps"], "GB/s");
  EXPECT_DOUBLE_EQ(doc["derived"]["peak_gops_int8"].get<double>(), 1792);  // half the clock, half the peak
  EXPECT_EQ(doc["overrides"], nlohmann::json::array({"clock_mhz=250"}));
}

TEST(HwShowCli, BadInputIsExitTwoAndOneLine) {
  expect_bad_input(workbench("hw show " + config("no_such.yaml")), "no_such.yaml: no such file");
  expect_bad_input(workbench("hw show " + config("v2_28.yaml") + " --set array.rows=abc"),
                   "v2_28.yaml (--set array.rows=abc): array.rows: expected an integer");
  expect_bad_input(workbench("hw show " + config("v2_28.yaml") + " --set am_bytes=4KB"), "unknown unit 'KB'");
  expect_bad_input(workbench("hw show " + config("v2_28.yaml") + " --set array.rowz=5"), "array.rowz: unknown key");

  // A pulp key appended to an xdnn file: the error names the file, the line and the key.
  const test::TempDir dir;
  std::ifstream in(config("v2_28.yaml"));
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::ofstream(dir / "bad.yaml") << text << "l1_bytes: 64000\n";
  expect_bad_input(workbench("hw show " + (dir / "bad.yaml").string()),
                   "bad.yaml:" + std::to_string(test::line_count(text) + 1) + ": l1_bytes: unknown key");
  EXPECT_EQ(workbench("hw").exit_code, 2);       // no subcommand
  EXPECT_EQ(workbench("hw show").exit_code, 2);  // HW missing
  EXPECT_EQ(workbench("hw show --help").exit_code, 0);
}

}  // namespace
}  // namespace wb
