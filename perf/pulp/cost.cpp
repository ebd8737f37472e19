#include "perf/pulp/cost.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "isa/pulp_program.h"
#include "isa/pulp_timing.h"
#include "support/math.h"

namespace wb::perf::pulp {

using namespace isa::pulp;  // the program format this model reads

namespace {

// The share of `total` items core `core` gets when chunks of `chunk` go to cores in order.
std::uint64_t share(std::uint64_t total, std::uint64_t chunk, int core) {
  const std::uint64_t begin = chunk * static_cast<std::uint64_t>(core);
  return begin >= total ? 0 : std::min(chunk, total - begin);
}

struct Work {
  std::uint64_t cycles = 0;
  std::uint64_t loads = 0;
  void add(std::uint64_t c, std::uint64_t l) {
    cycles += c;
    loads += l;
  }
};

// The output channels one core computes, as the passes of the 4x2 matmul over them: a
// standard conv makes one pass over all its channels; a grouped conv one pass per group it
// touches (its im2col of that group's input channels, then that group's channels of the core).
struct OutputPasses {
  std::uint64_t passes = 0;  // group passes (1 for a standard conv)
  std::uint64_t blocks = 0;  // 4-channel blocks over all passes
  std::uint64_t left = 0;    // channels left over after each pass's blocks, summed
  void add(std::uint64_t channels, std::uint64_t count = 1) {
    if (channels == 0 || count == 0) return;
    passes += count;
    blocks += count * (channels / 4);
    left += count * (channels % 4);
  }
};

// Output channels [begin, end) of a call with `groups` groups of `per_group` channels: a
// partial group at each end, whole groups between.
OutputPasses passes_of(std::uint64_t begin, std::uint64_t end, std::uint64_t groups, std::uint64_t per_group) {
  OutputPasses p;
  if (begin >= end) return p;
  if (groups <= 1 || per_group == 0) {
    p.add(end - begin);
    return p;
  }
  const std::uint64_t first = begin / per_group, last = (end - 1) / per_group;
  if (first == last) {
    p.add(end - begin);
    return p;
  }
  p.add((first + 1) * per_group - begin);
  p.add(per_group, last - first - 1);
  p.add(end - last * per_group);
  return p;
}

// The groups of a grouped conv call (1 for every other kind).
std::uint64_t call_groups(const KernelCall& call) {
  return call.kind() == KERNEL_GROUPED_CONV ? std::max<std::uint64_t>(call.groups(), 1) : 1;
}

// im2col + 4x2 matmul over `pixels` output pixels and the output channels of `out`, K bytes
// each (K = k_h * k_w * the channels of one group).
Work matmul_work(std::uint64_t pixels, const OutputPasses& out, std::uint64_t rows, const KernelCall& call, bool im2col,
                 const KernelCycles& k) {
  Work w;
  if (pixels == 0 || out.passes == 0) return w;
  const std::uint64_t groups = call_groups(call);
  const std::uint64_t group_c_in = call.c_in() / groups;
  const std::uint64_t kdim = std::uint64_t{call.k_h()} * call.k_w() * group_c_in;
  const std::uint64_t words = kdim / 4, bytes = kdim % 4;
  const std::uint64_t blocks = out.blocks, left = out.left;
  // Input-channel tiles: all but the first start from the partial sums (8 word loads instead
  // of 4 bias loads per block); all but the last store partial sums instead of requantising.
  const std::uint64_t setup = static_cast<std::uint64_t>(k.matmul_block_setup) +
                              (call.cin_tiled() && !call.first_cin_tile() ? 4 : 0);
  const std::uint64_t rq = call.cin_tiled() && !call.last_cin_tile() ? static_cast<std::uint64_t>(k.partial_store)
                                                                      : static_cast<std::uint64_t>(k.requant_per_output);
  const std::uint64_t pairs = pixels / 2, odd = pixels % 2;
  // A pixel pair: per pass, every 4-channel block, then the leftover channels one at a time,
  // and the pointer updates of the pass (im2col buffers, output pointers at the pass's
  // channels, weights at its filters: what the standard kernel does once per pixel pair).
  w.add(pairs * (blocks * (words * static_cast<std::uint64_t>(k.matmul_4x2_iteration) +
                           bytes * static_cast<std::uint64_t>(k.matmul_byte_leftover_4x2) + setup + 8 * rq) +
                 left * (words * static_cast<std::uint64_t>(k.matmul_1x2_iteration) + bytes * 4 + setup / 2 + 2 * rq) +
                 out.passes * static_cast<std::uint64_t>(k.pixel_pair_overhead)),
        pairs * (blocks * (words * 6 + bytes * 6 + 4) + left * (words * 3 + bytes * 3 + 1)));
  w.add(odd * (blocks * (words * static_cast<std::uint64_t>(k.matmul_4x1_iteration) + bytes * 7 + setup + 4 * rq) +
               left * (words * 3 + bytes * 2 + setup / 2 + rq)),
        odd * (blocks * (words * 5 + bytes * 5 + 4) + left * (words * 2 + bytes * 2 + 1)));
  if (im2col) {
    // Per pixel and pass, each kernel row: one contiguous run of k_w * c_in bytes when the
    // call has one group and no dilation; else k_w runs of the group's channels, apart by
    // c_in bytes (groups) or dilation_w pixels.
    std::uint64_t row_words = 0, row_cycles = 0;
    if (groups == 1 && isa::pulp::dilation_or_one(call.dilation_w()) == 1) {
      row_words = ceil_div<std::uint64_t>(std::uint64_t{call.k_w()} * call.c_in(), 4);
      row_cycles = static_cast<std::uint64_t>(k.im2col_row_setup) + k.im2col_word * row_words;
    } else {
      row_words = std::uint64_t{call.k_w()} * ceil_div<std::uint64_t>(group_c_in, 4);
      row_cycles = static_cast<std::uint64_t>(k.im2col_row_setup) +
                   std::uint64_t{call.k_w()} * static_cast<std::uint64_t>(k.im2col_run_setup) +
                   k.im2col_word * row_words;
    }
    w.add(pixels * out.passes * call.k_h() * row_cycles, pixels * out.passes * call.k_h() * row_words);
  }
  w.add(rows * static_cast<std::uint64_t>(k.row_overhead), 0);
  return w;
}

Work depthwise_work(std::uint64_t channels, const KernelCall& call, const KernelCycles& k) {
  Work w;
  if (channels == 0) return w;
  const std::uint64_t window = std::uint64_t{call.k_h()} * call.k_w();
  const std::uint64_t pixels = std::uint64_t{call.h_out()} * call.w_out();
  const std::uint64_t plane = std::uint64_t{call.h_in()} * call.w_in();
  // A dilated window is k_h runs of k_w strip bytes, each its own words and leftover bytes.
  const std::uint64_t dots = isa::pulp::dilation_or_one(call.dilation_h()) == 1
                                 ? ceil_div<std::uint64_t>(window, 4)
                                 : call.k_h() * ceil_div<std::uint64_t>(call.k_w(), 4);
  const std::uint64_t per_pixel = window * static_cast<std::uint64_t>(k.depthwise_window_byte) +
                                  dots * static_cast<std::uint64_t>(k.depthwise_dot_word) +
                                  static_cast<std::uint64_t>(k.requant_per_output + k.depthwise_pixel_overhead);
  // The strip: the HWC tile's strided byte gather, or a channel-major tile's word copies per
  // strip row of every output column (pulp_nn_depthwise_generic's).
  std::uint64_t strip_cycles = plane * static_cast<std::uint64_t>(k.depthwise_gather_byte), strip_loads = plane;
  if (call.input_chw()) {
    const std::uint64_t strip_rows = std::uint64_t{call.w_out()} * (call.h_in() + call.pad_top() + call.pad_bottom());
    const std::uint64_t words = ceil_div<std::uint64_t>(call.k_w(), 4);
    strip_cycles = strip_rows * words * static_cast<std::uint64_t>(k.depthwise_chw_strip_word);
    strip_loads = strip_rows * words;
  }
  w.add(channels * (strip_cycles + pixels * per_pixel + static_cast<std::uint64_t>(k.depthwise_channel_overhead)),
        channels * (strip_loads + pixels * (window + 2 * dots + 2)));
  return w;
}

// The plane depthwise kernel (docs/pulp.md, "Plane depthwise"): the border of the core's plane is
// zeroed once per call (one store per cycle: a word per 4 bytes of a pad row, a byte per pad
// column of an input row), then per channel the gather, the filter and the output rows.
Work depthwise_plane_work(std::uint64_t channels, const KernelCall& call, const KernelCycles& k) {
  Work w;
  if (channels == 0) return w;
  const std::uint64_t h_in = call.h_in(), w_in = call.w_in(), h_out = call.h_out(), w_out = call.w_out();
  const std::uint64_t pitch = depthwise_plane_pitch(w_in + call.pad_left() + call.pad_right());
  const auto c = [](int count) { return static_cast<std::uint64_t>(count); };
  const std::uint64_t per_output = c(k.requant_per_output + k.plane_accumulator_init);
  std::uint64_t row_cycles = c(k.row_overhead), row_loads = 0;
  if (call.stride_w() == 1) {
    // 4 outputs per step from the words at 4j and 4j + 4 of each kernel row; a leftover output
    // loads its window's word wherever it starts (misaligned) and makes one dot product per row.
    const std::uint64_t steps = w_out / 4, left = w_out % 4;
    row_cycles += steps * (3 * c(k.plane_s1_row_step) + 4 * per_output) +
                  left * (3 * (c(k.misaligned_load) + 1) + per_output);
    row_loads += steps * (3 * 2 + 4 * 2) + left * (3 + 2);
  } else {
    // 2 outputs per step from the words at 4j and 4j + 4; a leftover output's window starts at
    // an aligned word (4j), one load and one dot product per row.
    const std::uint64_t steps = w_out / 2, left = w_out % 2;
    row_cycles += steps * (3 * c(k.plane_s2_row_step) + 2 * per_output) + left * (3 * 2 + per_output);
    row_loads += steps * (3 * 2 + 2 * 2) + left * (3 + 2);
  }
  const std::uint64_t per_channel = h_in * w_in * c(k.depthwise_gather_byte) + h_in * c(k.plane_row_setup) +
                                    c(k.plane_filter_setup + k.depthwise_channel_overhead) + h_out * row_cycles;
  const std::uint64_t border = (call.pad_top() + call.pad_bottom()) * pitch / 4 + h_in * (call.pad_left() + call.pad_right());
  w.add(border + channels * per_channel, channels * (h_in * w_in + 3 + h_out * row_loads));
  return w;
}

Work linear_work(std::uint64_t outputs, const KernelCall& call, const KernelCycles& k) {
  Work w;
  if (outputs == 0) return w;
  const std::uint64_t words = call.c_in() / 4, bytes = call.c_in() % 4;
  const std::uint64_t pairs = ceil_div<std::uint64_t>(outputs, 2);
  w.add(pairs * (words * static_cast<std::uint64_t>(k.linear_2_iteration) + bytes * 6) +
            outputs * static_cast<std::uint64_t>(k.linear_output_overhead + k.requant_per_output),
        pairs * (words * 3 + bytes * 3) + outputs * 2);
  return w;
}

// Pools, add, LUT, MUL, GATHER, SOFTMAX, RESIZE and LAYERNORM over `pixels` output pixels of `channels` (output) channels.
// Under a causal mask, the keys a softmax row keeps: its query's position plus the cached keys.
std::uint64_t causal_kept(const KernelCall& call, std::uint64_t row) {
  const std::uint64_t query = (call.softmax_row0() + row) % call.softmax_causal_queries();
  return std::min<std::uint64_t>(call.c_out(), query + call.softmax_causal_offset() + 1);
}

// `first_row`: the core's first output row of the call (a causal softmax's rows differ).
Work elementwise_work(std::uint64_t pixels, std::uint64_t channels, std::uint64_t rows, const KernelCall& call,
                      const KernelCycles& k, std::uint64_t first_row = 0) {
  Work w;
  if (pixels == 0 || channels == 0) return w;
  const std::uint64_t window = std::uint64_t{call.k_h()} * call.k_w();
  switch (call.kind()) {
    case KERNEL_ADD:
      w.add(pixels * channels * static_cast<std::uint64_t>(k.add_per_byte), pixels * ceil_div<std::uint64_t>(channels, 2));
      break;
    case KERNEL_LUT:
      // Per element: load, add to the table base, table load, store (2 loads).
      w.add(pixels * channels * static_cast<std::uint64_t>(k.im2col_word + k.lut_lookup), pixels * channels * 2);
      break;
    case KERNEL_MUL:
      // Per element: a and b loads, p.mul, requant (2 loads of its own); per pixel the
      // channel loop's setup and b's pointer.
      w.add(pixels * (channels * static_cast<std::uint64_t>(k.mul_operands + k.requant_per_output) +
                      static_cast<std::uint64_t>(k.mul_pixel_overhead)),
            pixels * channels * 4);
      break;
    case KERNEL_GATHER:
      // Per element: lhu idx, add to the pixel base, lbu, sb (2 loads); per pixel the channel
      // loop's setup, the index pointer's rewind and the pixel base's advance.
      w.add(pixels * (channels * static_cast<std::uint64_t>(k.im2col_word + k.lut_lookup) +
                      static_cast<std::uint64_t>(k.mul_pixel_overhead + k.gather_pixel_advance)),
            pixels * channels * 2);
      break;
    case KERNEL_SOFTMAX: {
      // Per element: pass 1 the load and p.max; pass 2 the load, shift, table lookup and the
      // sum's add; pass 3 the same lookup, the scaling, the division, the clip and the store
      // (5 loads: x three times, the table twice). Per pixel the passes' setup.
      const std::uint64_t lookup = static_cast<std::uint64_t>(k.softmax_index + k.lut_lookup);
      const std::uint64_t per_element = static_cast<std::uint64_t>(k.softmax_max) + lookup +
                                        static_cast<std::uint64_t>(k.softmax_accumulate) + lookup +
                                        static_cast<std::uint64_t>(k.softmax_normalise + k.softmax_divide);
      // A causal mask: the three passes over the kept keys alone, the rest of each row zeroed
      // (docs/pulp.md, "Softmax").
      std::uint64_t elements = pixels * channels;
      if (call.softmax_causal_queries() > 0) {
        const auto c = [](int count) { return static_cast<std::uint64_t>(count); };
        elements = 0;
        for (std::uint64_t p = 0; p < pixels; ++p) elements += causal_kept(call, first_row + p);
        w.add(c(k.softmax_divide) + c(k.softmax_causal_start) + pixels * c(k.softmax_causal_pixel) +
                  (pixels * channels - elements) * c(k.softmax_causal_zero),
              0);
      }
      w.add(elements * per_element + pixels * static_cast<std::uint64_t>(k.softmax_pixel_overhead), elements * 5);
      if (call.softmax_label_tokens() > 0) {
        // Swin's regions: each key's label read and compared in every pass (3 loads), the query's
        // per pixel, and the core's first row located once (a divu and a remu).
        const auto c = [](int count) { return static_cast<std::uint64_t>(count); };
        w.add(2 * c(k.softmax_divide) + c(k.softmax_label_start) +
                  pixels * (c(k.softmax_label_pixel) + channels * (c(k.softmax_label_max) + 2 * c(k.softmax_label_mask))),
              pixels * (1 + channels * 3));
      }
      break;
    }
    case KERNEL_RESIZE:
      // Per element 4 input loads; per pixel the column entry's 2 (docs/pulp.md, "Resize").
      w.add(pixels * (channels * static_cast<std::uint64_t>(k.resize_element) +
                      static_cast<std::uint64_t>(k.resize_pixel)),
            pixels * (channels * 4 + 2));
      break;
    case KERNEL_LAYERNORM: {
      // Pass 1 per 4 channels (a leftover channel costs as much), pass 2 per element; per pixel
      // the row's scalar arithmetic and its divisions, Newton's charged at their bound
      // (docs/pulp.md, "LayerNorm"). Loads: pass 1's words and leftovers, pass 2's x, gamma and
      // beta's two words.
      // An RMSNorm (layernorm_rms) has its own three counts: no sum, no centring.
      const std::uint64_t stats = channels / 4 + channels % 4;
      const bool rms = call.layernorm_rms();
      w.add(pixels * (stats * static_cast<std::uint64_t>(rms ? k.rmsnorm_stats_word : k.layernorm_stats_word) +
                      channels * static_cast<std::uint64_t>(rms ? k.rmsnorm_element : k.layernorm_element) +
                      static_cast<std::uint64_t>(rms ? k.rmsnorm_pixel : k.layernorm_pixel) +
                      static_cast<std::uint64_t>(kLayerNormDividesPerPixel) * static_cast<std::uint64_t>(k.layernorm_divide)),
            pixels * (stats + 4 * channels));
      break;
    }
    case KERNEL_MAXPOOL:
      w.add(pixels * (window * ceil_div<std::uint64_t>(channels, 4) * static_cast<std::uint64_t>(k.maxpool_word) + ceil_div<std::uint64_t>(channels, 4) +
                      static_cast<std::uint64_t>(k.pool_pixel_overhead)),
            pixels * window * ceil_div<std::uint64_t>(channels, 4));
      break;
    default:  // KERNEL_AVGPOOL
      w.add(pixels * (window * channels * static_cast<std::uint64_t>(k.avgpool_byte) +
                      channels * static_cast<std::uint64_t>(k.requant_per_output) +
                      static_cast<std::uint64_t>(k.pool_pixel_overhead)),
            pixels * (window * channels + 2 * channels));
      break;
  }
  w.add(rows * static_cast<std::uint64_t>(k.row_overhead), 0);
  return w;
}

// Rows [begin, end) of `rows_of` bytes each from `base` whose word loads are misaligned (the
// row starts off a word boundary): each such word is two TCDM accesses.
std::uint64_t misaligned_rows(std::uint64_t base, std::uint64_t bytes_per_row, std::uint64_t begin, std::uint64_t end) {
  std::uint64_t n = 0;
  for (std::uint64_t r = begin; r < end; ++r) n += (base + r * bytes_per_row) % 4 != 0;
  return n;
}

// MATMUL over rows [begin, end) of a (docs/pulp.md, "MatMul"): the pointwise kernel's 4x2 over
// pairs of rows, b's c_out rows as the filters, an odd row's 4x1; no bias, the one requant entry
// in registers. The tails (c_in % 4 bytes) cost per byte what a word's iteration costs (the same
// loads and operations, bytes instead of words; the 1x1's byte 4, its word 3: two loads, the
// byte's load-use stall, one product) plus their loop's lp.setup. An odd row's 4x1 block sets one
// pointer and 4 accumulators fewer than a 4x2 block (5), its 1x1 one and one fewer than a 1x2
// (2). A row of a or b that starts off a word makes each of its word
// loads two accesses: per 4 bytes of K every pair or odd row loads each of b's rows once and
// each of its own rows once per channel group (4-block or leftover channel).
Work product_work(std::uint64_t begin, std::uint64_t end, const KernelCall& call, const KernelCycles& k) {
  Work w;
  if (begin >= end) return w;
  const auto c = [](int count) { return static_cast<std::uint64_t>(count); };
  const std::uint64_t rows = end - begin, pairs = rows / 2, odd = rows % 2;
  const std::uint64_t kdim = call.c_in(), words = kdim / 4, bytes = kdim % 4, tail_setup = bytes > 0 ? 1 : 0;
  const std::uint64_t blocks = call.c_out() / 4, left = call.c_out() % 4;
  const std::uint64_t rq = c(k.requant_per_tensor) + (call.requant().intermediate_bits() == 16 ? 1 : 0);
  const std::uint64_t setup = c(k.matmul_product_block_setup) + tail_setup;
  const std::uint64_t left_setup = c(k.matmul_product_leftover_setup) + tail_setup;
  w.add(pairs * (blocks * ((words + bytes) * c(k.matmul_4x2_iteration) + setup + 8 * rq) +
                 left * ((words + bytes) * c(k.matmul_1x2_iteration) + left_setup + 2 * rq)),
        pairs * (blocks * (words + bytes) * 6 + left * (words + bytes) * 3));
  w.add(odd * (blocks * ((words + bytes) * c(k.matmul_4x1_iteration) + setup - 5 + 4 * rq) +
               left * (words * 3 + bytes * 4 + left_setup - 2 + rq)),
        odd * (blocks * (words + bytes) * 5 + left * (words + bytes) * 2));
  w.add((pairs + odd) * c(k.matmul_product_pair), 0);
  // Swin's bias starts each sum with an lw where a plain product clears it with an li: the same
  // cycle, one more load per output.
  if (call.has_bias()) w.add(0, rows * call.c_out());
  const std::uint64_t filters = call.matmul_b_by_rows() ? call.im2col() : call.input_b();
  const std::uint64_t split = words * ((pairs + odd) * misaligned_rows(filters, kdim, 0, call.c_out()) +
                                       (blocks + left) * misaligned_rows(call.input(), kdim, begin, end));
  w.add(split * c(k.misaligned_load - 1), 0);
  return w;
}

// MATMUL with matmul_b_by_rows, before the barrier: the core's rows of the c_out x c_in
// scratch, per row the source pointer and the inner loop's setup, per byte p.lbu, its
// load-use stall (the sb reads it) and the sb (docs/pulp.md, "MatMul").
Work transpose_work(const KernelCall& call, int core, int cores, const PulpParams& hw) {
  Work w;
  const KernelCycles& k = kernel_cycles(hw);
  const std::uint64_t c = call.c_out();
  const std::uint64_t rows = share(c, ceil_div<std::uint64_t>(c, static_cast<std::uint64_t>(cores)), core);
  if (rows == 0) return w;
  const std::uint64_t per_byte = static_cast<std::uint64_t>(k.im2col_word + hw.core.load_use_stall_cycles);
  w.add(static_cast<std::uint64_t>(kMatMulTransposeSetup) +
            rows * (static_cast<std::uint64_t>(k.im2col_run_setup) + call.c_in() * per_byte),
        rows * call.c_in());
  return w;
}

Work core_work(const KernelCall& call, int core, int cores, const KernelCycles& k) {
  const std::uint64_t h = call.h_out(), w = call.w_out(), c = call.c_out();
  const std::uint64_t n = static_cast<std::uint64_t>(cores);
  const bool im2col = call.kind() == KERNEL_CONV || call.kind() == KERNEL_GROUPED_CONV;
  const std::uint64_t groups = call_groups(call), per_group = c / groups;
  switch (call.kind()) {
    case KERNEL_CONV:
    case KERNEL_POINTWISE:
    case KERNEL_GROUPED_CONV:
      switch (call.parallel()) {
        case PARALLEL_HOWO: {
          if (call.kind() == KERNEL_POINTWISE) {
            // PULP-NN's pointwise split: each of the core's rows, its columns paired within the row.
            const isa::pulp::PixelBlock b = isa::pulp::pointwise_howo_block(call.h_out(), call.w_out(), core, cores);
            if (b.rows() == 0 || b.cols() == 0) return Work{};
            Work row = matmul_work(b.cols(), passes_of(0, c, groups, per_group), 1, call, false, k);
            row.cycles *= b.rows();
            row.loads *= b.rows();
            return row;
          }
          const std::uint64_t chunk = ceil_div<std::uint64_t>(ceil_div(h * w, n), 2) * 2;
          const std::uint64_t pixels = share(h * w, chunk, core);
          return matmul_work(pixels, passes_of(0, c, groups, per_group), ceil_div<std::uint64_t>(pixels, std::max<std::uint64_t>(w, 1)),
                             call, im2col, k);
        }
        case PARALLEL_CO: {
          // Chunks of output channels rounded to 4, as the standard conv; a grouped conv's
          // core makes a pass over each group its chunk touches.
          const std::uint64_t chunk = ceil_div<std::uint64_t>(ceil_div(c, n), 4) * 4;
          const std::uint64_t couts = share(c, chunk, core);
          if (couts == 0) return Work{};
          const std::uint64_t begin = chunk * static_cast<std::uint64_t>(core);
          return matmul_work(h * w, passes_of(begin, begin + couts, groups, per_group), h, call, im2col, k);
        }
        default: {
          const std::uint64_t rows = share(h, ceil_div<std::uint64_t>(h, n), core);
          return matmul_work(rows * w, passes_of(0, c, groups, per_group), rows, call, im2col, k);
        }
      }
    case KERNEL_DEPTHWISE:
      return call.depthwise_plane() ? depthwise_plane_work(share(c, ceil_div<std::uint64_t>(c, n), core), call, k)
                                    : depthwise_work(share(c, ceil_div<std::uint64_t>(c, n), core), call, k);
    case KERNEL_LINEAR: return linear_work(share(c, ceil_div<std::uint64_t>(c, n), core), call, k);
    case KERNEL_MATMUL: {
      const std::uint64_t chunk = ceil_div<std::uint64_t>(h, n), begin = chunk * static_cast<std::uint64_t>(core);
      return product_work(begin, begin + share(h, chunk, core), call, k);
    }
    default:
      if (call.parallel() == PARALLEL_CO && call.kind() != KERNEL_SOFTMAX && call.kind() != KERNEL_LAYERNORM) {
        const std::uint64_t channels = share(c, ceil_div<std::uint64_t>(c, n), core);
        return elementwise_work(h * w, channels, h, call, k);
      } else {
        const std::uint64_t chunk = ceil_div<std::uint64_t>(h, n);
        const std::uint64_t rows = share(h, chunk, core);
        return elementwise_work(rows * w, c, rows, call, k, chunk * static_cast<std::uint64_t>(core));
      }
  }
}

// The slowest of the cores' works with its bank conflicts: each load meets another active core
// on its bank with the chance that core's load rate spreads over the banks; it loses half of those.
struct Slowest {
  std::uint64_t cycles = 0, conflicts = 0;
};

Slowest slowest_core(const std::vector<Work>& works, const PulpParams& hw) {
  const auto active = std::count_if(works.begin(), works.end(), [](const Work& w) { return w.cycles > 0; });
  Slowest s;
  for (const Work& w : works) {
    const double rate = w.cycles > 0 ? static_cast<double>(w.loads) / static_cast<double>(w.cycles) : 0.0;
    const double stalls = static_cast<double>(w.loads) * static_cast<double>(active - 1) * rate /
                          static_cast<double>(std::max(hw.l1_banks, 1)) * kernel_cycles(hw).bank_conflict_share;
    const auto stall_cycles = static_cast<std::uint64_t>(std::llround(stalls));
    if (w.cycles + stall_cycles > s.cycles) s = Slowest{w.cycles + stall_cycles, stall_cycles};
  }
  return s;
}

}  // namespace

KernelCost kernel_cost(const KernelCall& call, const PulpParams& hw, int cores) {
  const KernelCycles& counts = kernel_cycles(hw);
  KernelCost cost;
  cores = std::clamp(cores, 1, std::max(hw.cores, 1));
  std::vector<Work> works, transposes;
  for (int core = 0; core < cores; ++core) works.push_back(core_work(call, core, cores, counts));
  Slowest slowest = slowest_core(works, hw);
  // A matmul with b by rows: every core transposes its share, then all meet at a barrier
  // before any product, so the two phases' slowest cores add up; none when an earlier call
  // left b transposed in the scratch (matmul_b_transposed).
  std::uint64_t barrier_inside = 0;
  if (call.kind() == KERNEL_MATMUL && call.matmul_b_by_rows() && !call.matmul_b_transposed()) {
    for (int core = 0; core < cores; ++core) transposes.push_back(transpose_work(call, core, cores, hw));
    const Slowest t = slowest_core(transposes, hw);
    slowest = Slowest{slowest.cycles + t.cycles, slowest.conflicts + t.conflicts};
    barrier_inside = static_cast<std::uint64_t>(hw.barrier_cycles);
  }
  for (int core = 0; core < cores; ++core) {
    const auto i = static_cast<std::size_t>(core);
    const Work t = transposes.empty() ? Work{} : transposes[i];
    cost.core_cycles.push_back(works[i].cycles + t.cycles);
    cost.core_loads.push_back(works[i].loads + t.loads);
  }
  cost.conflict_cycles = slowest.conflicts;
  cost.cycles = static_cast<std::uint64_t>(counts.call_overhead + hw.wakeup_cycles + hw.barrier_cycles) +
                barrier_inside + slowest.cycles;
  return cost;
}

std::uint64_t dory_tile_loop_cycles(isa::pulp::KernelKind kind, const PulpParams& hw) {
  return static_cast<std::uint64_t>(kind == isa::pulp::KERNEL_DEPTHWISE ? kernel_cycles(hw).dory_tile_loop_depthwise
                                                             : kernel_cycles(hw).dory_tile_loop);
}

double loads_per_cycle(const KernelCost& cost) {
  double best = 0;
  std::uint64_t slowest = 0;
  for (std::size_t i = 0; i < cost.core_cycles.size(); ++i) {
    if (cost.core_cycles[i] > slowest) {
      slowest = cost.core_cycles[i];
      best = static_cast<double>(cost.core_loads[i]) / static_cast<double>(cost.core_cycles[i]);
    }
  }
  return best;
}

std::uint64_t dma_contention_cycles(std::uint64_t dma_busy_cycles, double loads_per_cycle_value, const PulpParams& hw) {
  const double dma_banks = static_cast<double>(hw.dma_bytes_per_cycle) / 4.0;
  const double stalls = static_cast<double>(dma_busy_cycles) * loads_per_cycle_value * dma_banks /
                        static_cast<double>(std::max(hw.l1_banks, 1)) * kernel_cycles(hw).bank_conflict_share;
  return static_cast<std::uint64_t>(std::llround(stalls));
}

namespace {

// The copy's shape after merging chunks (and rows) that are contiguous on both sides.
struct Runs {
  std::uint64_t commands = 0;  // 2-D transfers
  std::uint64_t lines = 0;     // contiguous runs
  std::uint64_t line_bytes = 0;
};

Runs runs_of(const DmaCopy& copy) {
  const std::uint64_t rows = std::max<std::uint64_t>(copy.rows(), 1);
  std::uint64_t count = copy.count(), chunk = copy.chunk_bytes();
  const bool chunks_contiguous =
      count <= 1 || (copy.source_stride() == chunk && copy.destination_stride() == chunk);
  if (chunks_contiguous) {
    chunk *= count;
    count = 1;
  }
  const bool rows_contiguous = rows <= 1 || (count == 1 && copy.source_row_stride() == chunk &&
                                             copy.destination_row_stride() == chunk);
  if (rows_contiguous) return Runs{1, 1, chunk * rows};
  return Runs{rows, rows * count, chunk};
}

}  // namespace

DmaCost dma_cost(const DmaCopy& copy, const PulpParams& hw) {
  DmaCost cost;
  if (copy_bytes(copy) == 0) return cost;
  const Runs r = runs_of(copy);
  const std::uint64_t bursts = ceil_div<std::uint64_t>(r.line_bytes, static_cast<std::uint64_t>(std::max<std::int64_t>(hw.dma_burst_bytes, 1)));
  cost.issue_cycles = r.commands * static_cast<std::uint64_t>(hw.dma_command_cycles);
  cost.busy_cycles =
      r.lines * (ceil_div<std::uint64_t>(r.line_bytes, static_cast<std::uint64_t>(std::max(hw.dma_bytes_per_cycle, 1))) + bursts);
  cost.cycles = static_cast<std::uint64_t>(hw.dma_latency_cycles) + cost.busy_cycles;
  return cost;
}

std::uint64_t l3_cycles(const DmaCopy& copy, const PulpParams& hw) {
  const std::uint64_t bytes = copy_bytes(copy);
  if (bytes == 0) return 0;
  const Runs r = runs_of(copy);
  return r.lines * static_cast<std::uint64_t>(hw.l3_latency_cycles) +
         static_cast<std::uint64_t>(std::ceil(static_cast<double>(bytes) / std::max(hw.l3_bytes_per_cycle, 1e-9)));
}

}  // namespace wb::perf::pulp
