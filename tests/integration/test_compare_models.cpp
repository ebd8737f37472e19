// `workbench compare` on the exported torchvision workloads, timing-only runs (--no-data: the
// cycles do not depend on the data): ResNet-18 on gap8 against v3_96 (two targets, two
// clocks: time in microseconds, fused and unfused layers joined), and ResNet-50 on v3_96 with
// and without weight_pingpong (one target: cycles, layer for layer). The CSV must put every
// layer of each report in exactly one row, and every ratio must be its row's B time over A's.

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "tests/support/cli_testing.h"
#include "tests/support/test_paths.h"

namespace wb {
namespace {

struct CsvRow {
  std::string a_layers, b_layers;
  std::uint64_t a_cycles = 0, b_cycles = 0;
  double a_us = 0, b_us = 0, ratio = 0;
  double a_uj = 0, b_uj = 0;  // the row's layers' energy
  std::uint64_t a_macs = 0, b_macs = 0;
  double a_edp = 0, b_edp = 0;  // the row's energy-delay product
};

// The joined CSV of two reports. Layer names of these networks hold no comma or quote.
std::vector<CsvRow> read_joined(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "row,output,A_layers,A_cycles,A_us,A_macs,A_mac_per_cycle,A_bytes,A_energy_uj,A_energy_delay,"
                  "B_layers,B_cycles,B_us,B_macs,B_mac_per_cycle,B_bytes,B_energy_uj,B_energy_delay,ratio_B_A");
  std::vector<CsvRow> rows;
  const auto real = [](const std::string& field, double absent) { return field.empty() ? absent : std::stod(field); };
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream split(line);
    for (std::string field; std::getline(split, field, ',');) f.push_back(field);
    if (f.size() == 18) f.emplace_back();  // no ratio: A took no time in this row
    EXPECT_EQ(f.size(), 19u) << line;
    if (f.size() != 19) continue;
    rows.push_back({f[2], f[10], std::stoull(f[3]), std::stoull(f[11]), std::stod(f[4]), std::stod(f[12]),
                    real(f[18], 0.0), real(f[8], -1.0), real(f[16], -1.0), std::stoull(f[5]), std::stoull(f[13]),
                    real(f[9], -1.0), real(f[17], -1.0)});
  }
  return rows;
}

// The layer names a CSV cell lists ("a + b + c").
std::vector<std::string> names_in(const std::string& cell) {
  std::vector<std::string> names;
  std::stringstream split(cell);
  for (std::string name; std::getline(split, name, '+');) {
    name.erase(0, name.find_first_not_of(' '));
    name.erase(name.find_last_not_of(' ') + 1);
    if (!name.empty()) names.push_back(name);
  }
  return names;
}

std::vector<std::string> layer_names(const nlohmann::json& report) {
  std::vector<std::string> names;
  for (const auto& l : report["layers"]) names.push_back(l["name"]);
  return names;
}

// Every layer of each report is in exactly one row; the first report's in its order (rows
// follow it; the second may have run its branches in another order).
void expect_every_layer_once(const std::vector<CsvRow>& rows, const nlohmann::json& a, const nlohmann::json& b) {
  std::vector<std::string> a_joined, b_joined;
  for (const CsvRow& row : rows) {
    for (const std::string& name : names_in(row.a_layers)) a_joined.push_back(name);
    for (const std::string& name : names_in(row.b_layers)) b_joined.push_back(name);
  }
  EXPECT_EQ(a_joined, layer_names(a));
  std::vector<std::string> b_layers = layer_names(b);
  std::sort(b_joined.begin(), b_joined.end());
  std::sort(b_layers.begin(), b_layers.end());
  EXPECT_EQ(b_joined, b_layers);
}

// Each row's energy is its layers' (every report here has energy): the rows add up to the
// layers' energies of each report.
void expect_energy_joined(const std::vector<CsvRow>& rows, const nlohmann::json& a, const nlohmann::json& b) {
  double a_rows = 0, b_rows = 0, a_layers = 0, b_layers = 0;
  for (const CsvRow& row : rows) {
    EXPECT_GE(row.a_uj, 0) << row.a_layers;
    EXPECT_GE(row.b_uj, 0) << row.b_layers;
    // A row's energy-delay product is its energy times its time (uJ x ms).
    EXPECT_NEAR(row.a_edp, row.a_uj * row.a_us * 1e-3, 1e-9 * row.a_uj * row.a_us) << row.a_layers;
    EXPECT_NEAR(row.b_edp, row.b_uj * row.b_us * 1e-3, 1e-9 * row.b_uj * row.b_us) << row.b_layers;
    a_rows += row.a_uj;
    b_rows += row.b_uj;
  }
  for (const auto& l : a["layers"]) a_layers += l["energy_pj"].get<double>() * 1e-6;
  for (const auto& l : b["layers"]) b_layers += l["energy_pj"].get<double>() * 1e-6;
  EXPECT_NEAR(a_rows, a_layers, 1e-6 * a_layers + 1e-3);
  EXPECT_NEAR(b_rows, b_layers, 1e-6 * b_layers + 1e-3);
}

void expect_ratios(const std::vector<CsvRow>& rows) {
  for (const CsvRow& row : rows) {
    if (row.a_us > 0) {
      EXPECT_NEAR(row.ratio, row.b_us / row.a_us, 1e-9 * row.b_us / row.a_us) << row.a_layers;
    }
  }
}

class CompareModels : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / fmt::format("wb_compare_models_{}", ::getpid());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path run(const std::string& model, const std::string& config, const std::string& name,
                            const std::string& extra = "") {
    const auto report = dir_ / (name + ".json");
    const auto result = test::workbench(fmt::format("run --hw {}/configs/{}.yaml {}/{}/model.onnx --no-data --quiet "
                                                    "--json {} {}",
                                                    test::source_dir().string(), config,
                                                    test::workload_cache_dir().string(), model, report.string(), extra));
    EXPECT_EQ(result.exit_code, 0) << result.out;
    return report;
  }

  std::filesystem::path dir_;
};

TEST_F(CompareModels, ResNet18OnBothTargetsJoinsPerLayerInMicroseconds) {
  const auto a = run("resnet18", "gap8", "gap8");
  const auto b = run("resnet18", "v3_96", "v3_96");
  const auto result = test::workbench(fmt::format("compare {} {} --csv {}", a.string(), b.string(),
                                                  (dir_ / "joined.csv").string()));
  ASSERT_EQ(result.exit_code, 0) << result.out;
  EXPECT_NE(result.out.find("time in us (targets or clocks differ)"), std::string::npos) << result.out;
  const auto ja = test::read_json(a), jb = test::read_json(b);
  const auto rows = read_joined(dir_ / "joined.csv");
  expect_every_layer_once(rows, ja, jb);
  expect_ratios(rows);
  expect_energy_joined(rows, ja, jb);
  // The same work on both sides of every row: each row's layers do the same MACs (the
  // residual projection is joined with itself, whichever branch a target runs first).
  for (const CsvRow& row : rows) EXPECT_EQ(row.a_macs, row.b_macs) << row.a_layers << " | " << row.b_layers;
  // Every conv of ResNet-18 writes a tensor both targets keep: the rows are nearly one per
  // layer of the target that fuses more.
  EXPECT_GE(rows.size() + 3, std::min(ja["layers"].size(), jb["layers"].size())) << result.out;
  // Microseconds: cycles over each report's own clock.
  const double a_clock = ja["hw"]["resolved"]["resolved"]["clock_mhz"], b_clock = jb["hw"]["resolved"]["resolved"]["clock_mhz"];
  for (const CsvRow& row : rows) {
    EXPECT_NEAR(row.a_us, static_cast<double>(row.a_cycles) / a_clock, 1e-6 * (1 + row.a_us));
    EXPECT_NEAR(row.b_us, static_cast<double>(row.b_cycles) / b_clock, 1e-6 * (1 + row.b_us));
  }
}

TEST_F(CompareModels, ResNet50WithAndWithoutWeightPingpongJoinsLayerForLayerInCycles) {
  const auto on = run("resnet50", "v3_96", "pingpong_on");
  const auto off = run("resnet50", "v3_96", "pingpong_off", "--compile-opt weight_pingpong=off");
  const auto result = test::workbench(fmt::format("compare {} {} --csv {} --top 3", on.string(), off.string(),
                                                  (dir_ / "joined.csv").string()));
  ASSERT_EQ(result.exit_code, 0) << result.out;
  EXPECT_NE(result.out.find("time in cycles"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("weight_pingpong=off"), std::string::npos) << "the legend names the options: "
                                                                       << result.out;
  const auto jon = test::read_json(on), joff = test::read_json(off);
  const auto rows = read_joined(dir_ / "joined.csv");
  expect_every_layer_once(rows, jon, joff);
  expect_ratios(rows);
  expect_energy_joined(rows, jon, joff);
  ASSERT_EQ(rows.size(), jon["layers"].size()) << "one program's layers, one row each";
  std::uint64_t on_cycles = 0, off_cycles = 0;
  for (const CsvRow& row : rows) {
    EXPECT_EQ(row.a_layers, row.b_layers);
    if (row.a_cycles > 0) {
      EXPECT_NEAR(row.ratio, static_cast<double>(row.b_cycles) / static_cast<double>(row.a_cycles), 1e-9 * row.ratio);
    }
    on_cycles += row.a_cycles;
    off_cycles += row.b_cycles;
  }
  // Without the weight ping-pong the array waits for each layer's weights: never faster.
  EXPECT_GT(off_cycles, on_cycles);
  EXPECT_GT(joff["totals"]["cycles"].get<std::uint64_t>(), jon["totals"]["cycles"].get<std::uint64_t>());
  // The same convolutions on the same array either way; what changes is the wait for weights.
  const auto sum_of = [](const nlohmann::json& report, const char* cause) {
    std::uint64_t sum = 0;
    for (const auto& layer : report["layers"]) sum += layer["time"][cause].get<std::uint64_t>();
    return sum;
  };
  EXPECT_EQ(sum_of(joff, "array"), sum_of(jon, "array"));
  EXPECT_GT(sum_of(joff, "weights_ddr"), sum_of(jon, "weights_ddr"));
  EXPECT_NE(result.out.find(fmt::format("{:.2f}", static_cast<double>(joff["totals"]["cycles"].get<std::uint64_t>()) /
                                                      jon["totals"]["cycles"].get<std::uint64_t>())),
            std::string::npos)
      << "the totals' ratio: " << result.out;
}

}  // namespace
}  // namespace wb
