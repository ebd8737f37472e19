// MATMUL's per-core program (sim/pulp/programs/matmul.cpp, product_program): where it loads
// and stores, that the cores together write every scratch and output byte once, a barrier
// between the transpose and the products on every core with work, its op counts against a
// hand count, and the cycles the core engine gives one core.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>

#include "isa/pulp_timing.h"
#include "sim/pulp/cores/core_engine.h"
#include "tests/unit/sim/pulp/programs/programs_testing.h"

namespace wb::sim::pulp {
namespace {

using isa::pulp::KernelCall;
using namespace programs_testing;

struct ProductCall {
  KernelCall call;
  Buffer a, b, scratch, output;
};

ProductCall product_call(std::uint32_t rows, std::uint32_t reduction, std::uint32_t columns, bool b_by_rows) {
  ProductCall s;
  KernelCall& c = s.call;
  c.set_kind(isa::pulp::KERNEL_MATMUL);
  c.set_parallel(isa::pulp::PARALLEL_HO);
  c.set_h_in(rows);
  c.set_h_out(rows);
  c.set_w_in(1);
  c.set_w_out(1);
  c.set_c_in(reduction);
  c.set_c_out(columns);
  c.set_k_h(1);
  c.set_k_w(1);
  c.set_stride_h(1);
  c.set_stride_w(1);
  c.set_input_signed(false);
  c.set_input_b_signed(true);
  c.set_output_signed(true);
  c.set_matmul_b_by_rows(b_by_rows);
  set_identity_requant(c);
  Layout layout;
  const auto buffer = [&](const char* name, std::uint64_t n) {
    const std::uint64_t at = layout.place(n);
    return Buffer{name, at, at + n};
  };
  const std::uint64_t b_bytes = std::uint64_t{columns} * reduction;
  s.a = buffer("a", std::uint64_t{rows} * reduction);
  s.b = buffer("b", b_bytes);
  s.scratch = buffer("scratch", b_by_rows ? b_bytes : 0);
  s.output = buffer("output", std::uint64_t{rows} * columns);
  c.set_input(s.a.begin);
  c.set_input_b(s.b.begin);
  c.set_im2col(s.scratch.begin);
  c.set_output(s.output.begin);
  return s;
}

std::uint64_t barriers(const CoreProgram& program) {
  return static_cast<std::uint64_t>(
      std::count_if(program.begin(), program.end(), [](const CoreOp& op) { return op.kind == CoreOpKind::Barrier; }));
}

TEST(MatMulProductPrograms, EveryLoadAndStoreLiesInsideItsBuffer) {
  for (const bool by_rows : {false, true}) {
    for (const int cores : {1, 3, 8}) {
      const ProductCall s = product_call(7, 10, 9, by_rows);
      expect_well_formed(s.call);
      for (int core = 0; core < cores; ++core) {
        const CoreProgram p = kernel_program(s.call, core, cores);
        const std::vector<Buffer> loads = by_rows ? std::vector<Buffer>{s.a, s.b, s.scratch} : std::vector<Buffer>{s.a, s.b};
        const std::vector<Buffer> stores = by_rows ? std::vector<Buffer>{s.scratch, s.output} : std::vector<Buffer>{s.output};
        EXPECT_EQ(stray_access(p, loads, stores), "") << "by_rows " << by_rows << ", core " << core << " of " << cores;
        // By rows every core with work meets the others at the one barrier; else there is none.
        EXPECT_EQ(barriers(p), by_rows && !p.empty() ? 1u : 0u) << "core " << core << " of " << cores;
      }
    }
  }
}

TEST(MatMulProductPrograms, TheCoresStoreEveryScratchAndOutputByteOnce) {
  for (const int cores : {1, 3, 8}) {
    const ProductCall s = product_call(5, 7, 6, true);
    const std::vector<CoreProgram> programs = programs_of(s.call, cores);
    expect_each_output_stored_once(programs, s.output, fmt::format("{} cores, output", cores));
    expect_each_output_stored_once(programs, s.scratch, fmt::format("{} cores, scratch", cores));
  }
}

// Two rows of a on 8 cores, b by rows with 3 scratch rows: cores 0-2 transpose one row each,
// cores 0 and 1 take an output row each; cores 3-7 have neither and no program at all.
TEST(MatMulProductPrograms, ACoreWithoutRowsOfEitherPassHasNoProgram) {
  const ProductCall s = product_call(2, 4, 3, true);
  for (int core = 0; core < 8; ++core) {
    EXPECT_EQ(kernel_program(s.call, core, 8).empty(), core >= 3) << core;
  }
}

// 3 rows of a, c_in 6 (1 word + 2 leftover bytes), c_out 5 (a 4-block + 1 leftover), b by
// rows, one core, per-tensor requant (4 ALU + sb per output):
//   transpose: 6 ALU + lp.setup; per scratch row (5) add + lp.setup + 6 x (lbu, sb) = 14:
//     7 + 70 = 77 ops, 30 loads each read by the next op, 30 stores; then the barrier (1).
//   products: the prologue's 17 ALU, then per pair or odd row 5 ALU and the loop's branch;
//   rows 0-1 (4x2): lp.setup; the 4-block: 6 setup ALU, 8 accumulator clears, lp.setup,
//     the word (4 + 2 lw, 8 pv.sdotsp.b), lp.setup, 2 bytes x (6 lb + 8 p.mac), 8 outputs x 5,
//     2 end ALU = 100; channel 4 (1x2): 2 + 2 + (1 + 5 + 1 + 2 x 5) + 2 x 5 + 1 + branch = 33;
//     pair total 5 + 1 + 100 + 33 + 1 = 140;
//   row 2 (4x1): lp.setup; the 4-block: 5 + 4 + 1 + (1 + 4 lw + 4 dots) + 1 + 2 x (5 lb + 4 p.mac)
//     + 4 x 5 + 2 = 60; channel 4: 1 + 1 + 1 + (2 lw + dot) + 1 + 2 x (2 lb + p.mac) + 5 + 1 +
//     branch = 20; row total 5 + 1 + 60 + 20 + 1 = 87.
// 77 + 1 + 17 + 140 + 87 = 322 ops.
TEST(MatMulProductPrograms, CountsFollowTheHandCount) {
  const ProductCall s = product_call(3, 6, 5, true);
  const CoreProgram program = kernel_program(s.call, 0, 1);
  const OpCounts n = count_ops(program);
  EXPECT_EQ(n.ops, 322u);
  // Loads: the transpose's 30; the pair's (6 + 2 x 6) + (3 + 2 x 3) = 27; row 2's
  // (5 + 2 x 5) + (2 + 2 x 2) = 21. Load-use: the transpose's 30 and the 1x1 bytes' 2.
  EXPECT_EQ(n.loads, 30u + 27u + 21u);
  EXPECT_EQ(n.load_use, 30u + 2u);
  EXPECT_EQ(n.stores, 30u + 15u);
  EXPECT_EQ(n.dot_products, 8u + 2u + 4u + 1u);
  EXPECT_EQ(barriers(program), 1u);
  // b as c_out x c_in: no transpose, no barrier: 322 - 78.
  EXPECT_EQ(kernel_program(product_call(3, 6, 5, false).call, 0, 1).size(), 322u - 78u);
}

// The same call through the core engine: every op a cycle; the 32 load-use stalls; 4 taken
// branches (the two leftover channels', the two row loops') at 2 extra each; the barrier's 11
// in place of its op's 1; and 6 misaligned words of two accesses each: a's row 1 at byte 6
// (loaded by the 4-block and by channel 4) and the scratch rows 1 and 3 at bytes 6 and 18
// (loaded by both 4-blocks). 322 + 32 + 8 + 10 + 6 = 378.
TEST(MatMulProductPrograms, OneCoreTakesTheHandCountedCycles) {
  const ProductCall s = product_call(3, 6, 5, true);
  ASSERT_EQ(s.a.begin % 4, 0u);
  ASSERT_EQ(s.scratch.begin % 4, 0u);
  CorePipeline pipeline;
  pipeline.barrier_cycles = 11;
  const CallRun run = run_call({kernel_program(s.call, 0, 1)}, 16, pipeline);
  EXPECT_EQ(run.cores.at(0).load_use_stall_cycles, 32u);
  EXPECT_EQ(run.cores.at(0).split_accesses, 6u);
  EXPECT_EQ(run.cycles, 378u);
}

// With matmul_b_transposed an earlier call left b transposed in the scratch: no transpose and
// no barrier on any core, the products read only a and the scratch (b not at all) and store
// only the output; one core's program is the products' 322 - 78 = 244 ops, and its cycles the
// 378 above less the transpose's 77 ops, their 30 load-use stalls and the barrier's 11: 260.
TEST(MatMulProductPrograms, WithBTransposedTheCoresSkipTheTransposeAndTheBarrier) {
  for (const int cores : {1, 3, 8}) {
    ProductCall s = product_call(7, 10, 9, true);
    s.call.set_matmul_b_transposed(true);
    expect_well_formed(s.call);
    for (int core = 0; core < cores; ++core) {
      const CoreProgram p = kernel_program(s.call, core, cores);
      EXPECT_EQ(stray_access(p, {s.a, s.scratch}, {s.output}), "") << "core " << core << " of " << cores;
      EXPECT_EQ(barriers(p), 0u) << "core " << core << " of " << cores;
    }
    expect_each_output_stored_once(programs_of(s.call, cores), s.output, fmt::format("{} cores, output", cores));
  }
  ProductCall s = product_call(3, 6, 5, true);
  s.call.set_matmul_b_transposed(true);
  const CoreProgram program = kernel_program(s.call, 0, 1);
  const OpCounts n = count_ops(program);
  EXPECT_EQ(n.ops, 322u - 78u);
  EXPECT_EQ(n.loads, 27u + 21u);
  EXPECT_EQ(n.stores, 15u);
  CorePipeline pipeline;
  pipeline.barrier_cycles = 11;
  const CallRun run = run_call({program}, 16, pipeline);
  EXPECT_EQ(run.cores.at(0).load_use_stall_cycles, 2u);
  EXPECT_EQ(run.cores.at(0).split_accesses, 6u);
  EXPECT_EQ(run.cycles, 378u - 77u - 30u - 11u);
}

}  // namespace
}  // namespace wb::sim::pulp
