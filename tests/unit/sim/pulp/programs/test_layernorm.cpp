// LAYERNORM's per-core program (sim/pulp/programs/layernorm.cpp): where it loads and stores, that
// the cores together store every output byte once, its op counts against a hand count of the
// two passes and the row's arithmetic, and the cycles the core engine gives one core.
#include <gtest/gtest.h>

#include <cstdint>

#include "isa/pulp_timing.h"
#include "perf/pulp/kernel_cycles.h"
#include "sim/pulp/cores/core_engine.h"
#include "tests/unit/sim/pulp/programs/programs_testing.h"

namespace wb::sim::pulp {
namespace {

using isa::pulp::KernelCall;
using namespace programs_testing;

struct LayerNormCall {
  KernelCall call;
  Buffer input, table, output;
};

LayerNormCall layernorm_call(std::uint32_t h, std::uint32_t w, std::uint32_t channels) {
  LayerNormCall s;
  KernelCall& c = s.call;
  c.set_kind(isa::pulp::KERNEL_LAYERNORM);
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
  c.set_output_signed(true);
  c.set_layernorm_shift(45);
  c.set_layernorm_eps_mantissa(5);
  c.set_layernorm_eps_exponent(-2);
  c.set_layernorm_eps_ceil(2);  // ceil(5 / 4)
  Layout layout;
  const std::uint64_t bytes = std::uint64_t{h} * w * channels;
  const auto buffer = [&](const char* name, std::uint64_t n) {
    const std::uint64_t at = layout.place(n);
    return Buffer{name, at, at + n};
  };
  s.input = buffer("input", bytes);
  s.table = buffer("gamma and beta", 12 * std::uint64_t{channels});
  s.output = buffer("output", bytes);
  c.set_input(s.input.begin);
  c.set_weights(s.table.begin);
  c.set_output(s.output.begin);
  return s;
}

TEST(LayerNormPrograms, EveryLoadAndStoreLiesInsideItsBuffer) {
  for (const std::uint32_t channels : {1u, 6u, 64u}) {
    for (const int cores : {1, 3, 8}) {
      const LayerNormCall s = layernorm_call(5, 2, channels);
      expect_well_formed(s.call);
      for (int core = 0; core < cores; ++core) {
        EXPECT_EQ(stray_access(kernel_program(s.call, core, cores), {s.input, s.table}, {s.output}), "")
            << channels << " channels, core " << core << " of " << cores;
      }
    }
  }
}

TEST(LayerNormPrograms, TheCoresStoreEveryOutputByteOnce) {
  for (const int cores : {1, 3, 8}) {
    const LayerNormCall s = layernorm_call(5, 2, 7);
    expect_each_output_stored_once(programs_of(s.call, cores), s.output, fmt::format("{} cores", cores));
  }
}

// 3 rows x 2 columns x 6 channels on 2 cores: core 0 has rows 0 and 1, 4 pixels. Per pixel:
//   pass 1: 1 word (lw + 2 pv.sdotsp.b) and 2 leftover channels (lb + add + p.mac), each load
//     read by the next instruction: 3 loads, 3 load-use, 9 ops; 2 clears and its lp.setup;
//   between the passes: 12 + 2 + 11 + 28 + 20 = 73 Alu, 6 Newton steps of 39 Alu + 3 divu,
//     the reciprocal's 31 Alu + 2 divu: 20 divu, 73 + 234 + 31 = 338 Alu;
//   pass 2: 3 + 3 Alu (constants, rewinds), lp.setup, per channel lb + 3 lw, 19 Alu, sb (24).
// Per row 2 Alu. So per pixel 3 + 9 + 338 + 20 + 7 + 6 x 24 = 521 ops, 3 + 24 = 27 loads.
TEST(LayerNormPrograms, CountsFollowTheHandCount) {
  const LayerNormCall s = layernorm_call(3, 2, 6);
  const OpCounts n = count_ops(kernel_program(s.call, 0, 2));
  const std::uint64_t rows = 2, pixels = 4, elements = pixels * 6;
  EXPECT_EQ(n.loads, pixels * 3 + elements * 4);
  EXPECT_EQ(n.load_use, pixels * 3);
  EXPECT_EQ(n.stores, elements);
  EXPECT_EQ(n.divides, pixels * 20);
  EXPECT_EQ(n.dot_products, 0u);
  EXPECT_EQ(n.ops, rows * 2 + pixels * 521);
  EXPECT_EQ(kernel_program(s.call, 1, 2).size(), 2u + 2u * 521u);  // row 2's 2 pixels
}

// One core, one row of 2 pixels of 8 channels (whole words, word-aligned pixels): every op a
// cycle, each divu core.divide_cycles (18), each load-use a stall. Per pixel 2 words:
// 3 + 2 x 3 + 338 + 20 + 7 + 8 x 24 = 566 ops, 20 of them divu, 2 stalls:
// 546 + 20 x 18 + 2 = 908 cycles; with the row's 2: 2 + 2 x 908 = 1818.
TEST(LayerNormPrograms, OneCoreTakesTheHandCountedCycles) {
  const LayerNormCall s = layernorm_call(1, 2, 8);
  const CoreProgram program = kernel_program(s.call, 0, 1);
  ASSERT_EQ(program.size(), 2u + 2u * 566u);
  const CallRun run = run_call({program}, 16, CorePipeline{});
  EXPECT_EQ(run.cores.at(0).load_use_stall_cycles, 4u);
  EXPECT_EQ(run.cores.at(0).split_accesses, 0u);
  EXPECT_EQ(run.cycles, 1818u);
}

// The RMSNorm form (layernorm_rms) of the same call: per pixel one sum cleared and lp.setup (2),
// 2 words of lw + 1 pv.sdotsp.b (4), between the passes 1 + 1 + 11 + 28 + 20 + 234 + 31 = 326
// Alu and the 20 divu, pass 2's 7 and 8 x (4 loads + 17 Alu + sb = 22): 535 ops, 2 stalls:
// 515 + 20 x 18 + 2 = 877 cycles a pixel, 2 + 2 x 877 = 1756; the predictor's rmsnorm_* keys
// (3 a word, 22 an element, 335 a pixel) give the same 877.
TEST(LayerNormPrograms, AnRmsNormSkipsTheSumAndTheCentring) {
  LayerNormCall s = layernorm_call(1, 2, 8);
  s.call.set_layernorm_rms(true);
  expect_well_formed(s.call);
  const CoreProgram program = kernel_program(s.call, 0, 1);
  ASSERT_EQ(program.size(), 2u + 2u * 535u);
  const OpCounts n = count_ops(program);
  EXPECT_EQ(n.loads, 2u * (2u + 8u * 4u));
  EXPECT_EQ(n.divides, 2u * 20u);
  const CallRun run = run_call({program}, 16, CorePipeline{});
  EXPECT_EQ(run.cores.at(0).load_use_stall_cycles, 4u);
  EXPECT_EQ(run.cycles, 1756u);
  const perf::pulp::KernelCycles keys;
  EXPECT_EQ(2u * 3u + 8u * 22u + 335u + 20u * 18u, 877u);
  EXPECT_EQ(keys.rmsnorm_stats_word, 3);
  EXPECT_EQ(keys.rmsnorm_element, 22);
  EXPECT_EQ(keys.rmsnorm_pixel, 335);
}

}  // namespace
}  // namespace wb::sim::pulp
