// DEPTHWISE's per-core programs (sim/pulp/programs/depthwise.cpp), the window kernel and the
// plane kernel: where they load and store, that the cores together store every output byte
// once, and their op counts against hand counts of the loop nests on small calls.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "tests/unit/sim/pulp/programs/programs_testing.h"

namespace wb::sim::pulp {
namespace {

using isa::pulp::KernelCall;
using namespace programs_testing;

struct DepthwiseShape {
  std::uint32_t h_in, w_in, channels, k, stride, pad_top, pad_bottom, pad_left, pad_right;
  bool plane = false;
  std::uint32_t dilation = 1;  // both axes (the window kernel only)
  bool chw = false;            // a channel-major input tile (DORY's, KernelCall.input_chw)
};

struct DepthwiseCall {
  KernelCall call;
  Buffer input, weights, bias, output;
  std::uint64_t scratch_per_core = 0;
  Buffer scratch(int core) const {
    const std::uint64_t begin = call.im2col() + scratch_per_core * static_cast<std::uint64_t>(core);
    return Buffer{"scratch", begin, begin + scratch_per_core};
  }
};

std::uint32_t out_extent(std::uint32_t in, std::uint32_t k, std::uint32_t stride, std::uint32_t pads) {
  return (in + pads - k) / stride + 1;
}

// The scratch a core needs, from docs/pulp.md and PULP-NN: the window kernel's strip is k input
// columns over every padded input row plus k guard bytes (pulp_nn_depthwise_generic's bufferA);
// the plane holds the (out - 1) * stride + 3 rows and columns the window reads, rows rounded up
// to words, plus one word.
std::uint64_t scratch_bytes(const DepthwiseShape& s, std::uint32_t h_out, std::uint32_t w_out) {
  if (!s.plane) return std::uint64_t{s.k} * (s.h_in + s.pad_top + s.pad_bottom) + s.k;
  const std::uint64_t rows = (h_out - 1) * s.stride + 3, cols = (w_out - 1) * s.stride + 3;
  return rows * ((cols + 3) / 4 * 4) + 4;
}

DepthwiseCall depthwise_call(const DepthwiseShape& s, int cores) {
  DepthwiseCall d;
  KernelCall& c = d.call;
  c.set_kind(isa::pulp::KERNEL_DEPTHWISE);
  c.set_parallel(isa::pulp::PARALLEL_CO);
  c.set_h_in(s.h_in);
  c.set_w_in(s.w_in);
  c.set_c_in(s.channels);
  c.set_c_out(s.channels);
  c.set_k_h(s.k);
  c.set_k_w(s.k);
  c.set_stride_h(s.stride);
  c.set_stride_w(s.stride);
  c.set_pad_top(s.pad_top);
  c.set_pad_bottom(s.pad_bottom);
  c.set_pad_left(s.pad_left);
  c.set_pad_right(s.pad_right);
  const std::uint32_t span = (s.k - 1) * s.dilation + 1;
  c.set_dilation_h(s.dilation);
  c.set_dilation_w(s.dilation);
  c.set_h_out(out_extent(s.h_in, span, s.stride, s.pad_top + s.pad_bottom));
  c.set_w_out(out_extent(s.w_in, span, s.stride, s.pad_left + s.pad_right));
  c.set_depthwise_plane(s.plane);
  c.set_input_chw(s.chw);
  c.set_has_bias(true);
  set_identity_requant(c);
  Layout layout;
  const auto buffer = [&](const char* name, std::uint64_t bytes) {
    const std::uint64_t at = layout.place(bytes);
    return Buffer{name, at, at + bytes};
  };
  d.input = buffer("input", std::uint64_t{s.h_in} * s.w_in * s.channels);
  d.weights = buffer("weights", std::uint64_t{s.channels} * s.k * s.k);
  d.bias = buffer("bias", 4 * std::uint64_t{s.channels});
  d.output = buffer("output", std::uint64_t{c.h_out()} * c.w_out() * s.channels);
  d.scratch_per_core = scratch_bytes(s, c.h_out(), c.w_out());
  c.set_input(d.input.begin);
  c.set_weights(d.weights.begin);
  c.set_bias(d.bias.begin);
  c.set_output(d.output.begin);
  c.set_im2col(layout.place(d.scratch_per_core * static_cast<std::uint64_t>(cores)));
  return d;
}

// 3x3 stride 1 and 2 (asymmetric pads), a 5x5 window, and the plane kernel's shapes: stride 1,
// stride 2 with every padded row read, and stride 2 whose last input row no window reads.
const std::vector<DepthwiseShape>& depthwise_shapes() {
  static const std::vector<DepthwiseShape> all{
      {6, 6, 5, 3, 1, 1, 1, 1, 1, false},  {7, 8, 9, 3, 2, 1, 0, 0, 1, false}, {9, 7, 4, 5, 1, 2, 2, 2, 2, false},
      {6, 6, 5, 3, 1, 1, 1, 1, 1, true},   {7, 7, 6, 3, 2, 1, 1, 1, 1, true},  {8, 8, 3, 3, 2, 0, 0, 0, 0, true},
      {5, 11, 10, 3, 1, 0, 2, 2, 0, true},
      // Dilated window kernels: dilation 2 at stride 1, dilation 3 at stride 2 with uneven pads.
      {6, 6, 5, 3, 1, 2, 2, 2, 2, false, 2},  {9, 8, 4, 3, 2, 3, 1, 2, 3, false, 3},
      // The window kernel on channel-major tiles (DORY's): 3x3 stride 1 and 2, a 5x5 window.
      {6, 6, 5, 3, 1, 1, 1, 1, 1, false, 1, true},  {7, 8, 9, 3, 2, 1, 0, 0, 1, false, 1, true},
      {9, 7, 4, 5, 1, 2, 2, 2, 2, false, 1, true},
  };
  return all;
}

std::string depthwise_label(const DepthwiseShape& s, int cores) {
  return fmt::format("{}x{}x{} k{} s{} d{} pads {}{}{}{} {} on {} cores", s.h_in, s.w_in, s.channels, s.k, s.stride,
                     s.dilation, s.pad_top, s.pad_bottom, s.pad_left, s.pad_right,
                     s.plane ? "plane" : s.chw ? "window, channel-major" : "window", cores);
}

TEST(DepthwisePrograms, EveryLoadAndStoreLiesInsideItsBuffer) {
  for (const DepthwiseShape& s : depthwise_shapes()) {
    for (const int cores : {1, 3, 8}) {
      const DepthwiseCall d = depthwise_call(s, cores);
      expect_well_formed(d.call);
      for (int core = 0; core < cores; ++core) {
        const CoreProgram program = kernel_program(d.call, core, cores);
        // PULP-NN copies a channel-major strip row in whole words from the column's first
        // input column: at the right border they run past the row (by less than the words'
        // bytes), past the last plane's end on its last row.
        Buffer input = d.input;
        if (s.chw) input.end += 4 * ((s.k + 3) / 4) - 1;
        EXPECT_EQ(stray_access(program, {input, d.weights, d.bias, d.scratch(core)}, {d.scratch(core), d.output}), "")
            << depthwise_label(s, cores) << ", core " << core;
      }
    }
  }
}

TEST(DepthwisePrograms, TheCoresStoreEveryOutputByteOnce) {
  for (const DepthwiseShape& s : depthwise_shapes()) {
    for (const int cores : {1, 3, 8}) {
      const DepthwiseCall d = depthwise_call(s, cores);
      expect_each_output_stored_once(programs_of(d.call, cores), d.output, depthwise_label(s, cores));
    }
  }
}

// 5 channels on 4 cores: chunks of ceil(5 / 4) = 2, so cores 0 and 1 take 2, core 2 one and
// core 3 none; on 8 cores chunks of 1 leave cores 5, 6 and 7 idle.
TEST(DepthwisePrograms, ACorePastTheLastChannelHasAnEmptyProgram) {
  for (const bool plane : {false, true}) {
    const DepthwiseShape s{6, 6, 5, 3, 1, 1, 1, 1, 1, plane};
    EXPECT_TRUE(kernel_program(depthwise_call(s, 4).call, 3, 4).empty());
    EXPECT_FALSE(kernel_program(depthwise_call(s, 4).call, 2, 4).empty());
    for (const int core : {5, 6, 7}) EXPECT_TRUE(kernel_program(depthwise_call(s, 8).call, core, 8).empty());
    EXPECT_FALSE(kernel_program(depthwise_call(s, 8).call, 4, 8).empty());
  }
}

// The window kernel on 6x6x5, 3x3, stride 1, pads 1: 6x6 outputs. Core 0 of 4 has channels 0
// and 1. Per channel:
//   bias: 1 lw.
//   strip per output column: 8 padded rows x 3 bytes = 24 sb; the lbu are the input bytes in
//     the column's 3 input columns: columns 0 and 5 see 2 (one is padding), 1..4 see 3, so
//     (2 + 2 + 4 x 3) x 6 input rows = 96 lbu, each stored by the next instruction.
//   per output (36): 9 window bytes = 2 words (2 lw each, 2 pv.sdotusp.b) + 1 leftover byte
//     (2 lb/lbu): 6 loads, 3 of them read right after; 1 sb.
TEST(DepthwisePrograms, TheWindowKernelsCountsFollowItsLoops) {
  const DepthwiseCall d = depthwise_call({6, 6, 5, 3, 1, 1, 1, 1, 1, false}, 4);
  const OpCounts n = count_ops(kernel_program(d.call, 0, 4));
  const std::uint64_t channels = 2, outputs = 36;
  EXPECT_EQ(n.dot_products, channels * outputs * 2);
  EXPECT_EQ(n.loads, channels * (1 + 96 + outputs * 6));
  EXPECT_EQ(n.stores, channels * (6 * 24 + outputs));
  EXPECT_EQ(n.load_use, channels * (96 + outputs * 3));
  EXPECT_EQ(n.divides, 0u);
}

// The same call on a channel-major tile (pulp_nn_depthwise_generic as DORY calls it). Per
// channel and output column the strip's 8 rows: pad rows 0 and 7 one zero sw each; the 6 input
// rows one lw (read by the sw right after) and one sw each, and one zero sb more in columns 0
// (left pad) and 5 (right pad). The outputs as above.
TEST(DepthwisePrograms, TheChannelMajorWindowKernelCopiesTheStripAWordAtATime) {
  const DepthwiseCall d = depthwise_call({6, 6, 5, 3, 1, 1, 1, 1, 1, false, 1, true}, 4);
  expect_well_formed(d.call);
  const OpCounts n = count_ops(kernel_program(d.call, 0, 4));
  const std::uint64_t channels = 2, outputs = 36, columns = 6, rows = 6;
  EXPECT_EQ(n.dot_products, channels * outputs * 2);
  EXPECT_EQ(n.loads, channels * (1 + columns * rows + outputs * 6));
  EXPECT_EQ(n.stores, channels * (columns * (2 + rows) + 2 * rows + outputs));
  EXPECT_EQ(n.load_use, channels * (columns * rows + outputs * 3));
}

TEST(DepthwisePrograms, TheChannelMajorStripCostsFewerInstructionsThanTheStridedGather) {
  const auto instructions = [](bool chw) {
    const DepthwiseCall d = depthwise_call({7, 8, 9, 3, 2, 1, 0, 0, 1, false, 1, chw}, 8);
    std::uint64_t total = 0;
    for (const CoreProgram& p : programs_of(d.call, 8)) total += count_ops(p).loads + count_ops(p).stores;
    return total;
  };
  EXPECT_LT(instructions(true), instructions(false));
}

// Dilation 2 on 6x6x5, 3x3, stride 1, pads 2: 6x6 outputs, core 0 of 4 channels 0 and 1 again.
// Per channel:
//   bias: 1 lw.
//   strip per output column: 10 padded rows x 3 bytes = 30 sb; output column ow reads input
//     columns ow - 2, ow, ow + 2: 2, 2, 3, 3, 2, 2 of them inside, 14 x 6 input rows = 84 lbu.
//   per output (36): 3 runs of 3 strip bytes, 2 strip rows apart: no word, 9 leftover bytes
//     (2 loads each, the second read right after): 18 loads, 9 of them read right after; 1 sb.
TEST(DepthwisePrograms, TheDilatedWindowKernelReadsOneRunPerKernelRow) {
  const DepthwiseCall d = depthwise_call({6, 6, 5, 3, 1, 2, 2, 2, 2, false, 2}, 4);
  expect_well_formed(d.call);
  const OpCounts n = count_ops(kernel_program(d.call, 0, 4));
  const std::uint64_t channels = 2, outputs = 36;
  EXPECT_EQ(n.dot_products, 0u);
  EXPECT_EQ(n.loads, channels * (1 + 84 + outputs * 18));
  EXPECT_EQ(n.stores, channels * (6 * 30 + outputs));
  EXPECT_EQ(n.load_use, channels * (84 + outputs * 9));
}

// The plane kernel on the same call: the plane is 8 x 8 (pitch 8). Once per core the border:
// pad rows 0 and 7 as 2 sw each, the 6 input rows' pad columns 0 and 7 as 12 sb. Per channel:
//   bias 1 lw, filter 3 lw; gather 36 lbu + 36 sb (each lbu read by its sb);
//   per output row: one step of 4 outputs (3 kernel rows x 2 lw, 4 dot products each) and 2
//     leftover outputs (3 lw, 3 dot products each): 12 lw, 18 dot products, 6 sb.
TEST(DepthwisePrograms, ThePlaneKernelsCountsFollowItsLoops) {
  const DepthwiseCall d = depthwise_call({6, 6, 5, 3, 1, 1, 1, 1, 1, true}, 4);
  const OpCounts n = count_ops(kernel_program(d.call, 0, 4));
  const std::uint64_t channels = 2, rows = 6;
  EXPECT_EQ(n.dot_products, channels * rows * 18);
  EXPECT_EQ(n.loads, channels * (1 + 3 + 36 + rows * 12));
  EXPECT_EQ(n.stores, 2 * 2 + 12 + channels * (36 + rows * 6));
  EXPECT_EQ(n.load_use, channels * 36);
}

// Stride 2 on 7x7, pads 1: 4x4 outputs from a 9 x 9 plane (pitch 12). Per output row two steps
// of 2 outputs (3 kernel rows x 2 lw, 2 dot products each): 12 lw, 12 dot products.
TEST(DepthwisePrograms, ThePlaneKernelAtStride2MakesTwoOutputsPerStep) {
  const DepthwiseCall d = depthwise_call({7, 7, 6, 3, 2, 1, 1, 1, 1, true}, 1);
  const OpCounts n = count_ops(kernel_program(d.call, 0, 1));
  const std::uint64_t channels = 6, rows = 4;
  EXPECT_EQ(n.dot_products, channels * rows * 12);
  EXPECT_EQ(n.loads, channels * (1 + 3 + 49 + rows * 12));
  // Border: pad rows 0 and 8 (3 sw each), pad columns 0 and 8 of the 7 input rows.
  EXPECT_EQ(n.stores, 2 * 3 + 7 * 2 + channels * (49 + 16));
}

TEST(DepthwisePrograms, ThePlaneKernelLoadsLessThanTheWindowKernelOnTheSameCall) {
  const auto loads = [](bool plane) {
    const DepthwiseCall d = depthwise_call({6, 6, 5, 3, 1, 1, 1, 1, 1, plane}, 8);
    std::uint64_t total = 0;
    for (const CoreProgram& p : programs_of(d.call, 8)) total += count_ops(p).loads;
    return total;
  };
  EXPECT_LT(loads(true), loads(false));
}

}  // namespace
}  // namespace wb::sim::pulp
