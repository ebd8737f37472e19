// Layer and tile geometry: the input window of a run of output rows (padding at the layer's
// borders only), the channels a tile holds and reads, the sizes of tables and second operands.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <vector>

#include "compiler/pulp/tile_geometry.h"
#include "tests/unit/compiler/pulp/layer_shapes.h"

namespace wb::pulp {
namespace {

TEST(PulpTileGeometry, TileWindowsCoverTheReceptiveFieldWithBorderPadding) {
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

// Against the definition: output row o reads input rows o * stride - pad + k, k < kernel; the
// window is the rows of [0, in_total) that some output row of the tile reads, and the padding
// is what its first and last output rows read outside the input.
TEST(PulpTileGeometry, TileWindowsAgreeWithTheWindowOfEveryOutputRow) {
  for (std::uint32_t kernel : {1u, 2u, 3u, 5u, 7u}) {
    for (std::uint32_t stride : {1u, 2u, 3u}) {
      for (std::uint32_t pad = 0; pad < kernel; ++pad) {
        for (std::uint32_t in_total : {1u, 4u, 9u, 16u}) {
          if (in_total + 2 * pad < kernel) continue;
          const std::uint32_t out_total = (in_total + 2 * pad - kernel) / stride + 1;
          for (std::uint32_t begin = 0; begin < out_total; ++begin) {
            for (std::uint32_t size = 1; begin + size <= out_total; ++size) {
              SCOPED_TRACE(testing::Message() << "k" << kernel << " s" << stride << " p" << pad << " in " << in_total
                                              << " out [" << begin << ", " << begin + size << ")");
              std::int64_t lowest = in_total, highest = -1, before = 0, after = 0;
              for (std::uint32_t o = begin; o < begin + size; ++o) {
                for (std::uint32_t k = 0; k < kernel; ++k) {
                  const std::int64_t row = std::int64_t{o} * stride - pad + k;
                  if (row >= 0 && row < in_total) {
                    lowest = std::min(lowest, row);
                    highest = std::max(highest, row);
                  }
                  if (o == begin) before = std::max<std::int64_t>(before, -row);
                  if (o == begin + size - 1) after = std::max<std::int64_t>(after, row - (in_total - 1));
                }
              }
              const TileWindow w = tile_window(begin, size, in_total, kernel, stride, pad);
              EXPECT_EQ(w.out_begin, begin);
              EXPECT_EQ(w.out_size, size);
              EXPECT_EQ(w.in_begin, highest < 0 ? 0 : lowest);
              EXPECT_EQ(w.in_size, highest < 0 ? 0 : highest - lowest + 1);
              EXPECT_EQ(w.pad_before, before);
              EXPECT_EQ(w.pad_after, after);
              EXPECT_EQ(input_extent(size, kernel, stride), (size - 1) * stride + kernel);
            }
          }
        }
      }
    }
  }
}

TEST(PulpTileGeometry, TilesReadTheInputChannelsOfTheirKind) {
  TileGeometry g;
  // A standard conv reads all its input channels, or an input-channel tile of them.
  const LayerShape conv = conv3x3(8, 64, 32);
  set_tile_channels(conv, g, 8, 16);
  EXPECT_EQ(std::vector<std::uint32_t>({g.c_begin, g.c_size, g.cin_begin, g.cin_size}),
            (std::vector<std::uint32_t>{8, 16, 0, 64}));
  set_tile_channels(conv, g, 8, 16, 48);
  EXPECT_EQ(std::vector<std::uint32_t>({g.cin_begin, g.cin_size}), (std::vector<std::uint32_t>{48, 16}));
  set_tile_channels(conv, g, 8, 16, 16, 8);
  EXPECT_EQ(std::vector<std::uint32_t>({g.cin_begin, g.cin_size}), (std::vector<std::uint32_t>{16, 8}));
  // A depthwise conv (and a pool, an add, a lookup table) reads its own channels.
  set_tile_channels(depthwise3x3(8, 64, 1), g, 24, 8);
  EXPECT_EQ(std::vector<std::uint32_t>({g.cin_begin, g.cin_size}), (std::vector<std::uint32_t>{24, 8}));
  // A gather reads every channel its indices span, whatever its output channels.
  LayerShape gather = pointwise(4, 16, 8);
  gather.kind = isa::pulp::KERNEL_GATHER;
  gather.gather_first = 8;
  gather.gather_span = 8;
  set_tile_channels(gather, g, 0, 8);
  EXPECT_EQ(std::vector<std::uint32_t>({g.cin_begin, g.cin_size}), (std::vector<std::uint32_t>{8, 8}));
  // A grouped conv reads its groups' channels: groups 1 and 2 of 4 (6 -> 4 each).
  const LayerShape grouped = grouped3x3(8, 24, 16, 4);
  set_tile_channels(grouped, g, 4, 8);
  EXPECT_EQ(std::vector<std::uint32_t>({g.cin_begin, g.cin_size}), (std::vector<std::uint32_t>{6, 12}));
  EXPECT_THROW(set_tile_channels(grouped, g, 2, 4), std::logic_error);
  EXPECT_THROW(set_tile_channels(grouped, g, 4, 6), std::logic_error);
}

TEST(PulpTileGeometry, TileGeometryIsTheRowAndColumnWindowsAndTheChannels) {
  LayerShape s = conv3x3(16, 8, 8);
  s.h_out = s.w_out = 8;
  s.stride_h = s.stride_w = 2;
  s.pad_bottom = s.pad_right = 0;
  const TileGeometry g = tile_geometry(s, 4, 4, 0, 3, 0, 8);
  EXPECT_EQ(std::vector<std::uint32_t>({g.rows.in_begin, g.rows.in_size, g.rows.pad_before, g.rows.pad_after}),
            (std::vector<std::uint32_t>{7, 9, 0, 0}));  // rows 7..15
  EXPECT_EQ(std::vector<std::uint32_t>({g.cols.in_begin, g.cols.in_size, g.cols.pad_before, g.cols.pad_after}),
            (std::vector<std::uint32_t>{0, 6, 1, 0}));  // columns -1..5
  EXPECT_EQ(g.cin_size, 8u);
}

// A resize's windows come from its tables, not a kernel: rows 0..5 of a 6-row input upsampled
// by 2 (align_corners-like taps: output o reads floor(o / 2) and the next, clamped) and
// columns of a 4-column one downsampled to 2 (each reads two).
TEST(PulpTileGeometry, AResizesWindowsAreWhatItsTapsRead) {
  LayerShape s;
  s.kind = isa::pulp::KERNEL_RESIZE;
  s.h_in = 6;
  s.w_in = 4;
  s.h_out = 12;
  s.w_out = 2;
  s.c_in = s.c_out = 3;
  std::vector<std::int64_t> rows;
  for (std::int64_t o = 0; o < 12; ++o) rows.insert(rows.end(), {o / 2, std::min<std::int64_t>(o / 2 + 1, 5), 128});
  s.resize_rows = std::make_shared<const std::vector<std::int64_t>>(rows);
  s.resize_cols = std::make_shared<const std::vector<std::int64_t>>(std::vector<std::int64_t>{0, 1, 64, 2, 3, 64});
  const TileGeometry g = tile_geometry(s, 3, 4, 0, 2, 0, 3);
  // Output rows 3..6 read input rows 1 (row 3's first) to 4 (row 6's second).
  EXPECT_EQ(std::vector<std::uint32_t>({g.rows.in_begin, g.rows.in_size, g.rows.pad_before, g.rows.pad_after}),
            (std::vector<std::uint32_t>{1, 4, 0, 0}));
  EXPECT_EQ(std::vector<std::uint32_t>({g.cols.in_begin, g.cols.in_size}), (std::vector<std::uint32_t>{0, 4}));
  EXPECT_EQ(g.cin_size, 3u);
  // 4 consecutive output rows from an even one read 3 input rows (0..3 read 0..2), from an odd
  // one 4 (1..4 read 0..3): the widest is what a slot holds. All 12 read the 6; the last row
  // reads row 5 alone (its taps clamped).
  EXPECT_EQ(row_window(s, 0, 4).in_size, 3u);
  EXPECT_EQ(max_input_rows(s, 4), 4u);
  EXPECT_EQ(max_input_rows(s, 12), 6u);
  EXPECT_EQ(row_window(s, 11, 1).in_begin, 5u);
  EXPECT_EQ(row_window(s, 11, 1).in_size, 1u);
  EXPECT_EQ(max_input_cols(s, 1), 2u);
  EXPECT_EQ(table_bytes(s), kResizeTableEntryBytes * (12 + 2));
}

TEST(PulpTileGeometry, TablesAndSecondOperands) {
  LayerShape s = pointwise(4, 12, 12);
  for (const auto kind : {isa::pulp::KERNEL_CONV, isa::pulp::KERNEL_POINTWISE, isa::pulp::KERNEL_DEPTHWISE,
                          isa::pulp::KERNEL_LINEAR, isa::pulp::KERNEL_ADD, isa::pulp::KERNEL_MAXPOOL,
                          isa::pulp::KERNEL_AVGPOOL, isa::pulp::KERNEL_GROUPED_CONV, isa::pulp::KERNEL_MUL}) {
    s.kind = kind;
    EXPECT_EQ(table_bytes(s), 0u) << kind;
    EXPECT_EQ(has_second_operand(kind), kind == isa::pulp::KERNEL_ADD || kind == isa::pulp::KERNEL_MUL) << kind;
  }
  s.kind = isa::pulp::KERNEL_LUT;
  EXPECT_EQ(table_bytes(s), 256u);  // one byte per 8-bit input
  s.kind = isa::pulp::KERNEL_SOFTMAX;
  EXPECT_EQ(table_bytes(s), 256u * 4u);  // 256 uint32 entries
  s.kind = isa::pulp::KERNEL_GATHER;
  EXPECT_EQ(table_bytes(s), 12u * 2u);  // one uint16 input channel per output channel
  EXPECT_FALSE(has_second_operand(isa::pulp::KERNEL_GATHER));
  // ADD's second operand is the block itself; MUL's broadcast dimensions count 1.
  s.kind = isa::pulp::KERNEL_ADD;
  EXPECT_EQ(second_operand_bytes(s, 3, 4, 5), 60u);
  s.kind = isa::pulp::KERNEL_MUL;
  s.b_h = s.b_w = 1;
  s.b_c = 12;
  EXPECT_EQ(second_operand_bytes(s, 3, 4, 5), 5u);  // an SE gate: its channels
  s.b_h = s.b_w = 4;
  EXPECT_EQ(second_operand_bytes(s, 3, 4, 5), 60u);  // same shape
  s.b_c = 1;
  EXPECT_EQ(second_operand_bytes(s, 3, 4, 5), 12u);  // one channel broadcast over the others
}

}  // namespace
}  // namespace wb::pulp
