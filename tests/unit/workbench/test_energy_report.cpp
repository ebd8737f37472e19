// Energy in the run report (docs/energy.md), end to end on the checked-in tiny models, one
// target at a time: the total against a hand computation from the events the report lists,
// each energy key settable with --set, and a run without data giving the same energy as one
// with data.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/cli_testing.h"

namespace wb::energy_report_test {
namespace {

using nlohmann::json;
using test::CommandResult;
using test::read_json;
using test::workbench;
using test::workload;
using testing::HasSubstr;

std::string config(const std::string& name) { return fmt::format("{}/configs/{}.yaml", WB_TEST_SOURCE_DIR, name); }

// The JSON report of a run of tiny_resnet on `hw` with `sets` (--set KEY=VALUE each).
json run_report(const std::string& hw, const std::vector<std::string>& sets, bool data = false) {
  const test::TempDir dir;
  std::string args = fmt::format("run --hw {} {} --calib-count 2 --json {}", config(hw), workload("tiny_resnet.onnx"),
                                 (dir / "r.json").string());
  if (!data) args += " --no-data";
  for (const std::string& set : sets) args += " --set " + set;
  const CommandResult run = workbench(args);
  EXPECT_EQ(run.exit_code, 0) << run.out;
  if (run.exit_code != 0) return json::object();
  return read_json(dir / "r.json");
}

// Every `energy.*` key of the target at 0, but the ones given.
std::vector<std::string> only(const std::vector<std::string>& keys, const std::vector<std::string>& nonzero) {
  std::vector<std::string> sets;
  for (const std::string& key : keys) sets.push_back("energy." + key + "=0");
  sets.insert(sets.end(), nonzero.begin(), nonzero.end());
  return sets;
}

const std::vector<std::string> kPulpKeys = {"instruction_pj",   "simd_mac_pj",   "l1_access_pj", "l2_byte_pj",
                                            "l3_ram_byte_pj",   "l3_flash_byte_pj", "cluster_idle_mw", "soc_mw"};
const std::vector<std::string> kXdnnKeys = {"dsp_mac_pj", "am_byte_pj", "filter_cache_byte_pj", "pool_eltwise_element_pj",
                                            "ddr_byte_pj", "host_mw",   "static_mw"};

std::uint64_t total_pj(const json& report) { return report["totals"]["energy_pj"].get<std::uint64_t>(); }
std::uint64_t block(const json& report, const std::string& key) { return report["totals"][report["hw"]["target"].get<std::string>()][key].get<std::uint64_t>(); }

TEST(EnergyReport, PulpTotalIsTheEventsTimesTheirEnergiesByHand) {
  const json base = run_report("gap8", {});
  ASSERT_TRUE(base.contains("totals"));
  const std::uint64_t instructions = block(base, "core_instructions");
  const std::uint64_t simd_macs = block(base, "simd_macs");
  ASSERT_GT(instructions, 0u);
  ASSERT_GT(simd_macs, 0u);
  EXPECT_EQ(total_pj(run_report("gap8", only(kPulpKeys, {"energy.instruction_pj=3"}))), 3 * instructions);
  EXPECT_EQ(total_pj(run_report("gap8", only(kPulpKeys, {"energy.simd_mac_pj=2"}))), 2 * simd_macs);
  // L2 sees the cluster DMA's bytes (both directions) and the uDMA's.
  const std::uint64_t l2_bytes = block(base, "l1_dma_bytes_in") + block(base, "l1_dma_bytes_out") +
                                 block(base, "l3_bytes_in") + block(base, "l3_bytes_out");
  EXPECT_EQ(total_pj(run_report("gap8", only(kPulpKeys, {"energy.l2_byte_pj=1"}))), l2_bytes);
  // 10 mW for the run: cycles at 100 MHz, 10 mW x 1 us = 10,000 pJ per 100 cycles.
  const std::uint64_t cycles = base["totals"]["cycles"].get<std::uint64_t>();
  EXPECT_EQ(total_pj(run_report("gap8", only(kPulpKeys, {"energy.soc_mw=4", "energy.cluster_idle_mw=6"}))),
            static_cast<std::uint64_t>(std::llround(static_cast<double>(cycles) * 100.0)));
  // The layers add up to the run (they run back to back), within the rounding of each to a pJ.
  std::int64_t layers = 0;
  for (const auto& layer : base["layers"]) layers += layer["energy_pj"].get<std::int64_t>();
  EXPECT_NEAR(static_cast<double>(layers), static_cast<double>(total_pj(base)), static_cast<double>(base["layers"].size()));
  // The breakdown is in the target's order and adds up to the total.
  std::vector<std::string> parts;
  double sum = 0;
  for (const auto& [component, pj] : base["totals"]["energy"].items()) {
    parts.push_back(component);
    sum += pj.get<double>();
  }
  EXPECT_THAT(parts, testing::UnorderedElementsAre("cores", "l1", "l2", "l3", "static"));
  EXPECT_NEAR(sum, static_cast<double>(total_pj(base)), 1.0);
  EXPECT_NEAR(base["totals"]["pj_per_mac"].get<double>(), sum / base["totals"]["macs"].get<double>(), 1e-9 * sum);
}

TEST(EnergyReport, XdnnTotalIsTheEventsTimesTheirEnergiesByHand) {
  const json base = run_report("v3_96", {});
  ASSERT_TRUE(base.contains("totals"));
  std::uint64_t slots = 0, am = 0;
  for (const auto& layer : base["layers"]) {
    slots += layer["xdnn"]["array_mac_slots"].get<std::uint64_t>();
    am += layer["xdnn"]["am_read_bytes"].get<std::uint64_t>() + layer["xdnn"]["am_write_bytes"].get<std::uint64_t>();
  }
  ASSERT_GT(slots, base["totals"]["macs"].get<std::uint64_t>() / 2);
  ASSERT_GT(am, 0u);
  EXPECT_EQ(total_pj(run_report("v3_96", only(kXdnnKeys, {"energy.dsp_mac_pj=1"}))), slots);
  EXPECT_EQ(total_pj(run_report("v3_96", only(kXdnnKeys, {"energy.am_byte_pj=2"}))), 2 * am);
  EXPECT_EQ(total_pj(run_report("v3_96", only(kXdnnKeys, {"energy.ddr_byte_pj=1"}))),
            base["totals"]["offchip_bytes"].get<std::uint64_t>());
  // 7 W over the run at 700 MHz: 7,000 mW x (cycles / 700) us = 10,000 pJ per cycle.
  const std::uint64_t cycles = base["totals"]["cycles"].get<std::uint64_t>();
  EXPECT_EQ(total_pj(run_report("v3_96", only(kXdnnKeys, {"energy.static_mw=7000"}))), cycles * 10000);
}

TEST(EnergyReport, ARunWithoutDataCountsTheSameEnergyAsOneWithData) {
  for (const std::string hw : {"gap8", "v3_96"}) {
    const json timing = run_report(hw, {}, false);
    const json full = run_report(hw, {}, true);
    ASSERT_TRUE(full.contains("totals")) << hw;
    EXPECT_EQ(full["verdict"], "bit-exact") << hw;
    EXPECT_GT(total_pj(full), 0u) << hw;
    EXPECT_EQ(timing["totals"]["energy"], full["totals"]["energy"]) << hw;
    for (std::size_t i = 0; i < full["layers"].size(); ++i) {
      EXPECT_EQ(timing["layers"][i]["energy"], full["layers"][i]["energy"]) << hw << " layer " << i;
    }
  }
}

TEST(EnergyReport, TheConsoleShowsTheEnergyAndItsBreakdown) {
  const test::TempDir dir;
  const CommandResult run =
      workbench(fmt::format("run --hw {} {} --calib-count 2 --no-data", config("gap8"), workload("tiny_resnet.onnx")));
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_THAT(run.out, testing::ContainsRegex("energy +[0-9.]+ uJ, [0-9.]+ pJ/MAC, [0-9.]+ mW average"));
  EXPECT_THAT(run.out, testing::ContainsRegex("energy by part +cores [0-9.]+ uJ \\([0-9]+ %\\), l1 "));
  EXPECT_THAT(run.out, HasSubstr("pJ/MAC"));
}

TEST(EnergyReport, ThePlotsShowEachLayersEnergy) {
  for (const std::string hw : {"gap8", "v3_96"}) {
    const test::TempDir dir;
    const CommandResult run = workbench(fmt::format("run --hw {} {} --calib-count 2 --no-data --plot {}", config(hw),
                                                    workload("tiny_resnet.onnx"), (dir / "plots").string()));
    ASSERT_EQ(run.exit_code, 0) << run.out;
    EXPECT_THAT(run.out, HasSubstr("wrote " + (dir / "plots" / "energy.svg").string()));
    std::ifstream energy(dir / "plots" / "energy.svg");
    const std::string svg((std::istreambuf_iterator<char>(energy)), std::istreambuf_iterator<char>());
    EXPECT_THAT(svg, HasSubstr("pJ per MAC")) << hw;
    EXPECT_THAT(svg, testing::ContainsRegex("[0-9.]+ pJ/MAC, ")) << hw;  // a layer's hover text and its breakdown
    // The roofline's hover text carries each layer's energy too.
    for (const auto& entry : std::filesystem::directory_iterator(dir / "plots")) {
      if (entry.path().filename().string().rfind("roofline_", 0) != 0) continue;
      std::ifstream roofline(entry.path());
      const std::string text((std::istreambuf_iterator<char>(roofline)), std::istreambuf_iterator<char>());
      EXPECT_THAT(text, HasSubstr(" pJ/MAC")) << entry.path();
    }
  }
}

TEST(EnergyReport, AnEnergyKeyOutOfRangeIsRefusedNamingIt) {
  const CommandResult run = workbench(fmt::format("run --hw {} {} --no-data --set energy.instruction_pj=-1",
                                                  config("gap8"), workload("tiny_resnet.onnx")));
  EXPECT_NE(run.exit_code, 0);
  EXPECT_THAT(run.out, HasSubstr("energy.instruction_pj"));
}

}  // namespace
}  // namespace wb::energy_report_test
