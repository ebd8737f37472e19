// `workbench run / compile / sim / verify` on PULP configs, end to end on the checked-in tiny
// models: bit-exactness, the report, the tiling log, --no-data, the trace, and bad input.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/cli_testing.h"
#include "tests/support/report_checks.h"
#include "tests/support/onnx_builder.h"
#include "workbench/report/report_json.h"

namespace wb {
namespace {

using test::CommandResult;
using test::expect_error;
using test::read_json;
using test::workbench;
using test::workload;
using testing::HasSubstr;

std::string gap8() { return fmt::format("{}/configs/gap8.yaml", WB_TEST_SOURCE_DIR); }

TEST(RunPulpCli, TheEnergyTilerRunsBitExactAndSpendsNoMoreThanDorysTilingByTheModel) {
  std::map<std::string, double> energy;
  for (const std::string tiler : {"dory", "energy"}) {
    const test::TempDir dir;
    const CommandResult run = workbench(fmt::format("run --hw {} {} --calib-count 2 --compile-opt tiler={} --json {}",
                                                    gap8(), workload("tiny_mobilenet_v2.onnx"), tiler,
                                                    (dir / "r.json").string()));
    ASSERT_EQ(run.exit_code, 0) << run.out;
    const auto report = read_json(dir / "r.json");
    EXPECT_EQ(report["verdict"], "bit-exact") << tiler;
    EXPECT_EQ(report["totals"]["pulp"]["tiler"], tiler);
    energy[tiler] = report["totals"]["energy_uj"].get<double>();
  }
  // The tiler keeps DORY's tiling unless the model predicts less energy beyond the kernel's
  // margin; the simulator may measure a little more than predicted, never much more.
  EXPECT_LT(energy["energy"], energy["dory"] * 1.02) << energy["energy"] << " vs " << energy["dory"];
}

TEST(RunPulpCli, FusedPairsRunBitExactMoveLessThroughL1AndFusionOnIsNeverSlower) {
  // tiny_mobilenet_v2: four depthwise -> pointwise (projection) pairs.
  std::map<std::string, nlohmann::json> report;
  for (const std::string fusion : {"off", "on", "all"}) {
    const test::TempDir dir;
    const CommandResult run =
        workbench(fmt::format("run --hw {} {} --calib-count 2 --compile-opt tiler=cost --compile-opt fusion={} --json {}",
                              gap8(), workload("tiny_mobilenet_v2.onnx"), fusion, (dir / "r.json").string()));
    ASSERT_EQ(run.exit_code, 0) << run.out;
    report[fusion] = read_json(dir / "r.json");
    EXPECT_EQ(report[fusion]["verdict"], "bit-exact") << fusion;
    if (fusion == "all") {
      EXPECT_THAT(run.out, HasSubstr("fusion: 4 of 4 depthwise + pointwise pairs run fused\n"));
    }
  }
  const auto fused_layers = [&](const std::string& fusion) {
    std::size_t n = 0;
    for (const auto& layer : report[fusion]["layers"]) n += layer["type"] == "depthwise+pointwise" ? 1 : 0;
    return n;
  };
  EXPECT_EQ(fused_layers("off"), 0u);
  EXPECT_EQ(fused_layers("all"), 4u);
  for (const auto& layer : report["all"]["layers"]) {
    if (layer["type"] != "depthwise+pointwise") continue;
    // The kernels of both parts, the depthwise one as it ran (plane or window).
    const std::string kernel = layer["pulp"]["kernel"];
    EXPECT_TRUE(kernel == "depthwise+pointwise" || kernel == "depthwise_plane+pointwise") << kernel;
    // Its group: the two layers of the unfused run it stands for, in order; the group's own
    // energy-delay product.
    const std::string group = layer["pulp"]["fusion_group"];
    const auto& apart = report["off"]["layers"];
    const auto writer = std::find_if(apart.begin(), apart.end(), [&](const auto& l) { return l["output"] == layer["output"]; });
    ASSERT_NE(writer, apart.end()) << group;
    ASSERT_NE(writer, apart.begin());
    EXPECT_EQ(group, fmt::format("{} + {}", (*(writer - 1))["name"].get<std::string>(), (*writer)["name"].get<std::string>()));
    EXPECT_NEAR(layer["energy_delay"].get<double>(),
                layer["energy_pj"].get<double>() * 1e-6 * layer["us"].get<double>() * 1e-3,
                1e-6 * layer["energy_delay"].get<double>());
  }
  for (const auto& layer : report["off"]["layers"]) EXPECT_FALSE(layer["pulp"].contains("fusion_group")) << layer["name"];
  const auto pulp = [&](const std::string& fusion, const char* key) {
    return report[fusion]["totals"]["pulp"][key].get<std::uint64_t>();
  };
  // The intermediates never cross the cluster DMA.
  EXPECT_LT(pulp("all", "l1_dma_bytes_in"), pulp("off", "l1_dma_bytes_in"));
  EXPECT_LT(pulp("all", "l1_dma_bytes_out"), pulp("off", "l1_dma_bytes_out"));
  // fusion=on keeps the fused network only when the cluster model measured it faster.
  const auto cycles = [&](const std::string& fusion) { return report[fusion]["totals"]["cycles"].get<std::uint64_t>(); };
  EXPECT_LE(cycles("on"), cycles("off"));
  const CommandResult dory = workbench(fmt::format("compile --hw {} {} --compile-opt fusion=on -o {}", gap8(),
                                                   workload("tiny_mobilenet_v2.onnx"), test::TempDir().path().string()));
  EXPECT_EQ(dory.exit_code, 2) << dory.out;
  EXPECT_THAT(dory.out, HasSubstr("fusion=on needs tiler=cost or tiler=energy"));
}

// A patch stage on the model at `path` in `l2` of L2, where its first maps go through L3 apart: off, on
// and all bit-exact, the stage (fusion=all) the unfused run's first layers, nothing in L3;
// fusion=on keeps it exactly when faster. The stage's layer names, first to last.
std::vector<std::string> check_patch_stage(const std::string& path, const std::string& l2) {
  const std::string model = std::filesystem::path(path).filename().string();
  std::map<std::string, nlohmann::json> report;
  std::map<std::string, std::string> out;
  for (const std::string fusion : {"off", "on", "all"}) {
    const test::TempDir dir;
    const CommandResult run = workbench(
        fmt::format("run --hw {} {} --calib-count 2 --set l2_bytes={} --compile-opt tiler=cost --compile-opt fusion={} "
                    "--json {}",
                    gap8(), path, l2, fusion, (dir / "r.json").string()));
    EXPECT_EQ(run.exit_code, 0) << run.out;
    if (run.exit_code != 0) return {};
    report[fusion] = read_json(dir / "r.json");
    out[fusion] = run.out;
    EXPECT_EQ(report[fusion]["verdict"], "bit-exact") << model << " fusion=" << fusion;
  }
  EXPECT_GT(report["off"]["totals"]["moveops"].get<std::uint64_t>(), 0u) << model;
  EXPECT_EQ(report["all"]["totals"]["moveops"].get<std::uint64_t>(), 0u) << model;
  const auto& stage = report["all"]["layers"].front();
  EXPECT_EQ(stage["pulp"]["kernel"], "patch_stage") << model;
  // Its group: the unfused run's first layers, in order, the last writing the stage's output.
  const auto& apart = report["off"]["layers"];
  const auto writer = std::find_if(apart.begin(), apart.end(), [&](const auto& l) { return l["output"] == stage["output"]; });
  EXPECT_NE(writer, apart.end()) << model;
  if (writer == apart.end()) return {};
  std::vector<std::string> names;
  for (auto layer = apart.begin(); layer != writer + 1; ++layer) names.push_back((*layer)["name"]);
  EXPECT_EQ(stage["pulp"]["fusion_group"], fmt::format("{}", fmt::join(names, " + ")));
  EXPECT_THAT(out["all"], HasSubstr(fmt::format("patch stage: the first {} layers run in ", names.size())));
  // fusion=on keeps it only where the cluster model measures the network faster with it.
  const auto cycles = [&](const std::string& fusion) { return report[fusion]["totals"]["cycles"].get<std::uint64_t>(); };
  EXPECT_LE(cycles("on"), cycles("off")) << model;
  EXPECT_EQ(report["on"]["layers"].front()["pulp"]["kernel"] == "patch_stage", cycles("on") < cycles("off")) << model;
  return names;
}

TEST(RunPulpCli, APatchStageRunsTheFirstLayersBandByBandBitExactWithNoIntermediateInL3) {
  EXPECT_GE(check_patch_stage(workload("tiny_mobilenet_v2.onnx"), "16KiB").size(), 3u);
}

TEST(RunPulpCli, APatchStageRunsAPoolBandByBandBitExact) {
  // tiny_resnet's stem: conv -> max pool -> the first block, its maps through L3 apart in this L2.
  const std::vector<std::string> stage = check_patch_stage(workload("tiny_resnet.onnx"), "14KiB");
  EXPECT_TRUE(std::any_of(stage.begin(), stage.end(),
                          [](const std::string& name) { return name.find("MaxPool") != std::string::npos; }))
      << fmt::format("{}", fmt::join(stage, " + "));
}

TEST(RunPulpCli, APatchStageRunsAGroupedConvolutionAndATableLookupBandByBandBitExact) {
  // RegNet's first block in small, MobileNetV3's HardSwish after its stem: conv3x3 (16) +
  // HardSwish (a table lookup) -> grouped conv3x3 s2 (4 groups) + Relu -> pointwise (16) + Relu,
  // then a global average pool.
  test::OnnxBuilder b;
  b.input("x", {1, 8, 32, 32}).output("y");
  const auto pads = std::vector<std::int64_t>{1, 1, 1, 1};
  b.initializer("w1", test::random_tensor({16, 8, 3, 3}, 61)).initializer("b1", test::random_tensor({16}, 62));
  test::set_attr(b.node("Conv", {"x", "w1", "b1"}, {"c1"}, "stem"), "pads", pads);
  b.node("HardSwish", {"c1"}, {"r1"}, "hswish");
  b.initializer("wg", test::random_tensor({16, 4, 3, 3}, 63)).initializer("bg", test::random_tensor({16}, 64));
  auto& grouped = b.node("Conv", {"r1", "wg", "bg"}, {"cg"}, "grouped");
  test::set_attr(grouped, "pads", pads);
  test::set_attr(grouped, "strides", std::vector<std::int64_t>{2, 2});
  test::set_attr(grouped, "group", std::int64_t{4});
  b.node("Relu", {"cg"}, {"rg"}, "relu_g");
  b.initializer("wp", test::random_tensor({16, 16, 1, 1}, 65)).initializer("bp", test::random_tensor({16}, 66));
  b.node("Conv", {"rg", "wp", "bp"}, {"cp"}, "pointwise");
  b.node("Relu", {"cp"}, {"rp"}, "relu_p");
  b.node("GlobalAveragePool", {"rp"}, {"y"}, "pool");
  const test::TempDir dir;
  b.save(dir / "grouped.onnx");
  const std::vector<std::string> stage = check_patch_stage((dir / "grouped.onnx").string(), "20KiB");
  EXPECT_THAT(stage, testing::Contains("grouped")) << fmt::format("{}", fmt::join(stage, " + "));
  EXPECT_THAT(stage, testing::Contains("hswish")) << fmt::format("{}", fmt::join(stage, " + "));
}

TEST(RunPulpCli, ASixtyFourGiBL3CostsWhatTheRunTouchesNotItsSize) {
  // The largest l3_bytes the schema allows: a limit, not an allocation (sim/common/backing_store.h).
  // Against the same run at the config's own 8 MiB it may cost a few pages more, not 64 GiB
  // (before the backing stores a 4 GiB L3 alone took 4.2 GB, and 64 GiB failed).
  constexpr std::uint64_t kExtra = 64ull << 20;
  const auto run = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {"run", "--hw", gap8(), workload("tiny_resnet.onnx"), "--no-cache"};
    args.insert(args.end(), extra.begin(), extra.end());
    return test::measured_workbench(args);
  };
  const test::MeasuredRun own = run({"--no-data"});
  const test::MeasuredRun timing = run({"--set", "l3_bytes=64GiB", "--no-data"});
  ASSERT_EQ(own.exit_code, 0) << own.out;
  ASSERT_EQ(timing.exit_code, 0) << timing.out;
  EXPECT_LT(timing.peak_rss_bytes, own.peak_rss_bytes + kExtra) << timing.peak_rss_bytes << " vs " << own.peak_rss_bytes;
  const test::MeasuredRun data = run({"--set", "l3_bytes=64GiB", "--calib-count", "2"});
  ASSERT_EQ(data.exit_code, 0) << data.out;
  EXPECT_THAT(data.out, HasSubstr("golden check: bit-exact"));
#if !defined(__SANITIZE_ADDRESS__)
  // The bound for the tool itself (a sanitized binary's shadow memory and quarantine
  // are the sanitizer's, not the simulator's).
  EXPECT_LT(data.peak_rss_bytes, 600ull << 20) << data.peak_rss_bytes;
  EXPECT_LT(timing.peak_rss_bytes, 600ull << 20) << timing.peak_rss_bytes;
#endif
}

TEST(RunPulpCli, TinyModelsAreBitExactWithBothTilers) {
  for (const std::string model : {"tiny_resnet.onnx", "tiny_mobilenet_v2.onnx"}) {
    for (const std::string tiler : {"dory", "cost"}) {
      const test::TempDir dir;
      const CommandResult run = workbench(fmt::format(
          "run --hw {} {} --calib-count 2 --compile-opt tiler={} --json {} --csv {} --trace {} --plot {}", gap8(),
          workload(model), tiler, (dir / "r.json").string(), (dir / "r.csv").string(), (dir / "t.json").string(),
          (dir / "plots").string()));
      ASSERT_EQ(run.exit_code, 0) << run.out;
      EXPECT_THAT(run.out, HasSubstr("golden check: bit-exact"));
      EXPECT_THAT(run.out, HasSubstr("MAC/cycle"));  // the console table
      const auto report = read_json(dir / "r.json");
      EXPECT_EQ(report["verdict"], "bit-exact") << model;
      EXPECT_EQ(report["hw"]["target"], "pulp");
      EXPECT_EQ(report["totals"]["pulp"]["tiler"], tiler);  // the target's own block
      EXPECT_GT(report["totals"]["cycles"].get<std::uint64_t>(), 0u);
      EXPECT_LT(report["totals"]["mac_per_cycle"].get<double>(), 32.0);
      test::expect_bounds_hold(report::from_json(report));
      // The roofline over the cluster DMA's L2 -> L1 direction, which every layer crosses.
      EXPECT_THAT(run.out, HasSubstr("wrote " + (dir / "plots" / "roofline_cluster_dma_in.svg").string()));
      EXPECT_TRUE(std::filesystem::exists(dir / "plots" / "roofline_cluster_dma_in.svg"));
      // The predictor's run of the same program beside the simulator's: every layer has its
      // prediction, and they add up to the run's. (Today the cluster replays the predictor's
      // timeline, so the two are close; once its cores execute they may differ.)
      std::uint64_t predicted = 0;
      for (const auto& layer : report["layers"]) {
        ASSERT_TRUE(layer.contains("predicted_cycles")) << layer.dump();
        EXPECT_TRUE(layer["prediction_error_pct"].is_number()) << layer.dump();
        predicted += layer["predicted_cycles"].get<std::uint64_t>();
      }
      EXPECT_GT(predicted, 0u);
      EXPECT_EQ(report["totals"]["predicted_cycles"].get<std::uint64_t>(), predicted) << model << " tiler=" << tiler;
      EXPECT_THAT(run.out, testing::ContainsRegex("cycles +pred +err%"));
      int plane_layers = 0;
      for (const auto& layer : report["layers"]) {
        EXPECT_TRUE(layer["pulp"].contains("tile")) << layer.dump();
        EXPECT_TRUE(layer["pulp"].contains("parallel")) << layer.dump();
        if (layer["pulp"]["kernel"] == "depthwise_plane") ++plane_layers;
      }
      // DORY's objective calls PULP-NN's kernels; the cost objective runs the MobileNet's 3x3
      // depthwise layers on the plane kernel (the table names it).
      const bool depthwise_net = model == "tiny_mobilenet_v2.onnx" && tiler == "cost";
      EXPECT_EQ(plane_layers > 0, depthwise_net) << model << " tiler=" << tiler << ": " << plane_layers;
      std::ifstream csv(dir / "r.csv");
      std::string header;
      std::getline(csv, header);
      EXPECT_THAT(header, HasSubstr("LayerID,Total Cycles"));  // SCALE-Sim COMPUTE_REPORT first
      EXPECT_THAT(header, HasSubstr("dma_wait_cycles"));
      EXPECT_THAT(header, HasSubstr("predicted_cycles,prediction_error_pct"));
      const auto trace = read_json(dir / "t.json");
      EXPECT_GT(trace["traceEvents"].size(), 10u);
    }
  }
}

TEST(RunPulpCli, CompileSimAndVerify) {
  const test::TempDir dir;
  const CommandResult compile =
      workbench(fmt::format("compile --hw {} {} --calib-count 2 -o {}", gap8(), workload("tiny_resnet.onnx"),
                            (dir / "out").string()));
  ASSERT_EQ(compile.exit_code, 0) << compile.out;
  for (const char* file : {"program.pulp", "tiling.txt", "compile.json", "quant.json", "model.qdq.onnx"}) {
    EXPECT_TRUE(std::filesystem::exists(dir / "out" / file)) << file;
  }
  std::ifstream log(dir / "out" / "tiling.txt");
  const std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_THAT(text, HasSubstr("L2-L1: tile C_out"));
  EXPECT_THAT(text, HasSubstr("% of"));
  const auto report = read_json(dir / "out" / "compile.json");
  EXPECT_EQ(report["target"], "pulp");
  EXPECT_GT(report["predicted_cycles"].get<std::uint64_t>(), 0u);

  const CommandResult sim = workbench(fmt::format("sim {} --hw {} --quiet --json {}", (dir / "out" / "program.pulp").string(),
                                                  gap8(), (dir / "sim.json").string()));
  ASSERT_EQ(sim.exit_code, 0) << sim.out;
  EXPECT_EQ(read_json(dir / "sim.json")["verdict"], "not-verified");
  const CommandResult verify =
      workbench(fmt::format("verify {} --hw {} --quiet", (dir / "out").string(), gap8()));
  ASSERT_EQ(verify.exit_code, 0) << verify.out;
  EXPECT_THAT(verify.out, testing::ContainsRegex("verdict +bit-exact"));
  // Given the program file instead of its folder, verify takes the folder it sits in.
  const CommandResult verify_file =
      workbench(fmt::format("verify {} --hw {} --quiet", (dir / "out" / "program.pulp").string(), gap8()));
  ASSERT_EQ(verify_file.exit_code, 0) << verify_file.out;
  EXPECT_THAT(verify_file.out, testing::ContainsRegex("verdict +bit-exact"));
  // Another file, or nothing at all: one line saying what it wants.
  expect_error(workbench(fmt::format("verify {} --hw {} --quiet", (dir / "out" / "tiling.txt").string(), gap8())),
               "give the folder workbench compile -o wrote");
  expect_error(workbench(fmt::format("verify {} --hw {} --quiet", (dir / "missing").string(), gap8())),
               "no such folder");

  // The same program on another config, or with other --set values: refused.
  expect_error(workbench(fmt::format("sim {} --hw {} --set cores=4 --quiet", (dir / "out" / "program.pulp").string(),
                                     gap8())),
               "compiled for hardware 'gap8'");
  expect_error(workbench(fmt::format("verify {} --hw {} --set cores=4 --quiet", (dir / "out").string(), gap8())),
               "keys that differ (compiled with -> this config): cores 8 -> 4;");
  expect_error(workbench(fmt::format("sim {} --hw {}/configs/v3_96.yaml --quiet",
                                     (dir / "out" / "program.pulp").string(), WB_TEST_SOURCE_DIR)),
               "a program for PULP, but");
  // A corrupted program.
  {
    std::ofstream out(dir / "bad.pulp", std::ios::binary);
    out << "not a program";
  }
  expect_error(workbench(fmt::format("sim {} --hw {} --quiet", (dir / "bad.pulp").string(), gap8())),
               "not a PULP program");
}

TEST(RunPulpCli, NoDataGivesTheSameCyclesAndCoresScale) {
  const auto cycles = [&](const std::string& extra) {
    const test::TempDir dir;
    const CommandResult run = workbench(fmt::format("run --hw {} {} --calib-count 2 --quiet --json {} {}", gap8(),
                                                    workload("tiny_mobilenet_v2.onnx"), (dir / "r.json").string(),
                                                    extra));
    EXPECT_EQ(run.exit_code, 0) << run.out;
    return read_json(dir / "r.json")["totals"]["cycles"].get<std::uint64_t>();
  };
  const std::uint64_t full = cycles("");
  EXPECT_EQ(cycles("--no-data"), full);
  EXPECT_GT(cycles("--no-data --set cores=1"), full);
}

TEST(RunPulpCli, BadInputExitsTwoNamingTheProblem) {
  // A Concat of one tensor twice: a layer writes its output to one place.
  test::OnnxBuilder b;
  b.input("x", {1, 4, 8, 8}).output("y");
  b.initializer("w", test::random_tensor({4, 4, 1, 1}, 3));
  b.node("Conv", {"x", "w"}, {"c"}, "conv");
  test::set_attr(b.node("Concat", {"c", "c"}, {"y"}, "join"), "axis", std::int64_t{1});
  const test::TempDir dir;
  b.save(dir / "concat.onnx");
  expect_error(workbench(fmt::format("run --hw {} {} --calib-count 2 --quiet", gap8(), (dir / "concat.onnx").string())),
               "node 'join' (Concat)");
  // An L1 too small for any tiling names the budget that works.
  expect_error(workbench(fmt::format("run --hw {} {} --calib-count 2 --quiet --set l1_tile_budget_bytes=1KiB", gap8(),
                                     workload("tiny_resnet.onnx"))),
               "--set l1_tile_budget_bytes=");
  expect_error(workbench(fmt::format("run --hw {} {} --calib-count 2 --quiet --compile-opt tiler=fastest", gap8(),
                                     workload("tiny_resnet.onnx"))),
               "tiler=dory|cost");
  expect_error(workbench(fmt::format("run --hw {} {} --calib-count 2 --quiet --vcd {}", gap8(),
                                     workload("tiny_resnet.onnx"), (dir / "w.vcd").string())),
               "--vcd");
  EXPECT_FALSE(std::filesystem::exists(dir / "w.vcd"));
  expect_error(workbench(fmt::format("run --hw {} {} --calib-count 2 --quiet --set cores=0", gap8(),
                                     workload("tiny_resnet.onnx"))),
               "cores");
}

}  // namespace
}  // namespace wb
