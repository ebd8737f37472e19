// DEPTHWISE's per-core programs (sim/pulp/programs/kernel_programs.h): PULP-NN's window kernel and the
// plane kernel of KernelCall.depthwise_plane. Both split the channels across the cores
// (pulp_nn_depthwise_generic: chunks of ceil(c_out / cores)) and work one channel at a time.
#include <algorithm>
#include <cstdint>

#include "isa/pulp_program.h"
#include "sim/pulp/programs/families.h"
#include "sim/pulp/programs/steps.h"

namespace wb::sim::pulp {

namespace {

using isa::pulp::KernelCall;

std::uint32_t u32(std::uint64_t v) { return static_cast<std::uint32_t>(v); }

// Where output (oh, ow) of channel ch is stored (HWC).
std::uint32_t output_at(const KernelCall& c, std::uint32_t oh, std::uint32_t ow, std::uint32_t ch) {
  return u32(c.output() + (std::uint64_t{oh} * c.w_out() + ow) * c.c_out() + ch);
}

// Input pixel (ih, iw) of channel ch (HWC: a channel's bytes are c_in apart).
std::uint32_t input_at(const KernelCall& c, std::uint32_t ih, std::uint32_t iw, std::uint32_t ch) {
  return u32(c.input() + (std::uint64_t{ih} * c.w_in() + iw) * c.c_in() + ch);
}

// Per channel, both kernels: the input, weight and output pointers and the channel loop's
// count (4 Alu), the bias into a register (lw), the requant constants when per channel.
void channel_setup(const KernelCall& c, std::uint32_t ch, CoreProgramBuilder& b) {
  b.alu(4);
  if (c.has_bias()) b.load(u32(c.bias() + 4 * std::uint64_t{ch}), 4);
  requant_channel_constants(b, c.requant());
}

// ---------------------------------------------------------------------------------------
// The window kernel: pulp_nn_depthwise_generic's loop nest (channel > output column > output
// row) on our HWC tile. Per output column the core fills its scratch strip with the column's
// k_w input columns over every padded input row (strip byte r * k_w + kx; PULP-NN's bufferA,
// k_w * (h_in + pads) + k_w bytes per core, the size the tiler allocates per core), then each
// output row's window is k_h * k_w consecutive strip bytes from r = oy * stride_h: K*K/4 word
// pairs (strip and filter, at whatever alignment they fall: RI5CY splits a misaligned word) and
// a pv.sdotusp.b each, the K*K % 4 leftover bytes as scalar MACs. PULP-NN reads a CHW input
// (DORY transposes it) and copies the strip a word at a time (window_column_chw, below); the
// HWC tile gives each strip byte its own strided lbu (post-increment by c_in) and sb.
// Dilated (ours; PULP-NN has no dilation): the strip holds the column's k_w dilated input
// columns, and an output's window is k_h runs of k_w strip bytes, dilation_h strip rows apart:
// per run k_w / 4 word pairs and k_w % 4 scalar MACs, and the strip pointer's jump to the next
// run (an add).

std::uint64_t window_strip_bytes(const KernelCall& c) {
  return std::uint64_t{c.k_w()} * (c.h_in() + c.pad_top() + c.pad_bottom()) + c.k_w();
}

void window_column(const KernelCall& c, std::uint32_t ch, std::uint32_t ow, std::uint32_t strip,
                   CoreProgramBuilder& b) {
  const std::uint32_t k_w = c.k_w(), padded_h = c.h_in() + c.pad_top() + c.pad_bottom();
  const std::int64_t first_col = std::int64_t{ow} * c.stride_w() - c.pad_left();
  // The strip pointer back to its start, the input pointer at the column; the row loop.
  b.alu(2);
  b.loop_setup();
  for (std::uint32_t r = 0; r < padded_h; ++r) {
    const std::int64_t ih = std::int64_t{r} - c.pad_top();
    const bool row_inside = ih >= 0 && ih < c.h_in();
    // Per strip row: the input pointer to the next row (add), the byte loop's lp.setup.
    b.alu();
    b.loop_setup();
    for (std::uint32_t kx = 0; kx < k_w; ++kx) {
      const std::int64_t iw = first_col + std::int64_t{kx} * isa::pulp::dilation_or_one(c.dilation_w());
      const std::uint32_t to = strip + r * k_w + kx;
      if (row_inside && iw >= 0 && iw < c.w_in()) {
        // The loop body is lbu then the sb of that byte: the store waits for the load.
        b.load(input_at(c, static_cast<std::uint32_t>(ih), static_cast<std::uint32_t>(iw), ch), 1, true);
      }
      b.store(to, 1);  // a padding byte stores the zero register
    }
  }
}

// The same strip from a channel-major tile (KernelCall.input_chw, DORY's layout), as
// pulp_nn_depthwise_generic fills it: per strip row of the image, ceil(k_w / 4) words copied (lw
// from the channel's plane at whatever alignment, sw into the strip: the store waits for the
// load) and the zero bytes of the columns in the padding (sb); per padding row, the zero words.
// Each row then moves the strip pointer back by the copy's overshoot and the plane pointer a
// row down (2 Alu).
void window_column_chw(const KernelCall& c, std::uint32_t ch, std::uint32_t ow, std::uint32_t strip,
                       CoreProgramBuilder& b) {
  const std::uint32_t k_w = c.k_w(), words = (k_w + 3) / 4, padded_h = c.h_in() + c.pad_top() + c.pad_bottom();
  const std::int64_t first_col = std::int64_t{ow} * c.stride_w() - c.pad_left();
  const auto left = static_cast<std::uint32_t>(std::clamp<std::int64_t>(-first_col, 0, k_w));
  const auto right = static_cast<std::uint32_t>(
      std::clamp<std::int64_t>(first_col + k_w - static_cast<std::int64_t>(c.w_in()), 0, k_w - left));
  const std::uint64_t plane = c.input() + std::uint64_t{ch} * c.h_in() * c.w_in();
  const std::uint64_t first_inside = static_cast<std::uint64_t>(std::max<std::int64_t>(first_col, 0));
  b.alu(2);
  for (std::uint32_t r = 0; r < padded_h; ++r) {
    const std::int64_t ih = std::int64_t{r} - c.pad_top();
    const std::uint32_t row = strip + r * k_w;
    if (ih < 0 || ih >= c.h_in()) {
      for (std::uint32_t j = 0; j < words; ++j) b.store(row + 4 * j, 4);
      b.alu();
      continue;
    }
    for (std::uint32_t j = 0; j < left; ++j) b.store(row + j, 1);
    for (std::uint32_t j = 0; j < words; ++j) {
      b.load(u32(plane + static_cast<std::uint64_t>(ih) * c.w_in() + first_inside + 4 * j), 4, true);
      b.store(row + left + 4 * j, 4);
    }
    for (std::uint32_t j = 0; j < right; ++j) b.store(row + k_w - right + j, 1);
    b.alu(2);
  }
}

// One run of `bytes` consecutive window bytes at strip byte x and weight byte w.
void window_run(std::uint32_t x, std::uint32_t w, std::uint32_t bytes, CoreProgramBuilder& b) {
  const std::uint32_t words = bytes / 4, left = bytes % 4;
  if (words > 0) b.loop_setup();
  for (std::uint32_t j = 0; j < words; ++j) {
    // PULP-NN's body: lw w, lw x, sdot: the dot product reads x the cycle after its load.
    b.load(w + 4 * j, 4);
    b.load(x + 4 * j, 4, true);
    b.dot_product();
  }
  for (std::uint32_t j = 0; j < left; ++j) {
    b.load(w + 4 * words + j, 1);
    b.load(x + 4 * words + j, 1, true);  // lb w, lbu x, p.mac reading x
    b.alu();
  }
}

void window_output(const KernelCall& c, std::uint32_t ch, std::uint32_t oh, std::uint32_t ow, std::uint32_t strip,
                   CoreProgramBuilder& b) {
  const std::uint32_t k_w = c.k_w(), window = c.k_h() * k_w;
  const std::uint32_t dilation_h = isa::pulp::dilation_or_one(c.dilation_h());
  const std::uint32_t x = strip + oh * c.stride_h() * k_w;
  const std::uint32_t w = u32(c.weights() + std::uint64_t{ch} * window);
  // The sum from the bias (mv), the strip and weight pointers at the window.
  b.alu(3);
  if (dilation_h == 1) {
    window_run(x, w, window, b);  // the window's k_h strip rows are consecutive: one run
  } else {
    for (std::uint32_t r = 0; r < c.k_h(); ++r) {
      if (r > 0) b.alu();  // the strip pointer to the next dilated row
      window_run(x + r * dilation_h * k_w, w + r * k_w, k_w, b);
    }
  }
  requant_and_store(b, c.requant(), output_at(c, oh, ow, ch));
  b.alu();  // the output pointer a row down (w_out * c_out)
}

void window_program(const KernelCall& c, CoreItems channels, std::uint32_t strip, CoreProgramBuilder& b) {
  for (std::uint32_t ch = channels.begin; ch < channels.end; ++ch) {
    channel_setup(c, ch, b);
    for (std::uint32_t ow = 0; ow < c.w_out(); ++ow) {
      if (c.input_chw()) {
        window_column_chw(c, ch, ow, strip, b);
      } else {
        window_column(c, ch, ow, strip, b);
      }
      b.loop_setup();  // the output row loop
      for (std::uint32_t oh = 0; oh < c.h_out(); ++oh) window_output(c, ch, oh, ow, strip, b);
    }
  }
}

// ---------------------------------------------------------------------------------------
// The plane kernel (docs/pulp.md, "Plane depthwise"; DORY's pulp_nn_depthwise_3x3_s1 on a
// plane the core builds): the rows and columns the 3x3 window reads, (h_out - 1) * stride + 3
// of each, with the call's padding, one row every `pitch` bytes (rounded up to words), in the
// core's scratch (isa::pulp::depthwise_plane_scratch_bytes). Input rows and columns past the
// last window are not gathered.

struct Plane {
  std::uint32_t base = 0, pitch = 0, rows = 0, cols = 0;  // rows x cols of the padded plane read
  std::uint32_t rows_in = 0, cols_in = 0;                  // input rows and columns gathered
};

Plane plane_of(const KernelCall& c, std::uint32_t scratch) {
  Plane p;
  p.base = scratch;
  p.rows = (c.h_out() - 1) * c.stride_h() + 3;
  p.cols = (c.w_out() - 1) * c.stride_w() + 3;
  p.pitch = u32(isa::pulp::depthwise_plane_pitch(p.cols));
  p.rows_in = std::min(c.h_in(), p.rows - c.pad_top());
  p.cols_in = std::min(c.w_in(), p.cols - c.pad_left());
  return p;
}

// Once per call: the plane's border zeroed (a sw per word of a pad row, an sb per pad byte of an
// input row); every channel's gather then writes only the inside. Columns past `cols` (up to
// the pitch) are never zeroed: they meet the filter's cleared fourth byte.
void plane_border(const KernelCall& c, const Plane& p, CoreProgramBuilder& b) {
  b.alu(2);
  for (std::uint32_t r = 0; r < p.rows; ++r) {
    const bool pad_row = r < c.pad_top() || r >= c.pad_top() + p.rows_in;
    if (pad_row) {
      for (std::uint32_t i = 0; i < p.pitch / 4; ++i) b.store(p.base + r * p.pitch + 4 * i, 4);
      continue;
    }
    for (std::uint32_t q = 0; q < c.pad_left(); ++q) b.store(p.base + r * p.pitch + q, 1);
    for (std::uint32_t q = c.pad_left() + p.cols_in; q < p.cols; ++q) b.store(p.base + r * p.pitch + q, 1);
  }
}

void plane_gather(const KernelCall& c, const Plane& p, std::uint32_t ch, CoreProgramBuilder& b) {
  for (std::uint32_t ih = 0; ih < p.rows_in; ++ih) {
    // Per row: lp.setup and the destination's skip over the pad columns (plane_row_setup).
    b.loop_setup();
    b.alu();
    const std::uint32_t row = p.base + (ih + c.pad_top()) * p.pitch + c.pad_left();
    for (std::uint32_t iw = 0; iw < p.cols_in; ++iw) {
      b.load(input_at(c, ih, iw, ch), 1, true);  // lbu then the sb of that byte
      b.store(row + iw, 1);
    }
  }
}

// The filter's rows as words K0 K1 K2 0 and their 1-byte-shifted copies 0 K0 K1 K2: rows 0 and
// 1 are the words at 9ch and 9ch + 3, their fourth byte cleared (and); row 2 is the word ending
// at the channel's last byte (9ch + 5, so the last channel reads no byte past the weights),
// shifted down (srli). Then the 3 slli. The loads fall at any alignment.
void plane_filter(const KernelCall& c, std::uint32_t ch, CoreProgramBuilder& b) {
  const std::uint32_t w = u32(c.weights() + 9 * std::uint64_t{ch});
  b.load(w, 4);
  b.load(w + 3, 4);
  b.load(w + 5, 4);
  b.alu(6);
}

// One output's accumulator set from the bias (mv).
void accumulator_init(CoreProgramBuilder& b, std::uint32_t outputs) { b.alu(outputs); }

// A leftover output whose window starts at byte `col` of the rows: per kernel row one word
// (misaligned at stride 1, aligned at stride 2) and one dot product, interleaved so no dot
// product reads the load just before it: lw r0, lw r1, sdot r0, lw r2, sdot r1, sdot r2.
void plane_leftover(const KernelCall& c, const Plane& p, std::uint32_t ch, std::uint32_t oh, std::uint32_t ow,
                    std::uint32_t row0, std::uint32_t col, CoreProgramBuilder& b) {
  accumulator_init(b, 1);
  b.load(row0 + col, 4);
  b.load(row0 + p.pitch + col, 4);
  b.dot_product();
  b.load(row0 + 2 * p.pitch + col, 4);
  b.dot_product(2);
  requant_and_store(b, c.requant(), output_at(c, oh, ow, ch));
}

void plane_row(const KernelCall& c, const Plane& p, std::uint32_t ch, std::uint32_t oh, CoreProgramBuilder& b) {
  const std::uint32_t row0 = p.base + oh * c.stride_h() * p.pitch;
  const std::uint32_t w_out = c.w_out();
  // The three row pointers (row_overhead's work), the step loop.
  b.alu(3);
  const bool stride_1 = c.stride_w() == 1;
  const std::uint32_t per_step = stride_1 ? 4 : 2, steps = w_out / per_step;
  if (steps > 0) b.loop_setup();
  for (std::uint32_t j = 0; j < steps; ++j) {
    accumulator_init(b, per_step);
    for (std::uint32_t r = 0; r < 3; ++r) {
      // lw of the words at 4j and 4j + 4; the dot products of the first word go before the
      // pv.shuffle2.b that builds the word at 4j + 2 from both, so no instruction reads the load
      // just before it. Stride 1: 2 + 2 dot products (outputs 4j, 4j+1 | 4j+2, 4j+3); stride 2:
      // 1 + 1 (outputs 2j at byte 4j, 2j + 1 at byte 4j + 2).
      const std::uint32_t at = row0 + r * p.pitch + 4 * j;
      b.load(at, 4);
      b.load(at + 4, 4);
      b.dot_product(per_step / 2);
      b.alu();
      b.dot_product(per_step / 2);
    }
    for (std::uint32_t i = 0; i < per_step; ++i) {
      requant_and_store(b, c.requant(), output_at(c, oh, j * per_step + i, ch));
    }
  }
  for (std::uint32_t ow = steps * per_step; ow < w_out; ++ow) {
    plane_leftover(c, p, ch, oh, ow, row0, ow * c.stride_w(), b);
  }
}

void plane_program(const KernelCall& c, CoreItems channels, std::uint32_t scratch, CoreProgramBuilder& b) {
  const Plane p = plane_of(c, scratch);
  plane_border(c, p, b);
  for (std::uint32_t ch = channels.begin; ch < channels.end; ++ch) {
    channel_setup(c, ch, b);
    plane_gather(c, p, ch, b);
    plane_filter(c, ch, b);
    b.loop_setup();  // the output row loop
    for (std::uint32_t oh = 0; oh < c.h_out(); ++oh) plane_row(c, p, ch, oh, b);
  }
}

}  // namespace

CoreProgram depthwise_program(const KernelCall& call, int core, int cores) {
  CoreProgram program;
  const CoreItems channels = core_items(call.c_out(), core, cores);
  if (channels.count() == 0) return program;
  CoreProgramBuilder b(program);
  if (call.depthwise_plane()) {
    const std::uint64_t per_core = isa::pulp::depthwise_plane_scratch_bytes((call.h_out() - 1) * call.stride_h() + 3,
                                                                             (call.w_out() - 1) * call.stride_w() + 3);
    plane_program(call, channels, u32(call.im2col() + per_core * static_cast<std::uint64_t>(core)), b);
  } else {
    window_program(call, channels, u32(call.im2col() + window_strip_bytes(call) * static_cast<std::uint64_t>(core)), b);
  }
  return program;
}

}  // namespace wb::sim::pulp
