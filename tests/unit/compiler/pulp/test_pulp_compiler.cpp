// The PULP compiler's units: layer mapping, the L2 allocator, the tiler (DORY's space and
// objective, the cost objective, the error when nothing fits) and whole programs whose DMA
// copies must stay inside their memories and write every output byte exactly once.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "compiler/pulp/compile.h"
#include "compiler/pulp/l2_allocator.h"
#include "compiler/pulp/layer_mapping.h"
#include "compiler/pulp/memory_plan.h"
#include "compiler/pulp/tile_copies.h"
#include "compiler/pulp/tiler.h"
#include "compiler/quant/qgraph_queries.h"
#include "isa/pulp_program.h"
#include "support/error.h"
#include "perf/pulp/cost.h"
#include "tests/unit/compiler/pulp/pulp_testing.h"

namespace wb::pulp {
namespace {

using testing::HasSubstr;

TEST(PulpLayerMapping, EveryKernelKindOfTheSmallCnn) {
  const auto& graph = test::small_pulp_cnn_qgraph();
  const LayerMapping m = map_layers(graph);
  ASSERT_TRUE(m.unsupported.empty()) << m.unsupported.front();
  std::vector<std::string> types;
  for (const auto& l : m.layers) types.push_back(kernel_type_name(l.kind));
  EXPECT_EQ(types, (std::vector<std::string>{"conv", "depthwise", "pointwise", "add", "maxpool", "conv", "avgpool",
                                             "linear"}));
  for (const auto& l : m.layers) {
    const auto& node = graph.nodes[static_cast<std::size_t>(l.node)];
    if (node.kind == quant::QOpKind::Conv) {
      EXPECT_EQ(l.ops, 2 * l.macs) << l.name;
    }
  }
  // The Flatten is an alias: the linear layer reads the pool's output.
  EXPECT_EQ(m.layers.back().inputs[0], m.layers[6].output);
}

TEST(PulpLayerMapping, ConcatInputsAreChannelSlicesOfItsTensor) {
  const auto& graph = test::inception_pulp_cnn_qgraph();
  const LayerMapping m = map_layers(graph);
  ASSERT_TRUE(m.unsupported.empty()) << m.unsupported.front();
  const int cat = graph.find_tensor("cat");
  ASSERT_EQ(m.slices.size(), 3u);
  std::vector<std::uint32_t> offsets, channels;
  for (const std::string branch : {"r_branch_1x1", "r_branch_3x3", "r_branch_pool"}) {
    const ConcatSlice& slice = m.slices.at(graph.find_tensor(branch));
    EXPECT_EQ(slice.concat, cat);
    offsets.push_back(slice.channel_offset);
    channels.push_back(slice.channels);
  }
  EXPECT_EQ(offsets, (std::vector<std::uint32_t>{0, 8, 24}));
  EXPECT_EQ(channels, (std::vector<std::uint32_t>{8, 16, 8}));
  // No layer for the concat: the conv after it reads the concat's tensor.
  for (const auto& l : m.layers) EXPECT_NE(l.name, "concat");
  EXPECT_TRUE(std::any_of(m.layers.begin(), m.layers.end(),
                          [&](const PLayer& l) { return l.name == "conv_out" && l.inputs.at(0) == cat; }));
}

// x -> conv a, conv b (dilated), conv c; concat(x, a): a network input; concat(c, c): c written
// twice; the dilated conv has no kernel. All three are reported at once.
test::OnnxBuilder unsupported_cnn() {
  test::OnnxBuilder b;
  b.input("x", {1, 4, 8, 8}).output("cat_input").output("cat_twice").output("rd");
  for (const std::string branch : {"a", "c", "d"}) {
    b.initializer("w" + branch, test::random_tensor({4, 4, 3, 3}, 40 + static_cast<unsigned>(branch[0])));
    auto& conv = b.node("Conv", {"x", "w" + branch}, {"conv_" + branch}, "conv_" + branch);
    const std::int64_t dilation = branch == "d" ? 2 : 1;
    test::set_attr(conv, "pads", std::vector<std::int64_t>{dilation, dilation, dilation, dilation});
    test::set_attr(conv, "dilations", std::vector<std::int64_t>{dilation, dilation});
    b.node("Relu", {"conv_" + branch}, {"r" + branch}, "relu_" + branch);
  }
  test::set_attr(b.node("Concat", {"x", "ra"}, {"cat_input"}, "cat_input"), "axis", std::int64_t{1});
  test::set_attr(b.node("Concat", {"rc", "rc"}, {"cat_twice"}, "cat_twice"), "axis", std::int64_t{1});
  return b;
}

TEST(PulpLayerMapping, ListsEveryUnsupportedNodeAtOnce) {
  quant::QuantizeOptions options;
  options.scheme = quant::Scheme::Pulp;
  const auto graph = test::quantize_model(unsupported_cnn(), options).qgraph;
  const LayerMapping m = map_layers(graph);
  ASSERT_EQ(m.unsupported.size(), 3u);
  EXPECT_THAT(m.unsupported[0], HasSubstr("'conv_d' (Conv): dilation 2x2"));
  EXPECT_THAT(m.unsupported[1], HasSubstr("'cat_input' (Concat): input 'x' is not the output of a conv"));
  EXPECT_THAT(m.unsupported[2], HasSubstr("'cat_twice' (Concat): input 'rc' is already written into another concat "
                                          "(or twice into this one)"));
  EXPECT_TRUE(m.slices.empty());
  EXPECT_THROW(
      {
        try {
          compile_pulp(graph, test::pulp_config(), {});
        } catch (const UserError& e) {
          EXPECT_THAT(e.what(), HasSubstr("3 node(s) the PULP cluster cannot run"));
          throw;
        }
      },
      UserError);
}

TEST(PulpL2Allocator, FirstFitHighAndCoalescing) {
  FirstFitAllocator a(1000, 4);
  EXPECT_EQ(a.allocate(10), 0u);           // rounded to 12
  EXPECT_EQ(a.allocate(4), 12u);
  EXPECT_EQ(a.allocate_high(100), 900u);   // the end of the free space
  EXPECT_EQ(a.largest_free(), 900u - 16u);
  a.release(0, 10);
  a.release(12, 4);
  EXPECT_EQ(a.largest_free(), 900u);       // [0, 900) is one block again
  EXPECT_FALSE(a.allocate(901).has_value());
  EXPECT_THROW(a.release(0, 4), std::logic_error);  // already free: a double free
}

LayerShape pointwise(std::uint32_t hw, std::uint32_t c_in, std::uint32_t c_out) {
  LayerShape s;
  s.kind = isa::pulp::KERNEL_POINTWISE;
  s.h_in = s.w_in = s.h_out = s.w_out = hw;
  s.c_in = c_in;
  s.c_out = c_out;
  return s;
}

LayerShape conv3x3(std::uint32_t hw, std::uint32_t c_in, std::uint32_t c_out) {
  LayerShape s = pointwise(hw, c_in, c_out);
  s.kind = isa::pulp::KERNEL_CONV;
  s.k_h = s.k_w = 3;
  s.pad_top = s.pad_bottom = s.pad_left = s.pad_right = 1;
  return s;
}

TEST(PulpTiler, AWholeLayerThatFitsIsOneTileWithoutDoubleBuffering) {
  const auto hw = test::pulp_config().pulp();
  const TileChoice t = choose_tiling(pointwise(8, 16, 16), hw, TilerObjective::Dory, "small");
  EXPECT_EQ(t.tiles(), 1u);
  EXPECT_FALSE(t.double_buffered);
  EXPECT_EQ(t.input_bytes, 8u * 8u * 16u);
}

TEST(PulpTiler, DoryTilesFitTheBudgetAndPreferItsBonuses) {
  const auto hw = test::pulp_config({"l1_tile_budget_bytes=38000"}).pulp();
  // MobileNetV1's pointwise 128 -> 128 at 32 x 32: too big for one tile.
  const LayerShape s = pointwise(32, 128, 128);
  const TileChoice t = choose_tiling(s, hw, TilerObjective::Dory, "pw");
  EXPECT_GT(t.tiles(), 1u);
  EXPECT_TRUE(t.double_buffered);
  EXPECT_LE(t.total_bytes, 38000u);
  EXPECT_EQ(t.c_in, 0u);  // DORY never tiles C_in when it does not have to
  EXPECT_EQ(t.w_out % 2, 0u);
  // Growing any dimension by one step breaks the budget or loses DORY's score; at least the
  // budget must be nearly full (occupancy is part of the objective).
  EXPECT_GT(t.total_bytes, 38000u * 3 / 4);
}

TEST(PulpTiler, CostObjectiveNeverPredictsMoreThanDory) {
  const auto hw = test::pulp_config({"l1_tile_budget_bytes=38000"}).pulp();
  for (const LayerShape& s : {pointwise(32, 64, 128), pointwise(32, 128, 128), conv3x3(16, 32, 64),
                              pointwise(4, 1024, 1024)}) {
    const TileChoice dory = choose_tiling(s, hw, TilerObjective::Dory, "a");
    const TileChoice cost = choose_tiling(s, hw, TilerObjective::Cost, "a");
    EXPECT_LE(cost.predicted_cycles, dory.predicted_cycles) << s.c_in << "->" << s.c_out;
    EXPECT_LE(cost.total_bytes, 38000u);
    EXPECT_EQ(cost.predicted_cycles, predict_cycles(s, cost, hw));
  }
}

// MobileNetV1's depthwise layers: 3x3, pad 1, stride 1 or 2 (`hw` the output's side).
LayerShape depthwise3x3(std::uint32_t hw, std::uint32_t channels, std::uint32_t stride) {
  LayerShape s;
  s.kind = isa::pulp::KERNEL_DEPTHWISE;
  s.h_out = s.w_out = hw;
  s.h_in = s.w_in = hw * stride;
  s.c_in = s.c_out = channels;
  s.k_h = s.k_w = 3;
  s.stride_h = s.stride_w = stride;
  s.pad_top = s.pad_left = 1;
  s.pad_bottom = s.pad_right = stride == 1 ? 1 : 0;
  return s;
}

TEST(PulpTiler, TheCostObjectiveRunsDepthwiseLayersOnThePlaneKernelWhereItIsFaster) {
  const auto hw = test::pulp_config().pulp();
  for (const LayerShape& s : {depthwise3x3(64, 32, 1), depthwise3x3(32, 64, 2), depthwise3x3(8, 512, 1),
                              depthwise3x3(4, 1024, 1), depthwise3x3(4, 512, 2)}) {
    SCOPED_TRACE(testing::Message() << s.h_out << "x" << s.w_out << "x" << s.c_out << " stride " << s.stride_h);
    const TileChoice dory = choose_tiling(s, hw, TilerObjective::Dory, "dw");
    EXPECT_FALSE(dory.depthwise_plane);  // DORY's generated code calls PULP-NN's kernel
    const TileChoice cost = choose_tiling(s, hw, TilerObjective::Cost, "dw");
    EXPECT_TRUE(cost.depthwise_plane);
    EXPECT_LT(cost.predicted_cycles, dory.predicted_cycles);
    EXPECT_EQ(cost.predicted_cycles, predict_cycles(s, cost, hw));
    // The scratch is a padded plane per core, rows rounded up to words, plus a word.
    const std::uint64_t rows = (cost.h_out - 1) * s.stride_h + 3, cols = (cost.w_out - 1) * s.stride_w + 3;
    EXPECT_EQ(cost.im2col_bytes, static_cast<std::uint64_t>(hw.cores) * (rows * ((cols + 3) / 4 * 4) + 4));
    EXPECT_LE(cost.total_bytes, static_cast<std::uint64_t>(hw.l1_tile_budget_bytes));
  }
  // Other windows and strides keep PULP-NN's kernel.
  LayerShape five = depthwise3x3(16, 32, 1);
  five.k_h = five.k_w = 5;
  five.h_in = five.w_in = 16;
  five.pad_top = five.pad_bottom = five.pad_left = five.pad_right = 2;
  EXPECT_FALSE(choose_tiling(five, hw, TilerObjective::Cost, "dw5").depthwise_plane);
}

TEST(PulpTiler, InputChannelsAreTiledOnlyWhenNothingElseFits) {
  const auto hw = test::pulp_config().pulp();
  // 3x3 x 512: the per-core im2col buffers alone (2 x 8 x 9 x 512 B) exceed the L1 budget.
  const TileChoice t = choose_tiling(conv3x3(7, 512, 512), hw, TilerObjective::Dory, "layer4");
  EXPECT_GT(t.c_in, 0u);
  EXPECT_LT(t.c_in, 512u);
  EXPECT_GT(t.accumulator_bytes, 0u);
  EXPECT_LE(t.total_bytes, static_cast<std::uint64_t>(hw.l1_tile_budget_bytes));
}

TEST(PulpTiler, NothingFitsNamesTheLayerAndTheSmallestBudgetThatWorks) {
  const auto hw = test::pulp_config({"l1_tile_budget_bytes=1KiB"}).pulp();
  // A depthwise layer of 32 x 32: DORY keeps its whole plane in one tile.
  LayerShape s = conv3x3(32, 64, 64);
  s.kind = isa::pulp::KERNEL_DEPTHWISE;
  std::string message;
  try {
    choose_tiling(s, hw, TilerObjective::Dory, "conv_big");
  } catch (const UserError& e) {
    message = e.what();
  }
  ASSERT_THAT(message, HasSubstr("layer 'conv_big'"));
  EXPECT_THAT(message, HasSubstr("l1_tile_budget_bytes"));
  // The smallest tile's bytes are the smallest budget that works: it does, one byte less does not.
  const std::uint64_t smallest = smallest_tile(s, hw).total_bytes;
  EXPECT_THAT(message, HasSubstr(fmt::format("needs {} bytes", smallest)));
  const auto with_budget = [&](std::uint64_t bytes) {
    return test::pulp_config({fmt::format("l1_tile_budget_bytes={}", bytes)}).pulp();
  };
  EXPECT_NO_THROW(choose_tiling(s, with_budget(smallest), TilerObjective::Dory, "conv_big"));
  EXPECT_THROW(choose_tiling(s, with_budget(smallest - 1), TilerObjective::Dory, "conv_big"), UserError);
}

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

TEST(PulpTileCopies, TileWindowsCoverTheReceptiveFieldWithBorderPadding) {
  // 3x3 s1 pad 1 over 16 rows, output rows 0..7: input rows 0..8, one padding row on top.
  const TileWindow top = tile_window(0, 8, 16, 3, 1, 1);
  EXPECT_EQ(top.in_begin, 0u);
  EXPECT_EQ(top.in_size, 9u);
  EXPECT_EQ(top.pad_before, 1u);
  EXPECT_EQ(top.pad_after, 0u);
  const TileWindow bottom = tile_window(8, 8, 16, 3, 1, 1);
  EXPECT_EQ(bottom.in_begin, 7u);
  EXPECT_EQ(bottom.in_size, 9u);
  EXPECT_EQ(bottom.pad_after, 1u);
  // Stride 2: output rows 4..7 of 8 read input rows 7..15 (pad 1).
  const TileWindow s2 = tile_window(4, 4, 16, 3, 2, 1);
  EXPECT_EQ(s2.in_begin, 7u);
  EXPECT_EQ(s2.in_size, 9u);
  EXPECT_EQ(s2.pad_after, 0u);
}

// Max address + 1 a copy touches on each side.
std::pair<std::uint64_t, std::uint64_t> copy_ends(const isa::pulp::DmaCopy& c) {
  const std::uint64_t rows = std::max<std::uint64_t>(c.rows(), 1);
  const std::uint64_t last = c.count() - 1;
  return {c.source() + (rows - 1) * c.source_row_stride() + last * c.source_stride() + c.chunk_bytes(),
          c.destination() + (rows - 1) * c.destination_row_stride() + last * c.destination_stride() + c.chunk_bytes()};
}

std::uint64_t memory_size(isa::pulp::Memory m, const PulpParams& hw) {
  switch (m) {
    case isa::pulp::MEMORY_L1: return static_cast<std::uint64_t>(hw.l1_bytes);
    case isa::pulp::MEMORY_L2: return static_cast<std::uint64_t>(hw.l2_bytes);
    default: return static_cast<std::uint64_t>(hw.l3_bytes + hw.l3_flash_bytes);
  }
}

// Every byte of every layer's output is written exactly once by the layer's write-backs and
// L3 stores to its home, and every copy stays inside its memories.
void check_program(const isa::pulp::Network& network, const PulpParams& hw) {
  for (const auto& layer : network.layers()) {
    std::map<std::uint64_t, int> written;  // byte address in the output's memory -> times
    const auto note = [&](const isa::pulp::DmaCopy& c) {
      const std::uint64_t rows = std::max<std::uint64_t>(c.rows(), 1);
      for (std::uint64_t r = 0; r < rows; ++r) {
        for (std::uint64_t i = 0; i < c.count(); ++i) {
          for (std::uint64_t b = 0; b < c.chunk_bytes(); ++b) {
            ++written[c.destination() + r * c.destination_row_stride() + i * c.destination_stride() + b];
          }
        }
      }
    };
    for (const auto& step : layer.steps()) {
      for (const auto* copies : {&step.load(), &step.prefetch(), &step.write_back(), &step.l3_load(), &step.l3_store()}) {
        for (const auto& c : *copies) {
          const auto [src_end, dst_end] = copy_ends(c);
          EXPECT_LE(src_end, memory_size(c.source_memory(), hw)) << layer.name();
          EXPECT_LE(dst_end, memory_size(c.destination_memory(), hw)) << layer.name();
        }
      }
      EXPECT_LE(step.compute().output() + std::uint64_t{step.compute().h_out()} * step.compute().w_out() *
                                              step.compute().c_out(),
                static_cast<std::uint64_t>(hw.l1_tile_budget_bytes))
          << layer.name();
      const auto& final_copies = layer.output_memory() == isa::pulp::MEMORY_L3 ? step.l3_store() : step.write_back();
      for (const auto& c : final_copies) note(c);
    }
    // HWC at output_address; a concat input's pixels are output_pixel_bytes apart.
    const auto& shape = layer.output_shape();
    const auto channels = static_cast<std::uint64_t>(shape.size() > 1 ? shape[1] : 1);
    std::uint64_t pixels = 1;
    for (int d = 2; d < shape.size(); ++d) pixels *= static_cast<std::uint64_t>(shape[d]);
    const std::uint64_t pixel = layer.output_pixel_bytes() != 0 ? layer.output_pixel_bytes() : channels;
    std::set<std::uint64_t> expected;
    for (std::uint64_t p = 0; p < pixels; ++p) {
      for (std::uint64_t c = 0; c < channels; ++c) expected.insert(layer.output_address() + p * pixel + c);
    }
    std::set<std::uint64_t> addresses;
    for (const auto& [address, times] : written) {
      addresses.insert(address);
      ASSERT_EQ(times, 1) << layer.name() << " byte " << address;
    }
    EXPECT_EQ(addresses, expected) << layer.name();
  }
}

// Compiles `graph` with each config's overrides and both tilers, checks each program with
// check_program and hands it to `more`.
void compile_everywhere(const quant::QGraph& graph, const std::vector<std::vector<std::string>>& configs,
                        const std::function<void(const CompileResult&)>& more) {
  for (const auto& overrides : configs) {
    const HwConfig config = test::pulp_config(overrides);
    for (const TilerObjective objective : {TilerObjective::Dory, TilerObjective::Cost}) {
      SCOPED_TRACE(fmt::format("{} {}", fmt::join(overrides, " "), objective_name(objective)));
      CompileOptions options;
      options.tiler = objective;
      const CompileResult r = compile_pulp(graph, config, options);
      check_program(r.network, config.pulp());
      more(r);
    }
  }
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

TEST(PulpLayerMapping, GrowingConcatsArePrefixesOfTheBlocksLastOne) {
  const auto& graph = test::dense_pulp_cnn_qgraph();
  const LayerMapping m = map_layers(graph);
  ASSERT_TRUE(m.unsupported.empty()) << m.unsupported.front();
  const int last = graph.find_tensor("cat_3");
  // The stem's and both dense layers' outputs are written into the last concat, side by side;
  // the shorter concats are its channel prefixes.
  std::uint32_t offset = 0;
  for (const char* member : {"stem", "y_1", "y_2"}) {
    const int t = graph.find_tensor(member);
    ASSERT_TRUE(m.slices.count(t)) << member;
    EXPECT_EQ(m.slices.at(t).concat, last) << member;
    EXPECT_EQ(m.slices.at(t).channel_offset, offset) << member;
    offset += m.slices.at(t).channels;
  }
  for (const auto& [prefix, channels] : std::map<std::string, std::uint32_t>{{"cat_2", 12}}) {
    const int t = graph.find_tensor(prefix);
    ASSERT_TRUE(m.slices.count(t)) << prefix;
    EXPECT_EQ(m.slices.at(t).concat, last);
    EXPECT_EQ(m.slices.at(t).channel_offset, 0u);
    EXPECT_EQ(m.slices.at(t).channels, channels);
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

// ---------------------------------------------------------------------------------------
// Grouped convolutions.

// The grouped layers of grouped_pulp_cnn(): input and output channels per group.
const std::map<std::string, std::pair<std::uint32_t, std::uint32_t>>& grouped_layers() {
  static const std::map<std::string, std::pair<std::uint32_t, std::uint32_t>> layers{
      {"grouped_4x4", {4, 4}}, {"grouped_s2", {8, 12}}, {"grouped_1x1", {3, 2}}, {"multiplier", {1, 2}}};
  return layers;
}

TEST(PulpLayerMapping, GroupedConvsRunTheGroupedKernel) {
  const auto& graph = test::grouped_pulp_cnn_qgraph();
  const LayerMapping m = map_layers(graph);
  ASSERT_TRUE(m.unsupported.empty()) << m.unsupported.front();
  std::vector<std::string> types;
  for (const auto& l : m.layers) types.push_back(kernel_type_name(l.kind));
  EXPECT_EQ(types, (std::vector<std::string>{"conv", "grouped_conv", "grouped_conv", "grouped_conv", "grouped_conv",
                                             "avgpool", "linear"}));
  for (const auto& l : m.layers) {
    if (l.kind != isa::pulp::KERNEL_GROUPED_CONV) continue;
    const auto& node = graph.nodes[static_cast<std::size_t>(l.node)];
    EXPECT_EQ(l.macs, quant::conv_macs(graph, node)) << l.name;
    const LayerShape s = layer_shape(graph, l);
    EXPECT_EQ(s.groups, static_cast<std::uint32_t>(node.group)) << l.name;
    EXPECT_EQ(std::make_pair(s.group_c_in(), s.group_c_out()), grouped_layers().at(l.name)) << l.name;
  }
}

TEST(PulpLayerMapping, AGroupedConvNamesWhatTheKernelCannotDo) {
  test::OnnxBuilder b;
  b.input("x", {1, 8, 8, 8}).output("r");
  b.initializer("w", test::random_tensor({8, 4, 3, 3}, 60));
  auto& conv = b.node("Conv", {"x", "w"}, {"c"}, "grouped_dilated");
  test::set_attr(conv, "group", std::int64_t{2});
  test::set_attr(conv, "pads", std::vector<std::int64_t>{2, 2, 2, 2});
  test::set_attr(conv, "dilations", std::vector<std::int64_t>{2, 2});
  b.node("Relu", {"c"}, {"r"}, "relu");
  quant::QuantizeOptions options;
  options.scheme = quant::Scheme::Pulp;
  const auto graph = test::quantize_model(b, options).qgraph;
  const LayerMapping m = map_layers(graph);
  ASSERT_EQ(m.unsupported.size(), 1u);
  EXPECT_THAT(m.unsupported[0], HasSubstr("'grouped_dilated' (Conv): dilation 2x2"));
}

LayerShape grouped3x3(std::uint32_t hw, std::uint32_t c_in, std::uint32_t c_out, std::uint32_t groups) {
  LayerShape s = conv3x3(hw, c_in, c_out);
  s.kind = isa::pulp::KERNEL_GROUPED_CONV;
  s.groups = groups;
  return s;
}

TEST(PulpTiler, GroupedConvTilesHoldWholeGroupsAndReadTheirChannels) {
  // 16 x 16 x 64 in 4 groups of 16 (RegNet's width): 12 KiB of L1 cannot hold all 64 filters
  // (9 KiB) beside the im2col buffers (2.25 KiB) and a tile of the input, so channels are
  // tiled. 16 x 16 x 16 in 16 groups of 1 -> 3 channels: rows are.
  const auto hw = test::pulp_config({"l1_tile_budget_bytes=12KiB"}).pulp();
  for (const LayerShape& s : {grouped3x3(16, 64, 64, 4), grouped3x3(16, 16, 48, 16)}) {
    for (const TilerObjective objective : {TilerObjective::Dory, TilerObjective::Cost}) {
      SCOPED_TRACE(fmt::format("{} groups, {}", s.groups, objective_name(objective)));
      const TileChoice t = choose_tiling(s, hw, objective, "grouped");
      EXPECT_LE(t.total_bytes, 12u * 1024u);
      EXPECT_GT(t.tiles(), 1u);
      if (s.groups == 4) {
        EXPECT_GT(t.tiles_c, 1u);
      }
      EXPECT_EQ(t.c_out % s.group_c_out(), 0u);
      EXPECT_EQ(t.tiles_cin, 1u);
      const std::uint32_t groups = t.c_out / s.group_c_out();
      EXPECT_EQ(tile_input_channels(s, t), groups * s.group_c_in());
      // PULP-NN's per-core im2col buffer of two pixels holds one group's channels.
      EXPECT_EQ(t.im2col_bytes, 2u * 8u * 9u * s.group_c_in());
      EXPECT_EQ(t.weight_bytes, (t.double_buffered ? 2u : 1u) * t.c_out * 9u * s.group_c_in());
      EXPECT_EQ(t.predicted_cycles, predict_cycles(s, t, hw));
      for (const TileChoice& c : cost_candidates(s, hw, t, 64)) EXPECT_EQ(c.c_out % s.group_c_out(), 0u);
    }
    EXPECT_EQ(smallest_tile(s, hw).c_out, s.group_c_out());
  }
}

TEST(PulpTiler, AGroupedTileReadsTheInputChannelsOfItsGroups) {
  const LayerShape s = grouped3x3(8, 24, 36, 3);  // groups of 8 -> 12
  const TileGeometry g = tile_geometry(s, 0, 8, 0, 8, 12, 24);
  EXPECT_EQ(g.cin_begin, 8u);
  EXPECT_EQ(g.cin_size, 16u);
  const isa::pulp::KernelCall call = tile_kernel_call(s, g, isa::pulp::PARALLEL_HO);
  EXPECT_EQ(call.groups(), 2u);
  EXPECT_EQ(call.c_in(), 16u);
  EXPECT_EQ(call.c_out(), 24u);
  EXPECT_THROW(tile_geometry(s, 0, 8, 0, 8, 6, 12), std::logic_error);  // half a group
}

// The configs the grouped CNN is compiled and run with: whole layers in L1; 3.5 KiB of L1
// (grouped_s2's 24 filters do not fit twice: channel tiles of whole groups); 6 KiB of L2
// (tensors in L3, layers in chunks of rows staged through L2); 3200 B of L2 (weights in chunks
// of whole groups loaded from L3 as well).
const std::vector<std::vector<std::string>>& grouped_cnn_configs() {
  static const std::vector<std::vector<std::string>> configs{
      {}, {"l1_tile_budget_bytes=3584"}, {"l1_tile_budget_bytes=3584", "l2_bytes=6KiB"},
      {"l1_tile_budget_bytes=3584", "l2_bytes=3200"}};
  return configs;
}

// Every grouped kernel call of a program holds whole groups of its layer.
void check_whole_groups(const isa::pulp::Network& network) {
  for (const auto& layer : network.layers()) {
    if (layer.kind() != isa::pulp::KERNEL_GROUPED_CONV) continue;
    const auto [group_in, group_out] = grouped_layers().at(layer.name());
    EXPECT_EQ(layer.tiling().tile_c_out() % group_out, 0u) << layer.name();
    for (const auto& step : layer.steps()) {
      const auto& call = step.compute();
      ASSERT_GE(call.groups(), 1u) << layer.name();
      EXPECT_EQ(call.c_in(), call.groups() * group_in) << layer.name();
      EXPECT_EQ(call.c_out(), call.groups() * group_out) << layer.name();
    }
  }
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

TEST(PulpLayerMapping, LookupTablesAndProductsRunOurKernelsWithTheFullOperandFirst) {
  const auto& graph = test::se_pulp_cnn_qgraph();
  const LayerMapping m = map_layers(graph);
  ASSERT_TRUE(m.unsupported.empty()) << m.unsupported.front();
  std::map<std::string, const PLayer*> by_name;
  for (const auto& l : m.layers) by_name[l.name] = &l;
  for (const char* lut : {"hardswish_dw", "gate", "tanh", "fc_act"}) {
    ASSERT_TRUE(by_name.count(lut)) << lut;
    EXPECT_EQ(by_name.at(lut)->kind, isa::pulp::KERNEL_LUT) << lut;
    EXPECT_EQ(by_name.at(lut)->ops, quant::element_count(graph.tensor(by_name.at(lut)->output))) << lut;
  }
  const PLayer& scale = *by_name.at("se_scale");
  EXPECT_EQ(scale.kind, isa::pulp::KERNEL_MUL);
  // Written Mul(gate, x): the gate broadcasts, so it goes second.
  EXPECT_EQ(graph.tensor(scale.inputs[0]).shape, (Shape{1, 16, 16, 16}));
  EXPECT_EQ(graph.tensor(scale.inputs[1]).shape, (Shape{1, 16, 1, 1}));
  const LayerShape s = layer_shape(graph, scale);
  EXPECT_EQ(std::vector<std::uint32_t>({s.b_h, s.b_w, s.b_c}), (std::vector<std::uint32_t>{1, 1, 16}));
  const LayerShape same = layer_shape(graph, *by_name.at("product"));
  EXPECT_EQ(std::vector<std::uint32_t>({same.b_h, same.b_w, same.b_c}), (std::vector<std::uint32_t>{16, 16, 16}));
}

TEST(PulpLayerMapping, AProductOfTwoBroadcastOperandsIsRefusedByName) {
  test::OnnxBuilder b;
  b.input("a", {1, 4, 1, 1}).input("b", {1, 1, 8, 8}).output("y");
  b.node("Mul", {"a", "b"}, {"y"}, "outer");
  quant::QuantizeOptions options;
  options.scheme = quant::Scheme::Pulp;
  const LayerMapping m = map_layers(test::quantize_model(b, options).qgraph);
  ASSERT_EQ(m.unsupported.size(), 1u);
  EXPECT_THAT(m.unsupported[0], HasSubstr("node 'outer' (Mul): neither operand has the output's shape"));
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

// ---------------------------------------------------------------------------------------
// Softmax.

TEST(PulpLayerMapping, AClassifiersSoftmaxRunsTheSoftmaxKernelOnAOnePixelImage) {
  const auto& graph = test::softmax_pulp_cnn_qgraph();
  const LayerMapping m = map_layers(graph);
  ASSERT_TRUE(m.unsupported.empty()) << m.unsupported.front();
  std::vector<std::string> types;
  for (const auto& l : m.layers) types.push_back(kernel_type_name(l.kind));
  EXPECT_EQ(types, (std::vector<std::string>{"conv", "avgpool", "linear", "softmax"}));
  const PLayer& softmax = m.layers.back();
  EXPECT_EQ(softmax.name, "softmax");
  EXPECT_EQ(softmax.kind, isa::pulp::KERNEL_SOFTMAX);
  EXPECT_EQ(softmax.inputs.at(0), m.layers[2].output);  // the fc's logits
  EXPECT_EQ(softmax.macs, 0u);
  EXPECT_EQ(softmax.ops, 4u * 10u);  // max, exp lookup, sum, division per element
  // [1, 10] is a 1x1 image of 10 channels, reading its 1 KiB exp table.
  const LayerShape s = layer_shape(graph, softmax);
  EXPECT_EQ(std::vector<std::uint32_t>({s.h_in, s.w_in, s.c_in, s.h_out, s.w_out, s.c_out}),
            (std::vector<std::uint32_t>{1, 1, 10, 1, 1, 10}));
  EXPECT_EQ(std::vector<std::uint32_t>({s.k_h, s.k_w, s.stride_h, s.stride_w}), (std::vector<std::uint32_t>{1, 1, 1, 1}));
  EXPECT_EQ(table_bytes(s), 1024u);
}

TEST(PulpLayerMapping, ASoftmaxTheKernelCannotRunIsRefusedByName) {
  quant::QGraph signed_output = test::softmax_pulp_cnn_qgraph();
  signed_output.tensors[static_cast<std::size_t>(signed_output.outputs.at(0))].is_signed = true;
  LayerMapping m = map_layers(signed_output);
  ASSERT_EQ(m.unsupported.size(), 1u);
  EXPECT_THAT(m.unsupported[0],
              HasSubstr("node 'softmax' (Softmax): a signed output; the softmax kernel writes uint8 probabilities"));

  quant::QGraph short_table = test::softmax_pulp_cnn_qgraph();
  for (auto& node : short_table.nodes) {
    if (node.kind == quant::QOpKind::Softmax) node.softmax_exp_table.pop_back();
  }
  m = map_layers(short_table);
  ASSERT_EQ(m.unsupported.size(), 1u);
  EXPECT_THAT(m.unsupported[0], HasSubstr("node 'softmax' (Softmax): 255 exp table entries, not 256"));
}

// A softmax over the pixels of an image (which the QGraph does not make, but the kernel runs):
// tiles hold every channel, split rows only, with the 1 KiB table once in L1.
TEST(PulpTiler, ASoftmaxTileHoldsEveryChannelAndSplitsRowsOnly) {
  LayerShape s;
  s.kind = isa::pulp::KERNEL_SOFTMAX;
  s.h_in = s.h_out = 16;
  s.w_in = s.w_out = 8;
  s.c_in = s.c_out = 100;
  const auto hw = test::pulp_config({"l1_tile_budget_bytes=8KiB"}).pulp();
  for (const TilerObjective objective : {TilerObjective::Dory, TilerObjective::Cost}) {
    SCOPED_TRACE(objective_name(objective));
    const TileChoice t = choose_tiling(s, hw, objective, "softmax");
    EXPECT_GT(t.tiles(), 1u);
    EXPECT_EQ(t.c_out, 100u);
    EXPECT_EQ(t.tiles_c, 1u);
    EXPECT_EQ(t.parallel, isa::pulp::PARALLEL_HO);
    EXPECT_EQ(t.weight_bytes, 1024u);  // the table, not double-buffered
    const std::uint64_t block = std::uint64_t{t.h_out} * t.w_out * 100;
    EXPECT_EQ(t.total_bytes, 2 * block + 2 * block + 1024 + 40);
    EXPECT_LE(t.total_bytes, 8u * 1024u);
    EXPECT_EQ(t.predicted_cycles, predict_cycles(s, t, hw));
    for (const TileChoice& c : cost_candidates(s, hw, t, 64)) {
      EXPECT_EQ(c.c_out, 100u);
      EXPECT_EQ(c.parallel, isa::pulp::PARALLEL_HO);
    }
  }
  const TileChoice smallest = smallest_tile(s, hw);
  EXPECT_EQ(smallest.c_out, 100u);
  EXPECT_EQ(smallest.total_bytes, 2u * 8u * 100u * 2u + 1024u + 40u);  // one row of 8 pixels, in and out, doubled
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

TEST(PulpCompile, RefusesAnotherScheme) {
  quant::QGraph graph = test::small_pulp_cnn_qgraph();
  graph.scheme = quant::Scheme::Xdnn;
  EXPECT_THROW(compile_pulp(graph, test::pulp_config(), {}), UserError);
}

TEST(PulpCompileOptions, ParsesAndRejects) {
  EXPECT_EQ(parse_compile_options({"tiler=cost"}).tiler, TilerObjective::Cost);
  EXPECT_FALSE(parse_compile_options({"weight_prefetch=off"}).weight_prefetch);
  EXPECT_EQ(describe(parse_compile_options({})), "tiler=dory,weight_prefetch=on");
  EXPECT_THROW(parse_compile_options({"tiler=fast"}), UserError);
  EXPECT_THROW(parse_compile_options({"schedule_search=on"}), UserError);
}

}  // namespace
}  // namespace wb::pulp
