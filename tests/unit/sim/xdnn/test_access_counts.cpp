// What the overlay's instructions read and write on chip (sim/xdnn/access_counts, the energy
// model's events: docs/energy.md), against counts done by hand on v3_96: a 96 x 16 array, two
// int8 MACs per DSP, AM words of 96 lanes.

#include <gtest/gtest.h>

#include "isa/xdnn_program.h"
#include "sim/xdnn/access_counts.h"
#include "tests/unit/sim/xdnn/xdnn_sim_testing.h"

namespace wb::test::xdnn::access_counts_test {
namespace {

using sim::xdnn::OnChipAccess;

// A 3x3 conv, stride 1, no padding, computing output rows [0, 8) of an 8x8 output.
x::Conv conv3x3(std::uint32_t c_in, std::uint32_t c_out, std::uint32_t groups, x::Memory output_memory = x::MEMORY_AM) {
  x::Conv conv;
  *conv.mutable_input() = region(x::MEMORY_AM, 0, layout(c_in, 10, 10));
  *conv.mutable_output() = region(output_memory, 0, layout(c_out, 8, 8));
  *conv.mutable_window() = window(3, 1, 0);
  conv.set_groups(groups);
  conv.set_weight_bytes(1);
  conv.set_row_begin(0);
  conv.set_row_end(8);
  conv.set_conv_height(8);
  conv.set_conv_width(8);
  conv.set_input_height(10);
  conv.set_input_width(10);
  return conv;
}

TEST(XdnnAccessCounts, ADenseConvReadsItsInputOncePerPassCycle) {
  const XdnnParams hw = config("v3_96").xdnn();
  // Passes: 1 channel section x 2 column groups (32 outputs over 16 columns) x 32 pixel pairs
  // x 3 x 3 taps = 576 cycles; each reads 2 pixels' AM words of 96 bytes.
  const OnChipAccess a = sim::xdnn::conv_access(conv3x3(64, 32, 1), hw);
  EXPECT_EQ(a.am_read_bytes, 576u * 2 * 96);
  EXPECT_EQ(a.am_write_bytes, 32u * 8 * 8);
  EXPECT_EQ(a.filter_cache_read_bytes, 32u * 64 * 9);  // each weight once
  EXPECT_EQ(a.filter_cache_write_bytes, 0u);
  EXPECT_EQ(a.pool_eltwise_elements, 0u);
  // Its output in DDR (a DDR-resident buffer): no AM write.
  EXPECT_EQ(sim::xdnn::conv_access(conv3x3(64, 32, 1, x::MEMORY_DDR), hw).am_write_bytes, 0u);
}

TEST(XdnnAccessCounts, ADepthwiseConvReadsOneWordPerColumn) {
  const XdnnParams hw = config("v3_96").xdnn();
  // 32 channels on the rows (one section), 64 pixels over 16 columns x 2 = 2 passes, 9 taps:
  // 18 cycles, each reading 16 columns x 2 pixels of 96-byte words.
  const OnChipAccess a = sim::xdnn::conv_access(conv3x3(32, 32, 32), hw);
  EXPECT_EQ(a.am_read_bytes, 18u * 32 * 96);
  EXPECT_EQ(a.filter_cache_read_bytes, 32u * 9);
}

TEST(XdnnAccessCounts, PoolsEltwisesAndCopiesCountWhatTheyMove) {
  x::StandalonePool pool;
  *pool.mutable_input() = region(x::MEMORY_AM, 0, layout(16, 8, 8));
  *pool.mutable_output() = region(x::MEMORY_AM, 0, layout(16, 4, 4));
  *pool.mutable_pool()->mutable_window() = window(2, 2, 0);
  const OnChipAccess p = sim::xdnn::pool_access(pool);
  EXPECT_EQ(p.am_read_bytes, 256u * 4);  // every window element of 256 outputs
  EXPECT_EQ(p.am_write_bytes, 256u);
  EXPECT_EQ(p.pool_eltwise_elements, 256u);

  x::Eltwise add;
  *add.mutable_a() = region(x::MEMORY_AM, 0, layout(16, 4, 4));
  *add.mutable_b() = region(x::MEMORY_AM, 0, layout(16, 4, 4));
  *add.mutable_output() = region(x::MEMORY_AM, 0, layout(16, 4, 4));
  const OnChipAccess e = sim::xdnn::eltwise_access(add);
  EXPECT_EQ(e.am_read_bytes, 512u);
  EXPECT_EQ(e.am_write_bytes, 256u);

  const OnChipAccess upload = sim::xdnn::copy_access(x::linear_copy(x::MEMORY_DDR, 0, x::MEMORY_AM, 0, 1000), 1000);
  EXPECT_EQ(upload.am_write_bytes, 1000u);
  EXPECT_EQ(upload.am_read_bytes, 0u);
  const OnChipAccess staged =
      sim::xdnn::copy_access(x::linear_copy(x::MEMORY_AM, 0, x::MEMORY_FILTER_CACHE, 0, 500), 500);
  EXPECT_EQ(staged.am_read_bytes, 500u);
  EXPECT_EQ(staged.filter_cache_write_bytes, 500u);
  OnChipAccess sum = upload;
  sum += staged;
  EXPECT_EQ(sum.am_read_bytes + sum.am_write_bytes, 1500u);
}

}  // namespace
}  // namespace wb::test::xdnn::access_counts_test
