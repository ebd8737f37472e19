// One tile's kernel call and DMA copies.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "compiler/pulp/tile_copies.h"
#include "tests/unit/compiler/pulp/layer_shapes.h"

namespace wb::pulp {
namespace {

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

}  // namespace
}  // namespace wb::pulp
