// Swin on the cluster: gathers of pixels (compiler/pulp/pixel_gather_layer.h), copies only, a
// run of consecutive input pixels per load, the tile written back whole, in at most three L1
// slots; windowed attention's tiles (matmul_layer.h) and the softmax's labels. Every output byte
// written once (check_program).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <string>

#include "compiler/pulp/compile.h"
#include "compiler/pulp/layer_mapping.h"
#include "compiler/pulp/pixel_gather_layer.h"
#include "compiler/quant/qgraph_queries.h"
#include "isa/pulp_program.h"
#include "tests/support/quant_testing.h"
#include "tests/support/swin_models.h"
#include "tests/support/user_error_testing.h"
#include "tests/unit/compiler/pulp/program_checks.h"
#include "tests/unit/compiler/pulp/pulp_testing.h"

namespace wb::pulp {
namespace {

using testing::HasSubstr;

// 16 channels on 8x8 pixels, 4x4 windows shifted by 2: the roll and window partition one
// gather, the window reverse and roll back another (tests/support/swin_models).
const quant::QGraph& window_moves() {
  static const quant::QGraph graph = [] {
    quant::QuantizeOptions quantize;
    quantize.scheme = quant::Scheme::Pulp;
    return test::quantize_model(test::shifted_window_block(true, {16, 8, 4, 2}), quantize).qgraph;
  }();
  return graph;
}

TEST(PulpPixelGather, MapsToTheClusterDmaWithNoKernel) {
  const LayerMapping mapping = map_layers(window_moves());
  EXPECT_TRUE(mapping.unsupported.empty());
  int gathers = 0;
  for (const PLayer& layer : mapping.layers) {
    if (layer.kind != isa::pulp::KERNEL_PIXEL_COPY) continue;
    ++gathers;
    EXPECT_EQ(layer.macs, 0u) << layer.name;
    EXPECT_STREQ(kernel_type_name(layer.kind), "pixel_gather");
  }
  EXPECT_EQ(gathers, 2);
}

// With 64 KiB of L1 a gather is one tile; with 1 KiB (its 1 KiB output does not fit, with the
// slack) it is tiles of a few pixels in three slots. Each load copies one run of consecutive
// input pixels of the tile's, whole pixels, into the tile in output order; the loads fill the
// tile exactly and the write-back takes it to the output's pixels.
TEST(PulpPixelGather, EachLoadIsOneRunOfPixelsAndTheTileIsWrittenBackWhole) {
  constexpr std::uint64_t kChannels = 16, kPixels = 64;
  int gathers = 0;
  compile_everywhere(window_moves(), {{"l1_tile_budget_bytes=64KiB"}, {"l1_tile_budget_bytes=1KiB"}},
                     [&](const CompileResult& r) {
    const bool small = r.tiling_log.find("L1 tile budget 1024 B") != std::string::npos;
    for (const auto& layer : r.network.layers()) {
      if (layer.kind() != isa::pulp::KERNEL_PIXEL_COPY) continue;
      ++gathers;
      SCOPED_TRACE(layer.name());
      const auto& t = layer.tiling();
      EXPECT_EQ(layer.steps_size(), static_cast<int>(t.tiles()));
      EXPECT_EQ(t.tiles() > 1, small);
      EXPECT_LE(t.l1_total_bytes(), small ? 1024u : 65536u);
      EXPECT_TRUE(layer.output_signed() == isa::pulp::output_signed(layer));
      std::set<std::uint64_t> slots;
      std::uint64_t loaded = 0, written = 0;
      for (const auto& step : layer.steps()) {
        EXPECT_FALSE(step.has_compute());
        EXPECT_EQ(step.prefetch_size(), 0);
        ASSERT_EQ(step.write_back_size(), 1);
        const auto& back = step.write_back(0);
        slots.insert(back.source());
        std::uint64_t tile_bytes = 0;
        for (const auto& copy : step.load()) {
          EXPECT_EQ(copy.source_memory(), isa::pulp::MEMORY_L2);
          EXPECT_EQ(copy.destination(), back.source() + tile_bytes) << "the tile's pixels in output order";
          EXPECT_EQ(isa::pulp::copy_bytes(copy) % kChannels, 0u) << "whole pixels";
          // A run lies within one input row of 8 pixels (a window's row is 4).
          EXPECT_LE(isa::pulp::copy_bytes(copy), 4 * kChannels);
          tile_bytes += isa::pulp::copy_bytes(copy);
        }
        EXPECT_EQ(isa::pulp::copy_bytes(back), tile_bytes);
        loaded += tile_bytes;
        written += isa::pulp::copy_bytes(back);
      }
      EXPECT_EQ(loaded, kPixels * kChannels);
      EXPECT_EQ(written, kPixels * kChannels);
      EXPECT_LE(slots.size(), 3u);
      EXPECT_EQ(slots.size(), std::min<std::size_t>(3, t.tiles()));
    }
  });
  EXPECT_EQ(gathers, 2 * 2 * 2);  // two gathers, two budgets, two tilers
}

// The runs of a gather are what quant::pixel_runs gives: as many loads as runs when nothing is
// tiled (a tile boundary may cut a run in two).
TEST(PulpPixelGather, UntiledLoadsAreThePixelRuns) {
  const quant::QGraph& graph = window_moves();
  const CompileResult r = compile_pulp(graph, test::pulp_config(), {});
  const LayerMapping mapping = map_layers(graph);
  for (const PLayer& layer : mapping.layers) {
    if (layer.kind != isa::pulp::KERNEL_PIXEL_COPY) continue;
    const PixelGatherGeometry g = pixel_gather_geometry(graph, layer);
    EXPECT_EQ(g.out_pixels(), 64u);
    for (const auto& emitted : r.network.layers()) {
      if (emitted.name() != layer.name) continue;
      ASSERT_EQ(emitted.steps_size(), 1);
      EXPECT_EQ(emitted.steps(0).load_size(), static_cast<int>(g.runs.size()));
    }
  }
}

// The budget a one-pixel tile needs, named when nothing fits.
TEST(PulpPixelGather, NoTilingFitsNamesTheLayerAndItsSmallestTile) {
  PixelGatherGeometry g;
  g.channels = 4096;
  g.out_height = g.out_width = g.in_height = g.in_width = 2;
  PulpParams hw = test::pulp_config().pulp();
  hw.l1_tile_budget_bytes = 8192;
  EXPECT_EQ(smallest_pixel_gather_tile_bytes(g), 3u * 4096 + 40);
  const std::string error = test::user_error_of([&] { choose_pixel_gather_tiling(g, hw, "moves"); });
  EXPECT_THAT(error, HasSubstr("layer 'moves'"));
  EXPECT_THAT(error, HasSubstr("budget of 8192 bytes"));
  EXPECT_THAT(error, HasSubstr("needs 12328 bytes"));
  hw.l1_tile_budget_bytes = 12328;
  const TileChoice t = choose_pixel_gather_tiling(g, hw, "moves");
  EXPECT_EQ(t.h_out, 1u);
  EXPECT_EQ(t.tiles(), 4u);
}

// Swin's window attention (tests/support/swin_models window_attention: 4 windows of 4 tokens,
// 2 heads of 4 channels, with the relative-position bias and the shifted-window mask): a matmul
// tile is one window's head, its b that head's channels of the window's 4 key pixels; the scores'
// tiles each bring their rows of the bias [2, 4, 4] (int32) after step 0's uDMA load of the
// table; the softmax's calls carry the labels of 4 windows of 2 heads.
TEST(PulpWindowAttention, ATileIsAWindowsHeadWithItsBiasRowsAndTheSoftmaxItsLabels) {
  quant::QuantizeOptions quantize;
  quantize.scheme = quant::Scheme::Pulp;
  const quant::QGraph graph = test::quantize_model(test::window_attention(true, true), quantize).qgraph;
  int products = 0, softmaxes = 0;
  compile_everywhere(graph, {{}}, [&](const CompileResult& r) {
    for (const auto& layer : r.network.layers()) {
      if (layer.kind() == isa::pulp::KERNEL_SOFTMAX) {
        ++softmaxes;
        for (const auto& step : layer.steps()) {
          EXPECT_EQ(step.compute().softmax_label_tokens(), 4u);
          EXPECT_EQ(step.compute().softmax_label_heads(), 2u);
          EXPECT_EQ(step.compute().softmax_label_windows(), 4u);
        }
        continue;
      }
      if (layer.kind() != isa::pulp::KERNEL_MATMUL) continue;
      ++products;
      SCOPED_TRACE(layer.name());
      ASSERT_EQ(layer.steps_size(), 8) << "4 windows x 2 heads";
      const bool scores = layer.steps(0).compute().has_bias();
      std::set<std::uint64_t> b_slots, b_sources, bias_sources;
      for (const auto& step : layer.steps()) b_slots.insert(step.compute().input_b());
      for (int i = 0; i < layer.steps_size(); ++i) {
        const isa::pulp::Step& step = layer.steps(i);
        EXPECT_EQ(step.compute().c_in(), 4u);   // d channels, or L' keys
        EXPECT_EQ(step.compute().c_out(), 4u);  // L' keys, or d channels
        EXPECT_EQ(step.l3_load_size(), scores && i == 0 ? 1 : 0);
        for (const auto* copies : {&step.load(), &step.prefetch()}) {
          for (const auto& c : *copies) {
            if (c.chunk_bytes() == 4 && c.count() == 4 && b_slots.count(c.destination()) != 0) b_sources.insert(c.source());
            if (isa::pulp::copy_bytes(c) == 4u * 4 * 4) bias_sources.insert(c.source());
          }
        }
      }
      EXPECT_EQ(b_sources.size(), 8u) << "each window's head its own keys";
      // The bias is the same in every window: one source per head.
      EXPECT_EQ(bias_sources.size(), scores ? 2u : 0u);
    }
  });
  EXPECT_EQ(products, 2 * 2);   // scores and context, two tilers
  EXPECT_EQ(softmaxes, 2);
}

}  // namespace
}  // namespace wb::pulp
