#pragma once
// The PULP cluster's timing constants as HwConfig data (PulpParams::predictor, ::core): plain
// counts, each a key of the schema (isa/hw_schema.cpp, docs/hw_config.md) whose default is the
// value written here, next to its derivation. The code that times with them lives elsewhere:
// perf/pulp/cost (the predictor) reads the instruction counts, sim/pulp the core pipeline.

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

// Cycles of the RI5CY instruction sequences PULP-NN's kernels are made of. Derived from the
// kernels' loops (one instruction per cycle, hardware loops without overhead, a load's
// result used no earlier than the next instruction); docs/pulp.md lists each derivation.
struct PulpKernelCycles {
  // 4x2 matmul (4 output channels x 2 pixels): per 4 input bytes 4 weight + 2 activation
  // word loads and 8 pv.sdotsp.b.
  int matmul_4x2_iteration = 14;
  int matmul_4x1_iteration = 9;      // odd pixel left over: 4 + 1 loads, 4 dot products
  int matmul_1x2_iteration = 5;      // output channel left over: 1 + 2 loads, 2 dot products
  int matmul_byte_leftover_4x2 = 14; // K % 4 input bytes, scalar: per byte 6 loads, 8 MACs
  int matmul_block_setup = 24;       // pointers, bias loads into 8 accumulators, loop setup
  int requant_per_output = 11;       // load k, lambda; mul, add, shift, clip; store byte
  int partial_store = 2;             // input-channel tiling: store an int32 partial sum (sw + pointer)
  int im2col_row_setup = 6;          // per kernel row of a pixel: bounds, pointers, padding test
  int im2col_word = 2;               // one word load + store
  // Grouped conv with several groups in a call: a kernel row of one group is k_w runs of
  // c_in / groups bytes, c_in bytes apart (one run when the call has one group). Per run the
  // source pointer skips to the next pixel's slice (1 add) and the inner word loop is set up
  // again (1 lp.setup). Derived, not calibrated.
  int im2col_run_setup = 2;
  int pixel_pair_overhead = 10;      // per pixel pair (and group): im2col pointer swap, output pointer
  int row_overhead = 10;             // per output row a core computes
  int call_overhead = 60;            // kernel entry: chunk bounds from core id, argument loads
  // Depthwise (channels across cores): per channel a strided gather of its input plane,
  // then per output pixel a window gather and ceil(K*K/4) dot products.
  int depthwise_gather_byte = 3;     // lbu with stride c_in, sb, pointer increment
  // On a channel-major tile (KernelCall.input_chw, DORY's): per output column the strip's rows
  // copied a word at a time, per strip row and word: lw, its load-use stall, sw, and the row's
  // two pointer updates.
  int depthwise_chw_strip_word = 5;
  // DORY 2021's layer loop on the cores (Tiling.dory_tile_loop), per tile outside the kernel and
  // the DMA transfers it programs: the compiled loop's ops (tests/bench/dory_tile_loop/: 393 for
  // the convolution code, 439 for the depthwise code) plus their 2 divisions (17 cycles each
  // beyond their op), taken branches (23 and 25, 2 cycles each), load-use stalls (13 and 10) and
  // 3 team barriers (11 cycles each).
  int dory_tile_loop = 519;
  int dory_tile_loop_depthwise = 566;
  int depthwise_window_byte = 2;     // per window byte into the aligned im2col word
  int depthwise_dot_word = 3;        // 2 word loads + 1 pv.sdotsp.b
  int depthwise_pixel_overhead = 8;
  int depthwise_channel_overhead = 20;
  // Plane depthwise (KernelCall.depthwise_plane: 3x3 window, stride 1 or 2; docs/pulp.md,
  // "Plane depthwise"). Per channel the core gathers its input into a zero-bordered plane in its
  // scratch (depthwise_gather_byte per byte, plus plane_row_setup per input row), loads the
  // filter, then walks each output row with two aligned word loads per kernel row per step.
  int plane_row_setup = 2;         // per input row gathered: lp.setup, destination skip over the pad columns
  int plane_filter_setup = 12;     // per channel: 3 filter-row lw at 9-byte offsets (misaligned: 2 each), the 4th byte cleared (3 and), the 1-byte-shifted copies (3 slli)
  int plane_s1_row_step = 7;       // stride 1, one kernel row of 4 outputs: 2 lw, pv.shuffle2.b (the word 2 bytes on), 4 pv.sdotusp.b
  int plane_s2_row_step = 5;       // stride 2, one kernel row of 2 outputs: 2 lw, pv.shuffle2.b, 2 pv.sdotusp.b
  int plane_accumulator_init = 1;  // per output: the bias moved into its accumulator (mv)
  int misaligned_load = 2;         // a word load at an address not a multiple of 4: two TCDM accesses
  // Linear (outputs across cores): 2 neurons per loop, per 4 inputs 3 loads + 2 dot products.
  int linear_2_iteration = 5;
  int linear_output_overhead = 8;
  // Residual add, per output byte: 2 loads, 2 multiplies, add, shift, clip, store (4 per loop).
  int add_per_byte = 5;
  // Table lookup (LUT), per element: the byte's load and the output's store (post-increment
  // addressing, as an im2col_word's load + store) plus these 2: the add of the byte to the
  // table's base (pre-offset by -lo, so the byte indexes it directly) and the table's lbu.
  // Unrolled by 4 (as the add), so no load's result is used by the next instruction. Derived.
  int lut_lookup = 2;
  // Elementwise product (MUL), per element: 2 byte loads (a, and b at its broadcast index)
  // and 1 p.mul, then requant_per_output. Derived.
  int mul_operands = 3;
  // MUL per output pixel: the inner channel loop is set up again (1 lp.setup) and b's pointer
  // rewinds to the pixel's broadcast slice (1 add). Derived.
  int mul_pixel_overhead = 2;
  // Channel gather (GATHER), per element: lhu idx (post-increment) and sb y (post-increment),
  // a load + store pair as an im2col_word's; add a, pixel_base, idx and lbu y, 0(a), the
  // index add and dependent byte load of a lut_lookup. Per output pixel the channel loop's
  // lp.setup and the index pointer's rewind (mul_pixel_overhead's 2), plus this: the pixel
  // base advances to the next input pixel (1 add; the output pointer post-increments). Derived.
  int gather_pixel_advance = 1;
  // Softmax (SOFTMAX): per output pixel three passes over its channels (docs/pulp.md, "Softmax").
  // Pass 1, the maximum m, per element: lb/lbu x (post-increment) and p.max. Derived.
  int softmax_max = 2;
  // Passes 2 and 3 look e[c] up, per element: lb/lbu x (post-increment) and an slli by 2 (the
  // entries are words), then a lut_lookup: the add to the table's base (pre-offset once per pixel
  // by 4 * (255 - m), so the shifted byte indexes it directly) and the entry's lw. Derived.
  int softmax_index = 2;
  // Pass 2, per element: the add of e[c] into the row sum. Derived.
  int softmax_accumulate = 1;
  // Pass 3, per element, around the division: slli e by 8, add sum / 2, p.minu with 255 (held
  // in a register), sb (post-increment). Derived.
  int softmax_normalise = 4;
  // Pass 3's divu. RI5CY's divider (CV32E40P's cv32e40p_alu_div) is serial: 3 cycles plus one
  // per leading zero bit of the divisor (the CV32E40P manual's 3..35: 3 with none, 35 for a
  // divisor of 0). The divisor is the row sum, at least 2^16 (the maximum's own entry), so it has
  // at most 15 leading zeros: 18 cycles, this kernel's worst case, is counted for every division
  // (the cost cannot depend on data: --no-data and the tiler time the same calls). A bound from
  // the divider's rule, not fitted.
  int softmax_divide = 18;
  // Per pixel: the three passes' lp.setup (3), the input pointer's two rewinds to the pixel
  // (passes 2 and 3; pass 3's ends at the next pixel), m's initial value (li), the table base's
  // pre-offset (sub from 255, slli, add: 3), the sum's clear (li) and sum / 2 (srli). Derived.
  int softmax_pixel_overhead = 11;
  // Softmax under Swin's region labels (docs/pulp.md, "Softmax"; KernelCall.softmax_label_*),
  // branch-free (a program may not depend on data), beside the counts above. Per core, once:
  // the first row's window and query by a divu and a remu (2 softmax_divide) and this: the
  // label pointer's mul and add. Derived.
  int softmax_label_start = 2;
  // Per pixel: lbu of the query's label, the query index's advance and its wrap at L (addi,
  // compare), the window's label pointer advance, m's correction by -128. Derived.
  int softmax_label_pixel = 5;
  // Pass 1, per element, beside softmax_max: lbu of the key's label, xor with the query's,
  // sltiu and neg (a mask of 0 or -1), addi 128 (x as unsigned), and with the mask (a masked key
  // counts 0: below every kept one), p.maxu in place of p.max. Derived.
  int softmax_label_max = 6;
  // Passes 2 and 3, per element: lbu of the key's label, xor, sltiu, neg, and of e with the mask
  // (a masked key adds nothing to the sum, and its (0 * 256 + sum / 2) / sum is 0). Derived.
  int softmax_label_mask = 5;
  // Softmax under a causal mask (docs/pulp.md, "Softmax"; KernelCall.softmax_causal_*): the
  // passes run over the row's kept keys alone (a loop count, not data) and the rest of the row is
  // written 0. Per core, once: the first row's query by a remu (a softmax_divide) and this: its
  // kept count, query + offset + 1 (addi). Derived.
  int softmax_causal_start = 1;
  // Per pixel: the kept count's advance and its wrap at the head's last query, branch-free
  // (addi, sltu, neg, sub, and, sub), the zero loop's count (sub) and lp.setup. Derived.
  int softmax_causal_pixel = 8;
  // Per masked element: sb of zero (post-increment) in the zero loop. Derived.
  int softmax_causal_zero = 1;
  // Resize (ours: sim/pulp/programs/resize.cpp), per element: 4 lb/lbu, 3 mul + 3 p.mac of the
  // bilinear sum, the rounding's add and srai, sb. Derived.
  int resize_element = 13;
  // Per output pixel: the column entry (lw, lhu), its two offsets (2 sub, 2 mul), 256 - wc, the
  // channel loop's lp.setup. Derived.
  int resize_pixel = 8;
  // LayerNorm (ours: sim/pulp/programs/layernorm.cpp, docs/pulp.md "LayerNorm"), two passes
  // per pixel. Pass 1, the row's sum and sum of squares, per 4 channels: lw (its load-use stall:
  // the next instruction reads it), pv.sdotsp.b x.x and x.1 (pv.sdotup.b unsigned); a leftover
  // channel the same 4 as lb, its stall, add, p.mac. Derived.
  int layernorm_stats_word = 4;
  // Pass 2, per element: lb x, lw gamma, 2 lw beta (issued first: no stall); d = n * x - sum
  // (mul, sub); d * inv (mul, mulhsu), + 2^(31 - k) (add, sltu, add), >> (32 - k) into r_q30
  // (srl, sll, or); r_q30 * gamma (mul, mulh), + beta (add, sltu, add, add); the output's
  // rounding (add to the high word, srai), p.clip, sb. Derived.
  int layernorm_element = 24;
  // Per pixel, all but the divisions (their latency is layernorm_divide each): the passes'
  // lp.setup (2), sum and sum of squares cleared, 3 pointer rewinds; V = n (n Q - S^2) in
  // 64 bits (12); the V == 0 test (2); V + eps_ceil, its bit width, k (11); the radicand
  // V * 4^k + round(E * 4^k) (28); Newton's start and first step, a shift by the power of two
  // x0 (20); kLayerNormIsqrtSteps - 1 further steps of 39 (the 64 / 32 division's 31 around its
  // 3 divu, (x + q) >> 1, the stop test); 2^62 / sigma's 28 around its 2 divu and the rounding
  // (3); pass 2's rounding constant and shift (3). Derived: 348.
  int layernorm_pixel = 348;
  // Each of a pixel's kLayerNormDividesPerPixel divu: the core pipeline's divider latency
  // (core.divide_cycles' 18), whatever the divisor. Derived.
  int layernorm_divide = 18;
  // The same kernel's RMSNorm form (layernorm_rms): no sum S. Pass 1 per 4 channels lw, its
  // stall, one pv.sdotsp.b (x.x); a leftover lb, its stall, p.mac. Derived: 3.
  int rmsnorm_stats_word = 3;
  // Pass 2 per element without d = n * x - sum (mul, sub): d is x. Derived: 22.
  int rmsnorm_element = 22;
  // Per pixel: one sum cleared, not two (-1); V = Q, its high word cleared (1, not 12); the
  // V == 0 test on one word (1, not 2). Derived: 335. Its divisions are layernorm_divide's.
  int rmsnorm_pixel = 335;
  // MatMul (ours: sim/pulp/programs/matmul.cpp, docs/pulp.md "MatMul"): the pointwise kernel's
  // 4x2 over pairs of a's rows with b's rows as filters; its iterations are the matmul_* counts
  // above. What differs from the conv's: a 4x2 block's setup with no bias: 6 pointer ALU (pB,
  // pB2, pA2..pA4, the leftover count), 8 accumulator clears (li), the K loop's lp.setup, the
  // end's pA += 3 K (mul, add). Derived: 17.
  int matmul_product_block_setup = 17;
  // A leftover channel's 1x2: pB, pB2, 2 accumulator clears, the K loop's lp.setup, chan_left--,
  // the channel loop's taken branch (1 + 2). Derived: 9. An odd row's 4x1 block and 1x1 leftover
  // have one pointer and as many fewer accumulators to set: 17 - 5 and 9 - 2.
  int matmul_product_leftover_setup = 9;
  // Per pair of rows (or odd row): the second row's and the two output rows' pointers, b's
  // rewind, the pair counter (5 ALU), the block loop's lp.setup, the pair loop's taken branch
  // (1 + core.branch_taken_cycles' 2). Derived: 9.
  int matmul_product_pair = 9;
  // Requantising one output with the call's one requant entry held in registers: p.mul, add (the
  // offset with the rounding half), sra, p.clip, sb (one more, p.exths, for a 16-bit
  // intermediate). Derived: 5.
  int requant_per_tensor = 5;
  // Max pool: per window element and 4 channels a word load and a pv.maxu.b (+ store per pixel).
  int maxpool_word = 2;
  int pool_pixel_overhead = 6;
  // Average pool: per window byte a load and an add; requant per output channel.
  int avgpool_byte = 2;
  // TCDM: a core's load loses arbitration against another requester of its bank with this
  // probability per requester per cycle it accesses (round-robin: it waits half the time).
  double bank_conflict_share = 0.5;
};

// The core pipeline of the cluster model (sim/pulp's core engine): RI5CY/CV32E40P, one
// instruction a cycle, plus these. The CV32E40P user manual ("Pipeline Details") publishes a
// 1-cycle load-use penalty, a taken branch of 3 cycles (1 + 2 for the flushed IF and ID
// stages) and a divider of 3..35 cycles by the divisor's leading zeros.
struct PulpCorePipeline {
  int load_use_stall_cycles = 1;  // a load's result read by the next instruction
  int branch_taken_cycles = 2;    // extra cycles of a taken branch or jump
  // A division's whole latency. Chosen within the published 3..35: 3 + 15 leading zeros, the
  // worst case of the one kernel that divides (softmax: its divisor is at least 2^16); the same
  // bound as predictor.softmax_divide.
  int divide_cycles = 18;
};

}  // namespace wb
