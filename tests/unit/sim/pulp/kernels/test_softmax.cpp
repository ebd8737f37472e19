// KERNEL_SOFTMAX's functional kernel (sim/pulp/kernels/softmax.cpp): per pixel m = max x,
// e[c] = table[x[c] - m + 255], y[c] = min(255, (e[c] * 256 + sum / 2) / sum), against outputs
// worked out by hand from that definition, under Swin's region labels too, then against the
// golden model with the quantizer's own tables.
#include <gtest/gtest.h>

#include <cstdint>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "compiler/golden/integer_executor.h"
#include "compiler/quant/requant_params.h"
#include "sim/pulp/kernels/kernels.h"
#include "support/error.h"
#include "tests/unit/sim/pulp/kernels/kernel_testing.h"

namespace wb::sim::pulp {
namespace {

using quant::QGraph;
using quant::QNode;
using quant::QOpKind;
using quant::QTensor;
using namespace kernel_testing;
using SoftmaxCall = CallInL1;

// A power-of-two exp table (an input scale of ln 2): entry i is 2^16 >> (255 - i), 0 once the
// shift passes 16 bits, so e is 65536, 32768, 16384, ... for x = m, m - 1, m - 2, ...
std::vector<std::uint32_t> halving_table() {
  std::vector<std::uint32_t> table(256, 0);
  for (std::uint32_t i = 239; i < 256; ++i) table[i] = 65536u >> (255 - i);
  return table;
}

// A softmax over an h x w tile of c channels, with `x` (HWC bytes) and `table` (little-endian
// uint32) in L1.
SoftmaxCall softmax_call(std::uint32_t h, std::uint32_t w, std::uint32_t c, const std::vector<std::uint8_t>& x,
                         bool is_signed, const std::vector<std::uint32_t>& table) {
  SoftmaxCall s;
  s.call = elementwise_call(isa::pulp::KERNEL_SOFTMAX, h, w, c);
  s.call.set_input_signed(is_signed);
  L1Builder builder;
  s.call.set_input(builder.place(x.size()));
  s.call.set_weights(builder.place(4 * table.size()));
  s.call.set_output(builder.place(std::uint64_t{h} * w * c));
  s.l1 = builder.memory();
  std::copy(x.begin(), x.end(), s.l1.begin() + static_cast<std::ptrdiff_t>(s.call.input()));
  for (std::size_t i = 0; i < table.size(); ++i) {
    for (std::size_t b = 0; b < 4; ++b) {
      s.l1[s.call.weights() + 4 * i + b] = static_cast<std::uint8_t>(table[i] >> (8 * b));
    }
  }
  return s;
}


// x = 3, 3, 1, 2: m = 3, e = 65536, 65536, 16384, 32768, sum = 180224, sum / 2 = 90112;
// (65536 x 256 + 90112) / 180224 = 93 (twice), (16384 x 256 + 90112) / 180224 = 23,
// (32768 x 256 + 90112) / 180224 = 47.
TEST(PulpKernelSoftmax, ARowWithTiesInt8) {
  SoftmaxCall s = softmax_call(1, 1, 4, int8_bytes({3, 3, 1, 2}), true, halving_table());
  EXPECT_EQ(run_in_l1(s), (std::vector<std::uint8_t>{93, 93, 23, 47}));
}

// Every entry 65536: each channel gets (65536 x 256 + C x 32768) / (C x 65536) = 256 / C
// rounded half up: 85 of 3, 43 of 6 (42.67), 26 of 10 (25.6); one channel alone 256.5 -> 255.
TEST(PulpKernelSoftmax, AnAllEqualRowIs256OverCRounded) {
  for (const auto& [c, level] : std::vector<std::pair<std::uint32_t, std::uint8_t>>{{3, 85}, {6, 43}, {10, 26}, {1, 255}}) {
    for (const bool is_signed : {true, false}) {
      SoftmaxCall s = softmax_call(1, 1, c, std::vector<std::uint8_t>(c, is_signed ? 0xf0 : 77), is_signed,
                                   halving_table());
      EXPECT_EQ(run_in_l1(s), std::vector<std::uint8_t>(c, level)) << c << " channels, signed " << is_signed;
    }
  }
}

// x = 100, -100, 0, 50: the others are 50 or more below m, their entries 0, so sum = 65536 and
// the maximum's (65536 x 256 + 32768) / 65536 = 256 is clamped to 255; the others (0 + 32768) /
// 65536 = 0.
TEST(PulpKernelSoftmax, ADominantChannelIsClampedTo255AndTheOthersAre0) {
  SoftmaxCall s = softmax_call(1, 1, 4, int8_bytes({100, -100, 0, 50}), true, halving_table());
  EXPECT_EQ(run_in_l1(s), (std::vector<std::uint8_t>{255, 0, 0, 0}));
}

// uint8 x = 255, 254, 200, 0: m = 255, e = 65536, 32768, 0, 0, sum = 98304;
// (65536 x 256 + 49152) / 98304 = 171, (32768 x 256 + 49152) / 98304 = 85, 49152 / 98304 = 0.
// (Read as int8 the row would be -1, -2, -56, 0, with m = 0.)
TEST(PulpKernelSoftmax, Uint8InputsAreReadUnsigned) {
  SoftmaxCall s = softmax_call(1, 1, 4, {255, 254, 200, 0}, false, halving_table());
  EXPECT_EQ(run_in_l1(s), (std::vector<std::uint8_t>{171, 85, 0, 0}));
}

// The int8 extremes: x = -128, 127 index entries 0 and 255 (entry 0 set to 4096 here):
// sum = 69632, (65536 x 256 + 34816) / 69632 = 241, (4096 x 256 + 34816) / 69632 = 15.
TEST(PulpKernelSoftmax, TheInt8ExtremesIndexTheTablesEnds) {
  std::vector<std::uint32_t> table = halving_table();
  table[0] = 4096;
  SoftmaxCall s = softmax_call(1, 1, 2, int8_bytes({-128, 127}), true, table);
  EXPECT_EQ(run_in_l1(s), (std::vector<std::uint8_t>{15, 241}));
}

// Each pixel of a 2 x 2 tile is normalised over its own channels: the rows above side by side.
TEST(PulpKernelSoftmax, EveryPixelOfATileIsNormalisedOnItsOwn) {
  const std::vector<std::uint8_t> x = int8_bytes({3, 3, 1, 2,          // (0, 0): ties
                                                  100, -100, 0, 50,    // (0, 1): dominant
                                                  -7, -7, -7, -7,      // (1, 0): all equal
                                                  2, 3, 3, 1});        // (1, 1): the first, rotated
  SoftmaxCall s = softmax_call(2, 2, 4, x, true, halving_table());
  EXPECT_EQ(run_in_l1(s), (std::vector<std::uint8_t>{93, 93, 23, 47, 255, 0, 0, 0, 64, 64, 64, 64, 47, 93, 93, 23}));
}

// Swin's shifted-window mask (KernelCall.softmax_label_*): a table of the halving exp entries
// followed by the region labels, packed 4 to a word as little-endian bytes.
std::vector<std::uint32_t> table_with_labels(const std::vector<std::uint8_t>& labels) {
  std::vector<std::uint32_t> table = halving_table();
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (i % 4 == 0) table.push_back(0);
    table.back() |= std::uint32_t{labels[i]} << (8 * (i % 4));
  }
  return table;
}

// Rows of 4 equal logits in windows of 4 tokens: a key of the query's region gets 65536, the
// others are out, so a region of two keys gives (65536 x 256 + 65536) / 131072 = 128 each and a
// window of one region 64 each (the plain softmax); masked keys get 0. A call's rows are the
// layer's from softmax_row0 on: window w = r / (h L), query r % L.
TEST(PulpKernelSoftmax, RegionLabelsKeepEachQuerysRegionOnly) {
  const std::vector<std::uint8_t> two_regions{0, 0, 1, 1};  // one window: tokens 0, 1 and 2, 3
  const auto rows = [](std::uint32_t n) { return std::vector<std::uint8_t>(std::size_t{4} * n, 5); };
  SoftmaxCall one = softmax_call(4, 1, 4, rows(4), true, table_with_labels(two_regions));
  one.call.set_softmax_label_tokens(4);
  one.call.set_softmax_label_heads(1);
  one.call.set_softmax_label_windows(1);
  ASSERT_EQ(kernel_problem(one.call, one.l1.size()), "");
  EXPECT_EQ(run_in_l1(one), (std::vector<std::uint8_t>{128, 128, 0, 0, 128, 128, 0, 0, 0, 0, 128, 128, 0, 0, 128, 128}));

  // Two windows of 2 heads (16 rows): window 0 is one region, window 1 two; a tile of rows 6 ..
  // 9 ends window 0 (its head 1's queries 2 and 3) and starts window 1 (head 0's queries 0, 1).
  const std::vector<std::uint8_t> labels{3, 3, 3, 3, 0, 0, 1, 1};
  SoftmaxCall tile = softmax_call(4, 1, 4, rows(4), false, table_with_labels(labels));
  tile.call.set_softmax_label_tokens(4);
  tile.call.set_softmax_label_heads(2);
  tile.call.set_softmax_label_windows(2);
  tile.call.set_softmax_row0(6);
  ASSERT_EQ(kernel_problem(tile.call, tile.l1.size()), "");
  EXPECT_EQ(run_in_l1(tile), (std::vector<std::uint8_t>{64, 64, 64, 64, 64, 64, 64, 64, 128, 128, 0, 0, 128, 128, 0, 0}));
}

// Rows of 4 equal logits under a causal mask of 2 queries a head after 1 cached key: query 0
// keeps keys 0 and 1 (128 each), query 1 keys 0 .. 2 (85 each: (65536 x 256 + 98304) / 196608),
// the rest 0; a call from row 3 on starts at head 1's query 1. An offset beyond the keys, or a
// mask with labels, is refused.
TEST(PulpKernelSoftmax, ACausalMaskKeepsTheKeysUpToEachQuerysPosition) {
  const std::vector<std::uint8_t> rows(16, 5);
  SoftmaxCall call = softmax_call(4, 1, 4, rows, true, halving_table());
  call.call.set_softmax_causal_queries(2);
  call.call.set_softmax_causal_offset(1);
  ASSERT_EQ(kernel_problem(call.call, call.l1.size()), "");
  EXPECT_EQ(run_in_l1(call), (std::vector<std::uint8_t>{128, 128, 0, 0, 85, 85, 85, 0, 128, 128, 0, 0, 85, 85, 85, 0}));
  call.call.set_softmax_row0(3);
  EXPECT_EQ(run_in_l1(call), (std::vector<std::uint8_t>{85, 85, 85, 0, 128, 128, 0, 0, 85, 85, 85, 0, 128, 128, 0, 0}));
  call.call.set_softmax_causal_offset(4);
  EXPECT_NE(kernel_problem(call.call, call.l1.size()).find("a causal mask of 2 queries after 4 cached keys"),
            std::string::npos);
  call.call.set_softmax_causal_offset(0);
  call.call.set_softmax_causal_queries(0);
  EXPECT_NE(kernel_problem(call.call, call.l1.size()).find("softmax_row0 without"), std::string::npos);
}

// The table arrives by DMA: an entry the quantizer never writes (above 2^16, or an exp(0) that
// is not 2^16, which would also let the sum, the divisor, fall to 0) is found when the kernel
// runs, named, and nothing is written.
TEST(PulpKernelSoftmax, AnExpTableTheQuantizerCannotWriteIsAUserErrorNotAResult) {
  const auto expect_refused = [](std::vector<std::uint32_t> table, const std::string& message) {
    SoftmaxCall s = softmax_call(1, 2, 3, int8_bytes({1, 2, 3, 4, 5, 6}), true, table);
    ASSERT_EQ(kernel_problem(s.call, s.l1.size()), "");  // the data is not the call's shape
    const std::vector<std::uint8_t> before = s.l1;
    try {
      run_kernel(s.call, s.l1);
      ADD_FAILURE() << message << ": ran";
    } catch (const UserError& e) {
      EXPECT_EQ(std::string(e.what()), message);
    }
    EXPECT_EQ(s.l1, before) << message;
  };
  std::vector<std::uint32_t> above = halving_table();
  above[17] = 65537;
  expect_refused(above, "softmax: exp table entry 17 is 65537, above 65536 (exp(0) in Q16)");
  std::vector<std::uint32_t> zero_one = halving_table();
  zero_one[255] = 0;
  expect_refused(zero_one, "softmax: exp table entry 255 is 0, not 65536 (exp(0) in Q16)");
  std::vector<std::uint32_t> huge = halving_table();
  huge[3] = 0xffffffffu;
  expect_refused(huge, "softmax: exp table entry 3 is 4294967295, above 65536 (exp(0) in Q16)");
}

struct SoftmaxSpec {
  const char* name;
  bool x_signed;
  double x_scale;
  std::int64_t lo, hi;  // the random inputs' range
};

void PrintTo(const SoftmaxSpec& spec, std::ostream* os) { *os << spec.name; }

class PulpKernelSoftmaxGolden : public ::testing::TestWithParam<SoftmaxSpec> {};

// 12 rows of 10 channels, [12, 10] in the QGraph, a 3 x 4 tile of pixels for the kernel (the
// same bytes), with the quantizer's exp table of the input scale; the first row holds the
// type's extremes.
TEST_P(PulpKernelSoftmaxGolden, RowsOfRandomLogitsMatchTheGoldenModel) {
  const SoftmaxSpec s = GetParam();
  constexpr std::uint32_t N = 12, C = 10;
  QGraph g;
  g.scheme = quant::Scheme::Pulp;
  g.tensors = {QTensor{"x", {N, C}, 8, s.x_signed, s.x_scale, 0}, QTensor{"y", {N, C}, 8, false, 1.0 / 256, 0}};
  g.inputs = {0};
  g.outputs = {1};
  QNode n;
  n.kind = QOpKind::Softmax;
  n.name = "softmax";
  n.inputs = {0};
  n.output = 1;
  g.nodes.push_back(n);
  quant::assign_requant(g);
  const std::vector<std::int64_t>& exp_table = g.nodes[0].softmax_exp_table;
  ASSERT_EQ(exp_table.size(), 256u);
  Tensor x(g.tensor(0).dtype(), g.tensor(0).shape);
  std::mt19937 rng(11);
  std::uniform_int_distribution<std::int64_t> value(s.lo, s.hi);
  for (std::int64_t i = 0; i < x.numel(); ++i) {
    const std::int64_t v = i < 2 ? (i == 0 ? g.tensor(0).lo() : g.tensor(0).hi()) : value(rng);
    if (s.x_signed) {
      x.data<std::int8_t>()[i] = static_cast<std::int8_t>(v);
    } else {
      x.data<std::uint8_t>()[i] = static_cast<std::uint8_t>(v);
    }
  }
  const Tensor y = golden::IntegerExecutor(g).run_quantized({x}).at(0);
  expect_varied(y);

  std::vector<std::uint8_t> bytes;
  for (std::int64_t i = 0; i < x.numel(); ++i) bytes.push_back(static_cast<std::uint8_t>(x.as_int64(i) & 0xff));
  std::vector<std::uint32_t> table;
  for (const std::int64_t e : exp_table) table.push_back(static_cast<std::uint32_t>(e));
  SoftmaxCall call = softmax_call(3, 4, C, bytes, s.x_signed, table);
  const std::vector<std::uint8_t> out = run_in_l1(call);
  ASSERT_EQ(out.size(), static_cast<std::size_t>(y.numel()));
  for (std::int64_t i = 0; i < y.numel(); ++i) {
    ASSERT_EQ(std::int64_t{out[static_cast<std::size_t>(i)]}, y.as_int64(i)) << "row " << i / C << " channel " << i % C;
  }
}

// Attention's scores [2, 6, 6] of a decoder under its causal mask, rows of random logits: the
// kernel over the kept keys alone against the golden model's softmax, call by call of 4 rows.
TEST(PulpKernelSoftmaxCausal, ScoresUnderACausalMaskMatchTheGoldenModel) {
  constexpr std::uint32_t H = 2, Q = 6, K = 6;
  QGraph g;
  g.scheme = quant::Scheme::Pulp;
  g.tensors = {QTensor{"x", {H, Q, K}, 8, true, 0.1, 0}, QTensor{"y", {H, Q, K}, 8, false, 1.0 / 256, 0}};
  g.inputs = {0};
  g.outputs = {1};
  QNode n;
  n.kind = QOpKind::Softmax;
  n.name = "softmax";
  n.inputs = {0};
  n.output = 1;
  n.softmax_causal = true;
  g.nodes.push_back(n);
  quant::assign_requant(g);
  Tensor x(g.tensor(0).dtype(), g.tensor(0).shape);
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> value(-40, 40);
  for (std::int64_t i = 0; i < x.numel(); ++i) x.data<std::int8_t>()[i] = static_cast<std::int8_t>(value(rng));
  const Tensor y = golden::IntegerExecutor(g).run_quantized({x}).at(0);
  expect_varied(y);
  EXPECT_EQ(y.as_int64(1), 0) << "query 0 sees key 0 alone";
  EXPECT_EQ(y.as_int64(0), 255);
  std::vector<std::uint32_t> table;
  for (const std::int64_t e : g.nodes[0].softmax_exp_table) table.push_back(static_cast<std::uint32_t>(e));
  for (std::uint32_t row0 = 0; row0 < H * Q; row0 += 4) {
    std::vector<std::uint8_t> bytes;
    for (std::uint32_t i = row0 * K; i < (row0 + 4) * K; ++i) bytes.push_back(static_cast<std::uint8_t>(x.as_int64(i) & 0xff));
    SoftmaxCall call = softmax_call(4, 1, K, bytes, true, table);
    call.call.set_softmax_causal_queries(Q);
    call.call.set_softmax_row0(row0);
    ASSERT_EQ(kernel_problem(call.call, call.l1.size()), "");
    const std::vector<std::uint8_t> out = run_in_l1(call);
    for (std::uint32_t i = 0; i < 4 * K; ++i) {
      ASSERT_EQ(std::int64_t{out[i]}, y.as_int64(row0 * K + i)) << "row " << row0 + i / K << " key " << i % K;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Inputs, PulpKernelSoftmaxGolden,
    ::testing::Values(SoftmaxSpec{"int8_logits", true, 0.1, -30, 30},
                      SoftmaxSpec{"uint8_logits", false, 0.08, 100, 160},
                      SoftmaxSpec{"int8_wide_scale", true, 0.02, -128, 127}),
    spec_name<SoftmaxSpec>);

}  // namespace
}  // namespace wb::sim::pulp
