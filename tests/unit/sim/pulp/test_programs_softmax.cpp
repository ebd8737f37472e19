// SOFTMAX's per-core program (sim/pulp/programs_softmax.cpp): where it loads and stores, that
// the cores together store every output byte once, and its op counts against the three passes.
#include <gtest/gtest.h>

#include <cstdint>

#include "tests/unit/sim/pulp/programs_testing.h"

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

// 3 rows on 8 cores: chunks of 1, cores 3 to 7 have none.
TEST(SoftmaxPrograms, ACorePastTheLastRowHasAnEmptyProgram) {
  const SoftmaxCall s = softmax_call(3, 2, 5);
  for (int core = 0; core < 8; ++core) EXPECT_EQ(kernel_program(s.call, core, 8).empty(), core >= 3) << core;
}

}  // namespace
}  // namespace wb::sim::pulp
