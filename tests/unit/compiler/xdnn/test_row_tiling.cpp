// Row tiling: which input rows a stripe of output rows reads, and stripes on a network whose
// layers' buffers do not fit AM together: every output row computed once, within AM, and
// the error below one row stripe naming the smallest AM that works.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <regex>

#include "compiler/xdnn/compile.h"
#include "compiler/xdnn/row_tiling.h"
#include "support/error.h"
#include "isa/xdnn_program.h"
#include "tests/unit/compiler/xdnn/xdnn_testing.h"

namespace wb::xdnn {
namespace {

quant::QNode window(quant::QOpKind kind, std::int64_t k, std::int64_t stride, std::int64_t pad) {
  quant::QNode node;
  node.kind = kind;
  node.kernel = {k, k};
  node.strides = {stride, stride};
  node.pads_begin = node.pads_end = {pad, pad};
  return node;
}

// x [16 rows] -> conv 3x3 pad 1 (16 rows) -> max pool 3x3 stride 2 pad 1 (8 rows).
struct Geometry {
  quant::QGraph graph;
  XLayer conv_pool, conv, pool, add;
};

Geometry geometry() {
  Geometry g;
  for (const std::int64_t rows : {16, 16, 8}) {
    quant::QTensor t;
    t.shape = {1, 8, rows, rows};
    g.graph.tensors.push_back(t);
  }
  quant::QNode conv = window(quant::QOpKind::Conv, 3, 1, 1);
  conv.inputs = {0};
  conv.output = 1;
  g.graph.nodes.push_back(conv);
  quant::QNode pool = window(quant::QOpKind::MaxPool, 3, 2, 1);
  pool.inputs = {1};
  pool.output = 2;
  g.graph.nodes.push_back(pool);
  const auto layer = [](XLayerKind kind, int conv_node, int pool_node, std::vector<int> inputs, int output) {
    XLayer l;
    l.kind = kind;
    l.conv_node = conv_node;
    l.pool_node = pool_node;
    l.inputs = std::move(inputs);
    l.output = output;
    return l;
  };
  g.conv = layer(XLayerKind::Conv, 0, -1, {0}, 1);
  g.conv_pool = layer(XLayerKind::Conv, 0, 1, {0}, 2);
  g.pool = layer(XLayerKind::Pool, -1, 1, {1}, 2);
  g.add = layer(XLayerKind::Eltwise, -1, -1, {1, 1}, 1);
  return g;
}

TEST(RowTiling, InputRowsTakeTheWindowsHaloClippedToTheInput) {
  const Geometry g = geometry();
  const auto rows = [](RowRange r) { return std::pair{r.begin, r.end}; };
  // A 3x3 conv, stride 1, pad 1: one row of halo each side, none beyond the image.
  EXPECT_EQ(rows(input_rows(g.graph, g.conv, {0, 4}, 16)), std::pair(0U, 5U));
  EXPECT_EQ(rows(input_rows(g.graph, g.conv, {4, 8}, 16)), std::pair(3U, 9U));
  EXPECT_EQ(rows(input_rows(g.graph, g.conv, {12, 16}, 16)), std::pair(11U, 16U));
  // Through the pipelined pool first: pooled rows [2, 4) need conv rows [3, 8), which read
  // input rows [2, 9).
  EXPECT_EQ(rows(input_rows(g.graph, g.conv_pool, {0, 2}, 16)), std::pair(0U, 5U));
  EXPECT_EQ(rows(input_rows(g.graph, g.conv_pool, {2, 4}, 16)), std::pair(2U, 9U));
  EXPECT_EQ(rows(input_rows(g.graph, g.conv_pool, {6, 8}, 16)), std::pair(10U, 16U));
  // A standalone pool reads its window; an add the same rows.
  EXPECT_EQ(rows(input_rows(g.graph, g.pool, {1, 3}, 16)), std::pair(1U, 6U));
  EXPECT_EQ(rows(input_rows(g.graph, g.add, {5, 9}, 16)), std::pair(5U, 9U));
  EXPECT_EQ(output_rows(g.graph, g.conv_pool), 8U);
}

// x [1,16,32,32] -> conv 3x3 "c1" -> a [1,32,32,32] -> conv 3x3 "c2" -> b [1,32,32,32] -> add
// "sum" (a + b) -> y: on v2_28 (28-channel sections) a, b and y are 56 KiB each.
quant::QGraph row_chain() {
  test::HandQGraph g("chain");
  const int x = g.input("x", {1, 16, 32, 32}, 1.0 / 32);
  const int a = g.tensor("a", {1, 32, 32, 32}, 1.0 / 16);
  const int b = g.tensor("b", {1, 32, 32, 32}, 1.0 / 16);
  const int y = g.tensor("y", {1, 32, 32, 32}, 1.0 / 8);
  g.conv("c1", x, a, 3, 1);
  g.conv("c2", a, b, 3, 2);
  g.eltwise_add("sum", a, b, y);
  return g.finish({y});
}

CompileResult compile_at(const std::string& am) {
  return compile_xdnn(row_chain(), test::xdnn_config("v2_28", {"am_bytes=" + am}), CompileOptions{});
}

TEST(RowTiling, NothingIsTiledWhenEveryLayersBuffersFit) {
  const CompileResult roomy = compile_at("4MiB");
  EXPECT_EQ(roomy.report.at("allocation").at("row_tiled_layers"), 0);
  EXPECT_EQ(roomy.report.at("allocation").at("ddr_resident_buffers"), 0);
  for (const auto& instr : roomy.program.instrs()) {
    if (instr.has_conv()) {
      EXPECT_EQ(instr.conv().row_end() - instr.conv().row_begin(), 32U);
    }
  }
}

TEST(RowTiling, StripesComputeEveryOutputRowOnceWithinAm) {
  const CompileResult tiled = compile_at("96KiB");
  EXPECT_GT(tiled.report.at("allocation").at("row_tiled_layers").get<int>(), 0);
  EXPECT_GT(tiled.report.at("ddr_spill_bytes").get<std::uint64_t>(), 0u);
  // Per layer and per block of output channels, the rows its conv instructions compute.
  std::map<std::pair<std::string, std::uint32_t>, std::vector<std::uint32_t>> computed;
  int stripes = 0;
  for (const auto& instr : tiled.program.instrs()) {
    if (!instr.has_conv()) continue;
    const auto& conv = instr.conv();
    auto& rows = computed[{instr.layer(), conv.output().layout().channel_offset()}];
    rows.resize(32, 0);
    for (std::uint32_t r = conv.row_begin(); r < conv.row_end(); ++r) ++rows[r];
    stripes += conv.row_end() - conv.row_begin() < 32;
    for (const auto* region : {&conv.input(), &conv.output()}) {
      if (region->memory() == isa::xdnn::MEMORY_AM) {
        EXPECT_LE(region->address() + isa::xdnn::buffer_bytes(region->layout()), 96U * 1024) << instr.layer();
      }
    }
  }
  EXPECT_GT(stripes, 0);
  for (const auto& [key, rows] : computed) {
    for (std::uint32_t r = 0; r < rows.size(); ++r) EXPECT_EQ(rows[r], 1) << key.first << " row " << r;
  }
}

TEST(RowTiling, BelowOneRowStripeTheErrorNamesTheSmallestAmThatCompiles) {
  try {
    compile_at("4KiB");
    FAIL() << "expected a UserError";
  } catch (const UserError& e) {
    const std::string message = e.what();
    EXPECT_THAT(message, testing::HasSubstr("even in its shortest row stripes"));
    std::smatch m;
    ASSERT_TRUE(std::regex_search(message, m, std::regex("--set am_bytes=([0-9]+)"))) << message;
    const std::uint64_t smallest = std::stoull(m[1]);
    EXPECT_NO_THROW(compile_at(std::to_string(smallest)));
    EXPECT_THROW(compile_at(std::to_string(smallest - 1)), UserError);
  }
}

}  // namespace
}  // namespace wb::xdnn
