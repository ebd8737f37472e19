// Layer mapping and the op counts of DESIGN.md §4.4, layer by layer.
#include <fmt/format.h>
#include <gmock/gmock.h>

#include <algorithm>
#include <gtest/gtest.h>

#include "compiler/xdnn/compile.h"
#include "compiler/xdnn/layer_mapping.h"
#include "isa/error.h"
#include "tests/unit/compiler/xdnn/xdnn_testing.h"

namespace wb::xdnn {
namespace {

using quant::QOpKind;
using testing::HasSubstr;

std::uint64_t elements(const quant::QTensor& t) {
  std::uint64_t n = 1;
  for (const auto d : t.shape) n *= static_cast<std::uint64_t>(d);
  return n;
}

// Ops of one QGraph node by DESIGN.md §4.4, computed from the shapes here (not by the
// compiler's code): 2 x MACs for a conv, k_h x k_w per output element for a pool, 1 per
// output element for an eltwise add.
std::uint64_t expected_ops(const quant::QGraph& g, const quant::QNode& n) {
  const auto& out = g.tensor(n.output);
  switch (n.kind) {
    case QOpKind::Conv: {
      const auto& in = g.tensor(n.inputs[0]);
      const std::uint64_t cin_g = static_cast<std::uint64_t>(in.shape[1] / n.group);
      return 2 * elements(out) * cin_g * static_cast<std::uint64_t>(n.kernel[0] * n.kernel[1]);
    }
    case QOpKind::MaxPool:
    case QOpKind::AvgPool: return elements(out) * static_cast<std::uint64_t>(n.kernel[0] * n.kernel[1]);
    case QOpKind::Add: return elements(out);
    default: return 0;
  }
}

TEST(XdnnLayerMapping, OpsFollowTheDesignLayerByLayer) {
  const quant::QGraph& g = test::small_cnn_xdnn();
  const LayerMapping mapping = map_layers(g, test::xdnn_config("v3_96").xdnn(), {});
  ASSERT_TRUE(mapping.unsupported.empty());
  std::vector<std::string> types;
  for (const XLayer& layer : mapping.layers) types.push_back(layer.type);
  EXPECT_THAT(types, testing::ElementsAre("conv+maxpool", "conv", "conv", "conv", "eltwise", "avgpool", "fc"));
  std::uint64_t total = 0;
  for (const auto& node : g.nodes) total += expected_ops(g, node);
  std::uint64_t mapped = 0;
  for (const XLayer& layer : mapping.layers) {
    std::uint64_t expected = 0;
    for (const int n : {layer.conv_node, layer.pool_node, layer.eltwise_node}) {
      if (n >= 0) expected += expected_ops(g, g.nodes[static_cast<std::size_t>(n)]);
    }
    EXPECT_EQ(layer.ops, expected) << layer.name;
    EXPECT_GT(layer.ops, 0u) << layer.name;
    if (layer.kind == XLayerKind::Conv) {
      const std::uint64_t pool_ops =
          layer.pool_node >= 0 ? expected_ops(g, g.nodes[static_cast<std::size_t>(layer.pool_node)]) : 0;
      EXPECT_EQ(layer.ops, 2 * layer.macs + pool_ops);
    }
    mapped += layer.ops;
  }
  EXPECT_EQ(mapped, total);
  // The compile report carries the same figures.
  const CompileResult compiled = compile_xdnn(g, test::xdnn_config("v3_96"), {});
  EXPECT_EQ(compiled.report.at("ops").get<std::uint64_t>(), total);
  for (const auto& row : compiled.report.at("layers")) {
    for (const XLayer& layer : mapping.layers) {
      if (layer.name == row.at("name").get<std::string>()) {
        EXPECT_EQ(row.at("ops").get<std::uint64_t>(), layer.ops);
      }
    }
  }
}

TEST(XdnnLayerMapping, PoolPipeliningCanBeSwitchedOff) {
  CompileOptions options;
  options.pool_pipelining = false;
  const LayerMapping mapping = map_layers(test::small_cnn_xdnn(), test::xdnn_config("v3_96").xdnn(), options);
  EXPECT_EQ(mapping.layers.at(0).type, "conv");
  EXPECT_EQ(mapping.layers.at(1).type, "maxpool");
  EXPECT_EQ(mapping.layers.size(), 8u);
}

TEST(XdnnLayerMapping, ConcatIsPlacedAtChannelOffsets) {
  const quant::QGraph& g = test::small_cnn_xdnn();
  const LayerMapping mapping = map_layers(g, test::xdnn_config("v3_96").xdnn(), {});
  ASSERT_EQ(mapping.concats.size(), 1u);
  const int ra = g.find_tensor("ra");
  const int rb = g.find_tensor("rb");
  ASSERT_GE(ra, 0);
  ASSERT_GE(rb, 0);
  EXPECT_EQ(mapping.placements.at(ra).channel_offset, 0u);
  EXPECT_EQ(mapping.placements.at(rb).channel_offset, 4u);
  EXPECT_EQ(mapping.placements.at(ra).buffer_tensor, g.find_tensor("cat"));
}

TEST(XdnnLayerMapping, ConcatIsCopiedWhenPlacementIsOff) {
  const quant::QGraph& g = test::small_cnn_xdnn();
  CompileOptions options;
  options.concat_placement = false;
  const LayerMapping mapping = map_layers(g, test::xdnn_config("v3_96").xdnn(), options);
  EXPECT_TRUE(mapping.placements.empty());
  EXPECT_TRUE(mapping.concats.empty());
  const auto concat = std::find_if(mapping.layers.begin(), mapping.layers.end(),
                                   [](const XLayer& l) { return l.kind == XLayerKind::Concat; });
  ASSERT_NE(concat, mapping.layers.end());
  EXPECT_EQ(concat->inputs.size(), 2u);
  EXPECT_EQ(concat->ops, 0u);
  // The copies go through DDR: the compile report counts them as intermediate traffic.
  const CompileResult copied = compile_xdnn(g, test::xdnn_config("v3_96"), options);
  const CompileResult placed = compile_xdnn(g, test::xdnn_config("v3_96"), {});
  EXPECT_GT(copied.report.at("ddr_spill_bytes").get<std::uint64_t>(), 0u);
  EXPECT_EQ(placed.report.at("ddr_spill_bytes").get<std::uint64_t>(), 0u);
}

TEST(XdnnLayerMapping, WhatTheArrayCannotRunGoesToTheHost) {
  quant::QGraph g = test::small_cnn_xdnn();
  // A 13x13 kernel over 64 channels (10816 elements > 9792) and a stride of 3.
  g.nodes[0].kernel = {13, 13};
  g.tensors[static_cast<std::size_t>(g.nodes[0].inputs[0])].shape = {1, 64, 12, 12};
  g.nodes[2].strides = {3, 3};
  const LayerMapping mapping = map_layers(g, test::xdnn_config("v3_96").xdnn(), {});
  // What the array cannot run goes to the host, each with its reason.
  EXPECT_TRUE(mapping.unsupported.empty());
  std::vector<const XLayer*> on_host;
  for (const XLayer& layer : mapping.layers) {
    if (layer.on_host) on_host.push_back(&layer);
  }
  ASSERT_EQ(on_host.size(), 2u);
  EXPECT_THAT(on_host[0]->host_reason, HasSubstr("13x13x64 = 10816 elements exceeds the array's limit of 9792"));
  EXPECT_THAT(on_host[1]->host_reason, HasSubstr("stride 3x3"));
  EXPECT_STREQ(layer_unit(*on_host[0]), "host");
  // Neither can run a batch of two: that is still refused, naming the node.
  g.tensors[static_cast<std::size_t>(g.nodes[2].inputs[0])].shape[0] = 2;
  const LayerMapping batched = map_layers(g, test::xdnn_config("v3_96").xdnn(), {});
  EXPECT_THAT(batched.unsupported,
              testing::Contains(HasSubstr(fmt::format("node '{}' (Conv): batch size must be 1", g.nodes[2].name))));
}

TEST(XdnnLayerMapping, FcGoesToTheHostWhenConfigured) {
  const LayerMapping on_array = map_layers(test::small_cnn_xdnn(), test::xdnn_config("v3_96").xdnn(), {});
  EXPECT_FALSE(on_array.layers.back().on_host);
  const LayerMapping on_host =
      map_layers(test::small_cnn_xdnn(), test::xdnn_config("v3_96", {"host_fc_softmax=true"}).xdnn(), {});
  EXPECT_EQ(on_host.layers.back().type, "fc");
  EXPECT_TRUE(on_host.layers.back().on_host);
}

}  // namespace
}  // namespace wb::xdnn
