#pragma once
// The PULP cluster's timing facts: the core pipeline as HwConfig data (PulpParams::core, each
// key declared once with its default and its source in isa/hw_keys_pulp_core.def; sim/pulp's
// core engine reads it), and constants of the kernels' code. The predictor's instruction counts
// are perf/pulp's own keys (perf/pulp/kernel_cycles.h).

namespace wb {

// LayerNorm's integer square root runs a data-dependent number of Newton steps, at most
// quant::kIsqrtMaxSteps = 7 (compiler/quant/integer_layernorm.h; a test checks they agree). A
// program may not depend on data: the layernorm program and the predictor charge all 7 (the
// first a shift, x0 being a power of two; 3 divu each for the other 6), plus the reciprocal's 2.
inline constexpr int kLayerNormIsqrtSteps = 7;
inline constexpr int kLayerNormDividesPerPixel = 3 * (kLayerNormIsqrtSteps - 1) + 2;

// MatMul with matmul_b_by_rows (sim/pulp/programs/matmul.cpp, docs/pulp.md "MatMul"): a core's
// start of the transpose pass, before its first scratch row: the start and stop of its share of
// the c_out rows (mul, p.minu, add, p.minu: the prologue's split again, over other items), its
// first scratch row's address (mul, add) and the outer hardware loop's lp.setup. Derived: 7. A
// constant of the kernel's code, not of the hardware: no HwConfig key. The rest of the pass uses
// the keys it shares with the im2col: per scratch row im2col_run_setup (the source pointer's add,
// the inner lp.setup), per byte im2col_word (p.lbu, sb) and the core's load-use stall.
inline constexpr int kMatMulTransposeSetup = 7;

// The core pipeline of the cluster model (sim/pulp's core engine): RI5CY/CV32E40P, one
// instruction a cycle, plus these. The CV32E40P user manual ("Pipeline Details") publishes a
// 1-cycle load-use penalty, a taken branch of 3 cycles (1 + 2 for the flushed IF and ID
// stages) and a divider of 3..35 cycles by the divisor's leading zeros.
struct PulpCorePipeline {
#define WB_HW_KEY(type, field, initial, ...) type field = initial;
#include "isa/hw_keys_pulp_core.def"
};

}  // namespace wb
