#include "sim/xdnn/host_attention.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "sim/common/requant.h"

namespace wb::sim::xdnn {

namespace {

std::string dims_text(const isa::xdnn::TensorLayout& l) {
  return fmt::format("{} x {} x {}", l.channels(), l.height(), l.width());
}

std::int64_t layout_lo(const isa::xdnn::TensorLayout& l) {
  const int bits = 8 * static_cast<int>(l.element_bytes());
  return l.is_signed() ? -(std::int64_t{1} << (bits - 1)) : 0;
}
std::int64_t layout_hi(const isa::xdnn::TensorLayout& l) {
  const int bits = 8 * static_cast<int>(l.element_bytes());
  return l.is_signed() ? (std::int64_t{1} << (bits - 1)) - 1 : (std::int64_t{1} << bits) - 1;
}

// The queries (T), keys (T') and head size (d) the operands imply, the form decides which is
// which; the windows W split the queries and keys alike.
struct MatMulDims {
  std::uint32_t heads = 0, windows = 1, queries = 0, keys = 0, size = 0;
};

MatMulDims matmul_dims(const isa::xdnn::HostElementwise& h) {
  const auto& a = h.a().layout();
  const auto& b = h.b().layout();
  MatMulDims d;
  d.heads = std::max<std::uint32_t>(h.matmul_heads(), 1);
  d.windows = std::max<std::uint32_t>(h.matmul_windows(), 1);
  d.keys = b.width();
  d.size = b.channels() / d.heads;
  d.queries = h.matmul_form() == isa::xdnn::MATMUL_SCORES ? a.width() : a.channels() / d.heads;
  return d;
}

}  // namespace

std::string host_matmul_problem(const isa::xdnn::HostElementwise& h) {
  if (h.table_size() != 0 || h.exp_table_size() != 0 || h.has_layernorm() || h.resize_rows_size() != 0 ||
      h.resize_cols_size() != 0) {
    return "a matmul takes two operands, its requant and nothing else";
  }
  if (h.matmul_form() != isa::xdnn::MATMUL_SCORES && h.matmul_form() != isa::xdnn::MATMUL_CONTEXT) {
    return fmt::format("unknown matmul form {}", static_cast<int>(h.matmul_form()));
  }
  const auto& a = h.a().layout();
  const auto& b = h.b().layout();
  const auto& out = h.output().layout();
  if (h.matmul_heads() == 0) return "a matmul has at least one head";
  if (a.element_bytes() != 1 || b.element_bytes() != 1) return "a matmul multiplies 8-bit operands";
  if (a.height() != 1 || b.height() != 1 || out.height() != 1) {
    return fmt::format("a matmul's operands and output are one row of tokens (a {}, b {}, output {})", dims_text(a),
                       dims_text(b), dims_text(out));
  }
  const std::uint32_t heads = h.matmul_heads();
  if (b.channels() % heads != 0) return fmt::format("b's {} channels do not split into {} heads", b.channels(), heads);
  const MatMulDims d = matmul_dims(h);
  const std::uint32_t w = d.windows;
  if (b.width() % w != 0) return fmt::format("b's {} tokens do not split into {} windows", b.width(), w);
  if (h.matmul_form() == isa::xdnn::MATMUL_SCORES) {
    if (a.width() % w != 0 || a.channels() != b.channels() || out.channels() != heads * a.width() ||
        out.width() != b.width() / w) {
      return fmt::format("scores of a {} and b {} in {} heads and {} windows are {} x 1 x {}, not {}", dims_text(a),
                         dims_text(b), heads, w, std::uint64_t{heads} * a.width(), b.width() / w, dims_text(out));
    }
  } else {
    if (a.channels() % heads != 0 || a.width() != b.width() / w || out.channels() != b.channels() ||
        out.width() != d.queries) {
      return fmt::format("the context of a {} and b {} in {} heads and {} windows is {} x 1 x {}, not {}",
                         dims_text(a), dims_text(b), heads, w, b.channels(), a.channels() / heads, dims_text(out));
    }
  }
  if (h.matmul_bias_size() != 0 &&
      (h.matmul_form() != isa::xdnn::MATMUL_SCORES ||
       static_cast<std::uint64_t>(h.matmul_bias_size()) != std::uint64_t{heads} * (d.queries / w) * (d.keys / w))) {
    return fmt::format("a matmul bias is the scores' [h, L, L'] ({} x {} x {}), not {} entries", heads, d.queries / w,
                       d.keys / w, h.matmul_bias_size());
  }
  const std::string p = requant_problem(h.requant(), 1);
  if (!p.empty()) return p;
  if (h.requant().lo() < layout_lo(out) || h.requant().hi() > layout_hi(out)) {
    return fmt::format("requant clamp [{}, {}] exceeds the output's range [{}, {}]", h.requant().lo(), h.requant().hi(),
                       layout_lo(out), layout_hi(out));
  }
  return {};
}

std::uint64_t host_matmul_macs(const isa::xdnn::HostElementwise& h) {
  const MatMulDims d = matmul_dims(h);
  return std::uint64_t{d.heads} * d.queries * (d.keys / d.windows) * d.size;
}

std::vector<std::int32_t> host_matmul(const isa::xdnn::HostElementwise& h, const DenseTensor& a, const DenseTensor& b) {
  const MatMulDims d = matmul_dims(h);
  const bool scores = h.matmul_form() == isa::xdnn::MATMUL_SCORES;
  const std::uint32_t lq = d.queries / d.windows, lk = d.keys / d.windows;
  std::vector<std::int32_t> y(static_cast<std::size_t>(d.heads) * d.queries * (scores ? lk : d.size));
  for (std::uint32_t w = 0; w < d.windows; ++w) {
    for (std::uint32_t k = 0; k < d.heads; ++k) {
      for (std::uint32_t i = 0; i < lq; ++i) {
        const std::size_t row = (static_cast<std::size_t>(w) * d.heads + k) * lq + i;  // of the rows [W h, L, L']
        const std::uint32_t query = w * lq + i, key0 = w * lk;
        if (scores) {
          // output channel row, pixel j
          for (std::uint32_t j = 0; j < lk; ++j) {
            std::int64_t acc = 0;
            for (std::uint32_t c = 0; c < d.size; ++c) {
              acc += std::int64_t{a.at(k * d.size + c, 0, query)} * b.at(k * d.size + c, 0, key0 + j);
            }
            if (h.matmul_bias_size() != 0) acc += h.matmul_bias(static_cast<int>((k * lq + i) * lk + j));
            y[row * lk + j] = requantize(acc, h.requant(), 0);
          }
        } else {
          // output channel k d + c, pixel query
          for (std::uint32_t c = 0; c < d.size; ++c) {
            std::int64_t acc = 0;
            for (std::uint32_t j = 0; j < lk; ++j) {
              acc += std::int64_t{a.at(static_cast<std::uint32_t>(row), 0, j)} * b.at(k * d.size + c, 0, key0 + j);
            }
            y[(static_cast<std::size_t>(k) * d.size + c) * d.queries + query] = requantize(acc, h.requant(), 0);
          }
        }
      }
    }
  }
  return y;
}

void softmax_row(const std::int32_t* x, std::int32_t* y, std::size_t n, std::size_t stride,
                 const google::protobuf::RepeatedField<std::int32_t>& exp_table, const std::int32_t* labels,
                 std::int32_t label, std::size_t first_kept) {
  if (n == 0) return;
  const auto kept = [&](std::size_t i) { return i < first_kept && (labels == nullptr || labels[i] == label); };
  std::int32_t top = std::numeric_limits<std::int32_t>::min();
  for (std::size_t i = 0; i < n; ++i) {
    if (kept(i)) top = std::max(top, x[i * stride]);
  }
  const int last = exp_table.size() - 1;
  std::int64_t sum = 0;
  for (std::size_t i = 0; i < n; ++i) sum += kept(i) ? exp_table.Get(x[i * stride] - top + last) : 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t e = kept(i) ? exp_table.Get(x[i * stride] - top + last) : 0;
    y[i * stride] = static_cast<std::int32_t>(std::min<std::int64_t>(255, (e * 256 + sum / 2) / sum));
  }
}

std::vector<std::int32_t> host_softmax_rows(const DenseTensor& a, const isa::xdnn::HostElementwise& h) {
  const auto& labels = h.softmax_labels();
  std::vector<std::int32_t> y(a.values.size());
  const std::size_t rows = static_cast<std::size_t>(a.channels) * a.height;
  // Swin's mask: row (w h + k) L + i of W windows of L tokens, its keys' labels from w L on.
  const std::size_t length = a.width, per_window = labels.empty() ? 1 : rows / (labels.size() / length);
  for (std::size_t r = 0; r < rows; ++r) {
    const std::int32_t* window = labels.empty() ? nullptr : labels.data() + (r / per_window) * length;
    // A causal mask: query r % Q sees the keys up to its position plus the cached ones.
    const std::size_t kept = h.softmax_causal_queries() == 0
                                 ? SIZE_MAX
                                 : r % h.softmax_causal_queries() + h.softmax_causal_offset() + 1;
    softmax_row(a.values.data() + r * a.width, y.data() + r * a.width, a.width, 1, h.exp_table(), window,
                window == nullptr ? 0 : window[r % length], kept);
  }
  return y;
}

}  // namespace wb::sim::xdnn
