// LAYERNORM's per-core program (sim/pulp/programs/kernel_programs.h), our kernel in PULP-NN's style:
// chunks of ceil(h_out / cores) output rows (a pixel's channels depend on each other, so the
// call is always PARALLEL_HO); per pixel two passes over its channels and, between them, the
// row's scalar arithmetic on a 32-bit core (docs/pulp.md, "LayerNorm").
//
// Pass 1 needs no d[c]: V = sum (n x - S)^2 = n (n Q - S^2) with S = sum x and Q = sum x^2, both
// 32-bit (|S| <= 255 n, Q <= 65025 n), so one SIMD pass sums them, 4 channels a word. Pass 2 is
// scalar: every element needs two 32 x 32 -> 64-bit products and a 64-bit add.
//
// An RMSNorm (layernorm_rms) needs no S: pass 1 sums Q only (one pv.sdotsp.b a word), V = Q
// (32-bit: its high word is zero), and pass 2's d is x itself.
//
// The program may not depend on data (kernel_programs.h); three places where the kernel's work
// does are charged their longest case: the V > 0 path (a constant row skips the square root),
// k >= 1 in pass 2 (k = 0 takes the product's high word as it is, 3 instructions fewer), and
// Newton's iteration, which stops after 1 to 7 steps (quant::kIsqrtMaxSteps, the bound its
// tests measure): all kLayerNormIsqrtSteps are charged, as softmax charges divu its bound.
#include <cstdint>

#include "isa/pulp_timing.h"
#include "sim/pulp/programs/families.h"
#include "sim/pulp/programs/steps.h"

namespace wb::sim::pulp {

namespace {

using isa::pulp::KernelCall;

std::uint32_t u32(std::uint64_t v) { return static_cast<std::uint32_t>(v); }

// RV32 has no 64-bit registers: a 64-bit add is add, sltu (the carry), add, add; a 64 x 32
// product mul and mulh(u|su); a variable 64-bit shift a branch on the amount and 3-5 shifts.
// Per pixel between the passes, in the order the core runs them:
constexpr std::uint32_t kVarianceAlu = 12;   // S^2 (mul, mulh), n Q (mul, mulhu), the 64-bit
                                             // subtraction (4), times n (mul, mulhu, mul, add)
constexpr std::uint32_t kRmsVarianceAlu = 1;  // V = Q: its high word cleared (li)
constexpr std::uint32_t kZeroTestAlu = 2;    // or of V's words, beqz (not taken: V > 0)
constexpr std::uint32_t kRmsZeroTestAlu = 1;  // V is one word: beqz
constexpr std::uint32_t kScaleAlu = 11;      // V + eps_ceil (4), bit width (2 p.fl1, snez, 2 to
                                             // select), k = (64 - width) / 2 (sub, srli)
constexpr std::uint32_t kRadicandAlu = 28;   // V << 2k (slli, 7 for the 64-bit shift), E * 4^k
                                             // rounded (exponent add, sign test, 64-bit rounding
                                             // add and shift: 16), their 64-bit sum (4)
constexpr std::uint32_t kSqrtStartAlu = 20;  // half the radicand's width (p.fl1, 2), x0 =
                                             // 2^half (3); step 1 divides by x0, a power of
                                             // two: A >> half (5), + x0 (3), >> 1 (3), the
                                             // stop test (2), the move (1)
// A later Newton step: q = A / x, A < 2^64 and 2^30 < x < 2^32, so q may need 34 bits: as
// libgcc's __udivdi3 for a 32-bit divisor, the high word's divu (and its remainder by mul,
// sub), the normalisation (clz, 64-bit shift), then __udiv_qrnnd_c's two 16-bit quotient digits,
// each a divu, its remainder and product (2 mul, sub), the digit's correction tests and the
// merge: 31 instructions around 3 divu; then (x + q) >> 1 (3 + 3), the stop test and move (2).
constexpr std::uint32_t kNewtonStepAlu = 39;
constexpr std::uint32_t kNewtonStepDivides = 3;
// inv = round(2^62 / sigma): a quotient below 2^32, so no high word: the normalisation and the
// two digits (28 around 2 divu), then half up from the remainder (slli, sltu, add).
constexpr std::uint32_t kReciprocalAlu = 31;
constexpr std::uint32_t kReciprocalDivides = 2;
constexpr std::uint32_t kPass2SetupAlu = 3;  // 2^(31 - k) (sub, sll), the shift 32 - k (sub)

void layernorm_pixel(const KernelCall& c, std::uint64_t pixel, CoreProgramBuilder& b) {
  const std::uint64_t n = c.c_out();
  const std::uint64_t x = c.input() + pixel * n;
  const std::uint64_t gamma = c.weights(), beta = c.weights() + 4 * n;
  const bool rms = c.layernorm_rms();
  const std::uint32_t sums = rms ? 1 : 2;  // Q, and S for a LayerNorm
  // The sums cleared, pass 1's lp.setup (its words; the 0-3 leftover channels run straight).
  b.alu(sums);
  b.loop_setup();
  // Pass 1: lw 4 channels (post-increment), pv.sdotsp.b x.x into Q and x.1 into S reading it.
  for (std::uint64_t word = 0; word < n / 4; ++word) {
    b.load(u32(x + 4 * word), 4, true);
    b.alu(sums);
  }
  for (std::uint64_t ch = n / 4 * 4; ch < n; ++ch) {  // lb, add into S reading it, p.mac into Q
    b.load(u32(x + ch), 1, true);
    b.alu(sums);
  }
  b.alu((rms ? kRmsVarianceAlu + kRmsZeroTestAlu : kVarianceAlu + kZeroTestAlu) + kScaleAlu + kRadicandAlu +
        kSqrtStartAlu);
  for (int step = 1; step < kLayerNormIsqrtSteps; ++step) {
    b.alu(kNewtonStepAlu);
    for (std::uint32_t i = 0; i < kNewtonStepDivides; ++i) b.divide();
  }
  b.alu(kReciprocalAlu);
  for (std::uint32_t i = 0; i < kReciprocalDivides; ++i) b.divide();
  // Pass 2's constants, the input, gamma and beta pointers' rewinds to the pixel, its lp.setup.
  b.alu(kPass2SetupAlu + 3);
  b.loop_setup();
  for (std::uint64_t ch = 0; ch < n; ++ch) {
    // The loads first (post-increment), so no instruction waits on one.
    b.load(u32(x + ch), 1);
    b.load(u32(gamma + 4 * ch), 4);
    b.load(u32(beta + 8 * ch), 4);
    b.load(u32(beta + 8 * ch + 4), 4);
    // d (mul, sub; an RMSNorm's is x), d * inv + 2^(31 - k) (mul, mulhsu, add, sltu, add), r_q30
    // (srl, sll, or), r_q30 * gamma + beta (mul, mulh, add, sltu, add, add), the rounding in the
    // high word (add, srai), p.clip / p.clipu to the output type.
    b.alu(rms ? 17 : 19);
    b.store(u32(c.output() + pixel * n + ch), 1);
  }
}

}  // namespace

CoreProgram layernorm_program(const KernelCall& call, int core, int cores) {
  return per_pixel_program(call, core, cores,
                           [&](std::uint64_t pixel, CoreProgramBuilder& b) { layernorm_pixel(call, pixel, b); });
}

}  // namespace wb::sim::pulp
