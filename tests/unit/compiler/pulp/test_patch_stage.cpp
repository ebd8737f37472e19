// The patch stage (compiler/pulp/patch_stage.h): its bands compute each row of each layer once
// and read only rows already computed and still in their ring, tile copies split where rows wrap
// around a ring, and the compiled stage: one program layer whose intermediates never reach L3.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "compiler/pulp/compile.h"
#include "compiler/pulp/emit_network.h"
#include "compiler/pulp/layer_mapping.h"
#include "compiler/pulp/layer_shape.h"
#include "compiler/pulp/memory_plan.h"
#include "compiler/pulp/patch_stage.h"
#include "compiler/pulp/tile_copies.h"
#include "compiler/pulp/tile_geometry.h"
#include "tests/unit/compiler/pulp/pulp_testing.h"

namespace wb::pulp {
namespace {

std::vector<LayerShape> shapes_of(const quant::QGraph& graph, const LayerMapping& mapping) {
  std::vector<LayerShape> shapes;
  for (const PLayer& layer : mapping.layers) shapes.push_back(layer_shape(graph, layer));
  return shapes;
}

// small_pulp_cnn's conv s2 -> depthwise -> pointwise -> add (with the conv): every kind a stage runs.
StageExtent conv_to_add(const LayerMapping& mapping) {
  for (std::size_t i = 0; i < mapping.layers.size(); ++i) {
    if (mapping.layers[i].kind == isa::pulp::KERNEL_ADD) return {0, i};
  }
  return {0, 0};
}

TEST(PatchStage, BandsComputeEachRowOnceAndOnlyReadRowsComputedBefore) {
  const quant::QGraph& graph = test::small_pulp_cnn_qgraph();
  const LayerMapping mapping = map_layers(graph);
  const std::vector<LayerShape> shapes = shapes_of(graph, mapping);
  const StageExtent extent = conv_to_add(mapping);
  ASSERT_EQ(extent.last, 3u);
  const std::uint32_t height = shapes[extent.last].h_out;
  for (const std::uint32_t band_rows : {1u, 2u, 3u, height}) {
    const auto rows = stage_band_rows(mapping, shapes, extent, band_rows);
    ASSERT_EQ(rows.size(), extent.last + 1);
    const std::size_t bands = (height + band_rows - 1) / band_rows;
    for (std::size_t k = 0; k < rows.size(); ++k) {
      ASSERT_EQ(rows[k].size(), bands);
      // Each row of the layer's output computed once, band after band, in order.
      std::uint32_t computed = 0;
      for (const BandRows& r : rows[k]) {
        EXPECT_EQ(r.new_begin, computed) << "layer " << k << " rows " << band_rows;
        EXPECT_LE(r.need_begin, r.new_begin);
        computed = std::max(computed, r.need_end);
      }
      EXPECT_EQ(computed, shapes[k].h_out) << "layer " << k;
    }
    for (std::size_t b = 0; b < bands; ++b) {
      const BandRows& last = rows[extent.last][b];
      EXPECT_EQ(last.new_begin, b * band_rows);
      EXPECT_EQ(last.need_end, std::min<std::uint32_t>(height, (b + 1) * band_rows));
      // What a layer's new rows read of each input made in the stage is in that input's band.
      for (std::size_t c = 1; c <= extent.last; ++c) {
        const BandRows& r = rows[c][b];
        if (r.new_rows() == 0) continue;
        const TileWindow window = row_window(shapes[c], r.new_begin, r.new_rows());
        for (const int t : mapping.layers[c].inputs) {
          for (std::size_t p = 0; p < c; ++p) {
            if (mapping.layers[p].output != t) continue;
            EXPECT_LE(rows[p][b].need_begin, window.in_begin) << c << " reads " << p << " band " << b;
            EXPECT_GE(rows[p][b].need_end, window.in_begin + window.in_size) << c << " reads " << p << " band " << b;
          }
        }
      }
    }
  }
  // One band is the layers run whole, one after the other.
  const auto whole = stage_band_rows(mapping, shapes, extent, height);
  for (std::size_t k = 0; k < whole.size(); ++k) {
    EXPECT_EQ(whole[k][0].need_begin, 0u);
    EXPECT_EQ(whole[k][0].need_end, shapes[k].h_out);
  }
}

TEST(PatchStage, TileCopiesSplitWhereTheirRowsWrapAroundARing) {
  // Rows of 4 pixels of 8 channels (32 bytes) in a ring of 5 rows at 1000.
  L2View ring{1000, 0, 4, 8, 0, isa::pulp::MEMORY_L2, 5};
  const auto inside = hwc_block_copies(ring, 6, 0, 0, 3, 4, 8, 0, true);  // rows 6-8: slots 1-3
  ASSERT_EQ(inside.size(), 1u);
  EXPECT_EQ(inside[0].source(), 1000u + 1 * 32);
  EXPECT_EQ(inside[0].count(), 3u);
  const auto wrapping = hwc_block_copies(ring, 3, 1, 2, 4, 2, 4, 500, true);  // rows 3-6: slots 3, 4 then 0, 1
  ASSERT_EQ(wrapping.size(), 2u);
  EXPECT_EQ(wrapping[0].source(), 1000u + 3 * 32 + 1 * 8 + 2);
  EXPECT_EQ(wrapping[0].destination(), 500u);
  EXPECT_EQ(wrapping[0].rows(), 2u);
  EXPECT_EQ(wrapping[1].source(), 1000u + 0 * 32 + 1 * 8 + 2);
  EXPECT_EQ(wrapping[1].destination(), 500u + 2 * (2 * 4));  // after the first two dense rows
  EXPECT_EQ(wrapping[1].rows(), 2u);
  // Back to the ring alike; one copy may not wrap.
  const auto back = hwc_block_copies(ring, 4, 0, 0, 2, 4, 8, 0, false);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].destination(), 1000u + 4 * 32);
  EXPECT_EQ(back[1].destination(), 1000u);
  EXPECT_THROW(hwc_block_copy(ring, 4, 0, 0, 2, 4, 8, 0, false), std::logic_error);
  // A view that is no ring is one copy, rows from its row0 on.
  const L2View plain{1000, 2, 4, 8, 0, isa::pulp::MEMORY_L2};
  EXPECT_EQ(hwc_block_copies(plain, 4, 0, 0, 9, 4, 8, 0, true).size(), 1u);
}

CompileOptions cost_tiler() {
  CompileOptions options;
  options.tiler = TilerObjective::Cost;
  return options;
}

CompileOptions all_fused() {
  CompileOptions options = cost_tiler();
  options.fusion = Fusion::All;
  return options;
}

// 12 KiB of L2: small_pulp_cnn's first maps go through L3 apart.
HwConfig small_l2() { return test::pulp_config({"l2_bytes=12KiB"}); }
constexpr std::uint64_t kSmallL2 = 12 * 1024;

TEST(PatchStage, ANetworkReadingNothingFromL3HasNone) {
  const quant::QGraph& graph = test::small_pulp_cnn_qgraph();
  const LayerMapping mapping = map_layers(graph);
  const MemoryPlan apart = plan_memory(graph, mapping, test::pulp_config(), CompileOptions{});
  const auto l2_bytes = static_cast<std::uint64_t>(test::pulp_config().pulp().l2_bytes);
  EXPECT_FALSE(patch_stage_extent(graph, mapping, apart, l2_bytes).has_value());
  const CompileResult r = compile_pulp(graph, test::pulp_config(), all_fused());
  EXPECT_EQ(r.report["patch_stage_layers"], 0);
  for (const auto& layer : r.network.layers()) EXPECT_NE(layer.type(), "patch_stage");
}

TEST(PatchStage, NarrowerStagesFollowThePreferredOneEachEndingWhereNothingMadeInsideIsReadAfter) {
  const quant::QGraph& graph = test::small_pulp_cnn_qgraph();
  const LayerMapping mapping = map_layers(graph);
  const CompileOptions options = cost_tiler();
  const MemoryPlan apart = plan_memory(graph, mapping, small_l2(), options);
  const std::vector<StageExtent> extents = patch_stage_extents(graph, mapping, apart, kSmallL2);
  ASSERT_GE(extents.size(), 2u) << "no narrower stage to test";
  EXPECT_EQ(extents.front().last, patch_stage_extent(graph, mapping, apart, kSmallL2)->last);
  // The preferred stage takes the max pool after the add: a pool's rows come from a window too,
  // and its output is smaller.
  EXPECT_EQ(mapping.layers[extents.front().last].kind, isa::pulp::KERNEL_MAXPOOL);
  for (std::size_t k = 0; k < extents.size(); ++k) {
    const StageExtent& e = extents[k];
    EXPECT_EQ(e.first, 0u);
    if (k > 0) {
      EXPECT_LT(e.last, extents[k - 1].last) << "widest first, each once";
    }
    bool reads_l3 = false;
    for (std::size_t i = 0; i <= e.last; ++i) {
      EXPECT_TRUE(runs_in_patch_stage(mapping.layers[i].kind)) << mapping.layers[i].name;
      reads_l3 = reads_l3 || apart.layers[i].stage_input || apart.layers[i].stage_input_b;
      if (i == e.last) continue;
      for (std::size_t j = e.last + 1; j < mapping.layers.size(); ++j) {
        EXPECT_THAT(mapping.layers[j].inputs, testing::Not(testing::Contains(mapping.layers[i].output)))
            << mapping.layers[j].name << " reads what stage layer " << i << " made, after the stage ends at " << e.last;
      }
    }
    EXPECT_TRUE(reads_l3) << "a stage ending at " << e.last << " takes no layer that reads from L3";
  }
}

TEST(PatchStage, TheStageRunsTheFirstLayersAsOneWhoseIntermediatesNeverReachL3) {
  const quant::QGraph& graph = test::small_pulp_cnn_qgraph();
  const LayerMapping mapping = map_layers(graph);
  const CompileOptions options = cost_tiler();
  const MemoryPlan apart = plan_memory(graph, mapping, small_l2(), options);
  const auto extent = patch_stage_extent(graph, mapping, apart, kSmallL2);
  ASSERT_TRUE(extent.has_value()) << "the L2 is not small enough to stage";
  EXPECT_EQ(extent->first, 0u);
  // It takes every layer that reads from L3 apart among those it may run.
  std::size_t reads_l3 = 0;
  for (std::size_t i = 0; i < mapping.layers.size() && runs_in_patch_stage(mapping.layers[i].kind); ++i) {
    if (apart.layers[i].stage_input || apart.layers[i].stage_input_b) reads_l3 = i;
  }
  EXPECT_GE(extent->last, reads_l3);
  const MemoryPlan plan = plan_memory(graph, mapping, small_l2(), options, nullptr, {}, extent);
  ASSERT_TRUE(plan.patch_stage.has_value());
  EXPECT_GT(plan.patch_stage->bands(), 1u);
  isa::pulp::Network network;
  emit_network(graph, mapping, plan, options, small_l2().pulp(), network);
  ASSERT_EQ(static_cast<std::size_t>(network.layers_size()), mapping.layers.size() - (extent->last - extent->first));
  const isa::pulp::Layer& stage = network.layers(0);
  ASSERT_EQ(stage.type(), "patch_stage");
  ASSERT_EQ(static_cast<std::size_t>(stage.fused_layers_size()), extent->last + 1);
  std::uint64_t macs = 0;
  for (std::size_t k = 0; k <= extent->last; ++k) {
    EXPECT_EQ(stage.fused_layers(static_cast<int>(k)), mapping.layers[k].name);
    macs += mapping.layers[k].macs;
  }
  EXPECT_EQ(stage.macs(), macs);
  EXPECT_EQ(stage.output(), graph.tensor(mapping.layers[extent->last].output).name);
  EXPECT_EQ(stage.output_memory(), isa::pulp::MEMORY_L2);
  // Nothing goes to L3; what comes from it are the weights, once (the image is after the RAM).
  for (const auto& step : stage.steps()) {
    EXPECT_EQ(step.l3_store_size(), 0);
    for (const auto& copy : step.l3_load()) EXPECT_GE(copy.source(), network.l3_image_address());
  }
  // Every layer's kernel calls write its output rows once: the last layer's calls cover its output.
  std::uint64_t last_rows = 0;
  for (const auto& step : stage.steps()) {
    const isa::pulp::KernelCall& call = step.compute();
    if (call.kind() == mapping.layers[extent->last].kind) last_rows += call.h_out() * call.w_out() * call.c_out();
  }
  const LayerShape last_shape = layer_shape(graph, mapping.layers[extent->last]);
  EXPECT_EQ(last_rows, std::uint64_t{last_shape.h_out} * last_shape.w_out * last_shape.c_out);
}

}  // namespace
}  // namespace wb::pulp
