#include "sim/xdnn/kernels.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <stdexcept>

#include "isa/extent.h"
#include "isa/xdnn_program.h"
#include "sim/common/layernorm.h"
#include "sim/common/requant.h"
#include "sim/xdnn/host_kernels.h"
#include "support/error.h"

namespace wb::sim::xdnn {

using sim::requant_problem;
using sim::requantize;

namespace {


using isa::xdnn::Conv;
using isa::xdnn::Copy;
using isa::xdnn::Pool;
using isa::xdnn::Window;


bool power_of_two_stride(std::uint32_t s) { return s == 1 || s == 2 || s == 4 || s == 8; }

// The array and the pool unit step by 1, 2, 4 or 8; the host model (`on_host`) by any stride
// up to the window bound (a ViT's patch embedding: 16).
std::string window_problem(const Window& w, bool host = false) {
  if (w.kernel_h() == 0 || w.kernel_w() == 0) return "zero kernel";
  for (const std::uint32_t v : {w.kernel_h(), w.kernel_w(), w.pad_top(), w.pad_left(), w.pad_bottom(), w.pad_right(),
                                w.dilation_h(), w.dilation_w()}) {
    if (v > isa::xdnn::kMaxWindowField) {
      return fmt::format("window field {} exceeds {} (no layer has such a window)", v, isa::xdnn::kMaxWindowField);
    }
  }
  if (host) {
    if (w.stride_h() == 0 || w.stride_w() == 0 || w.stride_h() > isa::xdnn::kMaxWindowField ||
        w.stride_w() > isa::xdnn::kMaxWindowField) {
      return fmt::format("stride {}x{} (the host takes 1 to {})", w.stride_h(), w.stride_w(), isa::xdnn::kMaxWindowField);
    }
  } else if (!power_of_two_stride(w.stride_h()) || !power_of_two_stride(w.stride_w())) {
    return fmt::format("stride {}x{} (the overlay supports 1, 2, 4 and 8)", w.stride_h(), w.stride_w());
  }
  if (w.dilation_h() == 0 || w.dilation_w() == 0) return "zero dilation";
  for (const std::uint32_t s : {w.input_dilation_h(), w.input_dilation_w()}) {
    if (s > 1 && (host ? s > isa::xdnn::kMaxWindowField : !power_of_two_stride(s))) {
      return fmt::format("input dilation {}x{} (a transposed conv's stride: the array takes 1, 2, 4 and 8)",
                         w.input_dilation_h(), w.input_dilation_w());
    }
  }
  return {};
}

// The step between the input pixels a window reads: s for an input with s - 1 zeros between
// its pixels (a transposed conv), 1 otherwise.
std::int64_t input_step_h(const Window& w) { return std::max<std::uint32_t>(w.input_dilation_h(), 1); }
std::int64_t input_step_w(const Window& w) { return std::max<std::uint32_t>(w.input_dilation_w(), 1); }

std::string copy_problem(const Copy& c, isa::xdnn::Memory from, isa::xdnn::Memory to, const MemorySizes& m) {
  if (c.source_memory() != from || c.destination_memory() != to) {
    return fmt::format("copies {} -> {}, expected {} -> {}", isa::xdnn::memory_name(c.source_memory()),
                       isa::xdnn::memory_name(c.destination_memory()), isa::xdnn::memory_name(from),
                       isa::xdnn::memory_name(to));
  }
  if (c.count() == 0 || c.chunk_bytes() == 0) return "an empty copy";
  const auto src_span = isa::strided_span(c.rows(), c.source_row_stride(), c.count(), c.source_stride(), c.chunk_bytes());
  const auto dst_span = isa::strided_span(c.rows(), c.destination_row_stride(), c.count(), c.destination_stride(),
                                          c.chunk_bytes());
  if (!src_span || !dst_span) return "its rows, strides and count span more than 2^64 bytes";
  std::string p = range_problem(c.source_memory(), c.source(), *src_span, m);
  if (!p.empty()) return "source " + p;
  p = range_problem(c.destination_memory(), c.destination(), *dst_span, m);
  if (!p.empty()) return "destination " + p;
  return {};
}

std::string conv_problem(const Conv& conv, const MemorySizes& m, const HwConfig& config, bool dedicated) {
  const auto& hw = config.xdnn();
  if (dedicated) {
    // The Dedicated Block streams DDR to DDR (ML Suite's ddr_to_ddr), on the array only.
    if (conv.on_host() || conv.input().memory() != isa::xdnn::MEMORY_DDR ||
        conv.output().memory() != isa::xdnn::MEMORY_DDR) {
      return "the Dedicated Block reads and writes DDR only, on its array";
    }
  } else {
    const isa::xdnn::Memory mem = conv.on_host() ? isa::xdnn::MEMORY_DDR : isa::xdnn::MEMORY_AM;
    // The array writes AM; it reads AM, or DDR through the tiling engine (a streamed input).
    const bool input_ok =
        conv.input().memory() == mem || (!conv.on_host() && conv.input().memory() == isa::xdnn::MEMORY_DDR);
    if (!input_ok || conv.output().memory() != mem) {
      return fmt::format("{} reads {} and writes {} only", conv.on_host() ? "the host" : "the array",
                         conv.on_host() ? "DDR" : "AM or DDR", isa::xdnn::memory_name(mem));
    }
  }
  std::string p = region_problem(conv.input(), m);
  if (!p.empty()) return "input region " + p;
  p = region_problem(conv.output(), m);
  if (!p.empty()) return "output region " + p;
  p = window_problem(conv.window(), conv.on_host());
  if (!p.empty()) return p;
  const std::uint32_t g = conv.groups();
  const auto& in = conv.input().layout();
  const auto& out = conv.output().layout();
  if (g == 0 || in.channels() % g != 0 || out.channels() % g != 0) return fmt::format("{} groups do not divide the channels", g);
  const std::uint64_t cin_g = in.channels() / g, cout_g = out.channels() / g;
  if (cin_g == 1 && cout_g == 1 && g > 1 && !hw.depthwise && !conv.on_host()) {
    return "depthwise convolution, which this array does not run (depthwise: false)";
  }
  const std::uint64_t filter = cin_g * conv.window().kernel_h() * conv.window().kernel_w();
  if (!conv.on_host() && filter > static_cast<std::uint64_t>(hw.max_filter_elements)) {
    return fmt::format("filter of {} elements exceeds max_filter_elements = {}", filter, hw.max_filter_elements);
  }
  if (conv.weight_bytes() != 1 && conv.weight_bytes() != 2) return "weight_bytes is not 1 or 2";
  p = range_problem(conv.on_host() ? isa::xdnn::MEMORY_DDR : isa::xdnn::MEMORY_FILTER_CACHE, conv.filter_address(),
                    std::uint64_t{out.channels()} * filter * conv.weight_bytes(), m);
  if (!p.empty()) return "weights " + p;
  if (conv.bias_size() != 0 && conv.bias_size() != static_cast<int>(out.channels())) return "bias size differs from the channels";
  p = requant_problem(conv.requant(), out.channels());
  if (!p.empty()) return p;
  if (conv.input_height() == 0 || conv.input_width() == 0 || conv.conv_height() == 0 || conv.conv_width() == 0) {
    return "zero input or conv size";
  }
  {
    const Window& w = conv.window();
    const auto out_size = [](std::int64_t size, std::int64_t k, std::int64_t s, std::int64_t p0, std::int64_t p1,
                             std::int64_t d) { return (size + p0 + p1 - ((k - 1) * d + 1)) / s + 1; };
    // Over a zero-inserted input the window slides over (size - 1) s + 1 pixels.
    const std::int64_t h = out_size((conv.input_height() - 1) * input_step_h(w) + 1, w.kernel_h(), w.stride_h(),
                                    w.pad_top(), w.pad_bottom(), w.dilation_h());
    const std::int64_t wd = out_size((conv.input_width() - 1) * input_step_w(w) + 1, w.kernel_w(), w.stride_w(),
                                     w.pad_left(), w.pad_right(), w.dilation_w());
    if (h != conv.conv_height() || wd != conv.conv_width()) {
      return fmt::format("conv output {}x{} does not follow from its {}x{} input and window (expected {}x{})",
                         conv.conv_height(), conv.conv_width(), conv.input_height(), conv.input_width(), h, wd);
    }
  }
  if (conv.row_begin() > conv.row_end() || conv.row_end() - conv.output_row_offset() > out.height() ||
      conv.row_begin() < conv.output_row_offset()) {
    return fmt::format("output rows [{}, {}) do not fit its region of {} rows at offset {}", conv.row_begin(),
                       conv.row_end(), out.height(), conv.output_row_offset());
  }
  const std::uint32_t out_width = conv.has_pipelined_pool() ? out.width() : conv.conv_width();
  if (out.width() != out_width) return "output width differs from the conv's";
  if (conv.has_pipelined_pool()) {
    p = window_problem(conv.pipelined_pool().window());
    if (!p.empty()) return "pipelined pool: " + p;
    if (conv.pipelined_pool().kind() == isa::xdnn::POOL_AVG) {
      p = requant_problem(conv.pipelined_pool().requant(), out.channels());
      if (!p.empty()) return "pipelined pool: " + p;
    }
  }
  return {};
}

// Pools rows [row_begin, row_end) of the output from `in` (channels x in_rows x in_width,
// holding input rows [in_row0, in_row0 + in_rows) of an input of in_height rows).
std::vector<std::int32_t> pool_rows(const std::vector<std::int32_t>& in, std::uint32_t channels, std::uint32_t in_row0,
                                    std::uint32_t in_rows, std::uint32_t in_height, std::uint32_t in_width,
                                    const Pool& pool, std::uint32_t row_begin, std::uint32_t row_end,
                                    std::uint32_t out_width) {
  const Window& w = pool.window();
  const std::uint32_t rows = row_end - row_begin;
  std::vector<std::int32_t> out(static_cast<std::size_t>(channels) * rows * out_width);
  for (std::uint32_t c = 0; c < channels; ++c) {
    for (std::uint32_t r = 0; r < rows; ++r) {
      for (std::uint32_t ox = 0; ox < out_width; ++ox) {
        std::int64_t acc = pool.kind() == isa::xdnn::POOL_MAX ? std::numeric_limits<std::int64_t>::min() : 0;
        for (std::uint32_t ky = 0; ky < w.kernel_h(); ++ky) {
          const std::int64_t iy = std::int64_t{row_begin + r} * w.stride_h() - w.pad_top() + ky * w.dilation_h();
          if (iy < 0 || iy >= in_height) continue;
          if (iy < in_row0 || iy >= std::int64_t{in_row0} + in_rows) {
            throw std::runtime_error(fmt::format("pool reads row {} outside the rows it was given", iy));
          }
          for (std::uint32_t kx = 0; kx < w.kernel_w(); ++kx) {
            const std::int64_t ix = std::int64_t{ox} * w.stride_w() - w.pad_left() + kx * w.dilation_w();
            if (ix < 0 || ix >= in_width) continue;
            const std::int32_t v =
                in[(static_cast<std::size_t>(c) * in_rows + static_cast<std::size_t>(iy - in_row0)) * in_width +
                   static_cast<std::size_t>(ix)];
            acc = pool.kind() == isa::xdnn::POOL_MAX ? std::max<std::int64_t>(acc, v) : acc + v;
          }
        }
        if (pool.kind() == isa::xdnn::POOL_AVG) {
          acc = requantize(acc, pool.requant(), c);
        } else if (acc == std::numeric_limits<std::int64_t>::min()) {
          throw std::runtime_error("a max-pool window lies entirely in the padding");
        }
        out[(static_cast<std::size_t>(c) * rows + r) * out_width + ox] = static_cast<std::int32_t>(acc);
      }
    }
  }
  return out;
}

std::vector<std::int32_t> read_weights(const Conv& conv, const Memories& m, std::size_t count) {
  const auto& bytes = m.of(conv.on_host() ? isa::xdnn::MEMORY_DDR : isa::xdnn::MEMORY_FILTER_CACHE);
  std::vector<std::int32_t> w(count);
  const std::uint8_t* p = bytes.data() + conv.filter_address();
  for (std::size_t i = 0; i < count; ++i) {
    w[i] = conv.weight_bytes() == 1 ? static_cast<std::int8_t>(p[i])
                                    : static_cast<std::int16_t>(static_cast<std::uint16_t>(p[2 * i] | (p[2 * i + 1] << 8)));
  }
  return w;
}

// dst[ox] = x[ox * stride + offset] for ox in [begin, end).
void copy_strided(std::int32_t* dst, std::int64_t begin, std::int64_t end, const std::int32_t* x, std::int64_t offset,
                  std::int64_t stride) {
  for (std::int64_t ox = begin; ox < end; ++ox) dst[ox] = x[ox * stride + offset];
}

// gather_patches for a window over the input with s - 1 zeros between its pixels (a transposed
// conv): a tap meets input pixel (iy, ix) where its position in the zero-inserted input is
// (iy s_h, ix s_w), and an inserted zero (or padding) elsewhere. One copy of the input
// (buffer_plan never replicates such a conv's input).
void gather_zero_inserted_patches(const Conv& conv, const std::vector<DenseTensor>& copies, std::uint32_t conv_row0,
                                  std::uint32_t conv_rows, std::vector<std::int32_t>& patches) {
  const Window& w = conv.window();
  if (copies.size() != 1) throw std::runtime_error("an input-dilated conv reads one copy of its input, not replicas");
  const DenseTensor& in = copies[0];
  const std::int64_t sh = input_step_h(w), sw = input_step_w(w);
  const std::uint32_t width = conv.conv_width();
  const std::size_t pixels = static_cast<std::size_t>(conv_rows) * width;
  const std::size_t taps_per_channel = static_cast<std::size_t>(w.kernel_h()) * w.kernel_w();
  for (std::uint32_t ci = 0; ci < in.channels; ++ci) {
    for (std::uint32_t ky = 0; ky < w.kernel_h(); ++ky) {
      for (std::uint32_t kx = 0; kx < w.kernel_w(); ++kx) {
        std::int32_t* tap = patches.data() + (ci * taps_per_channel + ky * w.kernel_w() + kx) * pixels;
        for (std::uint32_t rr = 0; rr < conv_rows; ++rr) {
          const std::int64_t y = std::int64_t{conv_row0 + rr} * w.stride_h() - w.pad_top() + ky * w.dilation_h();
          if (y < 0 || y % sh != 0 || y / sh >= conv.input_height()) continue;
          const std::int64_t ry = y / sh - conv.input_row_offset();
          if (ry < 0 || ry >= in.height) {
            throw std::runtime_error(fmt::format("reads input row {} outside its input tile (rows {} to {})", y / sh,
                                                 conv.input_row_offset(), conv.input_row_offset() + in.height));
          }
          const std::int32_t* row = in.values.data() + (static_cast<std::size_t>(ci) * in.height + ry) * in.width;
          for (std::uint32_t ox = 0; ox < width; ++ox) {
            const std::int64_t x = std::int64_t{ox} * w.stride_w() - w.pad_left() + kx * w.dilation_w();
            if (x < 0 || x % sw != 0 || x / sw >= conv.input_width()) continue;
            tap[static_cast<std::size_t>(rr) * width + ox] = row[x / sw];
          }
        }
      }
    }
  }
}

// The values the array reads for conv rows [conv_row0, conv_row0 + conv_rows): one row per
// tap (input channel, ky, kx) holding, for each output pixel of those rows, the input word
// the tap meets there, read from the replica the hardware reads it from; 0 where the window
// lies in the padding (the array adds nothing there). Every output channel then runs along
// contiguous rows, which is what makes the functional model fast.
std::vector<std::int32_t> gather_patches(const Conv& conv, const std::vector<DenseTensor>& copies,
                                         std::uint32_t conv_row0, std::uint32_t conv_rows) {
  const Window& w = conv.window();
  const std::uint32_t r = static_cast<std::uint32_t>(copies.size());
  const std::uint32_t width = conv.conv_width();
  const std::int64_t in_w = conv.input_width();
  const std::uint32_t tile_rows = copies[0].height;
  const std::uint32_t channels = copies[0].channels;
  const std::size_t pixels = static_cast<std::size_t>(conv_rows) * width;
  const std::size_t taps_per_channel = static_cast<std::size_t>(w.kernel_h()) * w.kernel_w();
  std::vector<std::int32_t> patches(channels * taps_per_channel * pixels, 0);
  if (input_step_h(w) > 1 || input_step_w(w) > 1) {
    gather_zero_inserted_patches(conv, copies, conv_row0, conv_rows, patches);
    return patches;
  }
  std::string error;
#pragma omp parallel for schedule(static)
  for (std::uint32_t ci = 0; ci < channels; ++ci) {
    for (std::uint32_t ky = 0; ky < w.kernel_h(); ++ky) {
      for (std::uint32_t kx = 0; kx < w.kernel_w(); ++kx) {
        std::int32_t* tap = patches.data() + (ci * taps_per_channel + ky * w.kernel_w() + kx) * pixels;
        const std::uint32_t j = kx % r;
        // Valid output columns: 0 <= ox*s - pad + kx*d < in_w.
        const std::int64_t shift = static_cast<std::int64_t>(kx) * w.dilation_w() - w.pad_left();
        const std::int64_t stride = w.stride_w();
        std::int64_t ox_lo = shift >= 0 ? 0 : (-shift + stride - 1) / stride;
        std::int64_t ox_hi = (in_w - 1 - shift) < 0 ? -1 : (in_w - 1 - shift) / stride;
        ox_hi = std::min<std::int64_t>(ox_hi, width - 1);
        if (ox_lo > ox_hi) continue;
        // Columns left of `split` read copy 0, the rest copy j (which holds pixel ix at word ix - j).
        const std::int64_t split =
            j == 0 ? ox_lo : std::clamp<std::int64_t>((std::int64_t{j} - shift + stride - 1) / stride, ox_lo, ox_hi + 1);
        for (std::uint32_t rr = 0; rr < conv_rows; ++rr) {
          const std::int64_t iy = std::int64_t{conv_row0 + rr} * w.stride_h() - w.pad_top() + ky * w.dilation_h();
          if (iy < 0 || iy >= conv.input_height()) continue;
          const std::int64_t ry = iy - conv.input_row_offset();
          if (ry < 0 || ry >= tile_rows) {
#pragma omp critical(wb_sim_xdnn_gather_error)
            error = fmt::format("reads input row {} outside its input tile (rows {} to {})", iy, conv.input_row_offset(),
                                conv.input_row_offset() + tile_rows);
            continue;
          }
          const auto row_of = [&](const DenseTensor& copy) {
            return copy.values.data() + (static_cast<std::size_t>(ci) * copy.height + static_cast<std::size_t>(ry)) * copy.width;
          };
          std::int32_t* out = tap + static_cast<std::size_t>(rr) * width;
          copy_strided(out, ox_lo, split, row_of(copies[0]), shift, stride);
          copy_strided(out, split, ox_hi + 1, row_of(copies[j]), shift - std::int64_t{j}, stride);
        }
      }
    }
  }
  if (!error.empty()) throw std::runtime_error(error);
  return patches;
}

// acc[p] += sum over the channel's taps t of weights[t] * patches[t][p].
template <class Acc>
void accumulate_channel(const std::int32_t* patches, std::size_t pixels, const std::int32_t* weights, std::size_t taps,
                        Acc* acc) {
  for (std::size_t t = 0; t < taps; ++t) {
    const Acc wv = weights[t];
    if (wv == 0) continue;
    const std::int32_t* x = patches + t * pixels;
    for (std::size_t p = 0; p < pixels; ++p) acc[p] += wv * static_cast<Acc>(x[p]);
  }
}

void run_conv(const Conv& conv, Memories& m) {
  const auto& in = conv.input().layout();
  const auto& out = conv.output().layout();
  const std::uint32_t g = conv.groups();
  const std::uint32_t cin_g = in.channels() / g, cout_g = out.channels() / g;
  const Window& w = conv.window();
  const std::size_t taps = static_cast<std::size_t>(cin_g) * w.kernel_h() * w.kernel_w();
  const std::vector<std::int32_t> weights = read_weights(conv, m, taps * out.channels());
  const std::uint32_t r = std::max<std::uint32_t>(in.replication(), 1);
  std::vector<DenseTensor> copies;
  for (std::uint32_t j = 0; j < r; ++j) copies.push_back(read_region(conv.input(), m, j));

  // The conv rows to compute.
  std::uint32_t conv_row0 = conv.row_begin(), conv_row1 = conv.row_end();
  if (conv.has_pipelined_pool()) {
    const Window& pw = conv.pipelined_pool().window();
    const std::int64_t first = std::int64_t{conv.row_begin()} * pw.stride_h() - pw.pad_top();
    const std::int64_t last = (std::int64_t{conv.row_end()} - 1) * pw.stride_h() - pw.pad_top() + pw.kernel_h();
    conv_row0 = static_cast<std::uint32_t>(std::max<std::int64_t>(first, 0));
    conv_row1 = static_cast<std::uint32_t>(std::min<std::int64_t>(last, conv.conv_height()));
  }
  const std::uint32_t conv_rows = conv_row1 > conv_row0 ? conv_row1 - conv_row0 : 0;
  const std::uint32_t width = conv.conv_width();
  std::vector<std::int32_t> result(static_cast<std::size_t>(out.channels()) * conv_rows * width);

  // int32 accumulation when it provably cannot overflow.
  std::int64_t max_w = 0;
  for (const std::int32_t v : weights) max_w = std::max<std::int64_t>(max_w, std::abs(std::int64_t{v}));
  const std::int64_t max_x = in.element_bytes() == 1 ? 255 : 65535;
  std::int64_t max_bias = 0;
  for (const std::int32_t b : conv.bias()) max_bias = std::max<std::int64_t>(max_bias, std::abs(std::int64_t{b}));
  const bool narrow = max_w * max_x * static_cast<std::int64_t>(taps) + max_bias < (std::int64_t{1} << 31);
  const std::size_t pixels = static_cast<std::size_t>(conv_rows) * width;
  const std::vector<std::int32_t> patches = gather_patches(conv, copies, conv_row0, conv_rows);
  std::string error;
#pragma omp parallel for schedule(dynamic)
  for (std::int64_t co = 0; co < static_cast<std::int64_t>(out.channels()); ++co) {
    const auto c = static_cast<std::uint32_t>(co);
    const std::uint32_t group = c / cout_g;
    const std::int32_t bias = conv.bias_size() > 0 ? conv.bias(static_cast<int>(c)) : 0;
    const std::int32_t* wc = weights.data() + static_cast<std::size_t>(c) * taps;
    std::int32_t* dst = result.data() + static_cast<std::size_t>(c) * conv_rows * width;
    try {
      const std::int32_t* group_patches = patches.data() + group * taps * pixels;
      if (narrow) {
        std::vector<std::int32_t> acc(pixels, bias);
        accumulate_channel<std::int32_t>(group_patches, pixels, wc, taps, acc.data());
        for (std::size_t i = 0; i < acc.size(); ++i) dst[i] = requantize(acc[i], conv.requant(), c);
      } else {
        std::vector<std::int64_t> acc(pixels, bias);
        accumulate_channel<std::int64_t>(group_patches, pixels, wc, taps, acc.data());
        for (std::size_t i = 0; i < acc.size(); ++i) dst[i] = requantize(acc[i], conv.requant(), c);
      }
    } catch (const std::exception& e) {
#pragma omp critical
      error = e.what();
    }
  }
  if (!error.empty()) throw std::runtime_error(error);
  if (conv.has_pipelined_pool()) {
    result = pool_rows(result, out.channels(), conv_row0, conv_rows, conv.conv_height(), width, conv.pipelined_pool(),
                       conv.row_begin(), conv.row_end(), out.width());
  }
  write_region_rows(conv.output(), m, result, conv.row_begin(), conv.row_end(), conv.output_row_offset());
}

void run_copy(const Copy& c, Memories& m) {
  const auto& src = m.of(c.source_memory());
  auto& dst = m.of(c.destination_memory());
  const std::uint64_t rows = std::max<std::uint64_t>(c.rows(), 1);
  for (std::uint64_t r = 0; r < rows; ++r) {
    for (std::uint64_t i = 0; i < c.count(); ++i) {
      std::memmove(dst.data() + c.destination() + r * c.destination_row_stride() + i * c.destination_stride(),
                   src.data() + c.source() + r * c.source_row_stride() + i * c.source_stride(), c.chunk_bytes());
    }
  }
}

}  // namespace

std::string instruction_problem(const isa::xdnn::Instr& instr, const MemorySizes& m, const HwConfig& config) {
  switch (instr.op_case()) {
    case isa::xdnn::Instr::kConv:
      return conv_problem(instr.conv(), m, config, instr.block() == isa::xdnn::BLOCK_DEDICATED);
    case isa::xdnn::Instr::kPool: {
      const auto& p = instr.pool();
      if (p.input().memory() != isa::xdnn::MEMORY_AM || p.output().memory() != isa::xdnn::MEMORY_AM) {
        return "the pool unit reads and writes AM only";
      }
      std::string problem = region_problem(p.input(), m);
      if (!problem.empty()) return "input region " + problem;
      problem = region_problem(p.output(), m);
      if (!problem.empty()) return "output region " + problem;
      if (p.input().layout().channels() != p.output().layout().channels()) return "input and output channels differ";
      problem = window_problem(p.pool().window());
      if (!problem.empty()) return problem;
      if (p.pool().kind() == isa::xdnn::POOL_AVG) return requant_problem(p.pool().requant(), p.output().layout().channels());
      return {};
    }
    case isa::xdnn::Instr::kEltwise: {
      const auto& e = instr.eltwise();
      for (const auto* r : {&e.a(), &e.b(), &e.output()}) {
        if (r->memory() != isa::xdnn::MEMORY_AM) return "the eltwise unit reads and writes AM only";
        const std::string problem = region_problem(*r, m);
        if (!problem.empty()) return "region " + problem;
        const auto& l = r->layout();
        if (l.channels() != e.output().layout().channels() || l.height() != e.output().layout().height() ||
            l.width() != e.output().layout().width()) {
          return "operand shapes differ";
        }
      }
      if (e.input_multiplier_size() != 2) return "needs two input multipliers";
      for (const std::int64_t multiplier : e.input_multiplier()) {
        if (multiplier > (std::int64_t{1} << 32) || multiplier < -(std::int64_t{1} << 32)) {
          return fmt::format("input multiplier {} outside [-2^32, 2^32]", multiplier);
        }
      }
      return requant_problem(e.requant(), e.output().layout().channels());
    }
    case isa::xdnn::Instr::kUpload:
      if (instr.upload().intermediate() && instr.upload().staged_weights()) {
        return "is marked both an intermediate activation and staged weights";
      }
      return copy_problem(instr.upload(), isa::xdnn::MEMORY_DDR, isa::xdnn::MEMORY_AM, m);
    case isa::xdnn::Instr::kDownload:
      if (instr.download().staged_weights()) return "a download cannot stage weights";
      return copy_problem(instr.download(), isa::xdnn::MEMORY_AM, isa::xdnn::MEMORY_DDR, m);
    case isa::xdnn::Instr::kLoadWeights:
      if (instr.load_weights().intermediate() || instr.load_weights().staged_weights()) {
        return "a weight load marked as an activation copy or a staging upload";
      }
      // From DDR, or from AM where an upload staged them (weight_staging).
      return copy_problem(instr.load_weights(),
                          instr.load_weights().source_memory() == isa::xdnn::MEMORY_AM ? isa::xdnn::MEMORY_AM
                                                                                      : isa::xdnn::MEMORY_DDR,
                          isa::xdnn::MEMORY_FILTER_CACHE, m);
    case isa::xdnn::Instr::kHostElementwise: return host_elementwise_problem(instr.host_elementwise(), m);
    case isa::xdnn::Instr::OP_NOT_SET: break;
  }
  return "has no operation";
}

void execute(const isa::xdnn::Instr& instr, Memories& m) {
  switch (instr.op_case()) {
    case isa::xdnn::Instr::kConv: run_conv(instr.conv(), m); return;
    case isa::xdnn::Instr::kPool: {
      const auto& p = instr.pool();
      const DenseTensor in = read_region(p.input(), m);
      const auto& out = p.output().layout();
      const auto rows = pool_rows(in.values, in.channels, 0, in.height, in.height, in.width, p.pool(), 0, out.height(),
                                  out.width());
      write_region_rows(p.output(), m, rows, 0, out.height(), 0);
      return;
    }
    case isa::xdnn::Instr::kEltwise: {
      const auto& e = instr.eltwise();
      const DenseTensor a = read_region(e.a(), m);
      const DenseTensor b = read_region(e.b(), m);
      std::vector<std::int32_t> y(a.values.size());
      const std::size_t plane = static_cast<std::size_t>(a.height) * a.width;
      for (std::size_t i = 0; i < y.size(); ++i) {
        const std::int64_t v = std::int64_t{a.values[i]} * e.input_multiplier(0) + std::int64_t{b.values[i]} * e.input_multiplier(1);
        y[i] = requantize(v, e.requant(), i / plane);
      }
      write_region_rows(e.output(), m, y, 0, a.height, 0);
      return;
    }
    case isa::xdnn::Instr::kUpload: run_copy(instr.upload(), m); return;
    case isa::xdnn::Instr::kDownload: run_copy(instr.download(), m); return;
    case isa::xdnn::Instr::kLoadWeights: run_copy(instr.load_weights(), m); return;
    case isa::xdnn::Instr::kHostElementwise: run_host_elementwise(instr.host_elementwise(), m); return;
    case isa::xdnn::Instr::OP_NOT_SET: break;
  }
}

}  // namespace wb::sim::xdnn
