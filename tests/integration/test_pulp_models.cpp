// `workbench run` on the exported workloads for gap8: bit-exact against the integer golden
// model layer by layer; the timing invariants of issue #5 (cost tiler never slower than DORY's
// on any layer, 8 cores below the physical peak, --no-data cycles equal); the calibration
// against DORY's published MobileNetV1-128 figures; the L1 budget sweep and its error.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "support/error.h"
#include "tests/support/report_checks.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_paths.h"
#include "workbench/run.h"

namespace wb {
namespace {

// `workbench run` of a model file on gap8, quantized with the pulp scheme on two calibration inputs.
RunCommand run_command_for(const std::filesystem::path& model, const std::vector<std::string>& compile_opts) {
  RunCommand command;
  command.compile.model = model;
  command.compile.hw = test::source_dir() / "configs" / "gap8.yaml";
  command.compile.compile_opts = compile_opts;
  command.compile.quantize.model = model;
  command.compile.quantize.quant.scheme = quant::Scheme::Pulp;
  command.compile.quantize.calib_count = 2;
  command.outputs.table = false;
  return command;
}

// An exported workload of the cache, on four calibration inputs.
RunCommand run_command(const std::string& model, const std::vector<std::string>& overrides = {},
                       const std::vector<std::string>& compile_opts = {}) {
  const auto model_dir = test::workload_cache_dir() / model;
  EXPECT_TRUE(std::filesystem::exists(model_dir / "meta.json")) << "not exported: " << model_dir;
  RunCommand command = run_command_for(model_dir / "model.onnx", compile_opts);
  command.compile.overrides = overrides;
  command.compile.quantize.calib_count = 4;
  return command;
}

report::RunReport timing(const std::string& model, const std::vector<std::string>& overrides = {},
                         const std::vector<std::string>& compile_opts = {}) {
  RunCommand command = run_command(model, overrides, compile_opts);
  command.no_data = true;
  std::ostringstream log;
  return run_model(command, log);
}

class PulpOnModel : public ::testing::TestWithParam<std::string> {};

TEST_P(PulpOnModel, RunIsBitExactAndNoDataGivesTheSameCycles) {
  RunCommand command = run_command(GetParam());
  command.inputs = {{"", test::workload_cache_dir() / GetParam() / "input.npy"}};
  std::ostringstream log;
  const report::RunReport r = run_model(command, log);
  EXPECT_EQ(r.verdict, "bit-exact") << log.str()
                                    << test::mismatch_text(r);
  EXPECT_EQ(r.totals.specific.at("layers_verified").get<std::size_t>(), r.layers.size());
  // PULP's layers run one after another: their spans add up to the run.
  EXPECT_EQ(test::expect_layer_time_adds_up(r), r.totals.cycles);
  test::expect_bounds_hold(r);
  const report::RunReport t = timing(GetParam());
  EXPECT_EQ(t.totals.cycles, r.totals.cycles);
  ASSERT_EQ(t.layers.size(), r.layers.size());
  for (std::size_t i = 0; i < r.layers.size(); ++i) EXPECT_EQ(t.layers[i].cycles, r.layers[i].cycles) << r.layers[i].name;
}

// tiler=cost picks better tiles and kernels (the plane depthwise kernel) and streams prefetched
// weights, never worse: its run is bit-exact, on every layer its simulated cycles but the wait for
// L3 are at most DORY's, and 8 cores never reach the physical peak of 32 MAC/cycle. The L3 wait
// is left out per layer because it depends on the layer before: a layer's weights are prefetched
// while the previous layer runs, and a previous layer the cost objective made faster (DORY's
// depthwise layers wait for their byte-by-byte transposes) leaves the weights less time to land
// (MobileNetV2's features.4 projection waits 11,948 cycles more, with the same tiles). A layer
// whose weights come from L3 in smaller chunks than DORY's trades its L3 wait for calls and
// copies of its own (docs/pulp.md, "Objectives"): its whole time is then at most DORY's. The
// totals count every wait.
TEST_P(PulpOnModel, CostTilerIsNeverSlowerThanDoryOnAnyLayer) {
  const report::RunReport dory = timing(GetParam(), {}, {"tiler=dory"});
  RunCommand command = run_command(GetParam(), {}, {"tiler=cost"});
  command.inputs = {{"", test::workload_cache_dir() / GetParam() / "input.npy"}};
  std::ostringstream log;
  const report::RunReport cost = run_model(command, log);
  EXPECT_EQ(cost.verdict, "bit-exact") << log.str();
  ASSERT_EQ(dory.layers.size(), cost.layers.size());
  const auto l3_wait = [](const report::LayerRow& layer) -> std::uint64_t {
    for (const auto& [cause, cycles] : layer.time) {
      if (cause == "l3_wait") return cycles;
    }
    return 0;
  };
  for (std::size_t i = 0; i < dory.layers.size(); ++i) {
    const bool own_time_at_most = cost.layers[i].cycles - l3_wait(cost.layers[i]) <=
                                  dory.layers[i].cycles - l3_wait(dory.layers[i]);
    EXPECT_TRUE(own_time_at_most || cost.layers[i].cycles <= dory.layers[i].cycles)
        << dory.layers[i].name << ": cost " << cost.layers[i].cycles << " cycles (L3 wait " << l3_wait(cost.layers[i])
        << "), DORY " << dory.layers[i].cycles << " (" << l3_wait(dory.layers[i]) << ")";
    EXPECT_LT(dory.layers[i].mac_per_cycle, 32.0) << dory.layers[i].name;
    EXPECT_LT(cost.layers[i].mac_per_cycle, 32.0) << cost.layers[i].name;
  }
  EXPECT_LT(cost.totals.cycles, dory.totals.cycles);
}

INSTANTIATE_TEST_SUITE_P(Gap8, PulpOnModel,
                         ::testing::Values("resnet18", "mobilenet_v2", "mobilenet_v1_128", "squeezenet1_1", "googlenet"));

// Issue #61 item 2: the workload's MobileNetV2 made 160 x 160 (its input's dims rewritten; every
// later shape follows from them). Its 80 x 80 x 96 expanded map still does not fit L2, so apart its
// first blocks stage their maps through L3; fused, they run as a patch stage, band by band,
// bit-exact with data, no intermediate in L3, in fewer cycles, and --no-data gives the same.
std::filesystem::path mobilenet_v2_at(std::int64_t size, const std::filesystem::path& dir) {
  onnx::ModelProto model;
  std::ifstream in(test::workload_cache_dir() / "mobilenet_v2" / "model.onnx", std::ios::binary);
  EXPECT_TRUE(model.ParseFromIstream(&in));
  auto* shape = model.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape();
  shape->mutable_dim(2)->set_dim_value(size);
  shape->mutable_dim(3)->set_dim_value(size);
  model.mutable_graph()->clear_value_info();
  const std::filesystem::path path = dir / "mobilenet_v2_small.onnx";
  std::ofstream out(path, std::ios::binary);
  EXPECT_TRUE(model.SerializeToOstream(&out));
  return path;
}

TEST(PulpPatchStage, MobileNetV2AtASmallerInputRunsItsFirstBlocksBandByBandBitExactly) {
  const test::TempDir dir;
  const std::filesystem::path model = mobilenet_v2_at(160, dir.path());
  std::ostringstream log;
  RunCommand apart = run_command_for(model, {"tiler=cost"});
  apart.no_data = true;
  const report::RunReport off = run_model(apart, log);
  RunCommand fused = run_command_for(model, {"tiler=cost", "fusion=on"});
  const report::RunReport on = run_model(fused, log);
  EXPECT_EQ(on.verdict, "bit-exact") << log.str()
                                     << test::mismatch_text(on);
  EXPECT_GT(off.totals.moveops, 0u);
  EXPECT_EQ(on.totals.moveops, 0u);
  EXPECT_LT(on.totals.cycles, off.totals.cycles);
  // One layer runs the stage: the network's first layers, ending past the last one apart reads from L3.
  const auto stage = std::find_if(on.layers.begin(), on.layers.end(), [](const report::LayerRow& layer) {
    return layer.specific.value("kernel", std::string()) == "patch_stage";
  });
  ASSERT_NE(stage, on.layers.end());
  EXPECT_EQ(stage, on.layers.begin());
  const std::string group = stage->specific.at("fusion_group").get<std::string>();
  EXPECT_THAT(group, testing::StartsWith(off.layers.front().name + " + "));
  EXPECT_GE(static_cast<std::size_t>(std::count(group.begin(), group.end(), '+')), 5u) << group;
  fused.no_data = true;
  EXPECT_EQ(run_model(fused, log).totals.cycles, on.totals.cycles);
}

// DORY's published MobileNetV1-128 on 8 cores (REFERENCE.md, GVSoC runs): 8.57 MAC/cycle (DORY's
// own GAP8 budget), 9.07 with the tutorial's 38000-byte L1 budget, within 10 % (issue #37); its
// two pointwise layers at 32x32 11.08 and 13.28 MAC/cycle, within 10 % (issue #60: their cycles
// 7.9 % and 5.5 % fewer than GVSoC's since DORY's layer loop runs on the cores; the rest is code
// outside PULP-NN's K loop that its compiled matmul has and our program does not count,
// docs/pulp.md "Calibration").
TEST(PulpCalibration, MobileNetV1WithinTenPercentOfDory) {
  const report::RunReport r = timing("mobilenet_v1_128", {"l1_tile_budget_bytes=38000"}, {"tiler=dory"});
  EXPECT_NEAR(r.totals.mac_per_cycle / 9.07, 1.0, 0.10) << r.totals.mac_per_cycle;
  EXPECT_NEAR(timing("mobilenet_v1_128", {}, {"tiler=dory"}).totals.mac_per_cycle / 8.57, 1.0, 0.10);
  // The pointwise layers 64 -> 128 and 128 -> 128 at 32 x 32 (the 2nd and 3rd pointwise).
  std::vector<const report::LayerRow*> pointwise;
  for (const auto& layer : r.layers) {
    if (layer.specific.at("kernel") == "pointwise") pointwise.push_back(&layer);  // `type` says conv
  }
  ASSERT_GE(pointwise.size(), 4u);
  EXPECT_EQ(pointwise[1]->macs, 8'388'608u);
  EXPECT_EQ(pointwise[2]->macs, 16'777'216u);
  EXPECT_NEAR(pointwise[1]->cycles / 757'333.0, 1.0, 0.10) << pointwise[1]->cycles;
  EXPECT_NEAR(pointwise[2]->cycles / 1'263'171.0, 1.0, 0.10) << pointwise[2]->cycles;
}

// DORY's tutorial runs MobileNetV1 markedly slower at 30,000 B of L1 than at 38,000 B, and its
// GAP8 budget (36,700 B) slower than the tutorial's 38,000 B (REFERENCE.md): under DORY's code
// (tiler=dory: its tiles, its kernels, its blocking depthwise copies) every smaller budget is
// slower, by at least 5 % from 38,000 to 30,000 B (docs/pulp.md, "MobileNetV1-128 against DORY,
// and the L1 budget": +13.4 %; before issue #60 +3 %, and 36,700 B the fastest).
TEST(PulpCalibration, ASmallerL1BudgetIsSlowerUnderDorysCode) {
  const auto cycles = [](int bytes) {
    return timing("mobilenet_v1_128", {fmt::format("l1_tile_budget_bytes={}", bytes)}, {"tiler=dory"}).totals.cycles;
  };
  const std::uint64_t at38000 = cycles(38000), at36700 = cycles(36700), at30000 = cycles(30000);
  EXPECT_LT(at38000, at36700);
  EXPECT_LT(at36700, at30000);
  EXPECT_GT(static_cast<double>(at30000) / static_cast<double>(at38000), 1.05);
}

// Fewer cores: more cycles, and never more than linear speed-up.
TEST(PulpCoreScaling, MobileNetV1CyclesFallWithCores) {
  std::map<int, std::uint64_t> cycles;
  for (const int cores : {1, 2, 4, 8}) {
    cycles[cores] = timing("mobilenet_v1_128", {fmt::format("cores={}", cores)}).totals.cycles;
  }
  EXPECT_GT(cycles[1], cycles[2]);
  EXPECT_GT(cycles[2], cycles[4]);
  EXPECT_GT(cycles[4], cycles[8]);
  EXPECT_LT(static_cast<double>(cycles[1]) / static_cast<double>(cycles[8]), 8.0);
}

// Shrinking the L1 budget costs MAC/cycle gradually (tiler=cost; DORY's heuristic has cliffs,
// docs/pulp.md), until a layer no longer fits: then exit 2 (a UserError) naming the layer and
// the smallest budget with which the network compiles, which does compile it. Gradually: no
// step loses a larger share of the MAC/cycle than of the budget. (The cluster model measures
// the steepest step at the smallest tiles, 7 -> 5 KiB: -20 %, a fifth of the pointwise layers'
// cycles there bank conflicts of cores reading the same few weights. DORY's tiling loses 41 %
// from 20 to 14 KiB, and gains from 14 to 10.)
TEST(PulpL1Budget, DegradesSmoothlyThenFailsWithTheSmallestBudget) {
  double previous = 0;
  int previous_kib = 0;
  for (const int kib : {36, 28, 20, 14, 10, 7, 5}) {
    const double mac_per_cycle = timing("mobilenet_v1_128", {fmt::format("l1_tile_budget_bytes={}KiB", kib)},
                                        {"tiler=cost"})
                                     .totals.mac_per_cycle;
    if (previous > 0) {
      EXPECT_LE(mac_per_cycle, previous * 1.005) << kib;  // never better with less L1
      EXPECT_GT(mac_per_cycle / previous, static_cast<double>(kib) / previous_kib) << kib;  // no cliff
    }
    previous = mac_per_cycle;
    previous_kib = kib;
  }
  std::string message;
  try {
    timing("mobilenet_v1_128", {"l1_tile_budget_bytes=2KiB"}, {"tiler=cost"});
  } catch (const UserError& e) {
    message = e.what();
  }
  ASSERT_THAT(message, testing::HasSubstr("no L2-L1 tiling fits the L1 tile budget of 2048 bytes"));
  const auto at = message.find("--set l1_tile_budget_bytes=");
  ASSERT_NE(at, std::string::npos);
  const std::string smallest = message.substr(at + 27, message.find(' ', at + 27) - at - 27);
  EXPECT_NO_THROW(timing("mobilenet_v1_128", {"l1_tile_budget_bytes=" + smallest}, {"tiler=cost"}));
}

}  // namespace
}  // namespace wb
