// The per-core programs of the kernels without a reduction over channels
// (sim/pulp/programs/kernel_programs.h): ADD, LUT, MUL, GATHER, MAXPOOL, AVGPOOL. Each core takes a
// chunk of ceil(h_out / cores) output rows (PARALLEL_HO, and HOWO, which these kernels do not
// have: PULP-NN's add and pools split rows) or of ceil(c_out / cores) output channels
// (PARALLEL_CO) over every pixel, as the functional kernels' callers and the predictor split them.
#include <algorithm>
#include <cstdint>

#include "sim/pulp/programs/families.h"
#include "sim/pulp/programs/steps.h"

namespace wb::sim::pulp {

namespace {

using isa::pulp::KernelCall;

std::uint32_t u32(std::uint64_t v) { return static_cast<std::uint32_t>(v); }

// The outputs of one core: rows [rows.begin, rows.end) x every column x channels.
struct Region {
  CoreItems rows, channels;
};

Region region_of(const KernelCall& c, int core, int cores) {
  if (c.parallel() == isa::pulp::PARALLEL_CO) {
    return Region{CoreItems{0, c.h_out()}, core_items(c.c_out(), core, cores)};
  }
  return Region{core_items(c.h_out(), core, cores), CoreItems{0, c.c_out()}};
}

std::uint64_t pixel_of(const KernelCall& c, std::uint32_t oh, std::uint32_t ow) {
  return std::uint64_t{oh} * c.w_out() + ow;
}
std::uint32_t output_at(const KernelCall& c, std::uint64_t pixel, std::uint32_t ch) {
  return u32(c.output() + pixel * c.c_out() + ch);
}

// The table entry a lookup reads is data, and a program may not depend on data
// (kernel_programs.h): the lookups of consecutive elements are spread over consecutive
// entries, the banks uniformly distributed inputs would meet. `entries` the table's.
std::uint32_t spread_entry(std::uint64_t element, std::uint32_t entries) {
  return static_cast<std::uint32_t>(element % entries);
}

// ---------------------------------------------------------------------------------------
// ADD (pulp_nn_add: one loop over the core's bytes): per byte lbu a, lbu b, p.mul a by its
// multiplier, p.mac b by its own, the requant, sb. The multiplies read loads two and three
// instructions back: no load-use stall.
void add_element(const KernelCall& c, std::uint64_t pixel, std::uint32_t ch, CoreProgramBuilder& b) {
  const std::uint64_t i = pixel * c.c_in() + ch;
  requant_channel_constants(b, c.requant());
  b.load(u32(c.input() + i), 1);
  b.load(u32(c.input_b() + i), 1);
  b.alu(2);
  requant_and_store(b, c.requant(), output_at(c, pixel, ch));
}

// LUT, per element: lbu x, add to the table's base (pre-offset by -lo), lbu of the entry, sb;
// unrolled by 4 (docs/pulp.md: no load's result used by the next instruction), so a group of
// 4 is 4 lbu x, 4 add, 4 lbu entries, 4 sb. Elements past the last group of 4 go one at a time:
// the add reads x, the sb the entry, each right after its load.
void lut_elements(const KernelCall& c, std::uint64_t pixel, CoreItems channels, CoreProgramBuilder& b) {
  const auto group = [&](std::uint32_t first, std::uint32_t n) {
    const bool alone = n == 1;
    for (std::uint32_t k = 0; k < n; ++k) b.load(u32(c.input() + pixel * c.c_in() + first + k), 1, alone);
    b.alu(n);
    for (std::uint32_t k = 0; k < n; ++k) {
      const std::uint64_t element = pixel * c.c_out() + first + k;
      b.load(u32(c.weights() + spread_entry(element, 256)), 1, alone);
    }
    for (std::uint32_t k = 0; k < n; ++k) b.store(output_at(c, pixel, first + k), 1);
  };
  std::uint32_t ch = channels.begin;
  for (; ch + 4 <= channels.end; ch += 4) group(ch, 4);
  for (; ch < channels.end; ++ch) group(ch, 1);
}

// GATHER, per element: lhu of the index (post-increment), add to the pixel's input base, lbu
// of the byte, sb; unrolled by 4 as the LUT (the same lookup loop), a last partial group one
// element at a time. The index is data: the byte read is the element's own channel (modulo c_in).
void gather_elements(const KernelCall& c, std::uint64_t pixel, CoreItems channels, CoreProgramBuilder& b) {
  const auto group = [&](std::uint32_t first, std::uint32_t n) {
    const bool alone = n == 1;
    for (std::uint32_t k = 0; k < n; ++k) b.load(u32(c.weights() + 2 * std::uint64_t{first + k}), 2, alone);
    b.alu(n);
    for (std::uint32_t k = 0; k < n; ++k) {
      b.load(u32(c.input() + pixel * c.c_in() + (first + k) % c.c_in()), 1, alone);
    }
    for (std::uint32_t k = 0; k < n; ++k) b.store(output_at(c, pixel, first + k), 1);
  };
  std::uint32_t ch = channels.begin;
  for (; ch + 4 <= channels.end; ch += 4) group(ch, 4);
  for (; ch < channels.end; ++ch) group(ch, 1);
}

// MUL, per element: lbu a, lbu b (at its broadcast index), p.mul reading b the next cycle (the
// loop is not unrolled: docs/pulp.md counts 3 instructions), the requant (one entry: constants
// in registers), sb.
void mul_element(const KernelCall& c, std::uint32_t oh, std::uint32_t ow, std::uint32_t ch, CoreProgramBuilder& b) {
  const std::uint64_t pixel = pixel_of(c, oh, ow);
  const std::uint64_t bh = c.b_h() == 1 ? 0 : oh, bw = c.b_w() == 1 ? 0 : ow, bc = c.b_c() == 1 ? 0 : ch;
  b.load(u32(c.input() + pixel * c.c_in() + ch), 1);
  b.load(u32(c.input_b() + (bh * c.b_w() + bw) * c.b_c() + bc), 1, true);
  b.alu();
  requant_and_store(b, c.requant(), output_at(c, pixel, ch));
}

// ---------------------------------------------------------------------------------------
// Pools. A window's kernel positions inside the tile (padding is skipped, as the functional
// kernel does): rows [r0, r1) x columns [q0, q1) of input coordinates.
struct Window {
  std::uint32_t r0 = 0, r1 = 0, q0 = 0, q1 = 0;
  std::uint32_t positions() const { return (r1 - r0) * (q1 - q0); }
};

void clip_axis(std::uint32_t out, std::uint32_t stride, std::uint32_t pad, std::uint32_t k, std::uint32_t in,
               std::uint32_t& begin, std::uint32_t& end) {
  const std::int64_t first = std::int64_t{out} * stride - pad;
  begin = static_cast<std::uint32_t>(std::clamp<std::int64_t>(first, 0, in));
  end = static_cast<std::uint32_t>(std::clamp<std::int64_t>(first + k, begin, in));
}

Window window_of(const KernelCall& c, std::uint32_t oh, std::uint32_t ow) {
  Window w;
  clip_axis(oh, c.stride_h(), c.pad_top(), c.k_h(), c.h_in(), w.r0, w.r1);
  clip_axis(ow, c.stride_w(), c.pad_left(), c.k_w(), c.w_in(), w.q0, w.q1);
  return w;
}

std::uint32_t input_at(const KernelCall& c, std::uint32_t ih, std::uint32_t iw, std::uint32_t ch) {
  return u32(c.input() + (std::uint64_t{ih} * c.w_in() + iw) * c.c_in() + ch);
}

// MAXPOOL, per output pixel: its channels 4 at a time (the last ones a byte at a time, as
// pulp_nn_compare_and_replace_if_larger_int8's leftover loop), each over the window: the first
// position's load is the running maximum, every other position a load and a pv.maxu.b (pv.max.b
// signed) that reads it the next cycle (compare_and_replace's body: lw, lw, max); per window
// row the pointer to the next row (add); the maximum stored.
void maxpool_pixel(const KernelCall& c, std::uint32_t oh, std::uint32_t ow, CoreItems channels,
                   CoreProgramBuilder& b) {
  const Window w = window_of(c, oh, ow);
  const std::uint64_t pixel = pixel_of(c, oh, ow);
  const auto group = [&](std::uint32_t ch, std::uint8_t bytes) {
    b.loop_setup();
    bool first = true;
    for (std::uint32_t ih = w.r0; ih < w.r1; ++ih) {
      b.alu();
      for (std::uint32_t iw = w.q0; iw < w.q1; ++iw) {
        b.load(input_at(c, ih, iw, ch), bytes, !first);
        if (!first) b.alu();
        first = false;
      }
    }
    b.store(output_at(c, pixel, ch), bytes);
  };
  std::uint32_t ch = channels.begin;
  for (; ch + 4 <= channels.end; ch += 4) group(ch, 4);
  for (; ch < channels.end; ++ch) group(ch, 1);
}

// AVGPOOL (pulp_nn_avgpool), per output pixel and channel: the sum cleared, per window
// position lbu (lb signed) and the add that reads it the next cycle (PULP-NN's body), per
// window row the pointer to the next row; the requant (its divisor folded in) and sb.
void avgpool_pixel(const KernelCall& c, std::uint32_t oh, std::uint32_t ow, CoreItems channels,
                   CoreProgramBuilder& b) {
  const Window w = window_of(c, oh, ow);
  const std::uint64_t pixel = pixel_of(c, oh, ow);
  for (std::uint32_t ch = channels.begin; ch < channels.end; ++ch) {
    requant_channel_constants(b, c.requant());
    b.alu();  // sum = 0
    b.loop_setup();
    for (std::uint32_t ih = w.r0; ih < w.r1; ++ih) {
      b.alu();
      for (std::uint32_t iw = w.q0; iw < w.q1; ++iw) {
        b.load(input_at(c, ih, iw, ch), 1, true);
        b.alu();
      }
    }
    requant_and_store(b, c.requant(), output_at(c, pixel, ch));
  }
}

// Per output pixel, before its channels: the window's bounds for the pools (2 Alu: PULP-NN's
// k_x_start / k_x_end, the rows' per output row); the channel loop's lp.setup and the pointers'
// skip to the pixel (1 Alu) for the others (mul_pixel_overhead; GATHER also advances the
// pixel base, gather_pixel_advance).
void pixel_setup(const KernelCall& c, CoreProgramBuilder& b) {
  switch (c.kind()) {
    case isa::pulp::KERNEL_MAXPOOL:
    case isa::pulp::KERNEL_AVGPOOL: b.alu(2); break;
    case isa::pulp::KERNEL_GATHER:
      b.loop_setup();
      b.alu(2);
      break;
    default:
      b.loop_setup();
      b.alu();
      break;
  }
}

void pixel_program(const KernelCall& c, std::uint32_t oh, std::uint32_t ow, CoreItems channels,
                   CoreProgramBuilder& b) {
  const std::uint64_t pixel = pixel_of(c, oh, ow);
  pixel_setup(c, b);
  switch (c.kind()) {
    case isa::pulp::KERNEL_ADD:
      for (std::uint32_t ch = channels.begin; ch < channels.end; ++ch) add_element(c, pixel, ch, b);
      break;
    case isa::pulp::KERNEL_LUT: lut_elements(c, pixel, channels, b); break;
    case isa::pulp::KERNEL_GATHER: gather_elements(c, pixel, channels, b); break;
    case isa::pulp::KERNEL_MUL:
      for (std::uint32_t ch = channels.begin; ch < channels.end; ++ch) mul_element(c, oh, ow, ch, b);
      break;
    case isa::pulp::KERNEL_MAXPOOL: maxpool_pixel(c, oh, ow, channels, b); break;
    default: avgpool_pixel(c, oh, ow, channels, b); break;
  }
}

}  // namespace

CoreProgram elementwise_program(const KernelCall& call, int core, int cores) {
  CoreProgram program;
  const Region region = region_of(call, core, cores);
  if (region.rows.count() == 0 || region.channels.count() == 0) return program;
  CoreProgramBuilder b(program);
  for (std::uint32_t oh = region.rows.begin; oh < region.rows.end; ++oh) {
    b.alu(2);  // per output row: the row's input and output pointers
    for (std::uint32_t ow = 0; ow < call.w_out(); ++ow) pixel_program(call, oh, ow, region.channels, b);
  }
  return program;
}

}  // namespace wb::sim::pulp
