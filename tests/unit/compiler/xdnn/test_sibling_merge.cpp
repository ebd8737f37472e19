// Sibling merging: which convs merge, what the merged conv computes (weights, bias and requant
// side by side), where the siblings' outputs live, and that merged programs are bit-exact and
// issue fewer convolutions where the channels pack into fewer column groups.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <string>

#include "compiler/xdnn/compile.h"
#include "compiler/xdnn/sibling_merge.h"
#include "support/error.h"
#include "isa/xdnn_program.h"
#include "tests/unit/compiler/xdnn/xdnn_compile_testing.h"
#include "tests/unit/compiler/xdnn/xdnn_testing.h"

namespace wb::xdnn {
namespace {

using test::node_named;

// x[1,16,8,8] -> 1x1 "a" (20 ch, scale 0.05) -> 3x3 "a2" (8), into the concat "cat"
//             -> 1x1 "b" (12 ch, scale 0.03) -> 1x1 "b2" (8), into "cat"
//             -> 1x1 "c" (8), a member of "cat" -> y[1,24,8,8]
//             -> 3x3 "d" (8, another window) -> 1x1 "d2" (8): a second network output.
// On v2_28 (32 columns) a and b pack into one column group; on v3_96 a's 20 channels would be
// replicated for a2's 3x3 window, so they stay apart unless replication is off.
quant::QGraph siblings_qgraph() {
  test::HandQGraph g("siblings");
  const int x = g.input("x", {1, 16, 8, 8}, 0.04);
  const int ta = g.tensor("ta", {1, 20, 8, 8}, 0.05), ya = g.tensor("ya", {1, 8, 8, 8}, 0.06);
  const int tb = g.tensor("tb", {1, 12, 8, 8}, 0.03), yb = g.tensor("yb", {1, 8, 8, 8}, 0.06);
  const int tc = g.tensor("tc", {1, 8, 8, 8}, 0.06), y = g.tensor("y", {1, 24, 8, 8}, 0.06);
  const int td = g.tensor("td", {1, 8, 8, 8}, 0.05), yd = g.tensor("yd", {1, 8, 8, 8}, 0.07);
  g.conv("a", x, ta, 1, 1);
  g.conv("a2", ta, ya, 3, 2);
  g.conv("b", x, tb, 1, 3);
  g.conv("b2", tb, yb, 1, 4);
  g.conv("c", x, tc, 1, 5);
  g.concat("cat", {ya, yb, tc}, y);
  g.conv("d", x, td, 3, 6);
  g.conv("d2", td, yd, 1, 7);
  return g.finish({y, yd});
}

int conv_instructions(const isa::xdnn::Program& program) {
  return static_cast<int>(std::count_if(program.instrs().begin(), program.instrs().end(),
                                        [](const isa::xdnn::Instr& i) { return i.has_conv(); }));
}

TEST(SiblingMerge, ConvsReadingOneInputWithOneWindowBecomeOneConvWithTheirChannelsSideBySide) {
  const quant::QGraph g = siblings_qgraph();
  const SiblingMerge merge = merge_siblings(g, test::xdnn_config("v2_28").xdnn(), {});
  ASSERT_TRUE(merge.graph.has_value());
  const quant::QGraph& m = *merge.graph;
  // a and b became one node at a's place; c (a concat member) and d (a 3x3) stayed alone.
  ASSERT_EQ(m.nodes.size(), g.nodes.size() - 1);
  EXPECT_EQ(m.nodes[0].name, "a_merged_b");
  for (const char* alone : {"c", "d", "a2", "b2"}) EXPECT_NO_THROW(node_named(m, alone)) << alone;
  const quant::QNode& merged = m.nodes[0];
  const quant::QNode& a = node_named(g, "a");
  const quant::QNode& b = node_named(g, "b");
  const quant::QTensor& out = m.tensor(merged.output);
  EXPECT_EQ(out.shape, (Shape{1, 32, 8, 8}));
  EXPECT_EQ(merged.output, static_cast<int>(g.tensors.size()));  // appended: every old index keeps its meaning
  // Weights, bias, weight scales and requant: a's 20 channels, then b's 12.
  ASSERT_EQ(merged.weights.shape(), (Shape{32, 16, 1, 1}));
  for (std::int64_t c = 0; c < 32; ++c) {
    const quant::QNode& from = c < 20 ? a : b;
    const std::int64_t k = c < 20 ? c : c - 20;
    for (std::int64_t i = 0; i < 16; ++i) {
      ASSERT_EQ(merged.weights.as_int64(c * 16 + i), from.weights.as_int64(k * 16 + i)) << c << "," << i;
    }
    EXPECT_EQ(merged.bias.as_int64(c), from.bias.as_int64(k));
    EXPECT_EQ(merged.weight_scale[static_cast<std::size_t>(c)], from.weight_scale[static_cast<std::size_t>(k)]);
    const auto entry = [&](const std::vector<std::int64_t>& v) { return v.size() == 1 ? v[0] : v[static_cast<std::size_t>(k)]; };
    EXPECT_EQ(merged.requant.multiplier[static_cast<std::size_t>(c)], entry(from.requant.multiplier)) << c;
    EXPECT_EQ(merged.requant.offset[static_cast<std::size_t>(c)], entry(from.requant.offset)) << c;
  }
  // The siblings' outputs are slices of the merged output; nothing produces them in the merged graph.
  const int ta = g.find_tensor("ta"), tb = g.find_tensor("tb");
  EXPECT_EQ(m.producer(ta), nullptr);
  EXPECT_EQ(m.producer(tb), nullptr);
  EXPECT_EQ(merge.parts.at(ta).buffer_tensor, merged.output);
  EXPECT_EQ(merge.parts.at(ta).channel_offset, 0u);
  EXPECT_EQ(merge.parts.at(tb).channel_offset, 20u);
  EXPECT_EQ(merge.parts_of.at(merged.output), (std::vector<int>{ta, tb}));
}

TEST(SiblingMerge, ANarrowOutputKeepsItsReplicationAndTheSwitchTurnsMergingOff) {
  const quant::QGraph g = siblings_qgraph();
  const HwConfig v3_config = test::xdnn_config("v3_96");
  const XdnnParams& v3 = v3_config.xdnn();
  EXPECT_FALSE(merge_siblings(g, v3, {}).graph.has_value()) << "a's 20 channels are replicated for a2's 3x3 window";
  CompileOptions no_replication;
  no_replication.replication = false;
  EXPECT_TRUE(merge_siblings(g, v3, no_replication).graph.has_value());
  CompileOptions off;
  off.sibling_merge = false;
  EXPECT_FALSE(merge_siblings(g, test::xdnn_config("v2_28").xdnn(), off).graph.has_value());
}

TEST(SiblingMerge, TheMergedProgramIsBitExactAndChecksEachSiblingsOutput) {
  const quant::QGraph g = siblings_qgraph();
  const HwConfig v2 = test::xdnn_config("v2_28");
  const sim::xdnn::SimResult merged = expect_bit_exact(g, v2);
  EXPECT_EQ(merged.layer_outputs.count("ta"), 1u);
  EXPECT_EQ(merged.layer_outputs.count("tb"), 1u);
  CompileOptions no_replication;
  no_replication.replication = false;
  expect_bit_exact(g, test::xdnn_config("v3_96"), no_replication);

  const isa::xdnn::Program program = compile_xdnn(g, v2, {}).program;
  const auto layer = std::find_if(program.layers().begin(), program.layers().end(),
                                  [](const isa::xdnn::Layer& l) { return l.name() == "a_merged_b"; });
  ASSERT_NE(layer, program.layers().end());
  ASSERT_EQ(layer->parts_size(), 2);
  EXPECT_EQ(layer->parts(1).output(), "tb");
  EXPECT_EQ(layer->parts(1).output_region().layout().channel_offset(), 20u);
  EXPECT_EQ(layer->parts(1).output_region().layout().channels(), 12u);
}

TEST(SiblingMerge, ChannelsThatPackIntoFewerColumnGroupsTakeFewerConvolutionsAndCycles) {
  const quant::QGraph g = siblings_qgraph();
  const HwConfig v2 = test::xdnn_config("v2_28");
  CompileOptions off;
  off.sibling_merge = false;
  const isa::xdnn::Program merged = compile_xdnn(g, v2, {}).program;
  const isa::xdnn::Program apart = compile_xdnn(g, v2, off).program;
  // 20 + 12 channels fill one group of 32 columns; apart they took one group each.
  EXPECT_EQ(conv_instructions(merged), conv_instructions(apart) - 1);
  sim::SimOptions timing;
  timing.data = false;
  EXPECT_LT(sim::xdnn::simulate(merged, v2, {}, timing).total_cycles, sim::xdnn::simulate(apart, v2, {}, timing).total_cycles);
}


// From 4 KiB of AM (where the merged buffer does not fit beside the others and the siblings
// stay apart) up to where everything fits merged.
TEST(SiblingMerge, NeverMovesMoreIntermediateBytesThroughDdrThanTheSiblingsApart) {
  const quant::QGraph g = siblings_qgraph();
  CompileOptions off;
  off.sibling_merge = false;
  int declined = 0, merged = 0, compiled = 0;
  for (std::uint64_t am = 4096; am <= 32768; am += 256) {
    const HwConfig hw = test::xdnn_config("v2_28", {fmt::format("am_bytes={}", am)});
    std::optional<CompileResult> apart;
    try {
      apart = compile_xdnn(g, hw, off);
    } catch (const UserError&) {
    }
    std::optional<CompileResult> chosen;
    try {
      chosen = compile_xdnn(g, hw, {});
    } catch (const UserError&) {
    }
    ASSERT_EQ(chosen.has_value(), apart.has_value()) << am << ": merging never stops a network that fits apart from compiling";
    if (!chosen) continue;
    ++compiled;
    EXPECT_LE(chosen->report.at("ddr_spill_bytes").get<std::uint64_t>(), apart->report.at("ddr_spill_bytes").get<std::uint64_t>()) << am;
    declined += chosen->report.contains("sibling_merge_declined");
    merged += chosen->report.at("merged_layers").get<int>() > 0;
  }
  EXPECT_GT(compiled, 0);
  EXPECT_GT(merged, 0);
  EXPECT_GT(declined, 0);
}

}  // namespace
}  // namespace wb::xdnn
