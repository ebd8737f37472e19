// `workbench run` on the exported torchvision workloads for every xDNN config: the
// simulated overlay's outputs, and every materialised layer output, equal the integer
// golden model's bit for bit; and the report adds up.

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <sstream>
#include <tuple>

#include "tests/support/test_paths.h"
#include "workbench/run_xdnn.h"

namespace wb {
namespace {

class XdnnOnModel : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {};

TEST_P(XdnnOnModel, RunIsBitExact) {
  const auto& [model, hw] = GetParam();
  const auto model_dir = test::workload_cache_dir() / model;
  ASSERT_TRUE(std::filesystem::exists(model_dir / "meta.json")) << "not exported: " << model_dir;
  RunCommand command;
  command.compile.model = model_dir / "model.onnx";
  command.compile.hw = test::source_dir() / "configs" / (hw + ".yaml");
  command.compile.quantize.model = command.compile.model;
  command.compile.quantize.quant.scheme = quant::Scheme::Xdnn;
  command.compile.quantize.calib_count = 4;
  command.input = model_dir / "input.npy";
  command.outputs.table = false;
  std::ostringstream log;
  const report::RunReport r = run_xdnn(command, log);
  EXPECT_EQ(r.verdict, "bit-exact") << log.str()
                                    << (r.mismatch ? fmt::format("first mismatch: layer {} element {}: {} vs {}",
                                                                 r.mismatch->layer, r.mismatch->index,
                                                                 r.mismatch->expected, r.mismatch->actual)
                                                   : std::string());
  EXPECT_GT(r.totals.extra.at("layers_verified").get<int>(), 10);
  std::uint64_t cycles = 0;
  for (const auto& layer : r.layers) cycles += layer.cycles;
  EXPECT_EQ(cycles, r.totals.cycles);
  EXPECT_GT(r.totals.utilization, 0.01);
  EXPECT_LT(r.totals.utilization, 1.0);
  // Everything fits the configs' AM: no intermediate activation goes to DDR.
  EXPECT_EQ(r.totals.extra.at("ddr_spill_bytes").get<std::uint64_t>(), 0u);
}

// Every optimisation off (and another allocator) changes the program, not the results.
class XdnnOptimisationsOff : public ::testing::TestWithParam<std::string> {};

TEST_P(XdnnOptimisationsOff, RunIsBitExact) {
  const auto model_dir = test::workload_cache_dir() / GetParam();
  ASSERT_TRUE(std::filesystem::exists(model_dir / "meta.json")) << "not exported: " << model_dir;
  RunCommand command;
  command.compile.model = model_dir / "model.onnx";
  command.compile.hw = test::source_dir() / "configs" / "v2_28.yaml";
  command.compile.compile_opts = {"schedule_search=off", "replication=off",      "pool_pipelining=off",
                                  "weight_pingpong=off", "concat_placement=off", "input_streaming=off",
                                  "allocator=bestfit"};
  command.compile.quantize.model = command.compile.model;
  command.compile.quantize.quant.scheme = quant::Scheme::Xdnn;
  command.compile.quantize.calib_count = 2;
  command.input = model_dir / "input.npy";
  command.outputs.table = false;
  std::ostringstream log;
  const report::RunReport r = run_xdnn(command, log);
  EXPECT_EQ(r.verdict, "bit-exact") << log.str();
}

INSTANTIATE_TEST_SUITE_P(Workloads, XdnnOptimisationsOff, ::testing::Values("googlenet", "resnet18", "mobilenet_v2"));

INSTANTIATE_TEST_SUITE_P(
    Workloads, XdnnOnModel,
    ::testing::Combine(::testing::Values("resnet18", "resnet50", "googlenet", "mobilenet_v2", "squeezenet1_1",
                                         "mobilenet_v1_128"),
                       ::testing::Values("v3_96", "v2_28", "v2_56")),
    [](const auto& p) { return std::get<0>(p.param) + "_" + std::get<1>(p.param); });

}  // namespace
}  // namespace wb
