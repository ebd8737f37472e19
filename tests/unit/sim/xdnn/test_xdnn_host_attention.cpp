// The host model's attention (isa/xdnn.proto, HOST_MATMUL and HOST_SOFTMAX_ROWS) against a
// reference written here from the contract: per head, plain loops over [h, T, T'] indices,
// not over the (h T) x 1 x T' image the program stores.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "support/error.h"
#include "tests/unit/sim/xdnn/xdnn_sim_testing.h"

namespace wb::test::xdnn {
namespace {

using sim::xdnn::SimResult;
using sim::xdnn::simulate;

struct Attention {
  std::uint32_t heads = 2, size = 3, queries = 4, keys = 5;  // h, d, T, T'
  std::uint32_t windows = 1;                                  // Swin's W: T and T' in W windows
};

// A HOST_MATMUL with its operands as network inputs and its output as the network output, in
// DDR laid out as `section`-lane words (the host reads any layout).
x::Program matmul_program(x::MatMulForm form, const Attention& at, const isa::Requant& rq, std::uint32_t section) {
  const std::uint32_t c = at.heads * at.size;
  const bool scores = form == x::MATMUL_SCORES;
  const std::uint32_t window_keys = at.keys / at.windows;  // the rows [W h, L, L'] are (h T) x 1 x L'
  const x::TensorLayout a_l = scores ? layout(c, 1, at.queries, {.section = section})
                                     : layout(at.heads * at.queries, 1, window_keys, {.section = section, .is_signed = false});
  const x::TensorLayout b_l = layout(c, 1, at.keys, {.section = section});
  const x::TensorLayout out_l = scores ? layout(at.heads * at.queries, 1, window_keys, {.section = section})
                                       : layout(c, 1, at.queries, {.section = section});
  ProgramBuilder b;
  const auto a_r = region(x::MEMORY_DDR, b.ddr(bytes_of(a_l)), a_l);
  const auto b_r = region(x::MEMORY_DDR, b.ddr(bytes_of(b_l)), b_l);
  const auto out_r = region(x::MEMORY_DDR, b.ddr(bytes_of(out_l)), out_l);
  b.input("a", {1, a_l.channels(), 1, a_l.width()}, a_r);
  b.input("b", {1, b_l.channels(), 1, b_l.width()}, b_r);
  b.output("y", {1, out_l.channels(), 1, out_l.width()}, out_r);
  b.layer("matmul", "matmul", out_r).set_unit("host");
  x::HostElementwise& h = *b.instr("matmul").mutable_host_elementwise();
  h.set_kind(x::HOST_MATMUL);
  h.set_matmul_form(form);
  h.set_matmul_heads(at.heads);
  if (at.windows > 1) h.set_matmul_windows(at.windows);
  *h.mutable_a() = a_r;
  *h.mutable_b() = b_r;
  *h.mutable_output() = out_r;
  *h.mutable_requant() = rq;
  return b.program();
}

// scores[k][i][j] = requant(sum_c Q[k d + c][i] K[k d + c][j]), returned row-major [h, T, T'].
std::vector<std::int32_t> ref_scores(const IntTensor& q, const IntTensor& k, const Attention& at, const isa::Requant& rq) {
  std::vector<std::int32_t> y;
  for (std::uint32_t head = 0; head < at.heads; ++head) {
    for (std::uint32_t i = 0; i < at.queries; ++i) {
      for (std::uint32_t j = 0; j < at.keys; ++j) {
        std::int64_t acc = 0;
        for (std::uint32_t c = 0; c < at.size; ++c) {
          const std::uint32_t ch = head * at.size + c;
          acc += std::int64_t{q.values[ch * at.queries + i]} * k.values[ch * at.keys + j];
        }
        y.push_back(static_cast<std::int32_t>(ref_requant(acc, rq, 0)));
      }
    }
  }
  return y;
}

// context[k d + c][i] = requant(sum_j P[k][i][j] V[k d + c][j]), returned NCHW [1, C, 1, T].
std::vector<std::int32_t> ref_context(const IntTensor& p, const IntTensor& v, const Attention& at,
                                      const isa::Requant& rq) {
  std::vector<std::int32_t> y(std::size_t{at.heads} * at.size * at.queries);
  for (std::uint32_t head = 0; head < at.heads; ++head) {
    for (std::uint32_t c = 0; c < at.size; ++c) {
      for (std::uint32_t i = 0; i < at.queries; ++i) {
        std::int64_t acc = 0;
        for (std::uint32_t j = 0; j < at.keys; ++j) {
          acc += std::int64_t{p.values[(head * at.queries + i) * at.keys + j]} *
                 v.values[(head * at.size + c) * at.keys + j];
        }
        y[(head * at.size + c) * at.queries + i] = static_cast<std::int32_t>(ref_requant(acc, rq, 0));
      }
    }
  }
  return y;
}

TEST(XdnnSimHostAttention, ScoresAreEachHeadsProductOfQueriesAndKeys) {
  const isa::Requant rq = requant({181}, {1 << 9}, {10}, -128, 127);
  for (const Attention at : {Attention{}, Attention{1, 4, 3, 3}, Attention{4, 2, 5, 7}}) {
    const std::uint32_t c = at.heads * at.size;
    const IntTensor q = random_tensor(c, 1, at.queries, -128, 127, 11 + c);
    const IntTensor k = random_tensor(c, 1, at.keys, -128, 127, 12 + c);
    for (const std::uint32_t section : {c, 8u + c}) {
      const SimResult r = simulate(matmul_program(x::MATMUL_SCORES, at, rq, section), config(), {q, k}, {});
      EXPECT_EQ(r.outputs.at(0).values, ref_scores(q, k, at, rq)) << at.heads << " heads, section " << section;
    }
  }
}

TEST(XdnnSimHostAttention, ContextIsEachHeadsProbabilitiesTimesValues) {
  const isa::Requant rq = requant({3}, {1 << 7}, {8}, -128, 127);
  for (const Attention at : {Attention{}, Attention{1, 4, 3, 3}, Attention{4, 2, 5, 7}}) {
    const std::uint32_t c = at.heads * at.size;
    const IntTensor p = random_tensor(at.heads * at.queries, 1, at.keys, 0, 255, 21 + c);
    const IntTensor v = random_tensor(c, 1, at.keys, -128, 127, 22 + c);
    for (const std::uint32_t section : {c, 8u + at.heads * at.queries}) {
      const SimResult r = simulate(matmul_program(x::MATMUL_CONTEXT, at, rq, section), config(), {p, v}, {});
      EXPECT_EQ(r.outputs.at(0).values, ref_context(p, v, at, rq)) << at.heads << " heads, section " << section;
    }
  }
}

TEST(XdnnSimHostAttention, ProductsSaturateAtTheRequantClamp) {
  // One head of one channel: every score is 127 * 127 = 16129, requantised by 1 (shift 0)
  // to 16129, clamped to 127; with -128 keys to -16256 -> -128.
  const Attention at{1, 1, 2, 2};
  const IntTensor q{{1, 1, 1, 2}, {127, 127}};
  const IntTensor k{{1, 1, 1, 2}, {127, -128}};
  const SimResult r = simulate(matmul_program(x::MATMUL_SCORES, at, requant({1}, {0}, {0}, -128, 127), 1), config(),
                               {q, k}, {});
  EXPECT_EQ(r.outputs.at(0).values, (std::vector<std::int32_t>{127, -128, 127, -128}));
}

TEST(XdnnSimHostAttention, MatMulCyclesCountTwoOpsPerMacAndTheLinkBytes) {
  // docs/xdnn.md: as a host conv, 2 ops per MAC at host_gops, and a, b and the output over the link.
  const Attention at{2, 3, 4, 5};
  const HwConfig hw = config();
  const auto cycles = [&](double macs, double bytes) {
    return static_cast<std::uint64_t>(
        std::ceil((2.0 * macs / (hw.xdnn().host_gops * 1e9) + bytes / (hw.xdnn().host_link_gbps * 1e9)) * hw.clock_mhz *
                  1e6));
  };
  const double scores_macs = 2.0 * 4 * 5 * 3, context_macs = 2.0 * 4 * 3 * 5;
  const isa::Requant rq = requant({1}, {0}, {0}, -128, 127);
  EXPECT_EQ(simulate(matmul_program(x::MATMUL_SCORES, at, rq, 6), hw, {}, timing_only()).host_cycles,
            cycles(scores_macs, 6 * 4 + 6 * 5 + 8 * 5));
  EXPECT_EQ(simulate(matmul_program(x::MATMUL_CONTEXT, at, rq, 8), hw, {}, timing_only()).host_cycles,
            cycles(context_macs, 8 * 5 + 6 * 5 + 6 * 4));
}

// exp((i - 255) * ln 2) in Q16: one step below a row's maximum weighs 1/2, two 1/4, ...
std::vector<std::int32_t> halving_table() {
  std::vector<std::int32_t> table(256, 0);
  for (int k = 0; k <= 16; ++k) table[static_cast<std::size_t>(255 - k)] = 65536 >> k;
  return table;
}

x::Program softmax_rows_program(const x::TensorLayout& in_l, const x::TensorLayout& out_l) {
  ProgramBuilder b;
  const auto in_r = region(x::MEMORY_DDR, b.ddr(bytes_of(in_l)), in_l);
  const auto out_r = region(x::MEMORY_DDR, b.ddr(bytes_of(out_l)), out_l);
  b.input("s", {1, in_l.channels(), in_l.height(), in_l.width()}, in_r);
  b.output("p", {1, out_l.channels(), out_l.height(), out_l.width()}, out_r);
  b.layer("softmax", "softmax", out_r).set_unit("host");
  x::HostElementwise& h = *b.instr("softmax").mutable_host_elementwise();
  h.set_kind(x::HOST_SOFTMAX_ROWS);
  *h.mutable_a() = in_r;
  *h.mutable_output() = out_r;
  for (const std::int32_t entry : halving_table()) h.add_exp_table(entry);
  return b.program();
}

TEST(XdnnSimHostAttention, SoftmaxRowsNormaliseEachQuerysKeys) {
  // Two queries (channels) of four keys (W). With the halving table, row [5, 5, 4, 3]:
  // e = 65536, 65536, 32768, 16384, sum 180224; (e * 256 + 90112) / 180224 = 93, 93, 47, 23.
  // Row [-1, -7, -7, -7] (the maximum first): e = 65536, 1024, 1024, 1024, sum 68608:
  // (16777216 + 34304) / 68608 = 245 (245.03), (262144 + 34304) / 68608 = 4 (4.32).
  // Over the channels instead, each pixel would pair 5 with -1: the rows must not mix.
  const IntTensor s{{1, 2, 1, 4}, {5, 5, 4, 3, -1, -7, -7, -7}};
  const SimResult r = simulate(softmax_rows_program(layout(2, 1, 4, {.section = 8}),
                                                    layout(2, 1, 4, {.section = 2, .is_signed = false})),
                               config(), {s}, {});
  EXPECT_EQ(r.outputs.at(0).values, (std::vector<std::int32_t>{93, 93, 47, 23, 245, 4, 4, 4}));
}

// Swin's mask as region labels: the rows [W h, L, L] = [2, 2, 2] of 2 windows (1 head); window 0's
// two tokens lie in two regions, window 1's in one. A row keeps its query's region only: window
// 0's rows are one-hot on their own token whatever the scores, window 1's the plain softmax.
// Labels that do not label whole windows of the rows are refused.
TEST(XdnnSimHostAttention, SoftmaxRowsUnderAMaskKeepEachQuerysRegion) {
  const IntTensor s{{1, 4, 1, 2}, {-100, 120, 90, -50, 5, 3, -1, -7}};
  x::Program p = softmax_rows_program(layout(4, 1, 2, {.section = 8}), layout(4, 1, 2, {.section = 4, .is_signed = false}));
  for (const std::int32_t label : {0, 1, 0, 0}) p.mutable_instrs(0)->mutable_host_elementwise()->add_softmax_labels(label);
  const SimResult r = simulate(p, config(), {s}, {});
  const auto& y = r.outputs.at(0).values;
  EXPECT_EQ((std::vector<std::int32_t>(y.begin(), y.begin() + 4)), (std::vector<std::int32_t>{255, 0, 0, 255}))
      << "query 0 keeps key 0 only, though key 1 scores higher";
  // Window 1 is one region: its rows as without labels.
  const SimResult plain = simulate(softmax_rows_program(layout(4, 1, 2, {.section = 8}),
                                                        layout(4, 1, 2, {.section = 4, .is_signed = false})),
                                   config(), {s}, {});
  EXPECT_EQ((std::vector<std::int32_t>(y.begin() + 4, y.end())),
            (std::vector<std::int32_t>(plain.outputs.at(0).values.begin() + 4, plain.outputs.at(0).values.end())));
  p.mutable_instrs(0)->mutable_host_elementwise()->add_softmax_labels(0);  // 5 labels for rows of 2
  try {
    simulate(p, config(), {}, timing_only());
    FAIL() << "expected a UserError";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("5 region labels do not label the windows of rows of 2 keys"));
  }
}

TEST(XdnnSimHostAttention, MalformedMatMulIsRefusedNamingWhy) {
  const Attention at{};
  const isa::Requant rq = requant({1}, {0}, {0}, -128, 127);
  const x::Program good = matmul_program(x::MATMUL_SCORES, at, rq, 6);
  const auto refused = [&](x::Program p, const std::string& why) {
    try {
      simulate(p, config(), {}, timing_only());
      FAIL() << "expected a UserError: " << why;
    } catch (const UserError& e) {
      EXPECT_THAT(e.what(), ::testing::HasSubstr("XNMatMul(host)"));
      EXPECT_THAT(e.what(), ::testing::HasSubstr(why));
    }
  };
  x::Program p = good;
  p.mutable_instrs(0)->mutable_host_elementwise()->set_matmul_heads(0);
  refused(p, "a matmul has at least one head");
  p = good;
  p.mutable_instrs(0)->mutable_host_elementwise()->set_matmul_heads(4);  // 6 channels
  refused(p, "b's 6 channels do not split into 4 heads");
  p = good;
  p.mutable_instrs(0)->mutable_host_elementwise()->set_matmul_form(x::MATMUL_CONTEXT);
  refused(p, "the context of a");
  p = good;
  p.mutable_instrs(0)->mutable_host_elementwise()->mutable_requant()->set_hi(300);
  refused(p, "requant clamp [-128, 300] exceeds the output's range [-128, 127]");
  p = good;
  p.mutable_instrs(0)->mutable_host_elementwise()->add_exp_table(1);
  refused(p, "a matmul takes two operands, its requant and nothing else");
  // Swin's windows must split the tokens, and a bias be one per head and pair of them.
  p = good;
  p.mutable_instrs(0)->mutable_host_elementwise()->set_matmul_windows(2);  // 5 keys
  refused(p, "b's 5 tokens do not split into 2 windows");
  p = good;
  for (int i = 0; i < 7; ++i) p.mutable_instrs(0)->mutable_host_elementwise()->add_matmul_bias(i);
  refused(p, "a matmul bias is the scores' [h, L, L'] (2 x 4 x 5), not 7 entries");
}

// Swin's windowed scores with a relative-position bias (2 windows of 2 queries and 2 keys, 1
// head of 2): each query against its window's keys, plus the bias of its head and pair.
TEST(XdnnSimHostAttention, WindowedScoresAddTheBiasOfTheirHeadAndPair) {
  const Attention at{.heads = 1, .size = 2, .queries = 4, .keys = 4, .windows = 2};
  const isa::Requant rq = requant({1}, {0}, {0}, -128, 127);  // identity: every sum here fits
  x::Program p = matmul_program(x::MATMUL_SCORES, at, rq, 8);
  const std::vector<std::int32_t> bias{10, -20, 30, -40};  // [h 1, L 2, L' 2]
  for (const std::int32_t v : bias) p.mutable_instrs(0)->mutable_host_elementwise()->add_matmul_bias(v);
  const IntTensor q{{1, 2, 1, 4}, {1, 2, 3, 4, -1, 5, 6, 7}};
  const IntTensor k{{1, 2, 1, 4}, {2, -3, 4, 1, 0, 1, -2, 3}};
  const SimResult r = simulate(p, config(), {q, k}, {});
  std::vector<std::int32_t> expected;
  for (std::uint32_t w = 0; w < 2; ++w)
    for (std::uint32_t i = 0; i < 2; ++i)
      for (std::uint32_t j = 0; j < 2; ++j) {
        const std::uint32_t query = 2 * w + i, key = 2 * w + j;
        expected.push_back(q.values[query] * k.values[key] + q.values[4 + query] * k.values[4 + key] + bias[i * 2 + j]);
      }
  EXPECT_EQ(r.outputs.at(0).values, expected);
}

}  // namespace
}  // namespace wb::test::xdnn
