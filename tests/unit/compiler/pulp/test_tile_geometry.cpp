// Layer and tile geometry: the input window of a run of output rows, with padding at the
// layer's borders only.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace wb::pulp
