// The per-core programs of ADD, LUT, MUL, GATHER, MAXPOOL and AVGPOOL
// (sim/pulp/programs/elementwise.cpp): where they load and store, that the cores together
// store every output byte once under both splits (rows, channels), and their op counts against
// hand counts of the loops on small calls.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "tests/unit/sim/pulp/programs/programs_testing.h"

namespace wb::sim::pulp {
namespace {

using isa::pulp::KernelCall;
using isa::pulp::KernelKind;
using isa::pulp::Parallel;
using namespace programs_testing;

struct ElementwiseShape {
  KernelKind kind;
  std::uint32_t h_in, w_in, c_in, c_out;
  std::uint32_t k = 1, stride = 1, pad = 0;  // the pools' window, its stride, pads on every side
  std::uint32_t b_h = 0, b_w = 0, b_c = 0;   // MUL's second operand
};

struct ElementwiseCall {
  KernelCall call;
  Buffer input, input_b, table, output;
};

ElementwiseCall elementwise_call(const ElementwiseShape& s, Parallel parallel) {
  ElementwiseCall e;
  KernelCall& c = e.call;
  c.set_kind(s.kind);
  c.set_parallel(parallel);
  set_window(c, s.h_in, s.w_in, s.c_in, s.c_out, s.k, s.stride, s.pad);
  c.set_b_h(s.b_h);
  c.set_b_w(s.b_w);
  c.set_b_c(s.b_c);
  if (s.kind == isa::pulp::KERNEL_ADD) {
    c.add_input_multiplier(1);
    c.add_input_multiplier(1);
  }
  set_identity_requant(c);
  Layout layout;
  const auto buffer = [&](const char* name, std::uint64_t bytes) {
    const std::uint64_t at = layout.place(bytes);
    return Buffer{name, at, at + bytes};
  };
  const std::uint64_t input_bytes = std::uint64_t{s.h_in} * s.w_in * s.c_in;
  e.input = buffer("input", input_bytes);
  if (s.kind == isa::pulp::KERNEL_ADD) e.input_b = buffer("input_b", input_bytes);
  if (s.kind == isa::pulp::KERNEL_MUL) e.input_b = buffer("input_b", std::uint64_t{s.b_h} * s.b_w * s.b_c);
  // LUT: 256 output bytes, one per input value; GATHER: a uint16 index per output channel.
  if (s.kind == isa::pulp::KERNEL_LUT) e.table = buffer("table", 256);
  if (s.kind == isa::pulp::KERNEL_GATHER) e.table = buffer("table", 2 * std::uint64_t{s.c_out});
  e.output = buffer("output", std::uint64_t{c.h_out()} * c.w_out() * s.c_out);
  c.set_input(e.input.begin);
  c.set_input_b(e.input_b.begin);
  c.set_weights(e.table.begin);
  c.set_output(e.output.begin);
  return e;
}

const std::vector<ElementwiseShape>& elementwise_shapes() {
  using namespace isa::pulp;
  static const std::vector<ElementwiseShape> all{
      {KERNEL_ADD, 5, 3, 7, 7},
      {KERNEL_LUT, 5, 3, 7, 7},
      {KERNEL_MUL, 5, 3, 7, 7, 1, 1, 0, 1, 1, 7},  // the SE gate: b is 1 x 1 x c
      {KERNEL_MUL, 5, 3, 7, 7, 1, 1, 0, 5, 3, 1},  // b is h x w x 1
      {KERNEL_MUL, 5, 3, 7, 7, 1, 1, 0, 5, 3, 7},
      {KERNEL_GATHER, 5, 3, 6, 4},
      {KERNEL_GATHER, 5, 3, 6, 9},
      {KERNEL_MAXPOOL, 9, 7, 6, 6, 3, 2, 1},
      {KERNEL_MAXPOOL, 8, 8, 4, 4, 2, 2, 0},
      {KERNEL_AVGPOOL, 9, 7, 6, 6, 3, 2, 1},
      {KERNEL_AVGPOOL, 6, 6, 3, 3, 3, 1, 1},
  };
  return all;
}

std::string elementwise_label(const ElementwiseShape& s, Parallel parallel, int cores) {
  return fmt::format("{} {}x{}x{}->{} k{} s{} pad {} {} on {} cores", isa::pulp::KernelKind_Name(s.kind), s.h_in,
                     s.w_in, s.c_in, s.c_out, s.k, s.stride, s.pad, isa::pulp::Parallel_Name(parallel), cores);
}

TEST(ElementwisePrograms, EveryLoadAndStoreLiesInsideItsBuffer) {
  for (const ElementwiseShape& s : elementwise_shapes()) {
    for (const Parallel parallel : {isa::pulp::PARALLEL_HO, isa::pulp::PARALLEL_CO}) {
      for (const int cores : {1, 3, 8}) {
        const ElementwiseCall e = elementwise_call(s, parallel);
        expect_well_formed(e.call);
        for (int core = 0; core < cores; ++core) {
          EXPECT_EQ(stray_access(kernel_program(e.call, core, cores), {e.input, e.input_b, e.table}, {e.output}), "")
              << elementwise_label(s, parallel, cores) << ", core " << core;
        }
      }
    }
  }
}

TEST(ElementwisePrograms, TheCoresStoreEveryOutputByteOnceUnderBothSplits) {
  for (const ElementwiseShape& s : elementwise_shapes()) {
    for (const Parallel parallel : {isa::pulp::PARALLEL_HO, isa::pulp::PARALLEL_CO}) {
      for (const int cores : {1, 3, 8}) {
        const ElementwiseCall e = elementwise_call(s, parallel);
        expect_each_output_stored_once(programs_of(e.call, cores), e.output, elementwise_label(s, parallel, cores));
      }
    }
  }
}

// 5 output rows on 4 cores: chunks of 2, core 3 has none; 7 channels on 8 cores: chunks of 1,
// core 7 has none.
TEST(ElementwisePrograms, ACorePastTheEndOfItsSplitHasAnEmptyProgram) {
  for (const ElementwiseShape& s : elementwise_shapes()) {
    if (s.c_out != 7) continue;
    const ElementwiseCall rows = elementwise_call(s, isa::pulp::PARALLEL_HO);
    EXPECT_TRUE(kernel_program(rows.call, 3, 4).empty()) << elementwise_label(s, isa::pulp::PARALLEL_HO, 4);
    EXPECT_FALSE(kernel_program(rows.call, 2, 4).empty()) << elementwise_label(s, isa::pulp::PARALLEL_HO, 4);
    const ElementwiseCall channels = elementwise_call(s, isa::pulp::PARALLEL_CO);
    EXPECT_TRUE(kernel_program(channels.call, 7, 8).empty()) << elementwise_label(s, isa::pulp::PARALLEL_CO, 8);
    EXPECT_FALSE(kernel_program(channels.call, 6, 8).empty()) << elementwise_label(s, isa::pulp::PARALLEL_CO, 8);
  }
}

// Core 0 of 2 on a 2 x 3 x 5 call split by rows: output row 0, 3 pixels x 5 channels = 15
// elements.
OpCounts row_zero_of_two(const ElementwiseShape& s) {
  return count_ops(kernel_program(elementwise_call(s, isa::pulp::PARALLEL_HO).call, 0, 2));
}

// ADD: per element lbu a, lbu b, sb; the multiplies read loads 2 and 3 instructions back.
TEST(ElementwisePrograms, AddLoadsBothOperandsOfEveryElement) {
  const OpCounts n = row_zero_of_two({isa::pulp::KERNEL_ADD, 2, 3, 5, 5});
  EXPECT_EQ(n.loads, 15u * 2);
  EXPECT_EQ(n.stores, 15u);
  EXPECT_EQ(n.load_use, 0u);
}

// LUT and GATHER: per element 2 loads and a store; a pixel's 5 channels are one unrolled group
// of 4 (no load read right after) and one element alone (both its loads read right after).
TEST(ElementwisePrograms, LookupsStallOnlyOutsideTheirUnrolledGroups) {
  for (const ElementwiseShape& s : {ElementwiseShape{isa::pulp::KERNEL_LUT, 2, 3, 5, 5},
                                    ElementwiseShape{isa::pulp::KERNEL_GATHER, 2, 3, 6, 5}}) {
    const OpCounts n = row_zero_of_two(s);
    EXPECT_EQ(n.loads, 15u * 2) << isa::pulp::KernelKind_Name(s.kind);
    EXPECT_EQ(n.stores, 15u) << isa::pulp::KernelKind_Name(s.kind);
    EXPECT_EQ(n.load_use, 3u * 2) << isa::pulp::KernelKind_Name(s.kind);
  }
}

// MUL: per element lbu a, lbu b (read by the p.mul right after), sb.
TEST(ElementwisePrograms, MulLoadsAAndItsBroadcastB) {
  const OpCounts n = row_zero_of_two({isa::pulp::KERNEL_MUL, 2, 3, 5, 5, 1, 1, 0, 1, 1, 5});
  EXPECT_EQ(n.loads, 15u * 2);
  EXPECT_EQ(n.stores, 15u);
  EXPECT_EQ(n.load_use, 15u);
}

// MAXPOOL 4x4x6, 2x2 windows, stride 2: output row 0 has 2 pixels; per pixel the 6 channels
// are a word and 2 bytes, each over 4 window positions: 12 loads (all but each group's first
// read by the max right after: 9), a sw and 2 sb.
TEST(ElementwisePrograms, MaxPoolTakesFourChannelsAWord) {
  const OpCounts n = row_zero_of_two({isa::pulp::KERNEL_MAXPOOL, 4, 4, 6, 6, 2, 2, 0});
  EXPECT_EQ(n.loads, 2u * 12);
  EXPECT_EQ(n.load_use, 2u * 9);
  EXPECT_EQ(n.stores, 2u * 3);
}

// MAXPOOL 5x5x4, 3x3 windows, stride 2, pads 1, on one core: 3x3 outputs whose windows hold 2,
// 3 and 2 input rows (and columns) inside the tile: (2 + 3 + 2)^2 = 49 positions, a word each.
TEST(ElementwisePrograms, PoolsSkipThePadding) {
  const ElementwiseCall e = elementwise_call({isa::pulp::KERNEL_MAXPOOL, 5, 5, 4, 4, 3, 2, 1}, isa::pulp::PARALLEL_CO);
  EXPECT_EQ(count_ops(kernel_program(e.call, 0, 1)).loads, 49u);
  const ElementwiseCall a = elementwise_call({isa::pulp::KERNEL_AVGPOOL, 5, 5, 4, 4, 3, 2, 1}, isa::pulp::PARALLEL_CO);
  EXPECT_EQ(count_ops(kernel_program(a.call, 0, 1)).loads, 49u * 4);
}

// AVGPOOL 4x4x3, 2x2 windows, stride 2: output row 0 has 2 pixels x 3 channels, each 4 byte
// loads read by the add right after, and an sb.
TEST(ElementwisePrograms, AvgPoolLoadsEveryWindowByte) {
  const OpCounts n = row_zero_of_two({isa::pulp::KERNEL_AVGPOOL, 4, 4, 3, 3, 2, 2, 0});
  EXPECT_EQ(n.loads, 2u * 3 * 4);
  EXPECT_EQ(n.load_use, 2u * 3 * 4);
  EXPECT_EQ(n.stores, 2u * 3);
}

}  // namespace
}  // namespace wb::sim::pulp
