// The PULP kernel cost model (perf/pulp/cost) for the grouped conv: with one group it costs
// exactly what the standard conv costs (every shape, variant and core count); with several,
// its cycles follow its inner loop (worked examples below, derived by hand from the counts of
// kernel_cycles(hw) (perf/pulp/kernel_cycles.def) and docs/pulp.md), and a Co split pays a pass per group a core touches.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "isa/hw_config.h"
#include "isa/pulp_program.h"
#include "isa/pulp_timing.h"
#include "perf/pulp/cost.h"
#include "tests/support/test_paths.h"

namespace wb::perf::pulp {

using namespace isa::pulp;  // the program format the model reads
namespace {

// Of the cluster's 8 cores the first `busy` each take `cycles` (and issue `loads` L1 loads,
// when given), the others nothing.
void expect_busy_cores(const KernelCost& cost, int busy, std::uint64_t cycles, std::optional<std::uint64_t> loads = {}) {
  ASSERT_EQ(cost.core_cycles.size(), 8u);
  for (int core = 0; core < 8; ++core) {
    const auto i = static_cast<std::size_t>(core);
    EXPECT_EQ(cost.core_cycles[i], core < busy ? cycles : 0u) << "core " << core;
    if (loads) {
      EXPECT_EQ(cost.core_loads[i], core < busy ? *loads : 0u) << "core " << core;
    }
  }
}

PulpParams gap8(const std::vector<std::string>& overrides = {}) {
  return load_hw_config(test::source_dir() / "configs" / "gap8.yaml", overrides).pulp();
}

// A conv call of the given output and window; the input covers the window (stride, padding).
KernelCall conv_call(std::uint32_t c_in, std::uint32_t c_out, std::uint32_t h_out, std::uint32_t w_out, std::uint32_t k,
                     std::uint32_t stride, std::uint32_t pad, Parallel parallel) {
  KernelCall call;
  call.set_kind(KERNEL_CONV);
  call.set_parallel(parallel);
  call.set_c_in(c_in);
  call.set_c_out(c_out);
  call.set_h_out(h_out);
  call.set_w_out(w_out);
  call.set_k_h(k);
  call.set_k_w(k);
  call.set_stride_h(stride);
  call.set_stride_w(stride);
  call.set_pad_top(pad);
  call.set_pad_bottom(pad);
  call.set_pad_left(pad);
  call.set_pad_right(pad);
  call.set_h_in((h_out - 1) * stride + k - 2 * pad);
  call.set_w_in((w_out - 1) * stride + k - 2 * pad);
  return call;
}

KernelCall grouped(KernelCall call, std::uint32_t groups) {
  call.set_kind(KERNEL_GROUPED_CONV);
  call.set_groups(groups);
  return call;
}

TEST(PulpCostGroupedConv, OneGroupCostsExactlyTheStandardConv) {
  const PulpParams hw = gap8();
  int compared = 0;
  for (const std::uint32_t k : {1u, 3u, 5u, 7u}) {
    for (const std::uint32_t c_in : {1u, 3u, 8u, 13u, 64u}) {
      for (const std::uint32_t c_out : {1u, 4u, 6u, 17u, 64u}) {
        for (const std::uint32_t h_out : {1u, 7u, 16u}) {
          for (const std::uint32_t w_out : {1u, 2u, 9u}) {
            for (const Parallel parallel : {PARALLEL_HO, PARALLEL_HOWO, PARALLEL_CO}) {
              for (const int cores : {1, 3, 8}) {
                const KernelCall conv = conv_call(c_in, c_out, h_out, w_out, k, k == 1 ? 1 : 2, k / 2, parallel);
                const KernelCost expected = kernel_cost(conv, hw, cores);
                const KernelCost actual = kernel_cost(grouped(conv, 1), hw, cores);
                ASSERT_EQ(actual.core_cycles, expected.core_cycles)
                    << "k " << k << " c_in " << c_in << " c_out " << c_out << " out " << h_out << "x" << w_out
                    << " parallel " << parallel << " cores " << cores;
                ASSERT_EQ(actual.core_loads, expected.core_loads);
                ASSERT_EQ(actual.conflict_cycles, expected.conflict_cycles);
                ASSERT_EQ(actual.cycles, expected.cycles);
                ++compared;
              }
            }
          }
        }
      }
    }
  }
  EXPECT_EQ(compared, 4 * 5 * 5 * 3 * 3 * 3 * 3);
}

// 2 groups of 16 -> 6 channels, 3x3, one output row of 3 pixels (a pair and an odd one), one
// core. Per group K = 3 * 3 * 16 = 144 bytes: 36 words. Per group 1 block of 4 channels and
// 2 leftover channels; 2 passes (one per group), 2 blocks, 4 leftover channels in all.
//   pixel pair: blocks 2 x (36 x 14 + 24 + 8 x 11) = 1232, leftovers 4 x (36 x 5 + 12 + 2 x 11) = 856,
//               pointer updates 2 passes x 10 = 20                                   -> 2108
//   odd pixel:  blocks 2 x (36 x 9 + 24 + 4 x 11) = 784, leftovers 4 x (36 x 3 + 12 + 11) = 524 -> 1308
//   im2col:     3 pixels x 2 passes x 3 kernel rows x (6 + 3 runs x 2 + 2 x 3 x 4 words) = 648
//   output row: 10
TEST(PulpCostGroupedConv, CyclesFollowTheInnerLoopPerGroup) {
  const PulpParams hw = gap8();
  const KernelCall call = grouped(conv_call(32, 12, 1, 3, 3, 1, 1, PARALLEL_HO), 2);
  const KernelCost cost = kernel_cost(call, hw, 1);
  ASSERT_EQ(cost.core_cycles.size(), 1u);
  EXPECT_EQ(cost.core_cycles[0], 2108u + 1308u + 648u + 10u);
  // Loads: pair 2 x (36 x 6 + 4) + 4 x (36 x 3 + 1) = 876; odd 2 x (36 x 5 + 4) + 4 x (36 x 2 + 1) = 660;
  // im2col one per word: 3 x 2 x 3 x 12 = 216.
  EXPECT_EQ(cost.core_loads[0], 876u + 660u + 216u);
  const KernelCycles& counts = kernel_cycles(hw);
  EXPECT_EQ(cost.cycles, static_cast<std::uint64_t>(counts.call_overhead + hw.wakeup_cycles + hw.barrier_cycles) +
                             cost.core_cycles[0]);  // one core: no bank conflicts
}

// Co splits output channels as the conv does (chunks of ceil(12 / 2) rounded to 4 = 8): core 0
// computes group 0's 6 channels and 2 of group 1's (2 passes), core 1 group 1's other 4 (1 pass).
// 1x1 over 4 channels per group (1 word), one pixel pair:
//   core 0: blocks 1 x (14 + 24 + 88) + leftovers 4 x (5 + 12 + 22) + 2 passes x 10 = 302,
//           im2col 2 pixels x 2 passes x (6 + 1 run x 2 + 1 word x 2) = 40, row 10      -> 352
//   core 1: blocks 1 x 126 + 1 pass x 10 = 136, im2col 2 x 1 x 10 = 20, row 10         -> 166
TEST(PulpCostGroupedConv, ACoreOfACoSplitPaysAPassPerGroupItTouches) {
  const PulpParams hw = gap8();
  const KernelCall call = grouped(conv_call(8, 12, 1, 2, 1, 1, 0, PARALLEL_CO), 2);
  const KernelCost cost = kernel_cost(call, hw, 2);
  ASSERT_EQ(cost.core_cycles.size(), 2u);
  EXPECT_EQ(cost.core_cycles[0], 352u);
  EXPECT_EQ(cost.core_cycles[1], 166u);
}

// The grouped conv's work per core is the conv's per group: G groups of a layer cost about
// 1/G of the standard conv of the same channels (its MACs), never less than the MACs allow.
TEST(PulpCostGroupedConv, GroupsDivideTheWorkOfTheStandardConv) {
  const PulpParams hw = gap8();
  const KernelCall conv = conv_call(64, 64, 8, 8, 3, 1, 1, PARALLEL_HO);
  const std::uint64_t standard = kernel_cost(conv, hw, 8).cycles;
  for (const std::uint32_t groups : {2u, 4u, 16u}) {
    const std::uint64_t cycles = kernel_cost(grouped(conv, groups), hw, 8).cycles;
    EXPECT_LT(cycles, standard) << groups;
    EXPECT_GT(cycles * groups, standard) << groups;  // per-group passes and im2col runs cost extra
    const std::uint64_t macs = 64ull * 64 * 9 * 64 / groups;
    EXPECT_GE(cycles * 32, macs) << groups;  // 8 cores x 4 MACs per cycle at most
  }
}

// ---------------------------------------------------------------------------------------
// LUT, MUL and GATHER: elementwise loops split as the add's (rows or channels across cores).

KernelCall elementwise(KernelKind kind, std::uint32_t h, std::uint32_t w, std::uint32_t c, Parallel parallel) {
  KernelCall call = conv_call(c, c, h, w, 1, 1, 0, parallel);
  call.set_kind(kind);
  return call;
}

// Per element: a byte load and store (im2col_word 2), the add to the table base and the
// table's load (lut_lookup 2) = 4 cycles, 2 loads; per row 10.
//   4 rows x 5 x 8 on one core: 160 x 4 + 4 x 10 = 680 cycles, 320 loads;
//   on 8 cores (rows): 4 cores of 1 row, 40 x 4 + 10 = 170, 80 loads each, 4 idle.
TEST(PulpCostLut, CyclesFollowTheInnerLoop) {
  const PulpParams hw = gap8();
  const KernelCost one = kernel_cost(elementwise(KERNEL_LUT, 4, 5, 8, PARALLEL_HO), hw, 1);
  ASSERT_EQ(one.core_cycles.size(), 1u);
  EXPECT_EQ(one.core_cycles[0], 680u);
  EXPECT_EQ(one.core_loads[0], 320u);
  const KernelCycles& counts = kernel_cycles(hw);
  EXPECT_EQ(one.cycles, static_cast<std::uint64_t>(counts.call_overhead + hw.wakeup_cycles + hw.barrier_cycles) + 680u);
  const KernelCost eight = kernel_cost(elementwise(KERNEL_LUT, 4, 5, 8, PARALLEL_HO), hw, 8);
  expect_busy_cores(eight, 4, 170);
}

// Per element: 2 byte loads and a p.mul (mul_operands 3) then the requant (11) = 14 cycles,
// 4 loads; per pixel 2 (loop setup, b's pointer); per row 10.
//   2 x 3 x 16 (SE gate b 1x1x16) on one core: 6 x (16 x 14 + 2) + 2 x 10 = 1376, 384 loads;
//   on 8 cores by channels: 2 channels each, 6 x (2 x 14 + 2) + 2 x 10 = 200.
TEST(PulpCostMul, CyclesFollowTheInnerLoop) {
  const PulpParams hw = gap8();
  KernelCall call = elementwise(KERNEL_MUL, 2, 3, 16, PARALLEL_HO);
  call.set_b_h(1);
  call.set_b_w(1);
  call.set_b_c(16);
  const KernelCost one = kernel_cost(call, hw, 1);
  EXPECT_EQ(one.core_cycles[0], 1376u);
  EXPECT_EQ(one.core_loads[0], 384u);
  call.set_parallel(PARALLEL_CO);
  const KernelCost eight = kernel_cost(call, hw, 8);
  for (const std::uint64_t c : eight.core_cycles) EXPECT_EQ(c, 200u);
}

// GATHER per element: lhu idx + sb (im2col_word 2), the add to the pixel base + lbu
// (lut_lookup 2) = 4 cycles, 2 loads; per pixel 3 (loop setup and the index pointer's rewind,
// mul_pixel_overhead 2, + the pixel base's advance, gather_pixel_advance 1); per row 10.
//   a slice 2 x 3 x 24 -> 12 channels on one core: 6 x (12 x 4 + 3) + 2 x 10 = 326, 144 loads;
//   on 8 cores by channels: 6 cores of 2, 6 x (2 x 4 + 3) + 2 x 10 = 86, 24 loads, 2 idle;
//   on 8 cores by rows: 2 cores of 1 row, 3 x 51 + 10 = 163.
TEST(PulpCostGather, CyclesFollowTheInnerLoop) {
  const PulpParams hw = gap8();
  KernelCall call = elementwise(KERNEL_GATHER, 2, 3, 24, PARALLEL_HO);
  call.set_c_out(12);
  const KernelCost one = kernel_cost(call, hw, 1);
  ASSERT_EQ(one.core_cycles.size(), 1u);
  EXPECT_EQ(one.core_cycles[0], 326u);
  EXPECT_EQ(one.core_loads[0], 144u);
  const KernelCycles& counts = kernel_cycles(hw);
  EXPECT_EQ(one.cycles, static_cast<std::uint64_t>(counts.call_overhead + hw.wakeup_cycles + hw.barrier_cycles) + 326u);
  const KernelCost rows = kernel_cost(call, hw, 8);
  expect_busy_cores(rows, 2, 163);
  call.set_parallel(PARALLEL_CO);
  const KernelCost channels = kernel_cost(call, hw, 8);
  expect_busy_cores(channels, 6, 86, 24);
  // Its 2 loads per element meet 5 other cores on 16 banks, losing half:
  // 24 x 5 x (24 / 86) / 16 x 0.5 = 1.05, so 1 cycle.
  EXPECT_EQ(channels.conflict_cycles, 1u);
  EXPECT_EQ(channels.cycles, static_cast<std::uint64_t>(counts.call_overhead + hw.wakeup_cycles + hw.barrier_cycles) +
                                 86u + channels.conflict_cycles);
}

// SOFTMAX per element (docs/pulp.md, "Softmax"): pass 1 softmax_max 2 (lb, p.max); pass 2
// softmax_index 2 (lb, slli) + lut_lookup 2 (add, lw) + softmax_accumulate 1; pass 3 the same
// lookup 4 + softmax_normalise 4 (slli, add, p.minu, sb) + softmax_divide 18 (divu: 3 + at most
// 15 leading zeros of a sum >= 2^16) = 33 cycles and 5 loads; per pixel softmax_pixel_overhead
// 11; per row 10.
//   2 x 3 x 10 on one core: 6 x (10 x 33 + 11) + 2 x 10 = 2066 cycles, 300 loads;
//   on 8 cores (rows): 2 cores of 1 row, 3 x 341 + 10 = 1033 cycles, 150 loads, 6 idle, and
//   150 x 1 x (150 / 1033) / 16 x 0.5 = 0.68, so 1 cycle of bank conflicts;
//   a classifier's 1 x 1 x 10 on 8 cores: one core, 341 + 10 = 351.
TEST(PulpCostSoftmax, CyclesFollowTheThreePasses) {
  const PulpParams hw = gap8();
  const KernelCycles& counts = kernel_cycles(hw);
  const int per_element = counts.softmax_max + (counts.softmax_index + counts.lut_lookup + counts.softmax_accumulate) +
                          (counts.softmax_index + counts.lut_lookup + counts.softmax_normalise + counts.softmax_divide);
  ASSERT_EQ(per_element, 33);
  ASSERT_EQ(counts.softmax_pixel_overhead, 11);
  ASSERT_EQ(counts.softmax_divide, 3 + 15);  // the divider's 3 + the leading zeros of 2^16

  KernelCall call = elementwise(KERNEL_SOFTMAX, 2, 3, 10, PARALLEL_HO);
  const KernelCost one = kernel_cost(call, hw, 1);
  ASSERT_EQ(one.core_cycles.size(), 1u);
  EXPECT_EQ(one.core_cycles[0], 6u * (10u * 33u + 11u) + 2u * 10u);
  EXPECT_EQ(one.core_cycles[0], 2066u);
  EXPECT_EQ(one.core_loads[0], 300u);
  EXPECT_EQ(one.conflict_cycles, 0u);
  EXPECT_EQ(one.cycles, static_cast<std::uint64_t>(counts.call_overhead + hw.wakeup_cycles + hw.barrier_cycles) + 2066u);

  const KernelCost rows = kernel_cost(call, hw, 8);
  expect_busy_cores(rows, 2, 1033, 150);
  EXPECT_EQ(rows.conflict_cycles, 1u);
  EXPECT_EQ(rows.cycles,
            static_cast<std::uint64_t>(counts.call_overhead + hw.wakeup_cycles + hw.barrier_cycles) + 1033u + 1u);

  // A pixel's channels are never split: a CO call (which validation refuses) costs the rows' split.
  call.set_parallel(PARALLEL_CO);
  EXPECT_EQ(kernel_cost(call, hw, 8).core_cycles, rows.core_cycles);

  const KernelCost classifier = kernel_cost(elementwise(KERNEL_SOFTMAX, 1, 1, 10, PARALLEL_HO), hw, 8);
  EXPECT_EQ(classifier.core_cycles, (std::vector<std::uint64_t>{351, 0, 0, 0, 0, 0, 0, 0}));

  // Each division costs softmax_divide: the data-independent bound, one per element. The count
  // is a HwConfig key: --set moves the cost.
  const PulpParams worst = gap8({"predictor.softmax_divide=35"});  // the divider's worst case (a divisor of 0)
  EXPECT_EQ(kernel_cost(elementwise(KERNEL_SOFTMAX, 2, 3, 10, PARALLEL_HO), worst, 1).core_cycles[0],
            2066u + 60u * (35u - 18u));
}

// LayerNorm per pixel of C channels: layernorm_stats_word (4) per 4 channels and per leftover
// one, layernorm_element (24) per element, layernorm_pixel (348) and kLayerNormDividesPerPixel
// (20) x layernorm_divide (18); per row 10. Loads: the statistics' words and leftovers, 4 per
// element. 2 x 3 pixels of 8 channels on one core: 6 x (2 x 4 + 8 x 24 + 348 + 360) + 2 x 10 =
// 6 x 908 + 20 = 5468 cycles, 6 x 34 = 204 loads; of 7 channels: 4 x (1 + 3) + 7 x 24 + 708 = 892
// per pixel. On 8 cores: 2 cores of one row, 3 x 908 + 10 = 2734 each.
TEST(PulpCostLayerNorm, CyclesFollowTheTwoPassesAndTheRowsArithmetic) {
  const PulpParams hw = gap8();
  const KernelCycles& counts = kernel_cycles(hw);
  ASSERT_EQ(counts.layernorm_stats_word, 4);
  ASSERT_EQ(counts.layernorm_element, 24);
  ASSERT_EQ(counts.layernorm_pixel, 348);
  ASSERT_EQ(counts.layernorm_divide, 18);
  ASSERT_EQ(kLayerNormDividesPerPixel, 20);
  const KernelCall call = elementwise(KERNEL_LAYERNORM, 2, 3, 8, PARALLEL_HO);
  const KernelCost one = kernel_cost(call, hw, 1);
  EXPECT_EQ(one.core_cycles[0], 5468u);
  EXPECT_EQ(one.core_loads[0], 204u);
  EXPECT_EQ(kernel_cost(elementwise(KERNEL_LAYERNORM, 1, 1, 7, PARALLEL_HO), hw, 1).core_cycles[0], 892u + 10u);
  expect_busy_cores(kernel_cost(call, hw, 8), 2, 2734);
  // The divisions are a key: --set moves them (the divider's worst case, 35).
  EXPECT_EQ(kernel_cost(call, gap8({"predictor.layernorm_divide=35"}), 1).core_cycles[0], 5468u + 6u * 20u * 17u);
}

// The RMSNorm form: rmsnorm_stats_word (3), rmsnorm_element (22), rmsnorm_pixel (335), the same
// 20 divu: 2 x 3 + 8 x 22 + 335 + 360 = 877 a pixel of 8 channels, 6 x 877 + 2 x 10 = 5282.
TEST(PulpCostLayerNorm, AnRmsNormHasItsOwnCounts) {
  KernelCall call = elementwise(KERNEL_LAYERNORM, 2, 3, 8, PARALLEL_HO);
  call.set_layernorm_rms(true);
  EXPECT_EQ(kernel_cost(call, gap8(), 1).core_cycles[0], 5282u);
  EXPECT_EQ(kernel_cost(call, gap8({"predictor.rmsnorm_pixel=400"}), 1).core_cycles[0], 5282u + 6u * 65u);
}

// A matmul of `rows` rows of a, c_in `reduction`, c_out `columns`.
KernelCall product_call(std::uint32_t rows, std::uint32_t reduction, std::uint32_t columns, bool b_by_rows) {
  KernelCall call = conv_call(reduction, columns, rows, 1, 1, 1, 0, PARALLEL_HO);
  call.set_kind(KERNEL_MATMUL);
  call.set_matmul_b_by_rows(b_by_rows);
  return call;
}

// MatMul, 3 rows of a, c_in 6 (a word and 2 tail bytes), c_out 5 (a 4-block and 1 leftover),
// one core, every operand at address 0 (rows of 6 bytes: a's row 1 and b's rows 1 and 3 start
// off a word). The counts (docs/pulp.md "MatMul"), each setup + 1 for the tail loop's lp.setup,
// requant 5, a tail byte as a word's iteration:
//   the pair: the block 3 x 14 + 18 + 8 x 5 = 100, the leftover 3 x 5 + 10 + 2 x 5 = 35;
//   the odd row: the block 3 x 9 + (18 - 5) + 4 x 5 = 60, the leftover 1 x 3 + 2 x 4 + (10 - 2)
//   + 5 = 24; 2 x matmul_product_pair 9; misaligned words: per word of K (1) each pair or odd row
//   loads b's 2 off-word rows once and its own off-word row (row 1) once per channel group (2):
//   2 x 2 + 2 x 1 = 6, one extra cycle each. 100 + 35 + 60 + 24 + 18 + 6 = 243 (the core
//   program's 260 for these loops, test_programs_matmul_product's count, less its prologue's 17).
//   b by rows, the transpose first: kMatMulTransposeSetup 7, per scratch row im2col_run_setup 2,
//     per byte im2col_word 2 + the load-use stall 1: 7 + 5 x (2 + 6 x 3) = 107, and the barrier
//     between, 11.
// Loads: the pair 3 x 6 + 3 x 3, the odd row 3 x 5 + 3 x 2: 48; the transpose's 30. The call:
// call_overhead 60, wakeup 4, the closing barrier 11.
TEST(PulpCostMatMul, CyclesFollowTheMatmulKernelAndTheTranspose) {
  const PulpParams hw = gap8();
  const KernelCycles& k = kernel_cycles(hw);
  ASSERT_EQ(k.matmul_4x2_iteration, 14);
  ASSERT_EQ(k.matmul_4x1_iteration, 9);
  ASSERT_EQ(k.matmul_1x2_iteration, 5);
  ASSERT_EQ(k.matmul_product_block_setup, 17);
  ASSERT_EQ(k.matmul_product_leftover_setup, 9);
  ASSERT_EQ(k.matmul_product_pair, 9);
  ASSERT_EQ(k.requant_per_tensor, 5);
  ASSERT_EQ(k.misaligned_load, 2);
  ASSERT_EQ(k.im2col_run_setup, 2);
  ASSERT_EQ(k.im2col_word, 2);
  ASSERT_EQ(hw.core.load_use_stall_cycles, 1);
  ASSERT_EQ(hw.barrier_cycles, 11);
  ASSERT_EQ(kMatMulTransposeSetup, 7);
  const KernelCost plain = kernel_cost(product_call(3, 6, 5, false), hw, 1);
  EXPECT_EQ(plain.core_cycles[0], 243u);
  EXPECT_EQ(plain.core_loads[0], 48u);
  EXPECT_EQ(plain.cycles, 60u + 4u + 11u + 243u);
  const KernelCost by_rows = kernel_cost(product_call(3, 6, 5, true), hw, 1);
  EXPECT_EQ(by_rows.core_cycles[0], 243u + 107u);
  EXPECT_EQ(by_rows.core_loads[0], 48u + 30u);
  EXPECT_EQ(by_rows.cycles, 60u + 4u + 11u + 107u + 11u + 243u);
  // c_in 8: two words, no tail, every row on a word.
  EXPECT_EQ(kernel_cost(product_call(3, 8, 5, false), hw, 1).core_cycles[0],
            (2u * 14 + 17 + 40) + (2u * 5 + 9 + 10) + (2u * 9 + 12 + 20) + (2u * 3 + 7 + 5) + 18);
  // On 8 cores, 16 rows and 8 scratch rows: each core a pair of rows (one of them, the odd
  // one, off a word) and a scratch row. Per core: 2 blocks x 100 + 9 + (1 x (4 off-word rows of
  // b + 2 groups x 1)) = 215, the transpose 7 + 2 + 6 x 3 = 27; every core busy.
  const KernelCost eight = kernel_cost(product_call(16, 6, 8, true), hw, 8);
  expect_busy_cores(eight, 8, 215u + 27u);
  EXPECT_EQ(eight.cycles - eight.conflict_cycles, 60u + 4u + 11u + 27u + 11u + 215u);
}

// A depthwise call of `channels` channels, 3x3, the given output, stride and pads (the input
// covers the windows).
KernelCall depthwise_call(std::uint32_t channels, std::uint32_t h_out, std::uint32_t w_out, std::uint32_t stride,
                          std::uint32_t pad_top, std::uint32_t pad_bottom, std::uint32_t pad_left,
                          std::uint32_t pad_right, bool plane) {
  KernelCall call;
  call.set_kind(KERNEL_DEPTHWISE);
  call.set_parallel(PARALLEL_CO);
  call.set_depthwise_plane(plane);
  call.set_c_in(channels);
  call.set_c_out(channels);
  call.set_h_out(h_out);
  call.set_w_out(w_out);
  call.set_k_h(3);
  call.set_k_w(3);
  call.set_stride_h(stride);
  call.set_stride_w(stride);
  call.set_pad_top(pad_top);
  call.set_pad_bottom(pad_bottom);
  call.set_pad_left(pad_left);
  call.set_pad_right(pad_right);
  call.set_h_in((h_out - 1) * stride + 3 - pad_top - pad_bottom);
  call.set_w_in((w_out - 1) * stride + 3 - pad_left - pad_right);
  return call;
}

// The plane depthwise kernel, stride 1, 2 channels of 4 x 8 outputs from 4 x 8 inputs with a
// pad of 1 all round, one core (docs/pulp.md, "Plane depthwise"):
//   border, once: 2 pad rows x 12-byte pitch / 4 + 4 rows x 2 pad columns = 14;
//   per output row: 10 + 2 steps x (3 kernel rows x 7 + 4 outputs x (11 requant + 1 init)) = 148;
//   per channel: gather 32 bytes x 3 + 4 rows x 2 + filter 12 + channel 20 + 4 x 148 = 728;
//   total 14 + 2 x 728 = 1470 cycles. Loads per channel: 32 + 3 + 4 rows x 2 steps x 14 = 147.
// Stride 2, 1 channel of 2 x 3 outputs from 4 x 6 inputs, pads 1 top and left:
//   border: 1 x 8 / 4 + 4 x 1 = 6; per output row: 10 + (3 x 5 + 2 x 12) + (3 x 2 + 12) = 67;
//   the channel: 24 x 3 + 4 x 2 + 32 + 2 x 67 = 246; total 252.
TEST(PulpCostDepthwisePlane, CyclesFollowTheInnerLoop) {
  const PulpParams hw = gap8();
  const KernelCost s1 = kernel_cost(depthwise_call(2, 4, 8, 1, 1, 1, 1, 1, true), hw, 1);
  ASSERT_EQ(s1.core_cycles.size(), 1u);
  EXPECT_EQ(s1.core_cycles[0], 1470u);
  EXPECT_EQ(s1.core_loads[0], 2u * 147u);
  const KernelCost s2 = kernel_cost(depthwise_call(1, 2, 3, 2, 1, 0, 1, 0, true), hw, 1);
  EXPECT_EQ(s2.core_cycles[0], 252u);
  // Channels split across the cores as the window kernel's: 16 channels on 8 cores, 2 each,
  // each core zeroing its own plane's border.
  const KernelCost eight = kernel_cost(depthwise_call(16, 4, 8, 1, 1, 1, 1, 1, true), hw, 8);
  expect_busy_cores(eight, 8, 1470);
}

// Where the window kernel pays for assembling every window (2 per window byte) and a dot product
// per 4 of its bytes, the plane kernel's steps share the loaded words: on MobileNetV1's shapes it
// is faster, stride 1 and stride 2, whole planes and small tiles.
TEST(PulpCostDepthwisePlane, IsFasterThanTheWindowKernelOnMobileNetShapes) {
  const PulpParams hw = gap8();
  for (const auto& [h, w, stride] : {std::tuple{64u, 64u, 1u}, std::tuple{8u, 8u, 1u}, std::tuple{16u, 16u, 2u},
                                     std::tuple{4u, 4u, 2u}, std::tuple{2u, 3u, 1u}}) {
    const std::uint64_t window = kernel_cost(depthwise_call(32, h, w, stride, 1, 1, 1, 1, false), hw, 8).cycles;
    const std::uint64_t plane = kernel_cost(depthwise_call(32, h, w, stride, 1, 1, 1, 1, true), hw, 8).cycles;
    EXPECT_LT(plane, window) << h << "x" << w << " stride " << stride;
  }
}

// A copy of 3 rows of 16 bytes, 32 apart at the source and packed at the destination: rows that
// cannot merge, so the core programs one 2-D transfer per row, dma_command_cycles each (the
// HwConfig key, 12 by default: 3 x 12 = 36), and --set moves it (3 x 20 = 60).
TEST(PulpCostDma, EachRowIsACommandOfDmaCommandCycles) {
  DmaCopy copy;
  copy.set_chunk_bytes(16);
  copy.set_count(1);
  copy.set_rows(3);
  copy.set_source_row_stride(32);
  copy.set_destination_row_stride(16);
  EXPECT_EQ(dma_cost(copy, gap8()).issue_cycles, 36u);
  EXPECT_EQ(dma_cost(copy, gap8({"dma_command_cycles=20"})).issue_cycles, 60u);
  // The data's cycles do not depend on it.
  EXPECT_EQ(dma_cost(copy, gap8()).busy_cycles, dma_cost(copy, gap8({"dma_command_cycles=20"})).busy_cycles);
}

}  // namespace
}  // namespace wb::perf::pulp
