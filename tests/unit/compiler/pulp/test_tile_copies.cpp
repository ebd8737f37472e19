// One tile's kernel call and DMA copies: each copy is run here on byte arrays (as the cluster's
// DMA runs it) and what lands in L1 or L2 is compared with the tensor's elements the tile
// should read or write, at the layer's borders too.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <tuple>
#include <utility>
#include <vector>

#include "compiler/pulp/tile_copies.h"
#include "tests/support/strided_copy_testing.h"
#include "tests/unit/compiler/pulp/layer_shapes.h"

namespace wb::pulp {
namespace {

TEST(PulpTileCopies, AGroupedTileReadsTheInputChannelsOfItsGroups) {
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


// An element's value, distinct for every (row, column, channel) of a small tensor.
std::uint8_t element(std::uint32_t row, std::uint32_t col, std::uint32_t c) {
  return static_cast<std::uint8_t>(1 + (row * 37 + col * 11 + c * 3) % 251);
}

// An HWC tensor of rows x cols x channels at `address` of a memory of `bytes` (0 elsewhere),
// its first row being tensor row `row0`.
std::vector<std::uint8_t> hwc_memory(std::uint64_t bytes, std::uint64_t address, std::uint32_t row0, std::uint32_t rows,
                                     std::uint32_t cols, std::uint32_t channels) {
  std::vector<std::uint8_t> memory(bytes, 0);
  for (std::uint32_t r = 0; r < rows; ++r) {
    for (std::uint32_t x = 0; x < cols; ++x) {
      for (std::uint32_t c = 0; c < channels; ++c) {
        memory[address + (std::uint64_t{r} * cols + x) * channels + c] = element(row0 + r, x, c);
      }
    }
  }
  return memory;
}

// The L1 input block of a tile: dense [in rows][in columns][channels read] of the tile's window.
void expect_input_block(const std::vector<std::uint8_t>& l1, std::uint64_t at, const TileGeometry& g) {
  for (std::uint32_t r = 0; r < g.rows.in_size; ++r) {
    for (std::uint32_t x = 0; x < g.cols.in_size; ++x) {
      for (std::uint32_t c = 0; c < g.cin_size; ++c) {
        const std::uint64_t i = at + (std::uint64_t{r} * g.cols.in_size + x) * g.cin_size + c;
        ASSERT_EQ(l1[i], element(g.rows.in_begin + r, g.cols.in_begin + x, g.cin_begin + c))
            << "row " << r << " column " << x << " channel " << c;
      }
    }
  }
}

// A 3x3 conv of 10 x 12 x 16 (pad 1) in L2 at 100: every tile of 4 x 5 output pixels and 8
// input channels (a partial-sum tile) or all 16, including the bottom and right border tiles
// whose windows are clipped, brings exactly its window's elements into L1 at 40.
TEST(PulpTileCopies, InputTilesBringTheirWindowDenseIntoL1AtEveryBorder) {
  LayerShape shape = conv3x3(10, 16, 8);
  shape.w_in = shape.w_out = 12;
  const std::vector<std::uint8_t> l2 = hwc_memory(4096, 100, 0, 10, 12, 16);
  TileAddresses at;
  at.input = L2View{100, 0, 12, 16, 0};
  at.l1_input = 40;
  int tiles = 0;
  for (std::uint32_t row = 0; row < 10; row += 4) {
    for (std::uint32_t col = 0; col < 12; col += 5) {
      for (const auto& [cin0, cins] : std::vector<std::pair<std::uint32_t, std::uint32_t>>{{0, 0}, {0, 8}, {8, 8}}) {
        SCOPED_TRACE(testing::Message() << "tile at " << row << ", " << col << ", input channels " << cin0);
        const TileGeometry g =
            tile_geometry(shape, row, std::min(4u, 10 - row), col, std::min(5u, 12 - col), 0, 8, cin0, cins);
        const std::vector<isa::pulp::DmaCopy> copies = tile_input_copies(shape, g, true, false, at);
        ASSERT_EQ(copies.size(), 1u);
        EXPECT_EQ(copies[0].source_memory(), isa::pulp::MEMORY_L2);
        EXPECT_EQ(copies[0].destination_memory(), isa::pulp::MEMORY_L1);
        std::vector<std::uint8_t> l1(4096, 0);
        test::run_strided_copy(copies[0], l2, l1);
        expect_input_block(l1, 40, g);
        // Nothing beyond the block.
        const std::uint64_t block = std::uint64_t{g.rows.in_size} * g.cols.in_size * g.cin_size;
        for (std::uint64_t i = 0; i < l1.size(); ++i) {
          if (i < 40 || i >= 40 + block) {
            ASSERT_EQ(l1[i], 0) << "L1 byte " << i;
          }
        }
        ++tiles;
      }
    }
  }
  EXPECT_EQ(tiles, 3 * 3 * 3);
}

// An L2 view holding rows 6.. of the tensor (an L3 chunk staged in L2): a tile's rows are
// found relative to it.
TEST(PulpTileCopies, AStagedViewIsAddressedFromItsFirstRow) {
  LayerShape shape = conv3x3(0, 4, 4);
  shape.h_in = shape.h_out = 12;
  shape.w_in = shape.w_out = 6;
  const std::vector<std::uint8_t> l2 = hwc_memory(1024, 64, 6, 6, 6, 4);  // rows 6..11
  TileAddresses at;
  at.input = L2View{64, 6, 6, 4, 0};
  const TileGeometry g = tile_geometry(shape, 8, 4, 0, 6, 0, 4);  // output rows 8..11 read rows 7..11
  std::vector<std::uint8_t> l1(1024, 0);
  test::run_strided_copy(tile_input_copies(shape, g, true, false, at).at(0), l2, l1);
  expect_input_block(l1, 0, g);
}

// An output tile goes back into its place of the HWC tensor (or of a concat's wider pixels)
// and touches nothing else.
TEST(PulpTileCopies, OutputTilesLandInTheirPlaceOnly) {
  LayerShape shape = pointwise(0, 8, 8);
  shape.h_out = 6;
  shape.w_out = 7;
  for (const std::uint32_t pixel : {8u, 24u}) {  // the output's own channels, or 8 of a 24-channel concat
    for (const auto& [c0, cs] : std::vector<std::pair<std::uint32_t, std::uint32_t>>{{0, 8}, {4, 4}}) {
      SCOPED_TRACE(testing::Message() << "pixel " << pixel << " channels " << c0 << "+" << cs);
      const TileGeometry g = tile_geometry(shape, 4, 2, 5, 2, c0, cs);  // the bottom-right corner
      TileAddresses at;
      at.output = L2View{200, 0, 7, pixel, 0};
      at.l1_output = 16;
      std::vector<std::uint8_t> l1(512, 0);
      for (std::uint32_t r = 0; r < 2; ++r) {
        for (std::uint32_t x = 0; x < 2; ++x) {
          for (std::uint32_t c = 0; c < cs; ++c) l1[16 + (r * 2 + x) * cs + c] = element(4 + r, 5 + x, c0 + c);
        }
      }
      std::vector<std::uint8_t> l2(2048, 0);
      const isa::pulp::DmaCopy copy = tile_output_copy(shape, g, at);
      EXPECT_EQ(copy.source_memory(), isa::pulp::MEMORY_L1);
      EXPECT_EQ(copy.destination_memory(), isa::pulp::MEMORY_L2);
      test::run_strided_copy(copy, l1, l2);
      for (std::uint64_t i = 0; i < l2.size(); ++i) {
        const bool in_tensor = i >= 200 && i < 200 + 6 * 7 * std::uint64_t{pixel};
        const std::uint64_t p = (i - 200) / pixel, c = (i - 200) % pixel;
        const std::uint64_t r = p / 7, x = p % 7;
        const bool in_tile = in_tensor && r >= 4 && x >= 5 && c >= c0 && c < c0 + cs;
        ASSERT_EQ(l2[i], in_tile ? element(static_cast<std::uint32_t>(r), static_cast<std::uint32_t>(x),
                                           static_cast<std::uint32_t>(c))
                                 : 0)
            << "L2 byte " << i;
      }
    }
  }
}

// Weights are [c_out][k_h][k_w][c_in] from the view's first channel: an output-channel tile
// takes its rows whole; an input-channel tile takes its channels of every kernel position,
// dense in L1 as [c][k_h][k_w][its channels]; bias int32 per output channel.
TEST(PulpTileCopies, WeightTilesAreTheirOutputChannelsAndInputChannels) {
  LayerShape shape = conv3x3(4, 12, 6);
  const std::uint32_t window = 9;
  std::vector<std::uint8_t> l2(4096, 0);
  const auto weight = [](std::uint32_t co, std::uint32_t k, std::uint32_t ci) {
    return static_cast<std::uint8_t>(1 + (co * 53 + k * 13 + ci) % 251);
  };
  // The view starts at output channel 2 (a weight chunk of channels 2..5 in L2 at 300).
  for (std::uint32_t co = 2; co < 6; ++co) {
    for (std::uint32_t k = 0; k < window; ++k) {
      for (std::uint32_t ci = 0; ci < 12; ++ci) l2[300 + ((co - 2) * window + k) * 12 + ci] = weight(co, k, ci);
    }
    for (int b = 0; b < 4; ++b) l2[1000 + (co - 2) * 4 + b] = static_cast<std::uint8_t>(co * 10 + b);
  }
  TileAddresses at;
  at.weights = 300;
  at.bias = 1000;
  at.weights_c0 = 2;
  at.l1_weights = 0;
  at.l1_bias = 2000;
  for (const auto& [cin0, cins] : std::vector<std::pair<std::uint32_t, std::uint32_t>>{{0, 0}, {4, 5}}) {
    SCOPED_TRACE(cin0);
    const TileGeometry g = tile_geometry(shape, 0, 4, 0, 4, 3, 2, cin0, cins);  // output channels 3, 4
    const std::vector<isa::pulp::DmaCopy> copies = tile_input_copies(shape, g, false, true, at);
    ASSERT_EQ(copies.size(), 2u);
    std::vector<std::uint8_t> l1(4096, 0);
    for (const auto& c : copies) test::run_strided_copy(c, l2, l1);
    for (std::uint32_t co = 0; co < 2; ++co) {
      for (std::uint32_t k = 0; k < window; ++k) {
        for (std::uint32_t ci = 0; ci < g.cin_size; ++ci) {
          ASSERT_EQ(l1[(co * window + k) * g.cin_size + ci], weight(3 + co, k, g.cin_begin + ci))
              << co << " " << k << " " << ci;
        }
      }
      for (std::uint32_t b = 0; b < 4; ++b) EXPECT_EQ(l1[2000 + co * 4 + b], static_cast<std::uint8_t>((3 + co) * 10 + b));
    }
  }
}

// MUL's broadcast operand: the tile reads the slice it broadcasts, an SE gate's channels.
TEST(PulpTileCopies, AProductReadsTheSliceOfItsBroadcastOperand) {
  LayerShape shape = pointwise(4, 16, 16);
  shape.kind = isa::pulp::KERNEL_MUL;
  shape.b_h = shape.b_w = 1;
  shape.b_c = 16;
  std::vector<std::uint8_t> l2 = hwc_memory(1024, 0, 0, 4, 4, 16);
  for (std::uint32_t c = 0; c < 16; ++c) l2[600 + c] = static_cast<std::uint8_t>(200 + c);
  TileAddresses at;
  at.input = L2View{0, 0, 4, 16, 0};
  at.input_b = L2View{600, 0, 1, 16, 0};
  at.l1_input = 0;
  at.l1_input_b = 500;
  const TileGeometry g = tile_geometry(shape, 2, 2, 0, 4, 8, 4);
  const std::vector<isa::pulp::DmaCopy> copies = tile_input_copies(shape, g, true, true, at);
  ASSERT_EQ(copies.size(), 2u);  // no weights, no table
  std::vector<std::uint8_t> l1(1024, 0);
  for (const auto& c : copies) test::run_strided_copy(c, l2, l1);
  expect_input_block(l1, 0, g);
  for (std::uint32_t c = 0; c < 4; ++c) EXPECT_EQ(l1[500 + c], static_cast<std::uint8_t>(208 + c));
  EXPECT_EQ(l1[504], 0);
  const isa::pulp::KernelCall call = tile_kernel_call(shape, g, isa::pulp::PARALLEL_HO, at);
  EXPECT_EQ(std::vector<std::uint32_t>({call.b_h(), call.b_w(), call.b_c()}), (std::vector<std::uint32_t>{1, 1, 4}));
}

// A tile of some of a conv's input channels accumulates: its first and last tiles say so.
TEST(PulpTileCopies, InputChannelTilesAccumulatePartialSums) {
  const LayerShape s = conv3x3(4, 12, 8);
  TileAddresses at;
  at.l1_accumulator = 96;
  const auto call = [&](std::uint32_t cin0, std::uint32_t cins) {
    return tile_kernel_call(s, tile_geometry(s, 0, 4, 0, 4, 0, 8, cin0, cins), isa::pulp::PARALLEL_HO, at);
  };
  EXPECT_FALSE(call(0, 0).cin_tiled());
  for (const auto& [cin0, first, last] :
       std::vector<std::tuple<std::uint32_t, bool, bool>>{{0, true, false}, {4, false, false}, {8, false, true}}) {
    const isa::pulp::KernelCall c = call(cin0, 4);
    EXPECT_TRUE(c.cin_tiled());
    EXPECT_EQ(c.first_cin_tile(), first) << cin0;
    EXPECT_EQ(c.last_cin_tile(), last) << cin0;
    EXPECT_EQ(c.accumulator(), 96u);
    EXPECT_EQ(c.c_in(), 4u);
  }
  // Padding at the layer's borders only: a tile of the bottom-right output pixel.
  const isa::pulp::KernelCall corner = tile_kernel_call(s, tile_geometry(s, 3, 1, 3, 1, 0, 8), isa::pulp::PARALLEL_HO);
  EXPECT_EQ(std::vector<std::uint32_t>({corner.pad_top(), corner.pad_bottom(), corner.pad_left(), corner.pad_right(),
                                        corner.h_in(), corner.w_in()}),
            (std::vector<std::uint32_t>{0, 1, 0, 1, 2, 2}));
}

}  // namespace
}  // namespace wb::pulp
