#include "sim/xdnn/host_kernels.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "isa/xdnn_program.h"
#include "sim/common/layernorm.h"
#include "sim/common/requant.h"
#include "sim/xdnn/host_attention.h"
#include "support/error.h"

namespace wb::sim::xdnn {

using sim::requant_problem;
using sim::requantize;

namespace {

// The softmax exp table (isa/xdnn.proto, HOST_SOFTMAX): one Q16 entry per x - max + 255.
constexpr int kExpTableEntries = 256;
constexpr std::int32_t kExpOne = 1 << 16;

// The integer range of a layout's elements.
std::int64_t element_lo(const isa::xdnn::TensorLayout& l) {
  return l.is_signed() ? -(std::int64_t{1} << (8 * l.element_bytes() - 1)) : 0;
}
std::int64_t element_hi(const isa::xdnn::TensorLayout& l) {
  return l.is_signed() ? (std::int64_t{1} << (8 * l.element_bytes() - 1)) - 1 : (std::int64_t{1} << (8 * l.element_bytes())) - 1;
}

std::string shape_text(const isa::xdnn::TensorLayout& l) {
  return fmt::format("{}x{}x{}", l.channels(), l.height(), l.width());
}

// Each dimension of `operand` equals the output's or is 1 (read at index 0).
bool broadcasts_to(const isa::xdnn::TensorLayout& operand, const isa::xdnn::TensorLayout& out) {
  const auto fits = [](std::uint32_t d, std::uint32_t o) { return d == o || d == 1; };
  return fits(operand.channels(), out.channels()) && fits(operand.height(), out.height()) &&
         fits(operand.width(), out.width());
}

// An XNSoftmax(host): one row of channels (C x 1 x 1), 8-bit in, uint8 out of its shape, and a
// Q16 exp table of 256 entries in [0, 65536] whose last (the row's maximum) is 65536.
std::string host_softmax_problem(const isa::xdnn::HostElementwise& h) {
  if (h.has_b() || h.has_requant() || h.table_size() != 0) {
    return "a softmax takes one operand, its exp table and no requant or lookup table";
  }
  const auto& a = h.a().layout();
  const auto& out = h.output().layout();
  // HOST_SOFTMAX_ROWS runs over each row's W elements, of any shape; HOST_SOFTMAX over the channels of one pixel.
  if (h.kind() == isa::xdnn::HOST_SOFTMAX && (a.height() != 1 || a.width() != 1)) {
    return fmt::format("a softmax runs over the channels of one row (C x 1 x 1: [N, C] or [N, C, 1, 1]), but a is {}",
                       shape_text(a));
  }
  if (a.channels() != out.channels() || a.height() != out.height() || a.width() != out.width()) {
    return fmt::format("a softmax keeps the shape (a {}, output {})", shape_text(a), shape_text(out));
  }
  if (a.element_bytes() != 1) return fmt::format("a softmax takes an 8-bit input (a has {} bytes per element)", a.element_bytes());
  if (out.element_bytes() != 1 || out.is_signed()) {
    return fmt::format("a softmax writes uint8 probabilities (the output is {}{})", out.is_signed() ? "int" : "uint",
                       8 * out.element_bytes());
  }
  if (h.exp_table_size() != kExpTableEntries) {
    return fmt::format("the exp table has {} entries; an 8-bit input needs {}", h.exp_table_size(), kExpTableEntries);
  }
  if (h.softmax_labels_size() != 0) {
    const auto labels = static_cast<std::uint64_t>(h.softmax_labels_size());
    const std::uint64_t rows = std::uint64_t{a.channels()} * a.height();
    if (h.kind() != isa::xdnn::HOST_SOFTMAX_ROWS || labels % a.width() != 0 || rows % labels != 0) {
      return fmt::format("{} region labels do not label the windows of rows of {} keys ({} rows)", labels, a.width(),
                         rows);
    }
  }
  if (h.softmax_causal_queries() != 0) {
    const std::uint64_t rows = std::uint64_t{a.channels()} * a.height();
    if (h.kind() != isa::xdnn::HOST_SOFTMAX_ROWS || h.softmax_labels_size() != 0 ||
        rows % h.softmax_causal_queries() != 0 || h.softmax_causal_offset() >= a.width()) {
      return fmt::format("a causal mask of {} queries after {} cached keys does not fit rows of {} keys ({} rows, "
                         "region labels {})",
                         h.softmax_causal_queries(), h.softmax_causal_offset(), a.width(), rows,
                         h.softmax_labels_size());
    }
  } else if (h.softmax_causal_offset() != 0) {
    return "softmax_causal_offset without softmax_causal_queries";
  }
  for (int i = 0; i < h.exp_table_size(); ++i) {
    if (h.exp_table(i) < 0 || h.exp_table(i) > kExpOne) {
      return fmt::format("exp table entry {} ({}) lies outside [0, {}]", i, h.exp_table(i), kExpOne);
    }
  }
  if (h.exp_table(kExpTableEntries - 1) != kExpOne) {
    return fmt::format("the exp table's last entry (the row's maximum) is {}, not {} (1.0 in Q16)",
                       h.exp_table(kExpTableEntries - 1), kExpOne);
  }
  return {};
}

// A HOST_RESIZE's fields (isa/xdnn.proto): one element size, the channels kept, three table
// numbers per output row and column, each tap inside the input and each weight in 0..256.
std::string host_resize_problem(const isa::xdnn::HostElementwise& h) {
  const auto& a = h.a().layout();
  const auto& out = h.output().layout();
  if (h.has_b() || h.has_requant() || h.table_size() != 0 || h.exp_table_size() != 0) {
    return "a resize takes one operand, its two tables and nothing else";
  }
  if (a.element_bytes() != out.element_bytes() || a.channels() != out.channels()) {
    return fmt::format("a resize keeps the channels and the element size (a {}, output {})", shape_text(a),
                       shape_text(out));
  }
  const auto check_taps = [](const google::protobuf::RepeatedField<std::int32_t>& taps, std::uint32_t outputs,
                             std::uint32_t inputs, const char* what) -> std::string {
    if (static_cast<std::uint64_t>(taps.size()) != 3ull * outputs) {
      return fmt::format("resize_{} has {} numbers for {} output {}: three each", what, taps.size(), outputs, what);
    }
    for (int i = 0; i + 2 < taps.size(); i += 3) {
      if (taps.Get(i) < 0 || taps.Get(i + 1) < 0 || static_cast<std::uint32_t>(taps.Get(i)) >= inputs ||
          static_cast<std::uint32_t>(taps.Get(i + 1)) >= inputs) {
        return fmt::format("resize_{} reads {} {} and {} of {}", what, what, taps.Get(i), taps.Get(i + 1), inputs);
      }
      if (taps.Get(i + 2) < 0 || taps.Get(i + 2) > 256) {
        return fmt::format("resize_{} has weight {} outside 0..256", what, taps.Get(i + 2));
      }
    }
    return {};
  };
  std::string p = check_taps(h.resize_rows(), out.height(), a.height(), "rows");
  if (p.empty()) p = check_taps(h.resize_cols(), out.width(), a.width(), "cols");
  return p;
}

// A HOST_LAYERNORM's fields: one operand of the output's shape and the parameters of its
// channels (sim/common/layernorm.h checks their bounds), the clamp inside the output's range.
std::string host_layernorm_problem(const isa::xdnn::HostElementwise& h) {
  const auto& a = h.a().layout();
  const auto& out = h.output().layout();
  if (h.has_b() || h.has_requant() || h.table_size() != 0 || h.exp_table_size() != 0 || h.resize_rows_size() != 0 ||
      h.resize_cols_size() != 0) {
    return "a layer norm takes one operand, its parameters and nothing else";
  }
  if (a.channels() != out.channels() || a.height() != out.height() || a.width() != out.width()) {
    return fmt::format("a layer norm keeps the shape (a {}, output {})", shape_text(a), shape_text(out));
  }
  const isa::LayerNorm& p = h.layernorm();
  if (p.lo() < element_lo(out) || p.hi() > element_hi(out)) {
    return fmt::format("layer norm clamp [{}, {}] exceeds the output's range [{}, {}]", p.lo(), p.hi(), element_lo(out),
                       element_hi(out));
  }
  return layernorm_problem(p, a.channels(), element_lo(a), element_hi(a));
}

std::string host_hwc_reshape_problem(const isa::xdnn::HostElementwise& h) {
  if (h.has_layernorm() || h.resize_rows_size() != 0 || h.resize_cols_size() != 0 || h.exp_table_size() != 0 ||
      h.table_size() != 0 || h.has_b() || h.has_requant()) {
    return "an HWC reshape copies: one operand, no tables or requant";
  }
  const auto& a = h.a().layout();
  const auto& out = h.output().layout();
  if (a.element_bytes() != out.element_bytes() || a.is_signed() != out.is_signed()) {
    return "an HWC reshape keeps the element type";
  }
  if (std::uint64_t{a.channels()} * a.height() * a.width() != std::uint64_t{out.channels()} * out.height() * out.width()) {
    return fmt::format("an HWC reshape keeps the element count (a {}, output {})", shape_text(a), shape_text(out));
  }
  return {};
}

std::string host_embedding_problem(const isa::xdnn::HostElementwise& h) {
  if (h.has_layernorm() || h.resize_rows_size() != 0 || h.resize_cols_size() != 0 || h.exp_table_size() != 0 ||
      h.table_size() != 0 || h.has_requant()) {
    return "an embedding copies rows: ids and a table, no tables or requant";
  }
  const auto& ids = h.a().layout();
  const auto& table = h.b().layout();
  const auto& out = h.output().layout();
  if (ids.element_bytes() != 2 || ids.is_signed()) return "token ids are 16-bit unsigned";
  if (table.height() != 1 || out.height() != 1 || table.channels() != out.channels()) {
    return fmt::format("an embedding's table C x 1 x V and output C x 1 x T share C (table {}, output {})",
                       shape_text(table), shape_text(out));
  }
  if (std::uint64_t{ids.channels()} * ids.height() * ids.width() != out.width()) {
    return fmt::format("an embedding writes one row per token id ({} ids, output {})",
                       std::uint64_t{ids.channels()} * ids.height() * ids.width(), shape_text(out));
  }
  if (table.element_bytes() != out.element_bytes() || table.is_signed() != out.is_signed()) {
    return "an embedding keeps its table's element type";
  }
  return {};
}

}  // namespace

std::string host_elementwise_problem(const isa::xdnn::HostElementwise& h, const MemorySizes& m) {
  if (h.kind() != isa::xdnn::HOST_LUT && h.kind() != isa::xdnn::HOST_MUL && h.kind() != isa::xdnn::HOST_SOFTMAX &&
      h.kind() != isa::xdnn::HOST_RESIZE && h.kind() != isa::xdnn::HOST_LAYERNORM &&
      h.kind() != isa::xdnn::HOST_MATMUL && h.kind() != isa::xdnn::HOST_SOFTMAX_ROWS &&
      h.kind() != isa::xdnn::HOST_HWC_RESHAPE && h.kind() != isa::xdnn::HOST_EMBEDDING) {
    return fmt::format("unknown host elementwise kind {}", static_cast<int>(h.kind()));
  }
  const bool mul = h.kind() == isa::xdnn::HOST_MUL;
  const bool matmul = h.kind() == isa::xdnn::HOST_MATMUL;
  const bool embedding = h.kind() == isa::xdnn::HOST_EMBEDDING;
  std::vector<std::pair<const char*, const isa::xdnn::Region*>> operands{{"a", &h.a()}, {"output", &h.output()}};
  if (mul || matmul || embedding) operands.emplace_back("b", &h.b());
  for (const auto& [name, region] : operands) {
    if (region->memory() != isa::xdnn::MEMORY_DDR) {
      return fmt::format("the host reads and writes DDR only, but {} is in {}", name,
                         isa::xdnn::memory_name(region->memory()));
    }
    const std::string p = region_problem(*region, m);
    if (!p.empty()) return fmt::format("{} region {}", name, p);
  }
  if (h.kind() == isa::xdnn::HOST_SOFTMAX || h.kind() == isa::xdnn::HOST_SOFTMAX_ROWS) {
    if (h.matmul_heads() != 0) return "a softmax has no matmul heads";
    return host_softmax_problem(h);
  }
  if (matmul) return host_matmul_problem(h);
  if (h.matmul_heads() != 0 || h.matmul_form() != isa::xdnn::MATMUL_SCORES) return "only a matmul has a form and heads";
  if (h.kind() == isa::xdnn::HOST_RESIZE) return host_resize_problem(h);
  if (h.kind() == isa::xdnn::HOST_LAYERNORM) return host_layernorm_problem(h);
  if (h.kind() == isa::xdnn::HOST_HWC_RESHAPE) return host_hwc_reshape_problem(h);
  if (embedding) return host_embedding_problem(h);
  if (h.has_layernorm()) return "only a layer norm has layer norm parameters";
  if (h.resize_rows_size() != 0 || h.resize_cols_size() != 0) return "only a resize has resize tables";
  if (h.exp_table_size() != 0) return fmt::format("a {} has no exp table", mul ? "mul" : "lookup table");
  const auto& a = h.a().layout();
  const auto& out = h.output().layout();
  if (!mul) {
    if (h.has_b() || h.has_requant()) return "a lookup table takes one operand and no requant";
    if (a.element_bytes() != 1 || out.element_bytes() != 1) {
      return fmt::format("a lookup table maps 8-bit values to 8-bit values (a has {}, the output {} bytes per element)",
                         a.element_bytes(), out.element_bytes());
    }
    if (a.channels() != out.channels() || a.height() != out.height() || a.width() != out.width()) {
      return fmt::format("a lookup table keeps the shape (a {}, output {})", shape_text(a), shape_text(out));
    }
    const std::int64_t entries = element_hi(a) - element_lo(a) + 1;
    if (h.table_size() != entries) {
      return fmt::format("the table has {} entries; an 8-bit input needs {}", h.table_size(), entries);
    }
    for (int i = 0; i < h.table_size(); ++i) {
      if (h.table(i) < element_lo(out) || h.table(i) > element_hi(out)) {
        return fmt::format("table entry {} ({}) lies outside the output's range [{}, {}]", i, h.table(i),
                           element_lo(out), element_hi(out));
      }
    }
    return {};
  }
  if (h.table_size() != 0) return "a mul has no table";
  for (const auto& [name, region] : operands) {
    if (!broadcasts_to(region->layout(), out)) {
      return fmt::format("{} of shape {} does not broadcast to the output's {} (each dimension equal or 1)", name,
                         shape_text(region->layout()), shape_text(out));
    }
  }
  const std::string p = requant_problem(h.requant(), 1);
  if (!p.empty()) return p;
  if (h.requant().lo() < element_lo(out) || h.requant().hi() > element_hi(out)) {
    return fmt::format("requant clamp [{}, {}] exceeds the output's range [{}, {}]", h.requant().lo(),
                       h.requant().hi(), element_lo(out), element_hi(out));
  }
  return {};
}

namespace {

// --- arithmetic -----------------------------------------------------------------------

// The host's softmax over the channels at each pixel of `a` (one pixel: the program checks
// C x 1 x 1), in the integers of the HostElementwise contract (isa/xdnn.proto): the row's
// maximum m, e = exp_table[x - m + 255], their sum, and min(255, (e * 256 + sum / 2) / sum).
std::vector<std::int32_t> host_softmax(const DenseTensor& a,
                                       const google::protobuf::RepeatedField<std::int32_t>& exp_table) {
  const std::size_t channels = a.channels, pixels = static_cast<std::size_t>(a.height) * a.width;
  std::vector<std::int32_t> y(a.values.size());
  // A pixel's channels lie a plane apart in the dense tensor.
  for (std::size_t p = 0; p < pixels; ++p) softmax_row(a.values.data() + p, y.data() + p, channels, pixels, exp_table);
  return y;
}

// The host's resize of `a` (isa/xdnn.proto, HOST_RESIZE): per output element the four taps of
// its row and column weighted in Q8 each, rounded half up by the shift of 16.
std::vector<std::int32_t> host_resize(const DenseTensor& a, const isa::xdnn::HostElementwise& h,
                                      const isa::xdnn::TensorLayout& out) {
  std::vector<std::int32_t> y(static_cast<std::size_t>(out.channels()) * out.height() * out.width());
  std::size_t i = 0;
  for (std::uint32_t c = 0; c < out.channels(); ++c) {
    for (std::uint32_t row = 0; row < out.height(); ++row) {
      const int r = 3 * static_cast<int>(row);
      const auto r0 = static_cast<std::uint32_t>(h.resize_rows(r)), r1 = static_cast<std::uint32_t>(h.resize_rows(r + 1));
      const std::int64_t wr = h.resize_rows(r + 2);
      for (std::uint32_t col = 0; col < out.width(); ++col) {
        const int k = 3 * static_cast<int>(col);
        const auto c0 = static_cast<std::uint32_t>(h.resize_cols(k)), c1 = static_cast<std::uint32_t>(h.resize_cols(k + 1));
        const std::int64_t wc = h.resize_cols(k + 2);
        const std::int64_t top = (256 - wc) * a.at(c, r0, c0) + wc * a.at(c, r0, c1);
        const std::int64_t bottom = (256 - wc) * a.at(c, r1, c0) + wc * a.at(c, r1, c1);
        y[i++] = static_cast<std::int32_t>(((256 - wr) * top + wr * bottom + (1 << 15)) >> 16);
      }
    }
  }
  return y;
}

// The host's LayerNorm: each pixel's channels (strided by the plane in the dense C x H x W
// tensor) gathered into a row, normalised (sim/common/layernorm.h) and scattered back.
std::vector<std::int32_t> host_layernorm(const DenseTensor& a, const isa::LayerNorm& params) {
  const std::size_t channels = a.channels, pixels = static_cast<std::size_t>(a.height) * a.width;
  std::vector<std::int32_t> y(a.values.size()), row(channels), normalised(channels);
  for (std::size_t p = 0; p < pixels; ++p) {
    for (std::size_t c = 0; c < channels; ++c) row[c] = a.values[c * pixels + p];
    layernorm_row(row, params, normalised);
    for (std::size_t c = 0; c < channels; ++c) y[c * pixels + p] = normalised[c];
  }
  return y;
}

// output[c][0][t] = table[c][0][ids_t]: the rows the ids pick, a row a token.
std::vector<std::int32_t> host_embedding(const DenseTensor& ids, const DenseTensor& table) {
  const std::size_t tokens = ids.values.size(), rows = table.width;
  std::vector<std::int32_t> y(static_cast<std::size_t>(table.channels) * tokens);
  for (std::size_t t = 0; t < tokens; ++t) {
    const auto id = static_cast<std::size_t>(ids.values[t]);
    if (id >= rows) {
      throw UserError(fmt::format("host embedding: token id {} (position {}) is outside its table of {} rows", id, t, rows));
    }
    for (std::uint32_t c = 0; c < table.channels; ++c) y[c * tokens + t] = table.at(c, 0, static_cast<std::uint32_t>(id));
  }
  return y;
}

}  // namespace

// The host's lookup table, multiply or softmax over dense tensors read from DDR; a dimension
// of 1 in a Mul operand is read at index 0 wherever the output's is larger.
void run_host_elementwise(const isa::xdnn::HostElementwise& h, Memories& m) {
  const auto& out = h.output().layout();
  const DenseTensor a = read_region(h.a(), m);
  std::vector<std::int32_t> y(static_cast<std::size_t>(out.channels()) * out.height() * out.width());
  if (h.kind() == isa::xdnn::HOST_LUT) {
    const std::int64_t lo = element_lo(h.a().layout());
    for (std::size_t i = 0; i < y.size(); ++i) y[i] = h.table(static_cast<int>(a.values[i] - lo));
  } else if (h.kind() == isa::xdnn::HOST_SOFTMAX) {
    y = host_softmax(a, h.exp_table());
  } else if (h.kind() == isa::xdnn::HOST_SOFTMAX_ROWS) {
    y = host_softmax_rows(a, h);
  } else if (h.kind() == isa::xdnn::HOST_MATMUL) {
    y = host_matmul(h, a, read_region(h.b(), m));
  } else if (h.kind() == isa::xdnn::HOST_RESIZE) {
    y = host_resize(a, h, out);
  } else if (h.kind() == isa::xdnn::HOST_LAYERNORM) {
    y = host_layernorm(a, h.layernorm());
  } else if (h.kind() == isa::xdnn::HOST_EMBEDDING) {
    y = host_embedding(a, read_region(h.b(), m));
  } else if (h.kind() == isa::xdnn::HOST_HWC_RESHAPE) {
    // Element k in HWC order: pixel k / C, channel k % C, of a and of the output alike.
    const std::uint64_t a_pixels = std::uint64_t{a.height} * a.width, out_pixels = std::uint64_t{out.height()} * out.width();
    for (std::uint64_t k = 0; k < y.size(); ++k) {
      const std::int32_t v = a.values[static_cast<std::size_t>((k % a.channels) * a_pixels + k / a.channels)];
      y[static_cast<std::size_t>((k % out.channels()) * out_pixels + k / out.channels())] = v;
    }
  } else {
    const DenseTensor b = read_region(h.b(), m);
    const auto at = [](const DenseTensor& t, std::uint32_t c, std::uint32_t row, std::uint32_t col) {
      return std::int64_t{t.at(t.channels == 1 ? 0 : c, t.height == 1 ? 0 : row, t.width == 1 ? 0 : col)};
    };
    std::size_t i = 0;
    for (std::uint32_t c = 0; c < out.channels(); ++c) {
      for (std::uint32_t row = 0; row < out.height(); ++row) {
        for (std::uint32_t col = 0; col < out.width(); ++col) {
          y[i++] = requantize(at(a, c, row, col) * at(b, c, row, col), h.requant(), 0);
        }
      }
    }
  }
  write_region_rows(h.output(), m, y, 0, out.height(), 0);
}

}  // namespace wb::sim::xdnn
