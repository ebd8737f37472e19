// The matmul family's per-core programs: CONV, POINTWISE and GROUPED_CONV (PULP-NN's
// pulp_nn_conv_{Ho,HoWo,Co}_parallel / pulp_nn_pointwise_*: im2col of two output pixels, then
// pulp_nn_matmul's 4x2 block) and LINEAR (2 outputs per loop). Counts are read off PULP-NN's C
// (github.com/pulp-platform/pulp-nn, 32bit/src) as RI5CY executes it (and MATMUL, ours: the
// same 4x2 matmul over two activations, b transposed first when it comes by rows): one operation per
// instruction, post-increment addressing (pointer bumps are free), hardware loops for the two
// innermost levels (lp.setup once, no per-iteration cost), outer loops closed by a taken branch.
// Where our kernels differ from PULP-NN's (int32 bias, per-channel requant with rounding,
// input-channel tiling, groups) the difference is said where it is emitted.
#include <algorithm>
#include <cstdint>

#include "isa/pulp_program.h"
#include "isa/pulp_timing.h"
#include "sim/pulp/programs/families.h"

namespace wb::sim::pulp {

namespace {

using isa::pulp::KernelCall;

// A kernel's prologue: core id (csrr), log2 of the core count (p.fl1), the chunk
// (srl, and, sltu, add), start and stop (mul, p.minu, add, p.minu), the core's output and
// im2col pointers (3 mul/add each): 17 instructions, as pulp_nn_conv_Ho_parallel's first lines.
constexpr std::uint32_t kPrologueAlu = 17;
// An output pixel of the conv: the padding-region tests before its im2col (i_out_y against
// pad_top and h_out - pad_bottom, i_out_x against pad_left and w_out - pad_right) and the
// "two columns ready" test after it; the pixel loop closes with a taken branch.
constexpr std::uint32_t kPixelAlu = 5;
// An output row: its loop counter, bound test and the column counter's reset; a taken branch.
constexpr std::uint32_t kRowAlu = 3;
// One run of the im2col copy (pulp_nn_im2col_int8 inlined, or pulp_zero_mem): the source
// pointer (i_ker_y * dim_in_x + i_ker_x) * ch_in (mul, add, mul, add), the word count (srli)
// and the leftover count (andi); its kernel loop closes with a taken branch.
constexpr std::uint32_t kIm2colRunAlu = 6;
// A pulp_nn_matmul call per pixel pair (and group pass): 11 argument registers set, the
// jal and the ret (two taken branches), the im2col pointer's reset.
constexpr std::uint32_t kMatmulCallAlu = 12;
// A 4-channel block's setup in pulp_nn_matmul: pB, pB2, pA2, pA3, pA4 (5 add), the leftover
// byte count (andi); its end: pA += 3 * num_col_im2col (mul, add).
constexpr std::uint32_t kBlockSetupAlu = 6, kBlockEndAlu = 2;
// MATMUL's pair of rows of a (the 4x2 matmul inlined, no call): the second row's pointer
// (add), the two output rows' pointers (2 add), b's pointer back to its first row (mv), the
// pair counter (addi); the pair loop closes with a taken branch.
constexpr std::uint32_t kProductPairAlu = 5;

// The call's matmul geometry: output channel c of group g = c / cout_g reads input channels
// [g * cin_g, (g + 1) * cin_g) over the k_h x k_w window, K = k_h * k_w * cin_g bytes (a row of
// the weights [c_out][k_h][k_w][cin_g], and a column of the im2col buffer).
struct Geometry {
  std::uint32_t groups = 1, cin_g = 0, cout_g = 0, k = 0;
  bool im2col = false;
};

Geometry geometry_of(const KernelCall& c) {
  Geometry g;
  g.groups = c.kind() == isa::pulp::KERNEL_GROUPED_CONV ? std::max(c.groups(), 1u) : 1u;
  g.cin_g = c.c_in() / g.groups;
  g.cout_g = c.c_out() / g.groups;
  g.k = c.k_h() * c.k_w() * g.cin_g;
  g.im2col = c.kind() != isa::pulp::KERNEL_POINTWISE && c.kind() != isa::pulp::KERNEL_LINEAR &&
             c.kind() != isa::pulp::KERNEL_MATMUL;
  return g;
}

// Writes one core's operations for a matmul-family call.
class MatmulEmitter {
 public:
  MatmulEmitter(const KernelCall& call, int core, CoreProgram& program)
      : c_(call), g_(geometry_of(call)), b_(program), core_(static_cast<std::uint32_t>(core)) {
    // MATMUL's "filters" are the rows of b(n, .): b itself, or its transposed copy.
    filters_ = c_.kind() != isa::pulp::KERNEL_MATMUL ? c_.weights() : c_.matmul_b_by_rows() ? c_.im2col() : c_.input_b();
    partial_in_ = c_.cin_tiled() && !c_.first_cin_tile();
    partial_out_ = c_.cin_tiled() && !c_.last_cin_tile();
    const isa::Requant& r = c_.requant();
    per_channel_loads_ = (r.multiplier_size() > 1) + (r.offset_size() > 1) + (r.shift_size() > 1);
    requant_alu_ = 1 /* p.mac (or p.mul) */ + 1 /* the rounding add */ + 1 /* sra */ + 1 /* p.clip */ +
                   (r.intermediate_bits() == 16 ? 1u : 0u) /* p.exths: the int16 intermediate */;
  }

  // The conv family over the core's output pixels [first, last) (row-major, tile-local) and
  // output channels [c_begin, c_end).
  void conv(std::uint64_t first, std::uint64_t last, std::uint32_t c_begin, std::uint32_t c_end) {
    if (first >= last || c_begin >= c_end) return;
    b_.alu(kPrologueAlu);
    conv_pixels(first, last, c_begin, c_end);
  }

  // PULP-NN's pointwise HoWo split (isa::pulp::pointwise_howo_block): the core's columns of each
  // of its rows, pixels paired within the row's columns.
  void conv_block(const isa::pulp::PixelBlock& block, std::uint32_t c_begin, std::uint32_t c_end) {
    if (block.rows() == 0 || block.cols() == 0 || c_begin >= c_end) return;
    b_.alu(kPrologueAlu);
    const std::uint64_t w = c_.w_out();
    for (std::uint64_t r = block.row_begin; r < block.row_end; ++r) {
      conv_pixels(r * w + block.col_begin, r * w + block.col_end, c_begin, c_end);
    }
  }

  void conv_pixels(std::uint64_t first, std::uint64_t last, std::uint32_t c_begin, std::uint32_t c_end) {
    // Pixels pair up in the core's order: the conv fills its two im2col columns across row
    // ends (pulp_nn_conv_Ho_parallel); the pointwise kernel pairs within an output row and
    // leaves a row's odd pixel over (pulp_nn_pointwise_Ho_parallel), except the HoWo split,
    // whose pixel chunks are even.
    const bool pairs_within_rows = !g_.im2col && c_.parallel() != isa::pulp::PARALLEL_HOWO;
    std::uint64_t row = ~std::uint64_t{0};
    const auto enter_row_of = [&](std::uint64_t pixel) {
      if (pixel / c_.w_out() == row) return;
      row = pixel / c_.w_out();
      b_.alu(kRowAlu);
      b_.branch();
    };
    for (std::uint64_t p = first; p < last;) {
      enter_row_of(p);
      const bool pair = p + 1 < last && (!pairs_within_rows || (p + 1) / c_.w_out() == row);
      for_each_pass(c_begin, c_end, [&](std::uint32_t group, std::uint32_t cb, std::uint32_t ce) {
        pixel_column(p, group, 0);
        if (pair) pixel_column(p + 1, group, 1);
        b_.alu(kMatmulCallAlu);
        b_.branch();
        b_.branch();
        if (pair) {
          matmul_4x2(p, cb, ce);
        } else {
          matmul_4x1(p, cb, ce);
        }
      });
      if (pair) enter_row_of(p + 1);
      p += pair ? 2 : 1;
    }
  }

  // MATMUL's transpose of b (c_in x c_out) into the c_out x c_in scratch, the scratch's rows
  // [n_begin, n_end): per row the source pointer (b + n, add) and the inner loop's lp.setup, then
  // per byte p.lbu with the post-increment c_out (b's column) and sb into the row: the store
  // reads what the load just read (a load-use stall). The rows are an outer hardware loop.
  void transpose(std::uint32_t n_begin, std::uint32_t n_end) {
    if (n_begin >= n_end) return;
    b_.alu(static_cast<std::uint32_t>(kMatMulTransposeSetup) - 1);
    b_.loop_setup();
    const std::uint64_t c_in = c_.c_in(), c_out = c_.c_out();
    for (std::uint32_t n = n_begin; n < n_end; ++n) {
      b_.alu(1);
      b_.loop_setup();
      for (std::uint64_t k = 0; k < c_in; ++k) {
        b_.load(static_cast<std::uint32_t>(c_.input_b() + k * c_out + n), 1, /*feeds_next=*/true);
        b_.store(static_cast<std::uint32_t>(c_.im2col() + n * c_in + k), 1);
      }
    }
  }

  // MATMUL over the core's rows [m_begin, m_end) of a: rows pair up (a's rows are dense, so the
  // pair's second row follows the first), each pair the 4x2 matmul over all c_out columns; an
  // odd last row the 4x1. The sums start at zero, or at Swin's bias (an lw per output in place
  // of the li); one requant for the tensor.
  void product(std::uint32_t m_begin, std::uint32_t m_end) {
    if (m_begin >= m_end) return;
    b_.alu(kPrologueAlu);
    for (std::uint32_t m = m_begin; m < m_end;) {
      const bool pair = m + 1 < m_end;
      b_.alu(kProductPairAlu);
      if (pair) {
        matmul_4x2(m, 0, c_.c_out());
      } else {
        matmul_4x1(m, 0, c_.c_out());
      }
      b_.branch();
      m += pair ? 2 : 1;
    }
  }

  // LINEAR over the core's outputs [o_begin, o_end): 2 outputs per loop, per 4 inputs one
  // input word and a word of each output's weights, 2 dot products (PULP-NN's pulp_nn_linear
  // as DORY's backend unrolls it by 2; the predictor's `linear_2_iteration`).
  void linear(std::uint32_t o_begin, std::uint32_t o_end) {
    if (o_begin >= o_end) return;
    b_.alu(kPrologueAlu);
    const std::uint32_t words = c_.c_in() / 4, bytes = c_.c_in() % 4;
    const auto x = static_cast<std::uint32_t>(c_.input());
    std::uint32_t o = o_begin;
    for (; o + 1 < o_end; o += 2) {
      b_.alu(3);  // pA = input, pB = weights + o * dim_vec, pB2 = pB + dim_vec
      initial_sums(0, o, o + 2, /*pixels=*/1);
      b_.loop_setup();
      for (std::uint32_t j = 0; j < words; ++j) {
        b_.load(x + 4 * j, 4);
        b_.load(weight(o, 4 * j), 4);
        b_.load(weight(o + 1, 4 * j), 4);
        b_.dot_product(2);
      }
      if (bytes > 0) {
        b_.loop_setup();
        for (std::uint32_t j = 4 * words; j < c_.c_in(); ++j) {
          b_.load(x + j, 1);
          b_.load(weight(o, j), 1);
          b_.load(weight(o + 1, j), 1);
          b_.alu(2);  // two p.mac; the second operand loaded two instructions before the first
        }
      }
      finish(0, o);
      finish(0, o + 1);
      b_.branch();
    }
    if (o < o_end) {
      b_.alu(2);
      initial_sums(0, o, o + 1, 1);
      b_.loop_setup();
      for (std::uint32_t j = 0; j < words; ++j) {
        b_.load(x + 4 * j, 4);
        b_.load(weight(o, 4 * j), 4);
        b_.dot_product();
      }
      scalar_bytes_1x1(x + 4 * words, o, 4 * words);
      finish(0, o);
    }
  }

 private:
  // Calls f(group, cb, ce) for each group the channels [c_begin, c_end) touch, with the
  // group's part of them: one pass for a standard conv; a grouped conv runs PULP-NN's conv per
  // group (its im2col of the group's input channels, its matmul over the group's filters).
  template <class F>
  void for_each_pass(std::uint32_t c_begin, std::uint32_t c_end, F&& f) {
    for (std::uint32_t group = c_begin / g_.cout_g; group * g_.cout_g < c_end; ++group) {
      f(group, std::max(c_begin, group * g_.cout_g), std::min(c_end, (group + 1) * g_.cout_g));
    }
  }

  std::uint32_t weight(std::uint32_t channel, std::uint32_t byte) const {
    return static_cast<std::uint32_t>(filters_ + std::uint64_t{channel} * g_.k + byte);
  }
  std::uint32_t im2col_column(std::uint32_t column) const {
    return static_cast<std::uint32_t>(c_.im2col() + (2 * std::uint64_t{core_} + column) * g_.k);
  }
  std::uint32_t output(std::uint64_t pixel, std::uint32_t channel) const {
    return static_cast<std::uint32_t>(c_.output() + pixel * c_.c_out() + channel);
  }
  std::uint32_t partial(std::uint64_t pixel, std::uint32_t channel) const {
    return static_cast<std::uint32_t>(c_.accumulator() + 4 * (pixel * c_.c_out() + channel));
  }
  std::uint32_t input(std::int64_t ih, std::int64_t iw, std::uint32_t channel) const {
    return static_cast<std::uint32_t>(c_.input() + (static_cast<std::uint64_t>(ih) * c_.w_in() +
                                                     static_cast<std::uint64_t>(iw)) * c_.c_in() + channel);
  }
  // Where column `column`'s K bytes are read from: the im2col buffer, or for the pointwise
  // kernel the input pixel itself (its K = c_in bytes are contiguous in HWC).
  std::uint32_t column_base(std::uint64_t pixel, std::uint32_t column) const {
    if (g_.im2col) return im2col_column(column);
    const std::uint64_t oh = pixel / c_.w_out(), ow = pixel % c_.w_out();
    return input(static_cast<std::int64_t>(oh * c_.stride_h()), static_cast<std::int64_t>(ow * c_.stride_w()), 0);
  }

  // The im2col of one output pixel into column `column` of the core's buffer, as
  // pulp_nn_conv_Ho_parallel builds it: a kernel row inside the tile is one copy of
  // k_w * c_in bytes; a row that meets the padding goes kernel position by position, each a
  // copy of c_in bytes or c_in zeros. A grouped conv copies its group's cin_g bytes per
  // kernel position (the group's slice of each pixel), and so does a dilated conv (its kernel
  // columns are dilation_w pixels apart: PULP-NN has no dilation; ours gathers position by
  // position, the same loop). The pointwise kernel has no im2col.
  void pixel_column(std::uint64_t pixel, std::uint32_t group, std::uint32_t column) {
    b_.alu(kPixelAlu);
    b_.branch();
    if (!g_.im2col) return;
    const std::int64_t oh = static_cast<std::int64_t>(pixel / c_.w_out()), ow = static_cast<std::int64_t>(pixel % c_.w_out());
    const std::int64_t ih0 = oh * c_.stride_h() - c_.pad_top(), iw0 = ow * c_.stride_w() - c_.pad_left();
    std::uint32_t to = im2col_column(column);
    const std::int64_t dh = isa::pulp::dilation_or_one(c_.dilation_h()), dw = isa::pulp::dilation_or_one(c_.dilation_w());
    const bool row_is_one_run = g_.groups == 1 && dw == 1 && iw0 >= 0 && iw0 + c_.k_w() <= c_.w_in();
    for (std::uint32_t r = 0; r < c_.k_h(); ++r) {
      const std::int64_t ih = ih0 + r * dh;
      const bool row_inside = ih >= 0 && ih < c_.h_in();
      if (row_inside && row_is_one_run) {
        copy_run(input(ih, iw0, 0), to, c_.k_w() * c_.c_in());
        to += c_.k_w() * c_.c_in();
        continue;
      }
      for (std::uint32_t q = 0; q < c_.k_w(); ++q) {
        const std::int64_t iw = iw0 + q * dw;
        if (row_inside && iw >= 0 && iw < c_.w_in()) {
          copy_run(input(ih, iw, group * g_.cin_g), to, g_.cin_g);
        } else {
          zero_run(to, g_.cin_g);
        }
        to += g_.cin_g;
      }
    }
  }

  // pulp_nn_im2col_int8: a hardware loop of word copies, then the leftover bytes. The store
  // writes the word the load just read: the loop body is those two instructions, so every
  // load's result is used by the next one (a load-use stall per word and per byte).
  void copy_run(std::uint32_t from, std::uint32_t to, std::uint32_t bytes) {
    b_.alu(kIm2colRunAlu);
    b_.branch();
    b_.loop_setup();
    const std::uint32_t words = bytes / 4;
    for (std::uint32_t i = 0; i < words; ++i) {
      b_.load(from + 4 * i, 4, /*feeds_next=*/true);
      b_.store(to + 4 * i, 4);
    }
    if (bytes % 4 != 0) {
      b_.loop_setup();
      for (std::uint32_t i = 4 * words; i < bytes; ++i) {
        b_.load(from + i, 1, /*feeds_next=*/true);
        b_.store(to + i, 1);
      }
    }
  }

  // pulp_zero_mem: word stores of zero, then the leftover bytes.
  void zero_run(std::uint32_t to, std::uint32_t bytes) {
    b_.alu(kIm2colRunAlu);
    b_.branch();
    b_.loop_setup();
    const std::uint32_t words = bytes / 4;
    for (std::uint32_t i = 0; i < words; ++i) b_.store(to + 4 * i, 4);
    if (bytes % 4 != 0) {
      b_.loop_setup();
      for (std::uint32_t i = 4 * words; i < bytes; ++i) b_.store(to + i, 1);
    }
  }

  // The accumulators of channels [cb, ce) for `pixels` pixels from `pixel` on: the int32 bias
  // (one lw per channel, copied into the second pixel's accumulator with a mv; a MATMUL's bias
  // is per output, one lw each), zeros without a bias (li), or on a later input-channel tile
  // the partial sums of every output (lw each).
  void initial_sums(std::uint64_t pixel, std::uint32_t cb, std::uint32_t ce, std::uint32_t pixels) {
    for (std::uint32_t ch = cb; ch < ce; ++ch) {
      if (partial_in_) {
        for (std::uint32_t p = 0; p < pixels; ++p) b_.load(partial(pixel + p, ch), 4);
      } else if (c_.has_bias() && c_.kind() == isa::pulp::KERNEL_MATMUL) {
        // Swin's scores: a bias per output (lw each, in place of the li).
        for (std::uint32_t p = 0; p < pixels; ++p) {
          b_.load(static_cast<std::uint32_t>(c_.bias() + 4 * ((pixel + p) * c_.c_out() + ch)), 4);
        }
      } else if (c_.has_bias()) {
        b_.load(static_cast<std::uint32_t>(c_.bias() + 4 * std::uint64_t{ch}), 4);
        if (pixels > 1) b_.alu(pixels - 1);
      } else {
        b_.alu(pixels);
      }
    }
  }

  // The end of one channel's sums: per output the requant's per-channel constants (k and
  // lambda in pulp_nn_bn_quant_u8; ours: every requant field with an entry per channel), the
  // arithmetic and the byte store. PULP-NN writes `*pOut = pulp_nn_bn_quant_u8(sum, *k,
  // *lambda, ...)` for each pixel of the pair: the uint8_t store may alias k and lambda, so the
  // compiled code loads both again for the second pixel, and the multiply-accumulate reads the
  // lambda loaded just before it (a load-use stall). A non-last input-channel tile stores the
  // int32 partial sum instead (sw, post-increment).
  void finish_channel(std::uint64_t pixel, std::uint32_t ch, std::uint32_t pixels) {
    if (partial_out_) {
      for (std::uint32_t p = 0; p < pixels; ++p) b_.store(partial(pixel + p, ch), 4);
      return;
    }
    for (std::uint32_t p = 0; p < pixels; ++p) {
      for (std::uint32_t i = 0; i < per_channel_loads_; ++i) {
        b_.load(requant_constant(ch), 4, /*feeds_next=*/i + 1 == per_channel_loads_);
      }
      b_.alu(requant_alu_);
      b_.store(output(pixel + p, ch), 1);
    }
  }
  void finish(std::uint64_t pixel, std::uint32_t ch) { finish_channel(pixel, ch, 1); }

  // The call carries no L1 address for the requant's per-channel constants (the tiler reserves
  // 8 bytes per output channel for them, but the tile program places only the bias): their
  // loads read the channel's bias word, an int32 array of the same shape beside which DORY keeps
  // them; without a bias, the first word of the channel's filter row.
  std::uint32_t requant_constant(std::uint32_t ch) const {
    if (c_.has_bias()) return static_cast<std::uint32_t>(c_.bias() + 4 * std::uint64_t{ch});
    return std::max(static_cast<std::uint32_t>(c_.weights()), weight(ch, 0) & ~3u);
  }

  // The sums of `filters` output channels from ch (4: the 4x2 block, 1: a leftover channel's
  // 1x2) over K for the two columns at xa and xb. Per 4 bytes of K the filters' words and the
  // two columns' words, then 2 dot products per filter (pv.sdotusp.b); a word's first use is at
  // least two instructions after its load. The K % 4 leftover bytes: byte loads, then 2 p.mac
  // per filter (the asm barrier keeps the loads first; the scheduler starts with a product whose
  // operands are not the last load's, so no load-use stall).
  void sums_over_k(std::uint32_t ch, std::uint32_t filters, std::uint32_t xa, std::uint32_t xb, std::uint32_t words,
                   std::uint32_t bytes) {
    b_.loop_setup();
    for (std::uint32_t j = 0; j < words; ++j) {
      for (std::uint32_t f = 0; f < filters; ++f) b_.load(weight(ch + f, 4 * j), 4);
      b_.load(xa + 4 * j, 4);
      b_.load(xb + 4 * j, 4);
      b_.dot_product(2 * filters);
    }
    if (bytes == 0) return;
    b_.loop_setup();
    for (std::uint32_t j = 4 * words; j < g_.k; ++j) {
      for (std::uint32_t f = 0; f < filters; ++f) b_.load(weight(ch + f, j), 1);
      b_.load(xa + j, 1);
      b_.load(xb + j, 1);
      b_.alu(2 * filters);
    }
  }

  // pulp_nn_matmul over output channels [cb, ce) (of one group) for the pixel pair (pixel,
  // pixel + 1): 4-channel blocks, then the leftover channels one at a time (1x2).
  void matmul_4x2(std::uint64_t pixel, std::uint32_t cb, std::uint32_t ce) {
    const std::uint32_t words = g_.k / 4, bytes = g_.k % 4;
    const std::uint32_t xa = column_base(pixel, 0), xb = g_.im2col ? im2col_column(1) : column_base(pixel + 1, 1);
    b_.loop_setup();  // the block loop
    std::uint32_t ch = cb;
    for (; ch + 4 <= ce; ch += 4) {
      b_.alu(kBlockSetupAlu);
      initial_sums(pixel, ch, ch + 4, 2);
      sums_over_k(ch, 4, xa, xb, words, bytes);
      for (std::uint32_t f = 0; f < 4; ++f) finish_channel(pixel, ch + f, 2);
      b_.alu(kBlockEndAlu);
    }
    for (; ch < ce; ++ch) {
      b_.alu(2);  // pB, pB2
      initial_sums(pixel, ch, ch + 1, 2);
      sums_over_k(ch, 1, xa, xb, words, bytes);
      finish_channel(pixel, ch, 2);
      b_.alu(1);  // chan_left--
      b_.branch();
    }
  }

  // The odd pixel: 4-channel blocks of 4 filter words against the column's word (the 4x1 of
  // docs/pulp.md's timing model), then the leftover channels one dot product at a time (1x1).
  void matmul_4x1(std::uint64_t pixel, std::uint32_t cb, std::uint32_t ce) {
    const std::uint32_t words = g_.k / 4, bytes = g_.k % 4;
    const std::uint32_t xa = column_base(pixel, 0);
    b_.loop_setup();
    std::uint32_t ch = cb;
    for (; ch + 4 <= ce; ch += 4) {
      b_.alu(kBlockSetupAlu - 1);  // no pB2
      initial_sums(pixel, ch, ch + 4, 1);
      b_.loop_setup();
      for (std::uint32_t j = 0; j < words; ++j) {
        b_.load(xa + 4 * j, 4);
        for (std::uint32_t f = 0; f < 4; ++f) b_.load(weight(ch + f, 4 * j), 4);
        b_.dot_product(4);
      }
      if (bytes > 0) {
        b_.loop_setup();
        for (std::uint32_t j = 4 * words; j < g_.k; ++j) {
          b_.load(xa + j, 1);  // loaded first: all four products read it
          for (std::uint32_t f = 0; f < 4; ++f) b_.load(weight(ch + f, j), 1);
          b_.alu(4);
        }
      }
      for (std::uint32_t f = 0; f < 4; ++f) finish_channel(pixel, ch + f, 1);
      b_.alu(kBlockEndAlu);
    }
    for (; ch < ce; ++ch) {
      b_.alu(1);
      initial_sums(pixel, ch, ch + 1, 1);
      b_.loop_setup();
      for (std::uint32_t j = 0; j < words; ++j) {
        b_.load(weight(ch, 4 * j), 4);
        b_.load(xa + 4 * j, 4);
        b_.dot_product();
      }
      scalar_bytes_1x1(xa + 4 * words, ch, 4 * words);
      finish_channel(pixel, ch, 1);
      b_.alu(1);
      b_.branch();
    }
  }

  // The leftover bytes of a single sum (PULP-NN's conv and pointwise leftover pixel, the
  // linear's last output): lb the weight, lbu the input, p.mac. The loop body is just these,
  // and the asm barrier keeps both loads before the product: the input's load feeds it.
  void scalar_bytes_1x1(std::uint32_t x, std::uint32_t ch, std::uint32_t first_byte) {
    if (first_byte >= g_.k) return;
    b_.loop_setup();
    for (std::uint32_t j = first_byte; j < g_.k; ++j) {
      b_.load(weight(ch, j), 1);
      b_.load(x + (j - first_byte), 1, /*feeds_next=*/true);
      b_.alu();
    }
  }

  const KernelCall& c_;
  const Geometry g_;
  CoreProgramBuilder b_;
  const std::uint32_t core_;
  bool partial_in_ = false, partial_out_ = false;
  std::uint32_t per_channel_loads_ = 0, requant_alu_ = 0;
  std::uint64_t filters_ = 0;  // where output channel 0's K bytes start
};

}  // namespace

CoreProgram matmul_program(const KernelCall& call, int core, int cores) {
  CoreProgram program;
  MatmulEmitter emit(call, core, program);
  const std::uint32_t h = call.h_out(), w = call.w_out(), c_out = call.c_out();
  switch (call.parallel()) {
    case isa::pulp::PARALLEL_HOWO: {
      if (call.kind() == isa::pulp::KERNEL_POINTWISE) {
        emit.conv_block(isa::pulp::pointwise_howo_block(h, w, core, cores), 0, c_out);
        break;
      }
      const CoreItems pixels = core_items(h * w, core, cores, 2);
      emit.conv(pixels.begin, pixels.end, 0, c_out);
      break;
    }
    case isa::pulp::PARALLEL_CO: {
      const CoreItems channels = core_items(c_out, core, cores, 4);
      emit.conv(0, std::uint64_t{h} * w, channels.begin, channels.end);
      break;
    }
    default: {
      const CoreItems rows = core_items(h, core, cores, 1);
      emit.conv(std::uint64_t{rows.begin} * w, std::uint64_t{rows.end} * w, 0, c_out);
      break;
    }
  }
  return program;
}

CoreProgram linear_program(const KernelCall& call, int core, int cores) {
  CoreProgram program;
  MatmulEmitter emit(call, core, program);
  const CoreItems outputs = core_items(call.c_out(), core, cores, 1);
  emit.linear(outputs.begin, outputs.end);
  return program;
}

CoreProgram product_program(const KernelCall& call, int core, int cores) {
  CoreProgram program;
  MatmulEmitter emit(call, core, program);
  const CoreItems rows = core_items(call.h_out(), core, cores, 1);
  if (call.matmul_b_by_rows() && !call.matmul_b_transposed()) {
    // Every core transposes its share of the scratch's rows; all wait for the whole scratch.
    // With matmul_b_transposed an earlier call did it: the products read the scratch at once.
    const CoreItems scratch_rows = core_items(call.c_out(), core, cores, 1);
    if (scratch_rows.count() == 0 && rows.count() == 0) return program;
    emit.transpose(scratch_rows.begin, scratch_rows.end);
    CoreProgramBuilder(program).barrier();
  }
  emit.product(rows.begin, rows.end);
  return program;
}

}  // namespace wb::sim::pulp
