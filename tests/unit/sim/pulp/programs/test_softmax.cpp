// SOFTMAX's per-core program (sim/pulp/programs/softmax.cpp): where it loads and stores, that
// the cores together store every output byte once, and its op counts against the three passes.
#include <gtest/gtest.h>

#include <cstdint>

#include "tests/unit/sim/pulp/programs/programs_testing.h"

namespace wb::sim::pulp {
namespace {

using isa::pulp::KernelCall;
using namespace programs_testing;

struct SoftmaxCall {
  KernelCall call;
  Buffer input, table, output;
};

SoftmaxCall softmax_call(std::uint32_t h, std::uint32_t w, std::uint32_t channels) {
  SoftmaxCall s;
  KernelCall& c = s.call;
  c.set_kind(isa::pulp::KERNEL_SOFTMAX);
  c.set_parallel(isa::pulp::PARALLEL_HO);
  c.set_h_in(h);
  c.set_w_in(w);
  c.set_c_in(channels);
  c.set_h_out(h);
  c.set_w_out(w);
  c.set_c_out(channels);
  c.set_k_h(1);
  c.set_k_w(1);
  c.set_stride_h(1);
  c.set_stride_w(1);
  c.set_input_signed(true);
  Layout layout;
  const std::uint64_t bytes = std::uint64_t{h} * w * channels;
  const auto buffer = [&](const char* name, std::uint64_t n) {
    const std::uint64_t at = layout.place(n);
    return Buffer{name, at, at + n};
  };
  s.input = buffer("input", bytes);
  s.table = buffer("exp table", 4 * 256);  // 256 uint32 entries
  s.output = buffer("output", bytes);
  c.set_input(s.input.begin);
  c.set_weights(s.table.begin);
  c.set_output(s.output.begin);
  return s;
}

TEST(SoftmaxPrograms, EveryLoadAndStoreLiesInsideItsBuffer) {
  // 300 channels: the table lookups of channels past 256 too.
  for (const std::uint32_t channels : {5u, 300u}) {
    for (const int cores : {1, 3, 8}) {
      const SoftmaxCall s = softmax_call(5, 2, channels);
      expect_well_formed(s.call);
      for (int core = 0; core < cores; ++core) {
        EXPECT_EQ(stray_access(kernel_program(s.call, core, cores), {s.input, s.table}, {s.output}), "")
            << channels << " channels, core " << core << " of " << cores;
      }
    }
  }
}

TEST(SoftmaxPrograms, TheCoresStoreEveryOutputByteOnce) {
  for (const int cores : {1, 3, 8}) {
    const SoftmaxCall s = softmax_call(5, 2, 7);
    expect_each_output_stored_once(programs_of(s.call, cores), s.output, fmt::format("{} cores", cores));
  }
}

// 3 rows x 2 columns x 5 channels on 2 cores: core 0 has rows 0 and 1, 4 pixels. Per element:
// pass 1 loads x; pass 2 loads x and its table entry; pass 3 loads both again, divides once
// and stores once: 5 loads (each read by the instruction after it), 1 divu, 1 sb.
TEST(SoftmaxPrograms, ThreePassesPerPixelAndADivisionPerElement) {
  const SoftmaxCall s = softmax_call(3, 2, 5);
  const OpCounts n = count_ops(kernel_program(s.call, 0, 2));
  const std::uint64_t elements = 4 * 5;
  EXPECT_EQ(n.loads, elements * 5);
  EXPECT_EQ(n.load_use, elements * 5);
  EXPECT_EQ(n.divides, elements);
  EXPECT_EQ(n.stores, elements);
}

// Under Swin's region labels (2 windows of 2 heads of 4 tokens: 16 rows of 4 keys, this call's
// rows 5 .. 12): the labels after the exp table are read per row (the query's) and per element
// in each pass (the key's), inside the table's buffer with its 8 labels; a core's first row is
// located with a divu and a remu. Core 0 of 2 has rows 5 .. 8, 16 elements: 3 more loads each
// (none read by the next instruction) and one per row, 2 more divisions.
TEST(SoftmaxPrograms, RegionLabelsAreReadInsideTheTableAndCountedPerPass) {
  SoftmaxCall s = softmax_call(8, 1, 4);
  s.call.set_softmax_label_tokens(4);
  s.call.set_softmax_label_heads(2);
  s.call.set_softmax_label_windows(2);
  s.call.set_softmax_row0(5);
  expect_well_formed(s.call);
  const Buffer table_and_labels{"exp table and labels", s.table.begin, s.table.end + 8};
  const Buffer output{"output", s.output.begin + 8, s.output.end + 8};
  // The labels lie where the output buffer began: move the output past them.
  s.call.set_output(output.begin);
  for (int core = 0; core < 2; ++core) {
    EXPECT_EQ(stray_access(kernel_program(s.call, core, 2), {s.input, table_and_labels}, {output}), "") << core;
  }
  const SoftmaxCall plain = softmax_call(8, 1, 4);
  const OpCounts n = count_ops(kernel_program(s.call, 0, 2));
  const OpCounts p = count_ops(kernel_program(plain.call, 0, 2));
  const std::uint64_t rows = 4, elements = rows * 4;
  EXPECT_EQ(n.loads, p.loads + 3 * elements + rows);
  EXPECT_EQ(n.load_use, p.load_use - elements) << "pass 1 loads x before the mask, not right before its use";
  EXPECT_EQ(n.divides, p.divides + 2);
  EXPECT_EQ(n.stores, p.stores);
}

// Under a causal mask (4 queries a head, no cached keys; this call's rows 2 .. 9, core 0 of 2
// has rows 2 .. 5: queries 2, 3, 0, 1 keeping 3, 4, 1, 2 of 4 keys): the passes run over the
// kept keys alone (5 loads and a division each), the masked keys get a store of zero, every
// output byte is stored once, and a core's first row is located with one remu.
TEST(SoftmaxPrograms, ACausalMaskLoopsOverTheKeptKeysAndZeroesTheRest) {
  SoftmaxCall s = softmax_call(8, 1, 4);
  s.call.set_softmax_causal_queries(4);
  s.call.set_softmax_row0(2);
  expect_well_formed(s.call);
  for (const int cores : {1, 2, 8}) {
    expect_each_output_stored_once(programs_of(s.call, cores), s.output, fmt::format("{} cores", cores));
  }
  const SoftmaxCall plain = softmax_call(8, 1, 4);
  const OpCounts n = count_ops(kernel_program(s.call, 0, 2));
  const OpCounts p = count_ops(kernel_program(plain.call, 0, 2));
  const std::uint64_t kept = 3 + 4 + 1 + 2, masked = 16 - kept;
  EXPECT_EQ(n.loads, kept * 5);
  EXPECT_EQ(n.divides, kept + 1);
  EXPECT_EQ(n.stores, p.stores) << "kept keys their probability, masked ones 0";
  EXPECT_EQ(p.divides - (n.divides - 1), masked);
}

// 3 rows on 8 cores: chunks of 1, cores 3 to 7 have none.
TEST(SoftmaxPrograms, ACorePastTheLastRowHasAnEmptyProgram) {
  const SoftmaxCall s = softmax_call(3, 2, 5);
  for (int core = 0; core < 8; ++core) EXPECT_EQ(kernel_program(s.call, core, 8).empty(), core >= 3) << core;
}

}  // namespace
}  // namespace wb::sim::pulp
