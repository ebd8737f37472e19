#include "sim/pulp/kernels/resize.h"

#include <fmt/format.h>

#include <vector>

#include "sim/pulp/kernels/tile_element.h"
#include "support/error.h"

namespace wb::sim::pulp {

namespace {

using isa::pulp::KernelCall;

constexpr std::uint32_t kWeightOne = 256;  // Q8: the second tap's weight is at most 1

struct Tap {
  std::uint32_t first = 0, second = 0, weight = 0;  // indices into the tile's input
};

std::uint32_t u16_at(const std::uint8_t* p) { return p[0] | std::uint32_t{p[1]} << 8; }

// Entries [entry0, entry0 + count) of the table at `table`, their indices made relative to the
// tile's input (which starts at layer index `input0` and holds `inputs`), each checked.
std::vector<Tap> read_taps(const std::uint8_t* table, std::uint32_t entry0, std::uint32_t count, std::uint32_t input0,
                           std::uint32_t inputs, const char* axis) {
  std::vector<Tap> taps(count);
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::uint8_t* e = table + kResizeEntryBytes * (std::uint64_t{entry0} + i);
    const std::uint32_t first = u16_at(e), second = u16_at(e + 2), weight = u16_at(e + 4);
    for (const std::uint32_t index : {first, second}) {
      if (index < input0 || index >= input0 + inputs) {
        throw UserError(fmt::format("resize: {} entry {} reads input {} {}, outside this tile's {}..{}", axis,
                                    entry0 + i, axis, index, input0, input0 + inputs - 1));
      }
    }
    if (weight > kWeightOne) {
      throw UserError(fmt::format("resize: {} entry {} has weight {}, above {} (1 in Q8)", axis, entry0 + i, weight,
                                  kWeightOne));
    }
    taps[i] = Tap{first - input0, second - input0, weight};
  }
  return taps;
}

// (256 - wr) * ((256 - wc) * x00 + wc * x01) + wr * ((256 - wc) * x10 + wc * x11), rounded half up
// by 16 bits: a convex combination, so the result stays in the input's range and type.
template <bool Signed>
void resize(const KernelCall& c, std::uint8_t* l1, const std::vector<Tap>& rows, const std::vector<Tap>& cols) {
  const std::uint8_t* x = l1 + c.input();
  std::uint8_t* y = l1 + c.output();
  const std::uint64_t channels = c.c_out(), row_bytes = std::uint64_t{c.w_in()} * channels;
  for (std::uint32_t oy = 0; oy < c.h_out(); ++oy) {
    const Tap& r = rows[oy];
    const std::uint8_t* top = x + r.first * row_bytes;
    const std::uint8_t* bottom = x + r.second * row_bytes;
    for (std::uint32_t ox = 0; ox < c.w_out(); ++ox) {
      const Tap& k = cols[ox];
      const std::uint64_t left = k.first * channels, right = k.second * channels;
      std::uint8_t* out = y + (std::uint64_t{oy} * c.w_out() + ox) * channels;
      for (std::uint64_t ch = 0; ch < channels; ++ch) {
        const std::int32_t upper = static_cast<std::int32_t>(kWeightOne - k.weight) * tile_element<Signed>(top + left + ch) +
                                   static_cast<std::int32_t>(k.weight) * tile_element<Signed>(top + right + ch);
        const std::int32_t lower =
            static_cast<std::int32_t>(kWeightOne - k.weight) * tile_element<Signed>(bottom + left + ch) +
            static_cast<std::int32_t>(k.weight) * tile_element<Signed>(bottom + right + ch);
        const std::int32_t v = static_cast<std::int32_t>(kWeightOne - r.weight) * upper +
                               static_cast<std::int32_t>(r.weight) * lower;
        out[ch] = static_cast<std::uint8_t>(((v + (1 << 15)) >> 16) & 0xff);
      }
    }
  }
}

}  // namespace

std::uint64_t resize_table_bytes(const KernelCall& c) {
  return kResizeEntryBytes * (std::uint64_t{c.resize_table_rows()} + c.resize_table_cols());
}

std::string resize_call_problem(const KernelCall& c) {
  if (std::uint64_t{c.resize_row0()} + c.h_out() > c.resize_table_rows()) {
    return fmt::format("resize rows {}..{} beyond its table of {}", c.resize_row0(), c.resize_row0() + c.h_out() - 1,
                       c.resize_table_rows());
  }
  if (std::uint64_t{c.resize_col0()} + c.w_out() > c.resize_table_cols()) {
    return fmt::format("resize columns {}..{} beyond its table of {}", c.resize_col0(),
                       c.resize_col0() + c.w_out() - 1, c.resize_table_cols());
  }
  if (c.input_signed() != c.output_signed()) {
    return fmt::format("resize input_signed {} but output_signed {} (a resize keeps the type)", c.input_signed(),
                       c.output_signed());
  }
  if (c.parallel() != isa::pulp::PARALLEL_HO) return "resize with a parallel other than ho (each core its output rows)";
  return {};
}

void run_resize(const KernelCall& c, std::span<std::uint8_t> l1) {
  const std::uint8_t* table = l1.data() + c.weights();
  const std::vector<Tap> rows = read_taps(table, c.resize_row0(), c.h_out(), c.resize_input_row0(), c.h_in(), "row");
  const std::vector<Tap> cols = read_taps(table + kResizeEntryBytes * std::uint64_t{c.resize_table_rows()},
                                          c.resize_col0(), c.w_out(), c.resize_input_col0(), c.w_in(), "column");
  c.input_signed() ? resize<true>(c, l1.data(), rows, cols) : resize<false>(c, l1.data(), rows, cols);
}

}  // namespace wb::sim::pulp
