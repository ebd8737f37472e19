// Tile programs: every copy stays inside its memories, every output byte is written exactly
// once, and the kernel calls of concat slices, channel gathers, grouped convs, lookup tables,
// products and softmaxes read what they should, with both tilers.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "compiler/pulp/compile.h"
#include "compiler/pulp/emit_network.h"
#include "compiler/pulp/layer_mapping.h"
#include "compiler/pulp/matmul_layer.h"
#include "compiler/pulp/memory_plan.h"
#include "isa/pulp_program.h"
#include "tests/unit/compiler/pulp/program_checks.h"
#include "tests/support/transformer_models.h"
#include "tests/support/user_error_testing.h"
#include "tests/unit/compiler/pulp/pulp_testing.h"

namespace wb::pulp {
namespace {

using testing::HasSubstr;

// Attention's products (compiler/pulp/matmul_layer.h) of a ViT of 37 tokens (6x6 patches and
// the class token; 8 channels, 2 heads of 4): a tile is one head's block of query rows; its a
// and b are the head's 4 channels of the 8 of Q, K and V pixels (strided copies) or rows of P,
// and a head's b is loaded once. With 64 KiB of L1 a head is one tile; 2 KiB holds a few rows
// of it. check_program checks that every output byte is written once.
TEST(PulpCompile, AttentionsProductsTileEachHeadsQueryRows) {
  quant::QuantizeOptions quantize;
  quantize.scheme = quant::Scheme::Pulp;
  const quant::QGraph graph = test::quantize_model(test::tiny_vit(false, 6), quantize).qgraph;
  constexpr std::uint32_t kTokens = 37;
  int products = 0;
  compile_everywhere(graph, {{"l1_tile_budget_bytes=64KiB"}, {"l1_tile_budget_bytes=2KiB"}}, [&](const CompileResult& r) {
    for (const auto& layer : r.network.layers()) {
      if (layer.kind() != isa::pulp::KERNEL_MATMUL) continue;
      ++products;
      const bool scores = layer.name() == "/attn/MatMul_1";
      const std::uint32_t rows = layer.tiling().tile_h_out();
      if (r.tiling_log.find("L1 tile budget 65536 B") != std::string::npos) {
        EXPECT_EQ(rows, kTokens) << layer.name();
      } else {
        EXPECT_LT(rows, kTokens) << layer.name();
        EXPECT_LE(layer.tiling().l1_total_bytes(), 2048u) << layer.name();
      }
      EXPECT_EQ(layer.tiling().tiles(), 2 * ((kTokens + rows - 1) / rows)) << layer.name();
      EXPECT_EQ(layer.steps_size(), static_cast<int>(layer.tiling().tiles()));
      EXPECT_EQ(layer.macs(), 2u * kTokens * kTokens * 4);
      std::set<std::uint64_t> b_slots, b_sources;
      for (const auto& step : layer.steps()) b_slots.insert(step.compute().input_b());
      for (int i = 0; i < layer.steps_size(); ++i) {
        const isa::pulp::Step& step = layer.steps(i);
        const isa::pulp::KernelCall& call = step.compute();
        EXPECT_EQ(call.kind(), isa::pulp::KERNEL_MATMUL);
        EXPECT_EQ(call.c_in(), scores ? 4u : kTokens) << "the reduction: a head's channels, or the keys";
        EXPECT_EQ(call.c_out(), scores ? kTokens : 4u);
        EXPECT_LE(call.h_out(), rows);
        EXPECT_EQ(call.matmul_b_by_rows(), !scores);
        EXPECT_EQ(call.requant().multiplier_size(), 1);
        EXPECT_EQ(step.load_size(), i == 0 ? 2 : 0);
        // A head's b: its 4 channels of each of the 37 key pixels (8 bytes apart), loaded
        // once per head.
        for (const auto* copies : {&step.load(), &step.prefetch()}) {
          for (const auto& c : *copies) {
            if (b_slots.count(c.destination()) == 0) continue;
            EXPECT_EQ(c.count(), kTokens);
            EXPECT_EQ(c.chunk_bytes(), 4u);
            EXPECT_EQ(c.source_stride(), 8u);
            b_sources.insert(c.source());
          }
        }
      }
      ASSERT_EQ(b_sources.size(), 2u) << layer.name() << ": one b per head";
      EXPECT_EQ(*b_sources.rbegin() - *b_sources.begin(), 4u) << "the second head's channels";
    }
  });
  EXPECT_EQ(products, 8);  // 2 products x 2 configs x 2 tilers
}

// The context's V is transposed once per head: in row tiles only a head's first tile transposes
// (its call without matmul_b_transposed), the head's other tiles read the copy; the scores never
// set it. No copy into L1 writes the scratch, and a copy into b's slot lands only while the call
// reads the scratch or another slot.
TEST(PulpCompile, OnlyAHeadsFirstContextTileTransposesV) {
  quant::QuantizeOptions quantize;
  quantize.scheme = quant::Scheme::Pulp;
  const quant::QGraph graph = test::quantize_model(test::tiny_vit(false, 6), quantize).qgraph;
  int row_tiled = 0;
  compile_everywhere(graph, {{"l1_tile_budget_bytes=64KiB"}, {"l1_tile_budget_bytes=2KiB"}}, [&](const CompileResult& r) {
    for (const auto& layer : r.network.layers()) {
      if (layer.kind() != isa::pulp::KERNEL_MATMUL) continue;
      const std::uint32_t per_head = static_cast<std::uint32_t>(layer.steps_size()) / 2;  // 2 heads
      row_tiled += per_head > 1;
      for (int i = 0; i < layer.steps_size(); ++i) {
        const isa::pulp::Step& step = layer.steps(i);
        const isa::pulp::KernelCall& call = step.compute();
        const bool head_first = static_cast<std::uint32_t>(i) % per_head == 0;
        EXPECT_EQ(call.matmul_b_transposed(), call.matmul_b_by_rows() && !head_first) << layer.name() << " step " << i;
        const std::uint64_t scratch_end = call.im2col() + std::uint64_t{call.c_in()} * call.c_out();
        for (const auto* copies : {&step.load(), &step.prefetch()}) {
          for (const auto& c : *copies) {
            const std::uint64_t end = c.destination() + c.count() * c.destination_stride();
            if (call.matmul_b_by_rows()) {
              EXPECT_TRUE(end <= call.im2col() || c.destination() >= scratch_end) << layer.name() << " step " << i;
            }
            if (copies == &step.prefetch() && c.destination() == call.input_b()) {
              EXPECT_TRUE(call.matmul_b_transposed()) << layer.name() << " step " << i << ": b's slot overwritten";
            }
          }
        }
      }
    }
  });
  EXPECT_GT(row_tiled, 0);
}

// DeiT-tiny's context on gap8's 36700 B of L1, by hand: r rows of P are 197 r B (buffers
// 4-aligned), a head's V 197 x 64 = 12608 B, r output rows 64 r B, the transposed V 12608 B,
// DORY's 40 B. Two b slots need 2 (197 r) + 3 12608 + 2 (64 r) + 40 > 36700 even for r = 1;
// one slot: 21 rows take 2 4140 + 2 12608 + 2 1344 + 40 = 36224 B, 22 would take 36744 B. The
// smallest tile (r = 1, one slot) is 2 200 + 2 12608 + 2 64 + 40 = 25784 B.
TEST(PulpMatmulTiling, DeiTTinysContextTakesOneBSlotAndTwentyOneRows) {
  MatmulGeometry g;
  g.scores = false;
  g.heads = 3;
  g.head_channels = 64;
  g.queries = g.keys = 197;
  const TileChoice t = choose_matmul_tiling(g, test::pulp_config().pulp(), "context");
  EXPECT_TRUE(t.single_b_slot);
  EXPECT_EQ(t.h_out, 21u);
  EXPECT_EQ(t.tiles(), 3u * 10);
  EXPECT_EQ(t.total_bytes, 36224u);
  EXPECT_EQ(smallest_matmul_tile_bytes(g), 25784u);
  EXPECT_THAT(test::user_error_of([&] {
                choose_matmul_tiling(g, test::pulp_config({"l1_tile_budget_bytes=25000"}).pulp(), "context");
              }),
              HasSubstr("layer 'context': no L2-L1 tiling fits the L1 tile budget of 25000 bytes "
                        "(l1_tile_budget_bytes); its smallest tile (one query row of one head"));
}

// Attention's operands and output must be in L2; when they are not, the error names an l2_bytes
// with which they are (more L2 keeps earlier tensors in L2 too, so it is searched for, not the
// layer's shortfall alone), and the network compiles with it.
TEST(PulpCompile, AttentionOutsideL2NamesAnL2WithWhichItCompiles) {
  quant::QuantizeOptions quantize;
  quantize.scheme = quant::Scheme::Pulp;
  const quant::QGraph graph = test::quantize_model(test::tiny_vit(false, 6), quantize).qgraph;
  // The largest L2 (in 512 B steps) that is too small for attention alone.
  std::string error;
  std::int64_t tried = 0;
  for (std::int64_t l2 = 16 * 1024; l2 >= 2048 && error.empty(); l2 -= 512) {
    tried = l2;
    const std::string e = test::user_error_of(
        [&] { compile_pulp(graph, test::pulp_config({fmt::format("l2_bytes={}", l2)}), CompileOptions{}); });
    if (e.find("attention's product needs its operands and output in L2") != std::string::npos) error = e;
  }
  ASSERT_FALSE(error.empty()) << "no L2 size between 2 and 16 KiB is too small for attention alone";
  const auto at = error.find("use --set l2_bytes=");
  ASSERT_NE(at, std::string::npos) << error;
  const std::string l2 = error.substr(at + 19, error.find(' ', at + 19) - at - 19);
  EXPECT_GT(std::stoll(l2), tried);
  const CompileResult r = compile_pulp(graph, test::pulp_config({"l2_bytes=" + l2}), CompileOptions{});
  check_program(r.network, test::pulp_config({"l2_bytes=" + l2}).pulp());
}

// The position embedding (a constant [1, 8, 1, 5]) is in the L3 image as HWC bytes, and the add
// stages it from there like any tensor in L3; the class token's copy layer reads its own.
TEST(PulpCompile, ConstantOperandsAreReadFromTheL3Image) {
  quant::QuantizeOptions quantize;
  quantize.scheme = quant::Scheme::Pulp;
  const quant::QGraph graph = test::quantize_model(test::tiny_vit(), quantize).qgraph;
  const quant::QTensor& position = graph.tensor(graph.find_tensor("/encoder/Add_per_pixel"));
  ASSERT_TRUE(position.is_constant());
  const CompileResult r = compile_pulp(graph, test::pulp_config(), CompileOptions{});
  check_program(r.network, test::pulp_config().pulp());
  int constants_read = 0;
  for (const auto& layer : r.network.layers()) {
    if (layer.name() != "/encoder/Add" && layer.name() != "/Concat/copy_/Concat_tokens") continue;
    const bool add = layer.name() == "/encoder/Add";
    const quant::QTensor& constant = add ? position : graph.tensor(graph.find_tensor("/Concat_tokens"));
    const std::uint64_t pixels = static_cast<std::uint64_t>(constant.shape[2] * constant.shape[3]);
    const std::uint64_t channels = static_cast<std::uint64_t>(constant.shape[1]);
    for (const auto& copy : layer.steps(0).l3_load()) {
      if (copy.source() < r.network.l3_image_address()) continue;
      ++constants_read;
      ASSERT_EQ(isa::pulp::copy_bytes(copy), pixels * channels) << layer.name();
      const std::uint64_t at = copy.source() - r.network.l3_image_address();
      for (std::uint64_t p = 0; p < pixels; ++p) {
        for (std::uint64_t c = 0; c < channels; ++c) {
          ASSERT_EQ(static_cast<std::int8_t>(r.network.l3_image().at(at + p * channels + c)),
                    constant.data.as_int64(static_cast<std::int64_t>(c * pixels + p)))
              << layer.name() << " pixel " << p << " channel " << c;
        }
      }
    }
  }
  EXPECT_EQ(constants_read, 2);
}

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

// DORY's depthwise layer, tiled (2 KiB of L1): every tile loads its own input, one copy of
// single bytes per channel into channel-major planes, nothing is prefetched, and each step
// waits for its write-back; under the cost objective the same layer is HWC and double-buffered.
TEST(PulpCompile, DorysDepthwiseTilesAreChannelMajorWithBlockingCopies) {
  const HwConfig config = test::pulp_config({"l1_tile_budget_bytes=2KiB"});
  for (const TilerObjective objective : {TilerObjective::Dory, TilerObjective::Cost}) {
    SCOPED_TRACE(objective_name(objective));
    CompileOptions options;
    options.tiler = objective;
    const CompileResult r = compile_pulp(test::small_pulp_cnn_qgraph(), config, options);
    check_program(r.network, config.pulp());
    const bool dory = objective == TilerObjective::Dory;
    int depthwise_layers = 0;
    for (const auto& layer : r.network.layers()) {
      if (layer.kind() != isa::pulp::KERNEL_DEPTHWISE) continue;
      ++depthwise_layers;
      ASSERT_GT(layer.steps_size(), 1);
      EXPECT_EQ(layer.tiling().depthwise_chw(), dory);
      for (const auto& step : layer.steps()) {
        EXPECT_EQ(step.compute().input_chw(), dory);
        EXPECT_EQ(step.wait_write_back(), dory);
        if (!dory) continue;
        EXPECT_EQ(step.prefetch_size(), 0);
        int byte_copies = 0;
        for (const auto& copy : step.load()) {
          if (copy.destination() >= step.compute().input() &&
              copy.destination() < step.compute().input() + std::uint64_t{step.compute().h_in()} *
                                                                 step.compute().w_in() * step.compute().c_in()) {
            EXPECT_EQ(copy.chunk_bytes(), 1u);
            ++byte_copies;
          }
        }
        if (byte_copies > 0) {
          EXPECT_EQ(byte_copies, static_cast<int>(step.compute().c_out()));
        }
      }
    }
    EXPECT_EQ(depthwise_layers, 1);
    if (dory) {
      EXPECT_THAT(r.tiling_log, HasSubstr("channel-major input (DORY's), blocking copies"));
    }
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

// A planned and emitted network, built step by step as compile_pulp does.
struct Emitted {
  LayerMapping mapping;
  MemoryPlan plan;
  isa::pulp::Network network;
};
Emitted emit(const quant::QGraph& graph, const HwConfig& config, const CompileOptions& options = {}) {
  Emitted e;
  e.mapping = map_layers(graph);
  e.plan = plan_memory(graph, e.mapping, config, options);
  emit_network(graph, e.mapping, e.plan, options, config.pulp(), e.network);
  return e;
}

// [begin, end) of the bytes a copy writes.
std::pair<std::uint64_t, std::uint64_t> written_range(const isa::pulp::DmaCopy& c) {
  const std::uint64_t rows = std::max<std::uint64_t>(c.rows(), 1);
  return {c.destination(),
          c.destination() + (rows - 1) * c.destination_row_stride() + (c.count() - 1) * c.destination_stride() +
              c.chunk_bytes()};
}

bool overlap(std::pair<std::uint64_t, std::uint64_t> a, std::uint64_t begin, std::uint64_t end) {
  return a.first < end && begin < a.second;
}

const std::vector<std::vector<std::string>>& tiled_configs() {
  static const std::vector<std::vector<std::string>> configs{{"l1_tile_budget_bytes=8KiB"},
                                                             {"l1_tile_budget_bytes=2KiB"}};
  return configs;
}

// Tiles go rows, then columns, then channels: for an output written to its L2 home in HWC
// order, each write-back lands after the one before.
TEST(PulpEmitNetwork, TilesRunInRowColumnChannelOrder) {
  for (const auto& overrides : tiled_configs()) {
    SCOPED_TRACE(fmt::format("{}", fmt::join(overrides, " ")));
    const Emitted e = emit(test::small_pulp_cnn_qgraph(), test::pulp_config(overrides));
    int tiled = 0;
    for (const auto& layer : e.network.layers()) {
      if (layer.output_memory() != isa::pulp::MEMORY_L2 || layer.tiling().l3_chunks() != 1) continue;
      std::uint64_t last = 0;
      bool first = true;
      for (const auto& step : layer.steps()) {
        for (const auto& c : step.write_back()) {
          if (!first) {
            EXPECT_GT(c.destination(), last) << layer.name();
          }
          first = false;
          last = c.destination();
        }
      }
      tiled += layer.steps_size() > 1 ? 1 : 0;
    }
    EXPECT_GT(tiled, 2);
  }
}

// Double buffering: what a step prefetches for the next tile goes to L1 that the step's own
// kernel neither reads (its input) nor writes (its output), and the next kernel reads its
// input where the prefetch put it.
TEST(PulpEmitNetwork, TheNextTilesInputGoesToTheOtherBuffer) {
  for (const auto& overrides : tiled_configs()) {
    SCOPED_TRACE(fmt::format("{}", fmt::join(overrides, " ")));
    const Emitted e = emit(test::small_pulp_cnn_qgraph(), test::pulp_config(overrides));
    int double_buffered = 0;
    for (const auto& layer : e.network.layers()) {
      for (int i = 0; i + 1 < layer.steps_size(); ++i) {
        const auto& call = layer.steps(i).compute();
        const auto& next = layer.steps(i + 1).compute();
        const std::uint64_t in_end = call.input() + std::uint64_t{call.h_in()} * call.w_in() * call.c_in();
        const std::uint64_t out_end = call.output() + std::uint64_t{call.h_out()} * call.w_out() * call.c_out();
        bool next_input = false;
        for (const auto& c : layer.steps(i).prefetch()) {
          if (c.destination_memory() != isa::pulp::MEMORY_L1) continue;
          EXPECT_FALSE(overlap(written_range(c), call.input(), in_end)) << layer.name() << " step " << i;
          EXPECT_FALSE(overlap(written_range(c), call.output(), out_end)) << layer.name() << " step " << i;
          next_input = next_input || c.destination() == next.input();
        }
        if (!layer.steps(i).prefetch().empty() && layer.tiling().tiles() > 1) {
          ++double_buffered;
          if (call.input() != next.input()) {
            EXPECT_TRUE(next_input) << layer.name() << " step " << i << ": the next input was not prefetched";
          }
        }
      }
    }
    EXPECT_GT(double_buffered, 0);
  }
}

// Each kernel call requantises with its own output channels' multipliers, offsets and shifts.
TEST(PulpEmitNetwork, EachTileRequantisesItsOwnChannels) {
  const auto& graph = test::small_pulp_cnn_qgraph();
  const Emitted e = emit(graph, test::pulp_config({"l1_tile_budget_bytes=2KiB"}));
  int sliced = 0;
  for (int l = 0; l < e.network.layers_size(); ++l) {
    const auto& layer = e.network.layers(l);
    const quant::Requant& r = graph.nodes[static_cast<std::size_t>(e.mapping.layers[static_cast<std::size_t>(l)].node)].requant;
    if (layer.kind() == isa::pulp::KERNEL_MAXPOOL || layer.output_memory() != isa::pulp::MEMORY_L2 ||
        layer.tiling().l3_chunks() != 1) {
      continue;
    }
    const auto channels = static_cast<std::uint64_t>(layer.output_shape(1));
    for (const auto& step : layer.steps()) {
      if (step.write_back().empty()) continue;
      // The tile's first output channel, from where its write-back lands in the HWC output.
      const std::uint64_t c0 = (step.write_back(0).destination() - layer.output_address()) % channels;
      const auto& q = step.compute().requant();
      const auto expect_slice = [&](const auto& field, const auto& values, const char* what) {
        if (values.size() <= 1) {
          ASSERT_EQ(static_cast<std::size_t>(field.size()), values.size()) << layer.name() << " " << what;
          return;
        }
        ASSERT_EQ(static_cast<std::uint32_t>(field.size()), step.compute().c_out()) << layer.name() << " " << what;
        for (int k = 0; k < field.size(); ++k) {
          EXPECT_EQ(field.Get(k), values[c0 + static_cast<std::uint64_t>(k)]) << layer.name() << " " << what << " " << k;
        }
        sliced += c0 > 0 ? 1 : 0;
      };
      expect_slice(q.multiplier(), r.multiplier, "multiplier");
      expect_slice(q.offset(), r.offset, "offset");
      expect_slice(q.shift(), r.shift, "shift");
      EXPECT_EQ(q.lo(), r.lo);
      EXPECT_EQ(q.hi(), r.hi);
    }
  }
  EXPECT_GT(sliced, 0) << "no tile started past channel 0";
}

// The next layer's weights and biases, prefetched during this layer: copies that fill its L2
// buffer exactly from its place in the L3 image (one copy, or with tiler=cost pieces of
// output-channel tiles after the biases); the next layer then loads no weights from L3.
TEST(PulpEmitNetwork, PrefetchedWeightsFillTheNextLayersBufferFromTheImage) {
  const auto& graph = test::small_pulp_cnn_qgraph();
  for (const TilerObjective objective : {TilerObjective::Dory, TilerObjective::Cost}) {
    SCOPED_TRACE(objective_name(objective));
    CompileOptions options;
    options.tiler = objective;
    const Emitted e = emit(graph, test::pulp_config({"l1_tile_budget_bytes=8KiB"}), options);
    int prefetches = 0;
    for (int l = 0; l + 1 < e.network.layers_size(); ++l) {
      const LayerPlan& next = e.plan.layers[static_cast<std::size_t>(l + 1)];
      const auto& copies = e.network.layers(l).l3_prefetch();
      if (!next.weights_prefetched) {
        EXPECT_TRUE(copies.empty()) << e.network.layers(l).name();
        continue;
      }
      ++prefetches;
      std::set<std::uint64_t> bytes;
      for (const auto& c : copies) {
        EXPECT_EQ(c.source_memory(), isa::pulp::MEMORY_L3);
        EXPECT_EQ(c.destination_memory(), isa::pulp::MEMORY_L2);
        EXPECT_EQ(c.source() - next.weights_l3, c.destination() - next.weights_address);
        for (std::uint64_t b = 0; b < isa::pulp::copy_bytes(c); ++b) EXPECT_TRUE(bytes.insert(c.destination() + b).second);
      }
      EXPECT_EQ(bytes.size(), next.weights_buffer_bytes);
      EXPECT_EQ(*bytes.begin(), next.weights_address);
      EXPECT_EQ(*bytes.rbegin(), next.weights_address + next.weights_buffer_bytes - 1);
      if (copies.size() > 1) {  // streamed: the biases first, every tile reads them
        EXPECT_EQ(copies[0].destination(), next.weights_address + next.weights_per_channel * next.shape.c_out);
      }
      for (const auto& step : e.network.layers(l + 1).steps()) {
        for (const auto& c : step.l3_load()) {
          EXPECT_FALSE(c.source() >= next.weights_l3 && c.source() < next.weights_l3 + next.weights_buffer_bytes)
              << "prefetched weights loaded again";
        }
      }
    }
    EXPECT_EQ(prefetches, 4);
  }
}

TEST(PulpEmitNetwork, InputsAndOutputsAreDescribedAtTheirHomes) {
  const auto& graph = test::small_pulp_cnn_qgraph();
  for (const auto& overrides : std::vector<std::vector<std::string>>{{}, {"l1_tile_budget_bytes=8KiB", "l2_bytes=12KiB"}}) {
    const Emitted e = emit(graph, test::pulp_config(overrides));
    ASSERT_EQ(e.network.inputs_size(), 1);
    ASSERT_EQ(e.network.outputs_size(), 1);
    const auto check = [&](const isa::pulp::IoTensor& io, int tensor) {
      const TensorHome& home = e.plan.homes.at(resolve_alias(e.mapping, tensor));
      EXPECT_EQ(io.name(), graph.tensor(tensor).name);
      EXPECT_EQ(io.memory(), home.memory);
      EXPECT_EQ(io.address(), home.address);
      EXPECT_EQ(Shape(io.shape().begin(), io.shape().end()), graph.tensor(tensor).shape);
      EXPECT_EQ(io.is_signed(), graph.tensor(tensor).is_signed);
    };
    check(e.network.inputs(0), graph.inputs[0]);
    check(e.network.outputs(0), graph.outputs[0]);
    EXPECT_EQ(e.network.l2_bytes_used(), e.plan.l2_high_water);
    EXPECT_EQ(e.network.l3_image(), e.plan.l3_image);
  }
}

}  // namespace
}  // namespace wb::pulp
