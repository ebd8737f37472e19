#pragma once
// The int8 kernels the cluster runs, functional only (their timing is the cores' programs,
// sim/pulp/programs/kernel_programs.h, run by sim/pulp/cores/core_engine.h): PULP-NN's
// conv, pointwise, depthwise, linear, residual add and pools, and a grouped conv in PULP-NN's
// style (the conv's im2col and 4x2 matmul per group), on dense HWC tiles in L1, with
// the requantisation of docs/quant.md. Written independently of compiler/golden, which checks it.
//
// Operands of a KernelCall (all L1 byte addresses, tiles dense, HWC, channels innermost):
//   input   h_in x w_in x c_in, int8 if input_signed else uint8
//   input_b (ADD) h_in x w_in x c_in, (MUL) b_h x b_w x b_c, (MATMUL) c_out x c_in, or c_in x
//           c_out with matmul_b_by_rows (not read with matmul_b_transposed); int8 if
//           input_b_signed else uint8
//   im2col  (MATMUL with matmul_b_by_rows) c_out x c_in bytes of scratch: b transposed (with
//           matmul_b_transposed, by an earlier call of the layer, and only read)
//   output  h_out x w_out x c_out, int8 if output_signed else uint8
//   weights int8 [c_out][k_h][k_w][c_in] (CONV, POINTWISE, LINEAR); [c_out][k_h][k_w] (DEPTHWISE);
//           [c_out][k_h][k_w][c_in / groups] (GROUPED_CONV)
//           uint16 little-endian [c_out] channel indices (GATHER)
//           uint32 little-endian [256] exp table in Q16, then W L uint8 region labels under Swin's
//           mask (SOFTMAX, sim/pulp/kernels/softmax.h)
//           row then column taps, 4 little-endian uint16 each (RESIZE, sim/pulp/kernels/resize.h)
//           int32 little-endian [c_out] gamma multipliers, then int64 little-endian [c_out] beta
//           offsets (LAYERNORM, sim/pulp/kernels/layernorm.h)
//   bias    int32 little-endian [c_out] when has_bias
// Output pixel (oh, ow) reads input row oh * stride_h - pad_top + kh and column
// ow * stride_w - pad_left + kw; rows/columns outside the tile are padding: zero for the
// convolutions and the average pool, never the maximum for the max pool.
//   CONV/POINTWISE/LINEAR: v = bias[c] + sum w * x;  DEPTHWISE: the same per channel (c_in == c_out)
//   GROUPED_CONV: groups divides c_in and c_out; output channel c sums over the input channels
//     of its group g = c / (c_out / groups): [g * c_in / groups, (g + 1) * c_in / groups)
//   ADD: v = a * input_multiplier[0] + b * input_multiplier[1] (same shape in and out, k = 1)
//   LUT: y = table[x - lo] (256 bytes at `weights`, lo = -128 or 0 by input_signed), no requant
//   MUL: v = a * b, b (input_b) dense b_h x b_w x b_c, each dimension the output's or 1
//     (broadcast); one requant entry
//   GATHER: y[h][w][c] = x[h][w][idx[c]] (idx at `weights`), a byte copy, no requant; same
//     type in and out, h_in == h_out, w_in == w_out, c_out may differ from c_in
//   SOFTMAX: per pixel over its c_out channels (c_in == c_out <= 65535), m = max x,
//     e[c] = table[x[c] - m + 255], sum = sum of e, y[c] = min(255, (e[c] * 256 + sum / 2) / sum)
//     (integer division); uint8 output, no requant, parallel HO only
//   RESIZE: per output pixel the four taps of its row and column entries (isa/pulp.proto), the
//     input's type, no requant, parallel HO only
//   LAYERNORM: per pixel over its c_out channels, the integer LayerNorm of isa/pulp.proto
//     (its layernorm_* scalars and the gamma/beta table), no requant, parallel HO only
//   MATMUL: h_in == h_out rows, w_in == w_out == 1; y[m][n] = requant(sum over k of a[m][k] *
//     b(n, k)), one requant entry, parallel HO only (sim/pulp/kernels/matmul.h)
//   AVGPOOL: v = sum of the window (its divisor is folded into the requant)
//   y = requantize(v, requant, c) (sim/common/requant.h) with c the tile-local channel;
//   MAXPOOL: y = max of the window, no requant (c_in == c_out, same type in and out).
// Input-channel tiling (cin_tiled, CONV/POINTWISE/LINEAR only): the call covers c_in of the
// layer's input channels (weights [c_out][k_h][k_w][c_in] of those channels);
//   v = (first_cin_tile ? bias[c] (0 without has_bias) : acc[oh][ow][c]) + sum w * x
//   last_cin_tile: y = requantize(v, requant, c) into output; else acc[oh][ow][c] = v
// with acc int32 little-endian [h_out][w_out][c_out] at `accumulator`.

#include <cstdint>
#include <span>
#include <string>

#include "isa/pulp.pb.h"

namespace wb::sim::pulp {

// "" when the call is well formed and every operand lies inside an L1 of `l1_size` bytes,
// else the reason (naming the operand or the field), e.g. "output: 4096 bytes at 62000 end
// beyond L1 (65536 bytes)" or "h_out 9 does not match h_in 16, k_h 3, stride 2, pads 1+0 (8)".
std::string kernel_problem(const isa::pulp::KernelCall& call, std::size_t l1_size);

// Performs a well-formed call (kernel_problem(call, l1.size()) == "") on the L1 bytes. Data
// kernel_problem cannot see is checked here: a GATHER index not below c_in, a SOFTMAX exp
// table entry above 2^16 or an entry 255 other than 2^16, a RESIZE tap outside the tile's
// input, or a LAYERNORM gamma of -2^31 or beta beyond +-2^61, is a UserError naming the kernel
// and the entry, raised before any output byte is written.
void run_kernel(const isa::pulp::KernelCall& call, std::span<std::uint8_t> l1);

}  // namespace wb::sim::pulp
