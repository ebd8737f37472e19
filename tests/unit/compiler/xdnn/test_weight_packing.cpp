// Weight packing: each conv's weights in the array's order, [Cout][Cin/groups][kh][kw] in the
// weight width, cut into blocks of output channels, checked element by element against the
// QGraph's NCHW weights; a depthwise conv on an array without a depthwise mode expanded to
// dense groups with zeros off the diagonal.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/xdnn/weight_packing.h"
#include "support/error.h"
#include "tests/unit/compiler/xdnn/emit_testing.h"
#include "tests/unit/compiler/xdnn/xdnn_testing.h"

namespace wb::xdnn {
namespace {

using testing::HasSubstr;

// x[1,cin,6,6] -> 3x3 conv "dense" (40) -> y.
quant::QGraph dense_conv(std::int64_t cin = 8) {
  test::HandQGraph g("dense_conv");
  const int x = g.input("x", {1, cin, 6, 6}, 1.0 / 32);
  const int y = g.tensor("y", {1, 40, 6, 6}, 1.0 / 16);
  g.conv("dense", x, y, 3, 81);
  return g.finish({y});
}

// x[1,40,6,6] -> 3x3 depthwise conv "dw" -> y.
quant::QGraph depthwise_conv() {
  test::HandQGraph g("depthwise_conv");
  const int x = g.input("x", {1, 40, 6, 6}, 1.0 / 32);
  const int y = g.tensor("y", {1, 40, 6, 6}, 1.0 / 16);
  g.depthwise("dw", x, y, 3, 82);
  return g.finish({y});
}

struct BlockRange {
  std::uint32_t begin, end;
  bool operator==(const BlockRange&) const = default;
};

std::vector<BlockRange> ranges(const ConvWeights& cw) {
  std::vector<BlockRange> r;
  for (const WeightBlock& b : cw.blocks) r.push_back({b.co_begin, b.co_end});
  return r;
}

// The blocks lie one after the other from address 0; each holds its output channels'
// weights, `per_channel` bytes each, as `weight(co, k)` says (k over the channel's bytes).
template <typename Weight>
void expect_blob(const PackedWeights& packed, const ConvWeights& cw, std::uint64_t per_channel, Weight weight) {
  std::uint64_t next = 0;
  for (const WeightBlock& b : cw.blocks) {
    EXPECT_EQ(b.ddr_address, next);
    EXPECT_EQ(b.bytes, (b.co_end - b.co_begin) * per_channel);
    for (std::uint32_t co = b.co_begin; co < b.co_end; ++co) {
      for (std::uint64_t k = 0; k < per_channel; ++k) {
        ASSERT_EQ(static_cast<std::int8_t>(packed.blob.at(b.ddr_address + (co - b.co_begin) * per_channel + k)),
                  weight(co, k))
            << "channel " << co << " byte " << k;
      }
    }
    next += b.bytes;
  }
  EXPECT_EQ(packed.blob.size(), next);
}

TEST(WeightPacking, ADenseConvInColumnGroupsOfTheArray) {
  CompileOptions options;
  options.input_streaming = false;  // else the conv takes all its filters at once
  for (const auto& [hw, expected] : std::vector<std::pair<std::string, std::vector<BlockRange>>>{
           {"v3_96", {{0, 16}, {16, 32}, {32, 40}}},  // 16 columns
           {"v2_28", {{0, 32}, {32, 40}}}}) {         // 32 columns
    SCOPED_TRACE(hw);
    const auto n = plan_network(dense_conv(), test::xdnn_config(hw), options);
    const PackedWeights packed = pack_weights(n->graph, n->mapping, n->plan, n->schedule, n->config.xdnn());
    ASSERT_EQ(packed.convs.size(), 1u);
    const ConvWeights& cw = packed.convs[0];
    EXPECT_EQ(ranges(cw), expected);
    EXPECT_EQ(cw.groups, 1u);
    EXPECT_EQ(cw.cin_g, 8u);
    EXPECT_EQ(cw.cout_g, 40u);
    EXPECT_EQ(cw.weight_bytes, 1u);
    const Tensor& w = n->graph.nodes[0].weights;  // [40][8][3][3]
    expect_blob(packed, cw, 8 * 9, [&](std::uint32_t co, std::uint64_t k) {
      const std::uint64_t ci = k / 9, tap = k % 9;
      return w.as_int64(static_cast<std::int64_t>((co * 8 + ci) * 9 + tap));
    });
  }
}

TEST(WeightPacking, AConvStreamingItsInputTakesAllItsFiltersAtOnce) {
  const auto n = plan_network(dense_conv(), test::xdnn_config("v3_96"));
  ASSERT_TRUE(streams_input(n->graph, n->mapping, n->plan, n->mapping.layers[0]));
  const PackedWeights packed = pack_weights(n->graph, n->mapping, n->plan, n->schedule, n->config.xdnn());
  EXPECT_EQ(ranges(packed.convs[0]), (std::vector<BlockRange>{{0, 40}}));
}

TEST(WeightPacking, ADepthwiseConvOnAnArrayWithoutADepthwiseMode) {
  // v2_28 runs it as dense groups of d = 20 channels (the largest divisor of 40 up to 28 rows):
  // channel co is input channel co % 20 of its group, every other weight zero; a block is one
  // group (the array's 32 columns hold one group of 20 filters).
  CompileOptions options;
  options.input_streaming = false;
  const auto n = plan_network(depthwise_conv(), test::xdnn_config("v2_28"), options);
  ASSERT_EQ(n->mapping.layers[0].type, "depthwise");
  const PackedWeights packed = pack_weights(n->graph, n->mapping, n->plan, n->schedule, n->config.xdnn());
  const ConvWeights& cw = packed.convs[0];
  EXPECT_EQ(cw.groups, 2u);
  EXPECT_EQ(cw.cin_g, 20u);
  EXPECT_EQ(cw.cout_g, 20u);
  EXPECT_EQ(ranges(cw), (std::vector<BlockRange>{{0, 20}, {20, 40}}));
  const Tensor& w = n->graph.nodes[0].weights;  // [40][1][3][3]
  expect_blob(packed, cw, 20 * 9, [&](std::uint32_t co, std::uint64_t k) -> std::int64_t {
    const std::uint64_t ci = k / 9, tap = k % 9;
    return ci == co % 20 ? w.as_int64(static_cast<std::int64_t>(co * 9 + tap)) : 0;
  });
}

TEST(WeightPacking, ADepthwiseConvOnTheV3ArrayKeepsItsOwnWeights) {
  CompileOptions options;
  options.input_streaming = false;
  const auto n = plan_network(depthwise_conv(), test::xdnn_config("v3_96"), options);
  const PackedWeights packed = pack_weights(n->graph, n->mapping, n->plan, n->schedule, n->config.xdnn());
  const ConvWeights& cw = packed.convs[0];
  EXPECT_EQ(cw.groups, 40u);
  EXPECT_EQ(cw.cin_g, 1u);
  EXPECT_EQ(ranges(cw), (std::vector<BlockRange>{{0, 40}}));  // one AM word of 96 channels holds them
  const Tensor& w = n->graph.nodes[0].weights;
  expect_blob(packed, cw, 9, [&](std::uint32_t co, std::uint64_t k) {
    return w.as_int64(static_cast<std::int64_t>(co * 9 + k));
  });
}

TEST(WeightPacking, BlocksAreNeverMoreThanHalfTheFilterCache) {
  CompileOptions options;
  options.input_streaming = false;
  // 64 x 9 = 576 bytes a filter: 2 filters fit half of 3 KiB, 3 do not.
  const auto n = plan_network(dense_conv(64), test::xdnn_config("v3_96", {"filter_cache_bytes=3KiB"}), options);
  const PackedWeights packed = pack_weights(n->graph, n->mapping, n->plan, n->schedule, n->config.xdnn());
  for (const WeightBlock& b : packed.convs[0].blocks) EXPECT_EQ(b.bytes, 2u * 576u);
  EXPECT_EQ(packed.convs[0].blocks.size(), 20u);
  // Below one filter (half of 1 KiB): the error names the layer and the key.
  const auto small = plan_network(dense_conv(64), test::xdnn_config("v3_96", {"filter_cache_bytes=1KiB"}), options);
  try {
    pack_weights(small->graph, small->mapping, small->plan, small->schedule, small->config.xdnn());
    ADD_FAILURE() << "packed filters larger than half the filter cache";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("layer 'dense'"));
    EXPECT_THAT(e.what(), HasSubstr("(576 bytes)"));
    EXPECT_THAT(e.what(), HasSubstr("filter_cache_bytes"));
  }
}

TEST(WeightPacking, ArrayWeightBytesInTheWeightWidth) {
  // int16 weights: two bytes each, little-endian, two's complement.
  const Tensor w16 = Tensor::from_vector<std::int16_t>({2, 1, 1, 2}, {1, -2, 300, -32768});
  EXPECT_EQ(array_weight_bytes(w16, 2, 2, 2, 0), std::string({1, 0, '\xfe', '\xff', 0x2c, 0x01, 0, '\x80'}));
  // int8 weights read by a 16-bit array: sign-extended.
  const Tensor w8 = Tensor::from_vector<std::int8_t>({1, 1, 1, 3}, {5, -1, -128});
  EXPECT_EQ(array_weight_bytes(w8, 2, 1, 3, 0), std::string({5, 0, '\xff', '\xff', '\x80', '\xff'}));
  EXPECT_EQ(array_weight_bytes(w8, 1, 1, 3, 0), std::string({5, '\xff', '\x80'}));
  // Depthwise, 4 channels in groups of 2, 1 tap each: [co][ci of 2] with co's weight at ci = co % 2.
  const Tensor dw = Tensor::from_vector<std::int8_t>({4, 1, 1, 1}, {1, 2, 3, 4});
  EXPECT_EQ(array_weight_bytes(dw, 1, 4, 1, 2), std::string({1, 0, 0, 2, 3, 0, 0, 4}));
  EXPECT_EQ(array_weight_bytes(dw, 2, 4, 1, 2), std::string({1, 0, 0, 0, 0, 0, 2, 0, 3, 0, 0, 0, 0, 0, 4, 0}));
}

}  // namespace
}  // namespace wb::xdnn
