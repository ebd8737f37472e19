#include "compiler/pulp/tile_geometry.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "isa/pulp_program.h"

namespace wb::pulp {

using isa::pulp::is_matmul;
using isa::pulp::KernelKind;

bool has_second_operand(KernelKind kind) {
  return kind == isa::pulp::KERNEL_ADD || kind == isa::pulp::KERNEL_MUL;
}

std::uint64_t second_operand_bytes(const LayerShape& s, std::uint32_t rows, std::uint32_t cols,
                                   std::uint32_t channels) {
  if (s.kind != isa::pulp::KERNEL_MUL) return std::uint64_t{rows} * cols * channels;
  return std::uint64_t{s.b_h == 1 ? 1 : rows} * (s.b_w == 1 ? 1 : cols) * (s.b_c == 1 ? 1 : channels);
}

std::uint64_t table_bytes(const LayerShape& s) {
  if (s.kind == isa::pulp::KERNEL_LUT) return kLutTableBytes;
  if (s.kind == isa::pulp::KERNEL_GATHER) return 2 * std::uint64_t{s.c_out};
  if (s.kind == isa::pulp::KERNEL_SOFTMAX) return kSoftmaxTableBytes + (s.softmax_labels ? s.softmax_labels->size() : 0);
  if (s.kind == isa::pulp::KERNEL_LAYERNORM) return kLayerNormTableBytesPerChannel * s.c_out;
  if (s.kind == isa::pulp::KERNEL_MATMUL) return s.matmul_bias_bytes;
  if (s.kind == isa::pulp::KERNEL_RESIZE) {
    return kResizeTableEntryBytes * ((s.resize_rows->size() + s.resize_cols->size()) / 3);
  }
  return 0;
}

std::uint32_t input_extent(std::uint32_t out, std::uint32_t span, std::uint32_t stride) {
  return (out - 1) * stride + span;
}

TileWindow tile_window(std::uint32_t out_begin, std::uint32_t out_size, std::uint32_t in_total, std::uint32_t span,
                       std::uint32_t stride, std::uint32_t pad_before) {
  TileWindow t;
  t.out_begin = out_begin;
  t.out_size = out_size;
  const std::int64_t first = static_cast<std::int64_t>(out_begin) * stride - pad_before;
  const std::int64_t last = first + static_cast<std::int64_t>(input_extent(out_size, span, stride)) - 1;
  const std::int64_t lo = std::max<std::int64_t>(first, 0);
  const std::int64_t hi = std::min<std::int64_t>(last, static_cast<std::int64_t>(in_total) - 1);
  t.pad_before = static_cast<std::uint32_t>(lo - first);
  t.pad_after = static_cast<std::uint32_t>(last - hi);
  t.in_begin = static_cast<std::uint32_t>(lo);
  t.in_size = static_cast<std::uint32_t>(std::max<std::int64_t>(hi - lo + 1, 0));
  return t;
}

namespace {

// The input span of a resize's output indices [out_begin, + out_size) from its axis table: the
// first index of the first entry to the second of the last (the tables are non-decreasing).
TileWindow table_window(const std::vector<std::int64_t>& taps, std::uint32_t out_begin, std::uint32_t out_size) {
  TileWindow t;
  t.out_begin = out_begin;
  t.out_size = out_size;
  if (out_size == 0) return t;
  const auto at = [&](std::uint64_t entry, int k) { return static_cast<std::uint32_t>(taps.at(3 * entry + k)); };
  const std::uint32_t first = at(out_begin, 0);
  const std::uint32_t last = at(std::uint64_t{out_begin} + out_size - 1, 1);
  t.in_begin = first;
  t.in_size = last + 1 - first;
  return t;
}

// The widest table_window of `out` consecutive entries, wherever they start.
std::uint32_t widest_table_window(const std::vector<std::int64_t>& taps, std::uint32_t out) {
  const auto entries = static_cast<std::uint32_t>(taps.size() / 3);
  std::uint32_t widest = 0;
  for (std::uint32_t begin = 0; begin + std::min(out, entries) <= entries && out > 0; ++begin) {
    widest = std::max(widest, table_window(taps, begin, std::min(out, entries)).in_size);
  }
  return widest;
}

}  // namespace

TileWindow row_window(const LayerShape& s, std::uint32_t out_begin, std::uint32_t out_size) {
  if (s.kind == isa::pulp::KERNEL_RESIZE) return table_window(*s.resize_rows, out_begin, out_size);
  return tile_window(out_begin, out_size, s.h_in, s.span_h(), s.stride_h, s.pad_top);
}

TileWindow col_window(const LayerShape& s, std::uint32_t out_begin, std::uint32_t out_size) {
  if (s.kind == isa::pulp::KERNEL_RESIZE) return table_window(*s.resize_cols, out_begin, out_size);
  return tile_window(out_begin, out_size, s.w_in, s.span_w(), s.stride_w, s.pad_left);
}

std::uint32_t max_input_rows(const LayerShape& s, std::uint32_t out) {
  if (s.kind == isa::pulp::KERNEL_RESIZE) return std::min(widest_table_window(*s.resize_rows, out), s.h_in);
  return std::min(input_extent(out, s.span_h(), s.stride_h), s.h_in);
}

std::uint32_t max_input_cols(const LayerShape& s, std::uint32_t out) {
  if (s.kind == isa::pulp::KERNEL_RESIZE) return std::min(widest_table_window(*s.resize_cols, out), s.w_in);
  return std::min(input_extent(out, s.span_w(), s.stride_w), s.w_in);
}

void set_tile_channels(const LayerShape& s, TileGeometry& g, std::uint32_t c0, std::uint32_t cs, std::uint32_t cin0,
                       std::uint32_t cins) {
  g.c_begin = c0;
  g.c_size = cs;
  if (is_matmul(s.kind)) {
    g.cin_begin = cin0;
    g.cin_size = cins == 0 ? s.c_in - cin0 : cins;
  } else if (s.kind == isa::pulp::KERNEL_GATHER) {
    g.cin_begin = s.gather_first;  // any output channel may read any channel its indices span
    g.cin_size = s.gather_span;
  } else if (s.kind == isa::pulp::KERNEL_GROUPED_CONV) {
    const std::uint32_t per_group = s.group_c_out();
    if (per_group == 0 || c0 % per_group != 0 || cs % per_group != 0) {
      throw std::logic_error(fmt::format("grouped conv tile of output channels [{}, {}) is not whole groups of {}", c0,
                                         c0 + cs, per_group));
    }
    g.cin_begin = c0 / per_group * s.group_c_in();
    g.cin_size = cs / per_group * s.group_c_in();
  } else {
    g.cin_begin = c0;
    g.cin_size = cs;
  }
}

TileGeometry tile_geometry(const LayerShape& s, std::uint32_t row0, std::uint32_t rows, std::uint32_t col0,
                           std::uint32_t cols, std::uint32_t c0, std::uint32_t cs, std::uint32_t cin0,
                           std::uint32_t cins) {
  TileGeometry g;
  g.rows = row_window(s, row0, rows);
  g.cols = col_window(s, col0, cols);
  set_tile_channels(s, g, c0, cs, cin0, cins);
  return g;
}

}  // namespace wb::pulp
