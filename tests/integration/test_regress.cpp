// Regression tracking end to end on real runs: a compile option made worse fails
// `regress compare` naming the layers and deltas, and made better passes and is reported;
// `regress check` passes on a fresh baseline and fails on a doctored one, naming the row.
// (The standard matrix against tests/baselines/standard.json is the ctest `regress_check`.)

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <fstream>
#include <regex>

#include "support/text.h"
#include "tests/support/cli_testing.h"
#include "tests/support/onnx_builder.h"
#include "tests/support/test_paths.h"
#include "workbench/report/report.h"
#include "workbench/report/report_json.h"

namespace wb {
namespace {

using test::CommandResult;
using testing::HasSubstr;
using testing::Not;

std::string config(const std::string& name) { return (test::source_dir() / "configs" / (name + ".yaml")).string(); }

report::RunReport timing_run(const std::filesystem::path& json, const std::string& compile_opt) {
  const CommandResult run = test::workbench(fmt::format("run --hw {} {} --no-data --quiet --json {} {}", config("v3_96"),
                                                        test::workload("tiny_resnet.onnx"), json.string(), compile_opt));
  EXPECT_EQ(run.exit_code, 0) << run.out;
  return report::from_json(test::read_json(json), json.string());
}

TEST(RegressCompare, AWorseCompileOptionFailsNamingTheLayersAndAnImprovementPasses) {
  const test::TempDir dir;
  const report::RunReport base = timing_run(dir / "base.json", "");
  const report::RunReport worse = timing_run(dir / "worse.json", "--compile-opt weight_pingpong=off");
  ASSERT_EQ(base.layers.size(), worse.layers.size());
  ASSERT_GT(worse.totals.cycles, base.totals.cycles) << "weight ping-pong off must cost cycles on this model";

  const CommandResult slower = test::workbench(fmt::format("regress compare --baseline {} --current {} --max-layers 0",
                                                           (dir / "base.json").string(), (dir / "worse.json").string()));
  EXPECT_EQ(slower.exit_code, 1) << slower.out;
  EXPECT_THAT(slower.out, HasSubstr("weight_pingpong=on -> weight_pingpong=off"));
  std::size_t worse_layers = 0;
  for (std::size_t i = 0; i < base.layers.size(); ++i) {
    if (worse.layers[i].cycles <= base.layers[i].cycles) continue;
    ++worse_layers;
    const std::string delta = fmt::format("+{}", grouped(worse.layers[i].cycles - base.layers[i].cycles));
    const std::regex line(fmt::format(R"({}\s+cycles\s+{}\s+->\s+{}\s+\{}\s+\+[0-9.]+%\s+WORSE)",
                                      std::regex_replace(base.layers[i].name, std::regex(R"([/.+])"), R"(\$&)"),
                                      grouped(base.layers[i].cycles), grouped(worse.layers[i].cycles),
                                      delta));
    EXPECT_TRUE(std::regex_search(slower.out, line)) << base.layers[i].name << " " << delta << "\n" << slower.out;
  }
  EXPECT_GT(worse_layers, 0u);
  EXPECT_THAT(slower.out, HasSubstr("-> FAIL"));

  const CommandResult faster = test::workbench(fmt::format("regress compare --baseline {} --current {}",
                                                           (dir / "worse.json").string(), (dir / "base.json").string()));
  EXPECT_EQ(faster.exit_code, 0) << faster.out;
  EXPECT_THAT(faster.out, HasSubstr(fmt::format("{} -> {}", grouped(worse.totals.cycles),
                                                grouped(base.totals.cycles))));
  EXPECT_THAT(faster.out, HasSubstr("better"));
  EXPECT_THAT(faster.out, HasSubstr("-> ok"));

  // A threshold above the worst layer's growth lets the slowdown through.
  const CommandResult lenient = test::workbench(fmt::format("regress compare --baseline {} --current {} --threshold 1000%",
                                                            (dir / "base.json").string(), (dir / "worse.json").string()));
  EXPECT_EQ(lenient.exit_code, 0) << lenient.out;
}

// A baseline of a small matrix (tiny_resnet on two configs, timing only) in a temporary folder.
struct SmallBaseline {
  test::TempDir dir;
  std::filesystem::path file = dir / "baseline.json";

  SmallBaseline() {
    std::ofstream(dir / "small.yaml") << fmt::format("name: small\nmode: timing\nconfigs: [{}, {}]\nmodels: [{}]\n",
                                                      config("v3_96"), config("gap8"),
                                                      test::workload("tiny_resnet.onnx"));
    const CommandResult update = test::workbench(fmt::format(
        "regress update-baseline {} --matrix {} --reason \"a test's baseline\" -j 2", file.string(),
        (dir / "small.yaml").string()));
    EXPECT_EQ(update.exit_code, 0) << update.out;
  }

  std::string text() const {
    std::ifstream in(file);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  void write(const std::string& text) const { std::ofstream(file) << text; }
  CommandResult check() const {
    return test::workbench(fmt::format("regress check {} -j 2 --work {}", file.string(), (dir / "work").string()));
  }
};

TEST(RegressCheck, PassesOnItsOwnBaselineAndFailsOnADoctoredOneNamingTheRow) {
  const SmallBaseline baseline;
  const std::string original = baseline.text();
  EXPECT_THAT(original, HasSubstr("a test's baseline"));
  const CommandResult clean = baseline.check();
  EXPECT_EQ(clean.exit_code, 0) << clean.out;
  EXPECT_THAT(clean.out, HasSubstr("every figure as in"));

  // One layer's cycles one lower than what the simulator gives: the run got "worse".
  const std::regex layer_row(R"re(\{"model":"tiny_resnet","config":"v3_96","layer":"(/layer1/conv1/Conv)"[^\n]*?"cycles":(\d+))re");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(original, m, layer_row)) << original.substr(0, 2000);
  const std::uint64_t cycles = std::stoull(m[2]);
  std::string doctored = original;
  const std::size_t at = static_cast<std::size_t>(m.position(2));
  doctored.replace(at, m.length(2), std::to_string(cycles - 1));
  baseline.write(doctored);
  const CommandResult slower = baseline.check();
  EXPECT_EQ(slower.exit_code, 1) << slower.out;
  EXPECT_THAT(slower.out, HasSubstr("tiny_resnet on v3_96"));
  EXPECT_TRUE(std::regex_search(slower.out, std::regex(fmt::format(R"(/layer1/conv1/Conv\s+cycles\s+{}\s+->\s+{}\s+\+1\b)",
                                                                   grouped(cycles - 1), grouped(cycles)))))
      << slower.out;
  EXPECT_THAT(slower.out, HasSubstr("update-baseline"));

  // Better than the baseline fails too, until the baseline says so.
  doctored = original;
  doctored.replace(at, m.length(2), std::to_string(cycles + 1));
  baseline.write(doctored);
  const CommandResult faster = baseline.check();
  EXPECT_EQ(faster.exit_code, 1) << faster.out;
  EXPECT_THAT(faster.out, HasSubstr("CHANGED"));

  // A row missing from the baseline is a change as well.
  doctored = std::regex_replace(original, std::regex(R"(\{"model":"tiny_resnet","config":"gap8","layer":"/layer2/Add"[^\n]*\n)"), "");
  ASSERT_NE(doctored, original);
  baseline.write(doctored);
  const CommandResult missing = baseline.check();
  EXPECT_EQ(missing.exit_code, 1) << missing.out;
  EXPECT_THAT(missing.out, HasSubstr("layers only in the current run: /layer2/Add"));
}

TEST(RegressCheck, OneModelUnderTwoCompileOptionsIsTrackedByTheNamesItsSpecsGiveIt) {
  // A baseline keys its rows by model and config: the same model under other compile options
  // comes in as a spec's `name:` for it (as tests/baselines/pulp_fusion_*.yaml do).
  const test::TempDir dir;
  const std::filesystem::path file = dir / "baseline.json";
  std::string matrix;
  for (const std::string tiler : {"dory", "cost"}) {
    const std::filesystem::path spec = dir / (tiler + ".yaml");
    std::ofstream(spec) << fmt::format(
        "name: {0}\nmode: timing\nconfigs: [{1}]\nmodels:\n  - {{model: {2}, name: tiny_resnet.{0}}}\n"
        "axes:\n  compile_opt: [\"tiler={0}\"]\n",
        tiler, config("gap8"), test::workload("tiny_resnet.onnx"));
    matrix += " --matrix " + spec.string();
  }
  const CommandResult update = test::workbench(
      fmt::format("regress update-baseline {}{} --reason \"two tilers\" -j 2", file.string(), matrix));
  ASSERT_EQ(update.exit_code, 0) << update.out;
  std::ifstream in(file);
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  const auto total_cycles = [&](const std::string& model) {
    std::smatch m;
    const std::regex total(fmt::format(R"re(\{{"model":"{}","config":"gap8","layer":"\(total\)"[^\n]*?"cycles":(\d+))re",
                                       std::regex_replace(model, std::regex(R"(\.)"), R"(\.)")));
    return std::regex_search(text, m, total) ? std::stoull(m[1]) : 0;
  };
  EXPECT_GT(total_cycles("tiny_resnet.dory"), 0u) << text.substr(0, 2000);
  EXPECT_GT(total_cycles("tiny_resnet.cost"), 0u) << text.substr(0, 2000);
  EXPECT_NE(total_cycles("tiny_resnet.dory"), total_cycles("tiny_resnet.cost"));
  const CommandResult check = test::workbench(fmt::format("regress check {} -j 2", file.string()));
  EXPECT_EQ(check.exit_code, 0) << check.out;
}

}  // namespace
}  // namespace wb
