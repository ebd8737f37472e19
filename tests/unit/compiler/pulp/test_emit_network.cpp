// Tile programs: every copy stays inside its memories, every output byte is written exactly
// once, and the kernel calls of concat slices, channel gathers, grouped convs, lookup tables,
// products and softmaxes read what they should, with both tilers.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include <fmt/format.h>

#include "compiler/pulp/compile.h"
#include "compiler/pulp/emit_network.h"
#include "isa/pulp_program.h"
#include "tests/unit/compiler/pulp/program_checks.h"
#include "tests/unit/compiler/pulp/pulp_testing.h"

namespace wb::pulp {
namespace {

using testing::HasSubstr;

TEST(PulpCompile, SmallCnnProgramWritesEveryOutputOnce) {
  const HwConfig config = test::pulp_config();
  for (const TilerObjective objective : {TilerObjective::Dory, TilerObjective::Cost}) {
    CompileOptions options;
    options.tiler = objective;
    const CompileResult r = compile_pulp(test::small_pulp_cnn_qgraph(), config, options);
    EXPECT_EQ(r.network.layers_size(), 8);
    check_program(r.network, config.pulp());
    EXPECT_EQ(r.report.at("layers").size(), 8u);
    EXPECT_THAT(r.tiling_log, HasSubstr("L2-L1: tile C_out"));
  }
}

TEST(PulpCompile, ConcatInputsAreWrittenIntoTheirSlices) {
  // Whole in L2, then with 24 KiB of L2 the concat's 32 KiB tensor lives in L3 and its
  // producers store their chunks into it through L2 staging.
  const auto& graph = test::inception_pulp_cnn_qgraph();
  for (const std::string l2 : {"512KiB", "24KiB"}) {
    const HwConfig config = test::pulp_config({"l1_tile_budget_bytes=8KiB", "l2_bytes=" + l2});
    for (const TilerObjective objective : {TilerObjective::Dory, TilerObjective::Cost}) {
      CompileOptions options;
      options.tiler = objective;
      const CompileResult r = compile_pulp(graph, config, options);
      check_program(r.network, config.pulp());
      std::map<std::string, const isa::pulp::Layer*> by_name;
      for (const auto& layer : r.network.layers()) by_name[layer.name()] = &layer;
      const auto& first = *by_name.at("branch_1x1");
      for (const auto& [branch, offset] : std::map<std::string, std::uint64_t>{
               {"branch_1x1", 0}, {"branch_3x3", 8}, {"branch_pool", 24}}) {
        const auto& layer = *by_name.at(branch);
        EXPECT_EQ(layer.output_pixel_bytes(), 32u) << branch;
        EXPECT_EQ(layer.output_address(), first.output_address() + offset) << branch;
        EXPECT_EQ(layer.output_memory(), l2 == "24KiB" ? isa::pulp::MEMORY_L3 : isa::pulp::MEMORY_L2) << branch;
      }
      EXPECT_EQ(by_name.at("conv_out")->output_pixel_bytes(), 0u);
      EXPECT_EQ(by_name.count("concat"), 0u);
      EXPECT_THAT(r.tiling_log, HasSubstr("(a channel slice of a concat's tensor, pixels 32 B apart)"));
    }
  }
}

TEST(PulpCompile, ChannelGathersReadTheChannelsTheirIndicesSpanAndTheirTable) {
  // Whole layers; tiles of rows (1 KiB of L1); tensors in L3 (1 KiB of L2).
  const auto& graph = test::shuffle_pulp_cnn_qgraph();
  compile_everywhere(graph, {{}, {"l1_tile_budget_bytes=1KiB"}, {"l1_tile_budget_bytes=1KiB", "l2_bytes=1KiB"}},
                     [](const CompileResult& r) {
    int gathers = 0;
    for (const auto& layer : r.network.layers()) {
      if (layer.kind() != isa::pulp::KERNEL_GATHER) continue;
      ++gathers;
      const auto channels = static_cast<std::uint32_t>(layer.output_shape(1));
      EXPECT_EQ(layer.tiling().tile_c_out(), channels) << layer.name();
      // A half reads its 4 channels, the shuffle all 8.
      const std::uint32_t read = layer.name() == "shuffle" ? 8u : 4u;
      for (const auto& step : layer.steps()) {
        EXPECT_EQ(step.compute().c_in(), read) << layer.name() << ": every tile reads the channels its indices span";
        EXPECT_EQ(step.compute().c_out(), channels) << layer.name();
        EXPECT_EQ(step.compute().requant().multiplier_size(), 0) << layer.name();
      }
    }
    EXPECT_EQ(gathers, 3);
  });
  // The table in the L3 image holds the shuffle's input channel per output channel.
  const CompileResult r = compile_pulp(graph, test::pulp_config(), {});
  const std::string& image = r.network.l3_image();
  const std::string shuffle{0, 0, 4, 0, 1, 0, 5, 0, 2, 0, 6, 0, 3, 0, 7, 0};
  EXPECT_NE(image.find(shuffle), std::string::npos);
}

TEST(PulpCompile, GroupedCnnTilesHoldWholeGroupsWithBothTilers) {
  const auto& graph = test::grouped_pulp_cnn_qgraph();
  compile_everywhere(graph, grouped_cnn_configs(), [](const CompileResult& r) {
    check_whole_groups(r.network);
    EXPECT_THAT(r.tiling_log, HasSubstr("Layer 1 grouped_conv 'grouped_4x4': out 16x16x16, 147456 MACs, 4 groups "
                                        "of 4 -> 4 channels"));
    EXPECT_THAT(r.tiling_log, HasSubstr("16 groups of 1 -> 2 channels"));
    for (const auto& layer : r.network.layers()) {
      if (layer.kind() != isa::pulp::KERNEL_GROUPED_CONV) continue;
      const std::uint32_t c = layer.tiling().tile_c_out(), groups = c / grouped_layers().at(layer.name()).second;
      EXPECT_THAT(r.tiling_log, HasSubstr(fmt::format("tile C_out {} ({} group{}) H_out", c, groups,
                                                      groups == 1 ? "" : "s")));
    }
  });
}

// Whole layers; tiles (2 KiB of L1); tensors in L3 with row chunks (6 KiB of L2); and an L2 so
// small (3 KiB) that one row of the SE pool's input does not fit, so it is staged by channels.
const std::vector<std::vector<std::string>>& se_cnn_configs() {
  static const std::vector<std::vector<std::string>> configs{
      {}, {"l1_tile_budget_bytes=2KiB"}, {"l1_tile_budget_bytes=2KiB", "l2_bytes=6KiB"},
      {"l1_tile_budget_bytes=2KiB", "l2_bytes=3KiB"}};
  return configs;
}

TEST(PulpCompile, LookupTablesAndProductsWithBothTilersTiledAndStaged) {
  const auto& graph = test::se_pulp_cnn_qgraph();
  bool channel_staged_pool = false, tiled_mul = false;
  compile_everywhere(graph, se_cnn_configs(), [&](const CompileResult& r) {
    for (const auto& layer : r.network.layers()) {
      for (const auto& step : layer.steps()) {
        const auto& call = step.compute();
        if (layer.kind() == isa::pulp::KERNEL_LUT) {
          EXPECT_EQ(call.c_in(), call.c_out()) << layer.name();
          EXPECT_EQ(call.requant().multiplier_size(), 0) << layer.name();
        }
        if (layer.name() == "se_scale") {
          EXPECT_EQ(call.b_h(), 1u);
          EXPECT_EQ(call.b_w(), 1u);
          EXPECT_EQ(call.b_c(), call.c_out());
        }
      }
      // The table comes into L1 once per chunk, with the chunk's first tile.
      if (layer.kind() == isa::pulp::KERNEL_LUT) {
        int table_copies = 0;
        for (const auto& step : layer.steps()) {
          for (const auto* copies : {&step.load(), &step.prefetch()}) {
            for (const auto& c : *copies) table_copies += c.destination() == step.compute().weights() ? 1 : 0;
          }
        }
        EXPECT_EQ(table_copies, static_cast<int>(layer.tiling().l3_chunks())) << layer.name();
      }
      if (layer.name() == "se_scale" && layer.tiling().tiles() > 1) tiled_mul = true;
      if (layer.name() == "se_pool" && layer.tiling().l3_chunks() > 1) channel_staged_pool = true;
    }
  });
  EXPECT_TRUE(tiled_mul);
  EXPECT_TRUE(channel_staged_pool);
}

// Whole layers; tiles (1500 B of L1: the conv is tiled, the softmax's 10 + 10 + 1024 + 40 bytes
// still fit); and the smallest L2 that holds the 1 KiB table beside the live activations (1088 B).
const std::vector<std::vector<std::string>>& softmax_cnn_configs() {
  static const std::vector<std::vector<std::string>> configs{
      {}, {"l1_tile_budget_bytes=1500"}, {"l1_tile_budget_bytes=1500", "l2_bytes=1088"}};
  return configs;
}

TEST(PulpCompile, ASoftmaxHoldsEveryChannelAndItsExpTable) {
  const auto& graph = test::softmax_pulp_cnn_qgraph();
  int softmaxes = 0;
  bool tiled = false;
  compile_everywhere(graph, softmax_cnn_configs(), [&](const CompileResult& r) {
    ASSERT_EQ(r.network.layers_size(), 4);
    for (const auto& l : r.network.layers()) tiled = tiled || l.tiling().tiles() > 1;
    const auto& layer = r.network.layers(3);
    ASSERT_EQ(layer.kind(), isa::pulp::KERNEL_SOFTMAX);
    ++softmaxes;
    EXPECT_EQ(layer.type(), "softmax");
    EXPECT_EQ(layer.ops(), 40u);
    EXPECT_EQ(layer.tiling().tile_c_out(), 10u);
    EXPECT_EQ(layer.tiling().tiles(), 1u);
    EXPECT_EQ(layer.tiling().l1_weight_bytes(), 1024u);
    EXPECT_EQ(layer.tiling().parallel(), isa::pulp::PARALLEL_HO);
    ASSERT_EQ(layer.steps_size(), 1);
    const auto& step = layer.steps(0);
    const auto& call = step.compute();
    EXPECT_EQ(call.c_in(), 10u);
    EXPECT_EQ(call.c_out(), 10u);
    EXPECT_EQ(call.h_out() * call.w_out(), 1u);
    EXPECT_EQ(call.requant().multiplier_size(), 0);
    EXPECT_FALSE(call.output_signed());
    EXPECT_EQ(call.input_signed(), r.network.layers(2).steps(0).compute().output_signed());
    // The table: from the L3 image into its L2 buffer, then 1 KiB into L1 at `weights`.
    int table_copies = 0;
    for (const auto& c : step.load()) {
      if (c.destination_memory() == isa::pulp::MEMORY_L1 && c.destination() == call.weights()) {
        ++table_copies;
        EXPECT_EQ(isa::pulp::copy_bytes(c), 1024u);
      }
    }
    EXPECT_EQ(table_copies, 1);
    int flash_loads = 0;  // from the L3 image, after the l3_bytes of RAM
    for (const auto& c : step.l3_load()) {
      if (c.source() >= r.network.l3_image_address()) {
        ++flash_loads;
        EXPECT_EQ(isa::pulp::copy_bytes(c), 1024u);
      }
    }
    EXPECT_EQ(flash_loads, 1);
    EXPECT_EQ(layer.tiling().l1_total_bytes(), 10u + 10u + 1024u + 40u);
  });
  EXPECT_EQ(softmaxes, 6);
  EXPECT_TRUE(tiled) << "1500 B of L1 should tile the conv";
  // The image holds the exp table as little-endian uint32: exp(0) = 65536 last.
  const CompileResult r = compile_pulp(graph, test::pulp_config(), {});
  const quant::QNode& node = graph.nodes.at(static_cast<std::size_t>(map_layers(graph).layers.back().node));
  std::string table;
  for (const std::int64_t e : node.softmax_exp_table) {
    for (int b = 0; b < 4; ++b) table.push_back(static_cast<char>((static_cast<std::uint32_t>(e) >> (8 * b)) & 0xff));
  }
  ASSERT_EQ(table.substr(1020), std::string({0, 0, 1, 0}));
  EXPECT_NE(r.network.l3_image().find(table), std::string::npos);
}

}  // namespace
}  // namespace wb::pulp
