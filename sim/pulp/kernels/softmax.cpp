#include "sim/pulp/kernels/softmax.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <limits>

#include "sim/pulp/kernels/tile_element.h"
#include "support/error.h"

namespace wb::sim::pulp {

namespace {

using isa::pulp::KernelCall;

// SOFTMAX's exp table: 256 little-endian uint32 entries, indexed by x - max + 255, in Q16.
constexpr std::uint64_t kSoftmaxEntries = 256;
constexpr std::uint64_t kSoftmaxTableBytes = 4 * kSoftmaxEntries;

// Swin's region labels (isa/pulp.proto, KernelCall.softmax_label_tokens): the shape they need.
std::string softmax_labels_problem(const KernelCall& c) {
  const std::uint64_t tokens = c.softmax_label_tokens(), heads = c.softmax_label_heads(),
                      windows = c.softmax_label_windows();
  if (tokens == 0) {
    return heads != 0 || windows != 0 || (c.softmax_row0() != 0 && c.softmax_causal_queries() == 0)
               ? "softmax_label_heads, _windows or softmax_row0 without softmax_label_tokens or a causal mask"
               : "";
  }
  if (heads == 0 || windows == 0) return "softmax labels with 0 heads or windows";
  if (c.c_out() != tokens || c.w_out() != 1) {
    return fmt::format("softmax labels of windows of {} tokens on rows of {} keys (c_out) and w_out {} (each row is "
                       "one query's keys of its window: c_out == softmax_label_tokens, w_out 1)",
                       tokens, c.c_out(), c.w_out());
  }
  if (std::uint64_t{c.softmax_row0()} + c.h_out() > windows * heads * tokens) {
    return fmt::format("softmax rows {} .. {} beyond the {} rows of {} windows of {} heads of {} queries",
                       c.softmax_row0(), std::uint64_t{c.softmax_row0()} + c.h_out(), windows * heads * tokens,
                       windows, heads, tokens);
  }
  return {};
}
constexpr std::uint32_t kSoftmaxOne = 1u << 16;  // exp(0) in Q16: entry 255, the largest
// The row sum is a 32-bit register: c_out entries of at most 2^16 each stay below 2^32 up to
// 65535 channels (and e * 256 + sum / 2 then too).
constexpr std::uint32_t kSoftmaxMaxChannels = 65535;

// The exp table, each entry checked: it is data (it arrives by DMA), which kernel_problem
// cannot see. An entry above 2^16 could overflow the 32-bit row sum, and entry 255 (the row
// maximum's own, exp(0)) must be 2^16, which also keeps the sum, the divisor, at least 2^16.
std::array<std::uint32_t, kSoftmaxEntries> softmax_table(const KernelCall& c, const std::uint8_t* l1) {
  std::array<std::uint32_t, kSoftmaxEntries> table{};
  for (std::size_t i = 0; i < table.size(); ++i) {
    const std::uint8_t* entry = l1 + c.weights() + 4 * i;  // little-endian
    table[i] = entry[0] | std::uint32_t{entry[1]} << 8 | std::uint32_t{entry[2]} << 16 | std::uint32_t{entry[3]} << 24;
    if (table[i] > kSoftmaxOne) {
      throw UserError(fmt::format("softmax: exp table entry {} is {}, above {} (exp(0) in Q16)", i, table[i],
                                  kSoftmaxOne));
    }
  }
  if (table.back() != kSoftmaxOne) {
    throw UserError(fmt::format("softmax: exp table entry 255 is {}, not {} (exp(0) in Q16)", table.back(),
                                kSoftmaxOne));
  }
  return table;
}

// Per pixel: m = max x, e[c] = table[x[c] - m + 255], sum = sum e, y[c] = min(255, (e[c] * 256 +
// sum / 2) / sum), in the 32-bit unsigned arithmetic of the core (kernel_problem's channel bound
// and softmax_table's entry bound keep every value below 2^32; the sum is at least 2^16). Under
// region labels, a row's keys of another region than its query's are out of m and the sum and
// get 0 (the query's own key is always kept: the sum stays at least 2^16).
template <bool Signed>
void softmax(const KernelCall& c, std::uint8_t* l1) {
  const std::array<std::uint32_t, kSoftmaxEntries> table = softmax_table(c, l1);
  const std::uint8_t* x = l1 + c.input();
  std::uint8_t* y = l1 + c.output();
  const std::uint8_t* labels = l1 + c.weights() + kSoftmaxTableBytes;
  const std::uint32_t channels = c.c_out();
  const std::uint64_t pixels = std::uint64_t{c.h_out()} * c.w_out();
  const std::uint64_t tokens = c.softmax_label_tokens(), rows_per_window = tokens * c.softmax_label_heads();
  for (std::uint64_t p = 0; p < pixels; ++p) {
    const std::uint8_t* xp = x + p * channels;
    std::uint8_t* yp = y + p * channels;
    const std::uint64_t row = c.softmax_row0() + p;
    const std::uint8_t* window = tokens == 0 ? nullptr : labels + row / rows_per_window * tokens;
    // A causal mask: query row % Q sees the keys up to its position plus the cached ones.
    const std::uint64_t queries = c.softmax_causal_queries();
    const std::uint64_t last = queries == 0 ? channels : row % queries + c.softmax_causal_offset();
    const auto kept = [&](std::uint32_t ch) {
      return ch <= last && (window == nullptr || window[ch] == window[row % tokens]);
    };
    std::int32_t top = std::numeric_limits<std::int32_t>::min();
    for (std::uint32_t ch = 0; ch < channels; ++ch) {
      if (kept(ch)) top = std::max(top, tile_element<Signed>(xp + ch));
    }
    const auto entry = [&](std::uint32_t ch) -> std::uint32_t {
      return kept(ch) ? table[static_cast<std::size_t>(tile_element<Signed>(xp + ch) - top + 255)] : 0;
    };
    std::uint32_t sum = 0;
    for (std::uint32_t ch = 0; ch < channels; ++ch) sum += entry(ch);
    const std::uint32_t half = sum / 2;
    for (std::uint32_t ch = 0; ch < channels; ++ch) {
      yp[ch] = static_cast<std::uint8_t>(std::min<std::uint32_t>((entry(ch) * 256 + half) / sum, 255));
    }
  }
}

}  // namespace

std::uint64_t softmax_table_bytes(const KernelCall& c) {
  return kSoftmaxTableBytes + std::uint64_t{c.softmax_label_windows()} * c.softmax_label_tokens();
}


std::string softmax_call_problem(const KernelCall& c) {
  if (c.output_signed()) {
    return "softmax output_signed true (its probabilities are uint8 at 1/256)";
  }
  if (c.parallel() != isa::pulp::PARALLEL_HO) {
    const char* variant = c.parallel() == isa::pulp::PARALLEL_CO     ? "co"
                          : c.parallel() == isa::pulp::PARALLEL_HOWO ? "howo"
                                                                     : "unknown";
    return fmt::format("softmax with parallel {} (only ho, output rows: a pixel's channels depend on each other)",
                       variant);
  }
  if (c.c_out() > kSoftmaxMaxChannels) {
    return fmt::format("softmax over {} channels (at most {}: the row sum is a 32-bit register)", c.c_out(),
                       kSoftmaxMaxChannels);
  }
  if (c.softmax_causal_queries() != 0 &&
      (c.softmax_label_tokens() != 0 || c.softmax_causal_offset() >= c.c_out() || c.w_out() != 1)) {
    return fmt::format("a causal mask of {} queries after {} cached keys on rows of {} keys (c_out), w_out {} and {} "
                       "region labels (the keys must be the row's channels, w_out 1, no labels)",
                       c.softmax_causal_queries(), c.softmax_causal_offset(), c.c_out(), c.w_out(),
                       c.softmax_label_tokens());
  }
  if (c.softmax_causal_queries() == 0 && c.softmax_causal_offset() != 0) {
    return "softmax_causal_offset without softmax_causal_queries";
  }
  return softmax_labels_problem(c);
}

void run_softmax_kernel(const KernelCall& c, std::span<std::uint8_t> l1) {
  c.input_signed() ? softmax<true>(c, l1.data()) : softmax<false>(c, l1.data());
}

}  // namespace wb::sim::pulp
