// KERNEL_RESIZE's functional kernel (sim/pulp/kernels/resize.cpp): every output of a whole call
// and of a tile in the middle of its tables equals quant::resize_value of the taps the tables
// name (the golden model's arithmetic, written independently there); malformed calls are
// refused before running and bad table data is a UserError before any output byte changes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "compiler/quant/qgraph.h"
#include "sim/pulp/kernels/kernels.h"
#include "sim/pulp/kernels/resize.h"
#include "support/error.h"

namespace wb::sim::pulp {
namespace {

using isa::pulp::KernelCall;
using testing::HasSubstr;

struct Entry {
  std::uint32_t first, second, weight;
};

// Non-decreasing taps over `inputs` for `outputs` entries, random weights 0..256.
std::vector<Entry> random_taps(std::uint32_t outputs, std::uint32_t inputs, std::mt19937& rng) {
  std::vector<Entry> taps;
  std::uniform_int_distribution<std::uint32_t> weight(0, 256);
  for (std::uint32_t o = 0; o < outputs; ++o) {
    const std::uint32_t first = o * inputs / outputs;
    taps.push_back(Entry{first, std::min(first + 1, inputs - 1), weight(rng)});
  }
  return taps;
}

struct ResizeCase {
  KernelCall call;
  std::vector<std::uint8_t> l1;
  std::vector<Entry> rows, cols;
};

void put_u16(std::vector<std::uint8_t>& l1, std::uint64_t at, std::uint32_t v) {
  l1[at] = static_cast<std::uint8_t>(v & 0xff);
  l1[at + 1] = static_cast<std::uint8_t>(v >> 8);
}

// The call for output rows [row0, + h_out) and columns [col0, + w_out) of a layer whose tables
// are `rows` and `cols`: its input is the input rows and columns they read, random bytes.
ResizeCase make_case(const std::vector<Entry>& rows, const std::vector<Entry>& cols, std::uint32_t row0,
                     std::uint32_t h_out, std::uint32_t col0, std::uint32_t w_out, std::uint32_t channels,
                     bool is_signed, std::uint32_t seed) {
  ResizeCase r{{}, {}, rows, cols};
  KernelCall& c = r.call;
  c.set_kind(isa::pulp::KERNEL_RESIZE);
  c.set_parallel(isa::pulp::PARALLEL_HO);
  const std::uint32_t in_row0 = rows[row0].first, in_col0 = cols[col0].first;
  c.set_h_in(rows[row0 + h_out - 1].second + 1 - in_row0);
  c.set_w_in(cols[col0 + w_out - 1].second + 1 - in_col0);
  c.set_c_in(channels);
  c.set_c_out(channels);
  c.set_h_out(h_out);
  c.set_w_out(w_out);
  c.set_k_h(1);
  c.set_k_w(1);
  c.set_stride_h(1);
  c.set_stride_w(1);
  c.set_resize_row0(row0);
  c.set_resize_col0(col0);
  c.set_resize_input_row0(in_row0);
  c.set_resize_input_col0(in_col0);
  c.set_resize_table_rows(static_cast<std::uint32_t>(rows.size()));
  c.set_resize_table_cols(static_cast<std::uint32_t>(cols.size()));
  c.set_input_signed(is_signed);
  c.set_output_signed(is_signed);
  const std::uint64_t input_bytes = std::uint64_t{c.h_in()} * c.w_in() * channels;
  c.set_input(0);
  c.set_weights((input_bytes + 3) / 4 * 4);
  c.set_output(c.weights() + resize_table_bytes(c));
  r.l1.assign(c.output() + std::uint64_t{h_out} * w_out * channels + 16, 0xa5);
  std::mt19937 rng(seed);
  for (std::uint64_t i = 0; i < input_bytes; ++i) r.l1[i] = static_cast<std::uint8_t>(rng());
  std::uint64_t at = c.weights();
  for (const auto* table : {&rows, &cols}) {
    for (const Entry& e : *table) {
      put_u16(r.l1, at, e.first);
      put_u16(r.l1, at + 2, e.second);
      put_u16(r.l1, at + 4, e.weight);
      put_u16(r.l1, at + 6, 0);
      at += kResizeEntryBytes;
    }
  }
  return r;
}

std::int64_t input_at(const ResizeCase& r, std::uint32_t row, std::uint32_t col, std::uint32_t ch) {
  const KernelCall& c = r.call;
  const std::uint8_t byte =
      r.l1[c.input() + ((std::uint64_t{row - c.resize_input_row0()} * c.w_in()) + (col - c.resize_input_col0())) *
                           c.c_in() + ch];
  return c.input_signed() ? static_cast<std::int8_t>(byte) : byte;
}

void expect_resized(const ResizeCase& r, const std::vector<std::uint8_t>& after) {
  const KernelCall& c = r.call;
  for (std::uint32_t oy = 0; oy < c.h_out(); ++oy) {
    const Entry& row = r.rows[c.resize_row0() + oy];
    for (std::uint32_t ox = 0; ox < c.w_out(); ++ox) {
      const Entry& col = r.cols[c.resize_col0() + ox];
      for (std::uint32_t ch = 0; ch < c.c_out(); ++ch) {
        const std::int64_t expected = quant::resize_value(
            input_at(r, row.first, col.first, ch), input_at(r, row.first, col.second, ch),
            input_at(r, row.second, col.first, ch), input_at(r, row.second, col.second, ch), row.weight, col.weight);
        const std::uint8_t got = after[c.output() + (std::uint64_t{oy} * c.w_out() + ox) * c.c_out() + ch];
        ASSERT_EQ(c.output_signed() ? static_cast<std::int8_t>(got) : got, expected)
            << "output (" << oy << ", " << ox << ", " << ch << ")";
      }
    }
  }
}

TEST(PulpResizeKernel, AWholeCallAndAMiddleTileGiveTheTapsResizeValue) {
  std::mt19937 rng(5);
  const std::vector<Entry> rows = random_taps(12, 5, rng), cols = random_taps(9, 4, rng);
  for (const bool is_signed : {false, true}) {
    for (const auto& [row0, h, col0, w] : {std::array<std::uint32_t, 4>{0, 12, 0, 9}, {4, 5, 3, 4}}) {
      SCOPED_TRACE(testing::Message() << (is_signed ? "int8" : "uint8") << " rows " << row0 << "+" << h);
      ResizeCase r = make_case(rows, cols, row0, h, col0, w, 3, is_signed, 11);
      ASSERT_EQ(kernel_problem(r.call, r.l1.size()), "");
      std::vector<std::uint8_t> l1 = r.l1;
      run_kernel(r.call, l1);
      expect_resized(r, l1);
      // Nothing but the output changed.
      const std::uint64_t out_end = r.call.output() + std::uint64_t{h} * w * 3;
      for (std::uint64_t i = 0; i < l1.size(); ++i) {
        if (i < r.call.output() || i >= out_end) {
          ASSERT_EQ(l1[i], r.l1[i]) << "byte " << i;
        }
      }
    }
  }
}

TEST(PulpResizeKernel, ExtremeValuesStayInTheirType) {
  std::mt19937 rng(6);
  std::vector<Entry> rows = random_taps(6, 3, rng), cols = random_taps(6, 3, rng);
  for (auto& e : rows) e.weight = 128;  // halfway: the rounding decides
  ResizeCase r = make_case(rows, cols, 0, 6, 0, 6, 2, true, 12);
  for (std::uint64_t i = 0; i < std::uint64_t{r.call.h_in()} * r.call.w_in() * 2; ++i) r.l1[i] = i % 2 ? 0x80 : 0x7f;
  std::vector<std::uint8_t> l1 = r.l1;
  run_kernel(r.call, l1);
  expect_resized(r, l1);
}

TEST(PulpResizeKernel, MalformedCallsAreRefusedBeforeRunning) {
  std::mt19937 rng(7);
  const std::vector<Entry> rows = random_taps(8, 4, rng), cols = random_taps(8, 4, rng);
  const ResizeCase r = make_case(rows, cols, 2, 4, 0, 8, 2, false, 13);
  KernelCall beyond = r.call;
  beyond.set_resize_row0(6);
  EXPECT_EQ(kernel_problem(beyond, r.l1.size()), "resize rows 6..9 beyond its table of 8");
  KernelCall types = r.call;
  types.set_output_signed(true);
  EXPECT_THAT(kernel_problem(types, r.l1.size()), HasSubstr("a resize keeps the type"));
  KernelCall split = r.call;
  split.set_parallel(isa::pulp::PARALLEL_CO);
  EXPECT_THAT(kernel_problem(split, r.l1.size()), HasSubstr("parallel other than ho"));
  KernelCall tables = r.call;
  tables.set_weights(r.l1.size() - 8);
  EXPECT_THAT(kernel_problem(tables, r.l1.size()), HasSubstr("resize tables: 128 bytes at"));
  KernelCall window = r.call;
  window.set_k_h(3);
  EXPECT_THAT(kernel_problem(window, r.l1.size()), HasSubstr("resize with a 3x1 window"));
}

TEST(PulpResizeKernel, ATapOutsideTheTileOrAWeightAboveOneIsAUserErrorAndWritesNothing) {
  std::mt19937 rng(8);
  std::vector<Entry> rows = random_taps(8, 4, rng), cols = random_taps(8, 4, rng);
  ResizeCase r = make_case(rows, cols, 2, 4, 0, 8, 2, false, 14);
  // Row entry 3 names input row 0, above this tile's first (rows[2].first = 1).
  put_u16(r.l1, r.call.weights() + 3 * kResizeEntryBytes, 0);
  std::vector<std::uint8_t> l1 = r.l1;
  try {
    run_kernel(r.call, l1);
    ADD_FAILURE() << "no error";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("resize: row entry 3 reads input row 0, outside this tile's 1..3"));
  }
  EXPECT_EQ(l1, r.l1);
  ResizeCase w = make_case(rows, cols, 0, 8, 0, 8, 2, false, 15);
  put_u16(w.l1, w.call.weights() + (8 + 5) * kResizeEntryBytes + 4, 257);
  l1 = w.l1;
  EXPECT_THROW(run_kernel(w.call, l1), UserError);
  EXPECT_EQ(l1, w.l1);
}

}  // namespace
}  // namespace wb::sim::pulp
