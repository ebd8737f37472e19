// The memory plan: L2 homes, L3 chunks of rows and weights, staging through L2, and the errors
// that name the L1 or L2 a network needs.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "compiler/pulp/compile.h"
#include "compiler/pulp/layer_mapping.h"
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

TEST(PulpMemoryPlan, LayerShapesAreTheTensorsAndTheWindowInHwc) {
  const auto& graph = test::small_pulp_cnn_qgraph();
  const LayerMapping m = map_layers(graph);
  // conv1: x[1,3,32,32], 3x3 stride 2 pad 1, 16 channels -> 16 x 16.
  const LayerShape conv1 = layer_shape(graph, m.layers.at(0));
  EXPECT_EQ(std::vector<std::uint32_t>({conv1.h_in, conv1.w_in, conv1.c_in, conv1.h_out, conv1.w_out, conv1.c_out}),
            (std::vector<std::uint32_t>{32, 32, 3, 16, 16, 16}));
  EXPECT_EQ(std::vector<std::uint32_t>({conv1.k_h, conv1.k_w, conv1.stride_h, conv1.stride_w, conv1.pad_top,
                                        conv1.pad_left, conv1.pad_bottom, conv1.pad_right}),
            (std::vector<std::uint32_t>{3, 3, 2, 2, 1, 1, 1, 1}));
  // The residual add is elementwise: no window; the linear layer reads the flattened pool.
  const LayerShape add = layer_shape(graph, m.layers.at(3));
  EXPECT_EQ(add.kind, isa::pulp::KERNEL_ADD);
  EXPECT_EQ(std::vector<std::uint32_t>({add.k_h, add.k_w, add.stride_h, add.pad_top}),
            (std::vector<std::uint32_t>{1, 1, 1, 0}));
  const LayerShape fc = layer_shape(graph, m.layers.back());
  EXPECT_EQ(std::vector<std::uint32_t>({fc.h_in, fc.w_in, fc.c_in, fc.h_out, fc.w_out, fc.c_out}),
            (std::vector<std::uint32_t>{1, 1, 32, 1, 1, 10}));
}

// The L3 image holds each layer's weights as the kernels read them, [c_out][k_h][k_w][c_in of
// the filter] int8, then its int32 little-endian biases (from the QGraph's NCHW weights).
TEST(PulpMemoryPlan, TheL3ImageHoldsEachLayersWeightsChannelsLastThenItsBiases) {
  const auto& graph = test::small_pulp_cnn_qgraph();
  const LayerMapping m = map_layers(graph);
  const MemoryPlan plan = plan_memory(graph, m, test::pulp_config(), {});
  int checked = 0;
  for (std::size_t i = 0; i < m.layers.size(); ++i) {
    const LayerPlan& lp = plan.layers[i];
    if (!lp.has_weights) continue;
    SCOPED_TRACE(m.layers[i].name);
    const quant::QNode& node = graph.nodes[static_cast<std::size_t>(m.layers[i].node)];
    const Shape& ws = node.weights.shape();
    const std::int64_t cout = ws[0], cin = ws[1], kh = ws.size() > 2 ? ws[2] : 1, kw = ws.size() > 3 ? ws[3] : 1;
    EXPECT_EQ(lp.weights_per_channel, static_cast<std::uint64_t>(cin * kh * kw));
    const std::uint64_t at = lp.weights_l3 - plan.l3_image_address;
    ASSERT_LE(at + cout * (cin * kh * kw + 4), plan.l3_image.size());
    std::uint64_t next = at;
    for (std::int64_t o = 0; o < cout; ++o) {
      for (std::int64_t y = 0; y < kh; ++y) {
        for (std::int64_t x = 0; x < kw; ++x) {
          for (std::int64_t c = 0; c < cin; ++c) {
            const std::int64_t nchw = ((o * cin + c) * kh + y) * kw + x;
            ASSERT_EQ(static_cast<std::int8_t>(plan.l3_image[next++]), node.weights.as_int64(nchw))
                << o << " " << y << " " << x << " " << c;
          }
        }
      }
    }
    for (std::int64_t o = 0; o < cout; ++o) {
      std::uint32_t bias = 0;
      for (int b = 0; b < 4; ++b) bias |= std::uint32_t{static_cast<std::uint8_t>(plan.l3_image[next++])} << (8 * b);
      EXPECT_EQ(static_cast<std::int32_t>(bias), node.bias.as_int64(o)) << o;
    }
    ++checked;
  }
  EXPECT_EQ(checked, 5);  // conv1, depthwise, pointwise, conv3, fc
}

// At every layer, the L2 buffers in use (the homes of the tensors live across it, its weight
// buffers and the next layer's prefetched ones) are disjoint and inside L2; L3 homes inside
// the L3 RAM the plan uses.
TEST(PulpMemoryPlan, TheL2BuffersLiveAtOnceNeverOverlap) {
  struct Case {
    const quant::QGraph* graph;
    std::vector<std::string> overrides;
  };
  const std::vector<Case> cases{
      {&test::small_pulp_cnn_qgraph(), {}},
      {&test::small_pulp_cnn_qgraph(), {"l1_tile_budget_bytes=8KiB", "l2_bytes=24KiB"}},
      {&test::small_pulp_cnn_qgraph(), {"l1_tile_budget_bytes=8KiB", "l2_bytes=12KiB"}},
      {&test::inception_pulp_cnn_qgraph(), {"l1_tile_budget_bytes=8KiB", "l2_bytes=24KiB"}},
      {&test::dense_pulp_cnn_qgraph(), {"l1_tile_budget_bytes=2KiB", "l2_bytes=5KiB"}},
      {&test::se_pulp_cnn_qgraph(), {"l1_tile_budget_bytes=2KiB", "l2_bytes=6KiB"}},
      {&test::grouped_pulp_cnn_qgraph(), {"l1_tile_budget_bytes=3584", "l2_bytes=3200"}}};
  for (const Case& c : cases) {
    const quant::QGraph& graph = *c.graph;
    SCOPED_TRACE(fmt::format("{} {}", graph.name, fmt::join(c.overrides, " ")));
    const HwConfig config = test::pulp_config(c.overrides);
    const LayerMapping m = map_layers(graph);
    const MemoryPlan plan = plan_memory(graph, m, config, {});
    const std::size_t n = m.layers.size();
    const auto owner = [&](int t) {
      const auto slice = m.slices.find(t);
      return slice == m.slices.end() ? t : slice->second.concat;
    };
    // Each buffer's steps: from its first writer (0 for a network input) to its last reader
    // (the end for a network output).
    std::map<int, std::pair<std::size_t, std::size_t>> life;
    const auto use = [&](int t, std::size_t i) {
      auto [it, fresh] = life.emplace(owner(t), std::make_pair(i, i));
      if (!fresh) {
        it->second.first = std::min(it->second.first, i);
        it->second.second = std::max(it->second.second, i);
      }
    };
    for (const int t : graph.inputs) use(t, 0);
    for (std::size_t i = 0; i < n; ++i) {
      for (const int t : m.layers[i].inputs) use(t, i);
      use(m.layers[i].output, i);
    }
    for (const int t : graph.outputs) use(resolve_alias(m, t), n - 1);
    ASSERT_LE(plan.l2_high_water, static_cast<std::uint64_t>(config.pulp().l2_bytes));
    for (std::size_t i = 0; i < n; ++i) {
      struct Region {
        std::string what;
        std::uint64_t begin, end;
      };
      std::vector<Region> regions;
      for (const auto& [t, steps] : life) {
        if (steps.first > i || steps.second < i) continue;
        const TensorHome& home = plan.homes.at(t);
        EXPECT_EQ(home.pixel_channels, 0u) << graph.tensor(t).name;
        if (home.memory == isa::pulp::MEMORY_L2) {
          regions.push_back({"home of " + graph.tensor(t).name, home.address, home.address + home.bytes});
        } else {
          EXPECT_EQ(home.memory, isa::pulp::MEMORY_L3);
          EXPECT_LE(home.address + home.bytes, plan.l3_bytes_used) << graph.tensor(t).name;
        }
      }
      const LayerPlan& lp = plan.layers[i];
      if (lp.has_weights || lp.has_table) {
        regions.push_back({"weights", lp.weights_address, lp.weights_address + lp.weights_buffer_bytes});
      }
      if (lp.weights_double_buffered) {
        regions.push_back({"second weights", lp.weights_address_alt, lp.weights_address_alt + lp.weights_buffer_bytes});
      }
      if (i + 1 < n && plan.layers[i + 1].weights_prefetched) {
        const LayerPlan& next = plan.layers[i + 1];
        regions.push_back({"next weights", next.weights_address, next.weights_address + next.weights_buffer_bytes});
      }
      std::sort(regions.begin(), regions.end(), [](const Region& a, const Region& b) { return a.begin < b.begin; });
      for (std::size_t k = 0; k < regions.size(); ++k) {
        EXPECT_LE(regions[k].end, plan.l2_high_water) << regions[k].what;
        if (k > 0) {
          EXPECT_LE(regions[k - 1].end, regions[k].begin)
              << "layer " << m.layers[i].name << ": " << regions[k - 1].what << " and " << regions[k].what;
        }
      }
    }
  }
}

TEST(PulpMemoryPlan, WeightPrefetchLoadsTheNextLayersWeightsWhenTheyFit) {
  const auto& graph = test::small_pulp_cnn_qgraph();
  const LayerMapping m = map_layers(graph);
  CompileOptions off;
  off.weight_prefetch = false;
  const MemoryPlan with = plan_memory(graph, m, test::pulp_config(), {});
  const MemoryPlan without = plan_memory(graph, m, test::pulp_config(), off);
  int prefetched = 0;
  for (std::size_t i = 0; i < m.layers.size(); ++i) {
    EXPECT_FALSE(without.layers[i].weights_prefetched) << m.layers[i].name;
    // 512 KiB of L2 holds every layer's weights beside its output: each but the first is
    // loaded during the layer before it, whole.
    EXPECT_EQ(with.layers[i].weights_prefetched, i > 0 && with.layers[i].has_weights) << m.layers[i].name;
    if (with.layers[i].weights_prefetched) {
      ++prefetched;
      EXPECT_EQ(with.layers[i].chunk_c_out, with.layers[i].shape.c_out);
      EXPECT_EQ(with.layers[i].weights_buffer_bytes,
                (with.layers[i].weights_per_channel + 4) * with.layers[i].shape.c_out);
    }
  }
  EXPECT_EQ(prefetched, 4);
}

}  // namespace
}  // namespace wb::pulp
