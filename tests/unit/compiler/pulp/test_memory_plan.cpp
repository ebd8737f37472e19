// The memory plan: L2 homes, L3 chunks of rows and weights, staging through L2, and the errors
// that name the L1 or L2 a network needs.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include <fmt/format.h>

#include "compiler/pulp/compile.h"
#include "compiler/pulp/memory_plan.h"
#include "support/error.h"
#include "tests/unit/compiler/pulp/program_checks.h"
#include "tests/unit/compiler/pulp/pulp_testing.h"

namespace wb::pulp {
namespace {

using testing::HasSubstr;

TEST(PulpCompile, AnL1TooSmallNamesTheBudgetTheWholeNetworkNeeds) {
  std::string message;
  try {
    compile_pulp(test::small_pulp_cnn_qgraph(), test::pulp_config({"l1_tile_budget_bytes=1KiB"}), {});
  } catch (const UserError& e) {
    message = e.what();
  }
  const auto at = message.find("--set l1_tile_budget_bytes=");
  ASSERT_NE(at, std::string::npos) << message;
  const std::string needed = message.substr(at + 27, message.find(' ', at + 27) - at - 27);
  EXPECT_NO_THROW(compile_pulp(test::small_pulp_cnn_qgraph(), test::pulp_config({"l1_tile_budget_bytes=" + needed}), {}));
  EXPECT_THROW(compile_pulp(test::small_pulp_cnn_qgraph(),
                            test::pulp_config({fmt::format("l1_tile_budget_bytes={}", std::stoll(needed) - 1)}), {}),
               UserError);
}

TEST(PulpCompile, SmallL1AndL2ForceTilesAndL3Chunks) {
  // 8 KiB of L1 and 24 KiB of L2: the first conv's output (16 x 16 x 16 = 4 KiB) and the
  // input (3 KiB) still fit L2 but the layers are tiled; with 12 KiB of L2 some tensors go to L3.
  for (const std::string l2 : {"24KiB", "12KiB"}) {
    const HwConfig config = test::pulp_config({"l1_tile_budget_bytes=8KiB", "l2_bytes=" + l2});
    const CompileResult r = compile_pulp(test::small_pulp_cnn_qgraph(), config, {});
    check_program(r.network, config.pulp());
    std::uint64_t tiles = 0;
    bool l3 = false;
    for (const auto& layer : r.network.layers()) {
      tiles += layer.tiling().tiles();
      l3 = l3 || layer.output_memory() == isa::pulp::MEMORY_L3 || layer.tiling().l3_chunks() > 1;
    }
    EXPECT_GT(tiles, 8u) << l2;
    if (l2 == "12KiB") {
      EXPECT_TRUE(l3);
    }
  }
}

TEST(PulpCompile, GrowingConcatsLiveInOneBufferInL2AndInL3) {
  // All in L2; tiles (2 KiB of L1); the block's buffer in L3 (5 KiB of L2), read by strided
  // gathers and written by strided stores.
  const auto& graph = test::dense_pulp_cnn_qgraph();
  bool in_l3 = false;
  for (const auto& overrides : std::vector<std::vector<std::string>>{
           {}, {"l1_tile_budget_bytes=2KiB"}, {"l1_tile_budget_bytes=2KiB", "l2_bytes=5KiB"}}) {
    const HwConfig config = test::pulp_config(overrides);
    const CompileResult r = compile_pulp(graph, config, {});
    check_program(r.network, config.pulp());
    std::map<std::string, const isa::pulp::Layer*> by_name;
    for (const auto& layer : r.network.layers()) by_name[layer.name()] = &layer;
    const auto& stem = *by_name.at("stem_conv");
    EXPECT_EQ(stem.output_pixel_bytes(), 16u);
    EXPECT_EQ(by_name.at("dense_1")->output_address(), stem.output_address() + 8);
    EXPECT_EQ(by_name.at("dense_2")->output_address(), stem.output_address() + 12);
    in_l3 = in_l3 || stem.output_memory() == isa::pulp::MEMORY_L3;
  }
  EXPECT_TRUE(in_l3);
}

TEST(PulpCompile, GroupedConvChannelTilesRowChunksAndWeightChunks) {
  const auto& graph = test::grouped_pulp_cnn_qgraph();
  bool channel_tiles = false, row_chunks = false, weight_chunks = false;
  for (const auto& overrides : grouped_cnn_configs()) {
    const HwConfig config = test::pulp_config(overrides);
    const CompileResult r = compile_pulp(graph, config, {});
    for (const auto& layer : r.network.layers()) {
      if (layer.kind() != isa::pulp::KERNEL_GROUPED_CONV) continue;
      const auto& t = layer.tiling();
      const auto h_out = static_cast<std::uint32_t>(layer.output_shape(2));
      const std::uint32_t row_chunk_count = (h_out + t.chunk_h_out() - 1) / t.chunk_h_out();
      channel_tiles = channel_tiles || t.tile_c_out() < layer.output_shape(1);
      row_chunks = row_chunks || row_chunk_count > 1;
      weight_chunks = weight_chunks || t.l3_chunks() > row_chunk_count;
    }
  }
  EXPECT_TRUE(channel_tiles);
  EXPECT_TRUE(row_chunks);
  EXPECT_TRUE(weight_chunks);
}

TEST(PulpCompile, ASoftmaxWhoseTableDoesNotFitNamesTheLayerAndTheBudget) {
  const auto& graph = test::softmax_pulp_cnn_qgraph();
  const auto error = [&](const std::vector<std::string>& overrides) {
    try {
      compile_pulp(graph, test::pulp_config(overrides), {});
    } catch (const UserError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  // L1: the softmax's one tile needs 10 + 10 + 1024 + 40 bytes, more than any tile of the others.
  EXPECT_EQ(error({"l1_tile_budget_bytes=1084"}), "");
  const std::string l1 = error({"l1_tile_budget_bytes=1083"});
  EXPECT_THAT(l1, HasSubstr("layer 'softmax': no L2-L1 tiling fits the L1 tile budget of 1083 bytes"));
  EXPECT_THAT(l1, HasSubstr("needs 1084 bytes: input 10, output 10, weights 1024"));
  EXPECT_THAT(l1, HasSubstr("The network compiles with --set l1_tile_budget_bytes=1084 or more"));
  // L2: the table's buffer beside the live activations.
  EXPECT_THAT(error({"l2_bytes=1024"}),
              HasSubstr("layer 'softmax': its 1024-byte table does not fit the L2 left beside the live activations"));
}

}  // namespace
}  // namespace wb::pulp
