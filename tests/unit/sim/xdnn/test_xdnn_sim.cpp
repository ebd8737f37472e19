// Functional behaviour of the xDNN simulator: every instruction kind against a naive NCHW
// reference (tests/unit/sim/xdnn/xdnn_sim_testing.h), layouts (sections, placement,
// replication, 16-bit), tiling, copies, and the UserErrors of bad programs.
//
// Array cycles quoted in comments follow docs/xdnn.md, "Timing model": dense/grouped
// g * ceil(cin_g*r / R) * ceil(cout_g / K) * ceil(npix / m) * kh * ceil(kw / r) + R + K,
// depthwise ceil(C / R) * ceil(npix / (K*m)) * kh * kw + R + K; v3_96: R = 96, K = 16,
// m = 2 (int8) or 1 (int16).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cmath>
#include <optional>

#include "isa/xdnn_program.h"
#include "support/error.h"
#include "tests/unit/sim/xdnn/xdnn_sim_testing.h"

namespace wb::test::xdnn {
namespace {

using sim::xdnn::SimOptions;
using sim::xdnn::SimResult;
using sim::xdnn::simulate;
using sim::xdnn::validate_program;
using testing::HasSubstr;

// One conv (optionally with a pipelined pool) of an AM-resident network input into an
// AM-resident network output, its weights loaded from DDR first.
struct ConvCase {
  IntTensor input;
  std::vector<std::int32_t> weights, bias;
  std::uint32_t cout = 1, groups = 1, weight_bytes = 1;
  x::Window window;
  isa::Requant rq;
  LayoutSpec in_spec, out_spec;
  std::optional<x::Pool> pool;
};

struct ConvRun {
  x::Program program;
  SimResult result;
};

x::Program conv_program(const ConvCase& k) {
  ProgramBuilder b;
  const Dense in = dense(k.input);
  const auto in_layout = layout(in.c, in.h, in.w, k.in_spec);
  const std::uint32_t ch = out_size(in.h, k.window.kernel_h(), k.window.stride_h(), k.window.pad_top(),
                                    k.window.pad_bottom(), k.window.dilation_h());
  const std::uint32_t cw = out_size(in.w, k.window.kernel_w(), k.window.stride_w(), k.window.pad_left(),
                                    k.window.pad_right(), k.window.dilation_w());
  std::uint32_t oh = ch, ow = cw;
  if (k.pool) {
    const auto& pw = k.pool->window();
    oh = out_size(ch, pw.kernel_h(), pw.stride_h(), pw.pad_top(), pw.pad_bottom());
    ow = out_size(cw, pw.kernel_w(), pw.stride_w(), pw.pad_left(), pw.pad_right());
  }
  const auto out_layout = layout(k.cout, oh, ow, k.out_spec);
  const auto in_region = region(x::MEMORY_AM, b.am(bytes_of(in_layout)), in_layout);
  const auto out_region = region(x::MEMORY_AM, b.am(bytes_of(out_layout)), out_layout);
  b.input("x", {1, in.c, in.h, in.w}, in_region);
  b.output("y", {1, k.cout, oh, ow}, out_region);
  b.layer("conv", k.pool ? "conv+pool" : "conv", out_region);
  const std::uint64_t w = b.add_weights(k.weights, k.weight_bytes);
  b.load_weights("conv", w, 0, k.weights.size() * k.weight_bytes);
  x::Instr& conv = b.instr("conv");
  conv.mutable_wait()->set_weights(true);
  x::Conv& c = set_conv(conv, {in_region, out_region, k.window, k.groups, 0, k.weight_bytes, k.bias, k.rq, 0, 0});
  if (k.pool) *c.mutable_pipelined_pool() = *k.pool;
  return b.program();
}

ConvRun run_conv(const ConvCase& k, const HwConfig& hw = config(), const SimOptions& options = {}) {
  ConvRun run{conv_program(k), {}};
  run.result = simulate(run.program, hw, {k.input}, options);
  return run;
}

Dense expected(const ConvCase& k) {
  Dense y = ref_conv(dense(k.input), k.weights, k.bias, k.cout, k.groups, k.window, k.rq);
  return k.pool ? ref_pool(y, *k.pool) : y;
}

void expect_equal(const IntTensor& actual, const Dense& want) {
  ASSERT_EQ(actual.values.size(), want.v.size());
  for (std::size_t i = 0; i < want.v.size(); ++i) {
    ASSERT_EQ(actual.values[i], want.v[i]) << "element " << i << " (c " << i / (std::size_t{want.h} * want.w) << ")";
  }
}

// Per-channel requant: multipliers, offsets and shifts all differ by channel, so a wrong
// channel index shows.
isa::Requant per_channel(std::uint32_t channels, std::int64_t lo = -128, std::int64_t hi = 127) {
  std::vector<std::int64_t> m, o;
  std::vector<std::int32_t> s;
  for (std::uint32_t c = 0; c < channels; ++c) {
    m.push_back(90 + 37 * c);
    o.push_back(static_cast<std::int64_t>(c) * 5 - 7);
    s.push_back(static_cast<std::int32_t>(10 + c % 3));
  }
  return requant(m, o, s, lo, hi);
}

ConvCase dense_case(std::uint32_t cin, std::uint32_t h, std::uint32_t w, std::uint32_t cout, x::Window win,
                    std::uint32_t groups = 1, std::uint32_t seed = 1) {
  ConvCase k;
  k.input = random_tensor(cin, h, w, -128, 127, seed);
  k.cout = cout;
  k.groups = groups;
  k.window = win;
  k.weights = random_values(std::size_t{cout} * (cin / groups) * win.kernel_h() * win.kernel_w(), -128, 127, seed + 1);
  k.bias = random_values(cout, -3000, 3000, seed + 2);
  k.rq = per_channel(cout);
  return k;
}

TEST(XdnnSimConv, Dense3x3Stride2PaddingMatchesNaiveLoop) {
  ConvCase k = dense_case(5, 9, 9, 7, window(3, 2, 1));
  k.in_spec.section = 4;  // 5 channels in two sections of an AM word of 4 lanes
  const ConvRun run = run_conv(k);
  ASSERT_EQ(run.result.outputs.size(), 1u);
  EXPECT_EQ(run.result.outputs[0].shape, (std::vector<std::int64_t>{1, 7, 5, 5}));
  expect_equal(run.result.outputs[0], expected(k));
  const auto& layer = layer_stats(run.result, "conv");
  // 1 * ceil(5/96) * ceil(7/16) * ceil(25/2) * 3 * ceil(3/1) + 96 + 16 = 13*9 + 112 = 229
  EXPECT_EQ(layer.array_busy_cycles, 229u);
  EXPECT_EQ(layer.tiles, 1u);
  EXPECT_EQ(layer.instructions, 2u);
  EXPECT_EQ(layer.ddr_weight_bytes, k.weights.size());
  // Its span: from the controller reaching the conv (after issuing the weight load) to the end.
  EXPECT_EQ(layer.end_cycle, run.result.total_cycles);
  EXPECT_EQ(layer.cycles, layer.end_cycle - layer.start_cycle);
  EXPECT_EQ(layer.start_cycle, static_cast<std::uint64_t>(config().xdnn().instr_issue_cycles));
}

// The DSPs' weight memory (array.weight_depth, ML Suite's DSPWgtCnt): a 3x3 conv on one channel
// section needs 9 weights per DSP. Up to half the depth it ping-pongs; beyond, it and its load
// must be marked without ping-pong (the simulator refuses a program that does not); beyond the
// depth it runs at half rate; beyond twice the depth it cannot run.
TEST(XdnnSimConv, TheDspsWeightMemoryBoundsPingPongAndRate) {
  ConvCase k = dense_case(5, 9, 9, 7, window(3, 2, 1));
  EXPECT_EQ(isa::xdnn::weights_per_dsp(1, 5, 7, 1, 3, 3, 96), 9u);
  const auto busy = [&](int depth, bool marked) {
    x::Program program = conv_program(k);
    for (auto& instr : *program.mutable_instrs()) {
      if (instr.has_conv()) instr.mutable_conv()->set_without_pingpong(marked);
      if (instr.has_load_weights()) instr.mutable_load_weights()->set_without_pingpong(marked);
    }
    const SimResult r = simulate(program, config("v3_96", {fmt::format("array.weight_depth={}", depth)}), {k.input}, {});
    expect_equal(r.outputs.at(0), expected(k));
    return layer_stats(r, "conv").array_busy_cycles;
  };
  const std::uint64_t full_rate = busy(18, false);  // 9 of 18: ping-pong
  EXPECT_EQ(full_rate, 229u);
  EXPECT_EQ(busy(16, true), full_rate);  // no ping-pong, full rate
  try {
    busy(16, false);
    FAIL() << "an unmarked conv without ping-pong ran";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("needs 9 weights per DSP, more than half of array.weight_depth = 16"));
  }
  EXPECT_EQ(busy(8, true), 2 * (full_rate - 96 - 16) + 96 + 16);  // half rate: the passes twice
  try {
    busy(4, true);
    FAIL() << "a conv beyond twice the weight memory ran";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("needs 9 weights per DSP, more than twice array.weight_depth = 4"));
  }
  // Replicated narrow channels hold several taps per pass; a depthwise DSP row one channel's taps.
  EXPECT_EQ(isa::xdnn::weights_per_dsp(1, 3, 64, 7, 7, 7, 96), 7u);
  EXPECT_EQ(isa::xdnn::weights_per_dsp(512, 1, 1, 1, 7, 7, 96), 49u);
  EXPECT_EQ(isa::xdnn::weights_per_dsp(1, 512, 512, 1, 3, 3, 96), 54u);
}

TEST(XdnnSimConv, DilatedAsymmetricPaddingUnsignedOutput) {
  x::Window win = window(3, 1, 2, 2);
  win.set_pad_bottom(1);
  win.set_pad_left(0);
  ConvCase k = dense_case(4, 8, 7, 3, win, 1, 7);
  k.rq = per_channel(3, 0, 255);
  k.out_spec.is_signed = false;
  const ConvRun run = run_conv(k);
  expect_equal(run.result.outputs[0], expected(k));
}

TEST(XdnnSimConv, DepthwiseMatchesNaiveLoop) {
  ConvCase k = dense_case(6, 7, 7, 6, window(3, 1, 1), 6, 11);
  const ConvRun run = run_conv(k);
  expect_equal(run.result.outputs[0], expected(k));
  // ceil(6/96) * ceil(49 / (16*2)) * 3 * 3 + 96 + 16 = 18 + 112 = 130
  EXPECT_EQ(layer_stats(run.result, "conv").array_busy_cycles, 130u);
}

TEST(XdnnSimConv, GroupedMatchesNaiveLoop) {
  ConvCase k = dense_case(4, 6, 6, 6, window(3, 1, 1), 2, 21);
  const ConvRun run = run_conv(k);
  expect_equal(run.result.outputs[0], expected(k));
  // 2 groups * ceil(2/96) * ceil(3/16) * ceil(36/2) * 3 * 3 + 112 = 2*162 + 112 = 436
  EXPECT_EQ(layer_stats(run.result, "conv").array_busy_cycles, 436u);
}

x::Pool pool(x::PoolKind kind, x::Window w, isa::Requant rq = {}) {
  x::Pool p;
  p.set_kind(kind);
  *p.mutable_window() = w;
  *p.mutable_requant() = rq;
  return p;
}

TEST(XdnnSimConv, PipelinedMaxPoolPaddingNeverWins) {
  ConvCase k = dense_case(3, 8, 8, 4, window(3, 1, 1), 1, 31);
  // Small weights and a strongly negative bias make every conv output negative
  // (acc in [-80000 - 27*128*20, -80000 + 27*128*20], /1024 in [-146, -11]): a pool that let
  // its zero padding win would output 0 along the borders.
  k.weights = random_values(k.weights.size(), -20, 20, 32);
  k.bias = {-80000, -80000, -80000, -80000};
  k.rq = requant({1}, {0}, {10}, -128, 127);
  k.pool = pool(x::POOL_MAX, window(3, 2, 1));
  const ConvRun run = run_conv(k);
  const Dense want = expected(k);
  EXPECT_EQ(want.h, 4u);
  EXPECT_LT(*std::max_element(want.v.begin(), want.v.end()), 0) << "the case must exercise negative maxima";
  expect_equal(run.result.outputs[0], want);
  // The pool adds nothing; the conv computes all 8 conv rows the 4 pooled rows need:
  // ceil(3/96) * ceil(4/16) * ceil(64/2) * 9 + 112 = 288 + 112 = 400
  EXPECT_EQ(layer_stats(run.result, "conv").array_busy_cycles, 400u);
}

TEST(XdnnSimConv, PipelinedMaxPool2x2AndAvgPool) {
  ConvCase k = dense_case(3, 8, 6, 5, window(3, 1, 1), 1, 41);
  k.pool = pool(x::POOL_MAX, window(2, 2, 0));
  expect_equal(run_conv(k).result.outputs[0], expected(k));
  k.pool = pool(x::POOL_AVG, window(3, 2, 1), requant({7282}, {0}, {16}, -128, 127));
  expect_equal(run_conv(k).result.outputs[0], expected(k));
}

TEST(XdnnSimConv, SixteenBitElementsAndWeights) {
  ConvCase k;
  k.input = random_tensor(3, 6, 6, -3000, 3000, 51);
  k.cout = 4;
  k.window = window(3, 1, 1);
  k.weight_bytes = 2;
  k.weights = random_values(4 * 3 * 9, -200, 200, 52);
  k.bias = random_values(4, -100000, 100000, 53);
  // intermediate_bits 16: results beyond int16 wrap (|acc| reaches ~16e6 * 3 >> 5).
  k.rq = requant({3}, {0}, {5}, -32768, 32767, 16);
  k.in_spec.element_bytes = 2;
  k.out_spec.element_bytes = 2;
  const ConvRun run = run_conv(k);
  const Dense want = expected(k);
  expect_equal(run.result.outputs[0], want);
  // int16 operands: m = 1. ceil(3/96) * ceil(4/16) * ceil(36/1) * 9 + 112 = 324 + 112 = 436
  EXPECT_EQ(layer_stats(run.result, "conv").array_busy_cycles, 436u);
}

TEST(XdnnSimConv, ReplicatedInputGivesSameResultInFewerCycles) {
  ConvCase plain = dense_case(3, 8, 8, 5, window(3, 1, 1), 1, 61);
  ConvCase replicated = plain;
  replicated.in_spec.replication = 3;  // buffer of 9 lanes: copy j of channel c at lane c + 3j
  const ConvRun a = run_conv(plain);
  const ConvRun b = run_conv(replicated);
  const Dense want = expected(plain);
  expect_equal(a.result.outputs[0], want);
  expect_equal(b.result.outputs[0], want);
  // r = 1: ceil(3/96) * ceil(5/16) * ceil(64/2) * 3 * ceil(3/1) + 112 = 288 + 112 = 400
  // r = 3: ceil(9/96) * ceil(5/16) * ceil(64/2) * 3 * ceil(3/3) + 112 = 96 + 112 = 208
  EXPECT_EQ(layer_stats(a.result, "conv").array_busy_cycles, 400u);
  EXPECT_EQ(layer_stats(b.result, "conv").array_busy_cycles, 208u);
  EXPECT_LT(b.result.total_cycles, a.result.total_cycles);
}

TEST(XdnnSimConv, ReplicatedSevenBySevenStride2) {
  // ResNet's first conv in miniature: kernel 7 > r = 3 (taps 0, 3, 6 from copy 0), stride 2, pad 3.
  ConvCase k = dense_case(3, 13, 11, 4, window(7, 2, 3), 1, 71);
  k.in_spec.replication = 3;
  expect_equal(run_conv(k).result.outputs[0], expected(k));
}

TEST(XdnnSimConv, ReplicatedOutputWritesEveryCopy) {
  // A conv writing a replicated layout feeds a replicated conv: the result must equal the
  // two convs on plain layouts, which needs every copy of the intermediate written.
  ConvCase first = dense_case(2, 6, 6, 3, window(1, 1, 0), 1, 81);
  ConvCase second = dense_case(3, 6, 6, 4, window(3, 1, 1), 1, 82);
  ProgramBuilder b;
  const auto in_l = layout(2, 6, 6);
  const auto mid_l = layout(3, 6, 6, {.replication = 3});
  const auto out_l = layout(4, 6, 6);
  const auto in_r = region(x::MEMORY_AM, b.am(bytes_of(in_l)), in_l);
  const auto mid_r = region(x::MEMORY_AM, b.am(bytes_of(mid_l)), mid_l);
  const auto out_r = region(x::MEMORY_AM, b.am(bytes_of(out_l)), out_l);
  b.input("x", {1, 2, 6, 6}, in_r);
  b.output("y", {1, 4, 6, 6}, out_r);
  b.layer("c1", "conv", mid_r);
  b.layer("c2", "conv", out_r);
  const std::uint64_t w1 = b.add_weights(first.weights, 1);
  const std::uint64_t w2 = b.add_weights(second.weights, 1);
  b.load_weights("c1", w1, 0, first.weights.size());
  b.load_weights("c2", w2, 1024, second.weights.size());
  x::Instr& c1 = b.instr("c1");
  c1.mutable_wait()->set_weights(true);
  set_conv(c1, {in_r, mid_r, first.window, 1, 0, 1, first.bias, first.rq, 0, 0});
  x::Instr& c2 = b.instr("c2");
  c2.mutable_wait()->set_conv(true);
  set_conv(c2, {mid_r, out_r, second.window, 1, 1024, 1, second.bias, second.rq, 0, 0});
  const SimResult r = simulate(b.program(), config(), {first.input}, {});
  const Dense mid = ref_conv(dense(first.input), first.weights, first.bias, 3, 1, first.window, first.rq);
  expect_equal(r.outputs[0], ref_conv(mid, second.weights, second.bias, 4, 1, second.window, second.rq));
}

// A 3x3 conv (pad 1) of a 10-row input computed as two row tiles: rows [0, 5) from input
// rows 0..5 and rows [5, 10) from input rows 4..9, each tile uploaded from DDR.
x::Program tiled_program(const ConvCase& k, std::uint32_t second_tile_first_row) {
  ProgramBuilder b;
  const Dense in = dense(k.input);
  const auto full_in = layout(in.c, in.h, in.w);
  const auto full_out = layout(k.cout, in.h, in.w);
  const auto in_ddr = region(x::MEMORY_DDR, b.ddr(bytes_of(full_in)), full_in);
  const auto out_r = region(x::MEMORY_AM, b.am(bytes_of(full_out)), full_out);
  b.input("x", {1, in.c, in.h, in.w}, in_ddr);
  b.output("y", {1, k.cout, in.h, in.w}, out_r);
  b.layer("conv", "conv", out_r);
  const std::uint64_t w = b.add_weights(k.weights, 1);
  b.load_weights("conv", w, 0, k.weights.size());
  const std::uint64_t row = std::uint64_t{in.w} * 96;  // one section: rows are contiguous
  struct Tile {
    std::uint32_t in_first, in_rows, out_begin, out_end;
  };
  for (const Tile t : {Tile{0, 6, 0, 5}, Tile{second_tile_first_row, in.h - second_tile_first_row, 5, in.h}}) {
    const auto tile_l = layout(in.c, t.in_rows, in.w);
    const auto tile_r = region(x::MEMORY_AM, b.am(bytes_of(tile_l)), tile_l);
    x::Instr& up = b.instr("conv");
    x::Copy& c = *up.mutable_upload();
    c.set_source_memory(x::MEMORY_DDR);
    c.set_source(in_ddr.address() + t.in_first * row);
    c.set_destination_memory(x::MEMORY_AM);
    c.set_destination(tile_r.address());
    c.set_chunk_bytes(t.in_rows * row);
    c.set_count(1);
    x::Instr& conv = b.instr("conv");
    conv.mutable_wait()->set_weights(true);
    conv.mutable_wait()->set_upload(true);
    // The second tile writes through a region of its own rows (output_row_offset 5) that
    // aliases rows 5.. of the full output buffer.
    const auto out_tile_l = layout(k.cout, t.out_end - t.out_begin, in.w);
    const auto out_tile = region(x::MEMORY_AM, out_r.address() + t.out_begin * row, out_tile_l);
    x::Conv& cv = set_conv(conv, {tile_r, out_tile, k.window, 1, 0, 1, k.bias, k.rq, in.h, in.w});
    cv.set_row_begin(t.out_begin);
    cv.set_row_end(t.out_end);
    cv.set_input_row_offset(t.in_first);
    cv.set_output_row_offset(t.out_begin);
  }
  return b.program();
}

TEST(XdnnSimConv, RowTiledConvEqualsFullConv) {
  const ConvCase k = dense_case(4, 10, 10, 6, window(3, 1, 1), 1, 91);
  const SimResult r = simulate(tiled_program(k, 4), config(), {k.input}, {});
  expect_equal(r.outputs[0], expected(k));
  // Each tile: ceil(4/96) * ceil(6/16) * ceil(50/2) * 9 + 112 = 225 + 112 = 337
  EXPECT_EQ(layer_stats(r, "conv").array_busy_cycles, 2u * 337u);
  EXPECT_EQ(layer_stats(r, "conv").tiles, 2u);
}

TEST(XdnnSimConv, TileMissingAnInputRowIsAUserError) {
  const ConvCase k = dense_case(4, 10, 10, 6, window(3, 1, 1), 1, 91);
  // The second tile starts at input row 5, but output row 5 needs input row 4.
  try {
    simulate(tiled_program(k, 5), config(), {k.input}, {});
    FAIL() << "expected a UserError";
  } catch (const UserError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("instruction 4"), std::string::npos) << what;
    EXPECT_NE(what.find("row 4"), std::string::npos) << what;
    EXPECT_NE(what.find("outside"), std::string::npos) << what;
  }
  // The persistent SystemC model survives a failed run.
  const SimResult r = simulate(tiled_program(k, 4), config(), {k.input}, {});
  expect_equal(r.outputs[0], expected(k));
}

TEST(XdnnSimConv, ConcatByPlacementAcrossSections) {
  const ConvCase a = dense_case(3, 5, 5, 5, window(3, 1, 1), 1, 101);
  ConvCase c = dense_case(3, 5, 5, 5, window(1, 1, 0), 1, 102);
  c.input = a.input;
  c.rq = requant({50, 60, 70, 80, 90}, {1, 2, 3, 4, 5}, {6, 7, 8, 9, 10}, -128, 127);
  ProgramBuilder b;
  const auto in_l = layout(3, 5, 5);
  // Ten channels in AM words of 4 lanes: sections 0-3, 4-7, 8-9; the second conv starts
  // in the middle of section 1.
  const auto all_l = layout(10, 5, 5, {.section = 4});
  const auto lo_l = layout(5, 5, 5, {.section = 4, .buffer_channels = 10});
  const auto hi_l = layout(5, 5, 5, {.section = 4, .channel_offset = 5, .buffer_channels = 10});
  const auto in_r = region(x::MEMORY_AM, b.am(bytes_of(in_l)), in_l);
  const std::uint64_t base = b.am(bytes_of(all_l));
  b.input("x", {1, 3, 5, 5}, in_r);
  b.output("y", {1, 10, 5, 5}, region(x::MEMORY_AM, base, all_l));
  b.layer("a", "conv", region(x::MEMORY_AM, base, lo_l));
  b.layer("c", "conv", region(x::MEMORY_AM, base, hi_l));
  const std::uint64_t wa = b.add_weights(a.weights, 1);
  const std::uint64_t wc = b.add_weights(c.weights, 1);
  b.load_weights("a", wa, 0, a.weights.size());
  b.load_weights("c", wc, 4096, c.weights.size());
  x::Instr& ia = b.instr("a");
  ia.mutable_wait()->set_weights(true);
  set_conv(ia, {in_r, region(x::MEMORY_AM, base, lo_l), a.window, 1, 0, 1, a.bias, a.rq, 0, 0});
  x::Instr& ic = b.instr("c");
  set_conv(ic, {in_r, region(x::MEMORY_AM, base, hi_l), c.window, 1, 4096, 1, c.bias, c.rq, 0, 0});
  const SimResult r = simulate(b.program(), config(), {a.input}, capture_options());
  const Dense ya = expected(a), yc = expected(c);
  Dense want(10, 5, 5);
  std::copy(ya.v.begin(), ya.v.end(), want.v.begin());
  std::copy(yc.v.begin(), yc.v.end(), want.v.begin() + static_cast<std::ptrdiff_t>(ya.v.size()));
  expect_equal(r.outputs[0], want);
  ASSERT_EQ(r.layer_outputs.count("c:out"), 1u);
  expect_equal(r.layer_outputs.at("c:out"), yc);
}

TEST(XdnnSimPool, StandaloneAvgPoolWithPerChannelRequant) {
  ProgramBuilder b;
  const IntTensor x = random_tensor(5, 7, 7, -128, 127, 111);
  const auto in_l = layout(5, 7, 7);
  const auto out_l = layout(5, 4, 4);
  const auto in_r = region(x::MEMORY_AM, b.am(bytes_of(in_l)), in_l);
  const auto out_r = region(x::MEMORY_AM, b.am(bytes_of(out_l)), out_l);
  b.input("x", {1, 5, 7, 7}, in_r);
  b.output("y", {1, 5, 4, 4}, out_r);
  b.layer("avg", "avgpool", out_r);
  const x::Pool p = pool(x::POOL_AVG, window(3, 2, 1), requant({7282, 7000, 8000, 9000, 10000}, {0}, {16}, -128, 127));
  x::StandalonePool& sp = *b.instr("avg").mutable_pool();
  *sp.mutable_input() = in_r;
  *sp.mutable_output() = out_r;
  *sp.mutable_pool() = p;
  const SimResult r = simulate(b.program(), config(), {x}, {});
  expect_equal(r.outputs[0], ref_pool(dense(x), p));
  // ceil(5/96) * 4 * 4 * ceil(9 / 2 read ports) = 16 * 5 = 80
  EXPECT_EQ(layer_stats(r, "avg").pool_busy_cycles, 80u);
  EXPECT_EQ(layer_stats(r, "avg").array_busy_cycles, 0u);
}

TEST(XdnnSimPool, StandaloneMaxPool) {
  ProgramBuilder b;
  const IntTensor x = random_tensor(3, 6, 9, -128, -1, 112);  // all negative: padding must not win
  const auto in_l = layout(3, 6, 9, {.section = 2});
  const auto out_l = layout(3, 3, 5);
  const auto in_r = region(x::MEMORY_AM, b.am(bytes_of(in_l)), in_l);
  const auto out_r = region(x::MEMORY_AM, b.am(bytes_of(out_l)), out_l);
  b.input("x", {1, 3, 6, 9}, in_r);
  b.output("y", {1, 3, 3, 5}, out_r);
  b.layer("max", "maxpool", out_r);
  const x::Pool p = pool(x::POOL_MAX, window(3, 2, 1));
  x::StandalonePool& sp = *b.instr("max").mutable_pool();
  *sp.mutable_input() = in_r;
  *sp.mutable_output() = out_r;
  *sp.mutable_pool() = p;
  const SimResult r = simulate(b.program(), config(), {x}, {});
  expect_equal(r.outputs[0], ref_pool(dense(x), p));
}

x::Program eltwise_program(const isa::Requant& rq, std::int64_t m0, std::int64_t m1, std::uint32_t c, std::uint32_t h,
                           std::uint32_t w, std::uint32_t element_bytes = 1) {
  ProgramBuilder b;
  const auto l = layout(c, h, w, {.element_bytes = element_bytes});
  const auto a = region(x::MEMORY_AM, b.am(bytes_of(l)), l);
  const auto bb = region(x::MEMORY_AM, b.am(bytes_of(l)), l);
  const auto out = region(x::MEMORY_AM, b.am(bytes_of(l)), l);
  b.input("a", {1, c, h, w}, a);
  b.input("b", {1, c, h, w}, bb);
  b.output("y", {1, c, h, w}, out);
  b.layer("add", "eltwise", out);
  x::Eltwise& e = *b.instr("add").mutable_eltwise();
  *e.mutable_a() = a;
  *e.mutable_b() = bb;
  *e.mutable_output() = out;
  e.add_input_multiplier(m0);
  e.add_input_multiplier(m1);
  *e.mutable_requant() = rq;
  return b.program();
}

TEST(XdnnSimEltwise, AddWithReluClamp) {
  const IntTensor a = random_tensor(5, 4, 6, -128, 127, 121);
  const IntTensor bt = random_tensor(5, 4, 6, -128, 127, 122);
  const isa::Requant rq = requant({1}, {0}, {2}, 0, 127);  // ReLU: lo = 0
  const SimResult r = simulate(eltwise_program(rq, 3, -2, 5, 4, 6), config(), {a, bt}, {});
  const Dense want = ref_eltwise(dense(a), dense(bt), 3, -2, rq);
  EXPECT_GT(std::count(want.v.begin(), want.v.end(), 0), 0) << "the case must exercise the ReLU";
  expect_equal(r.outputs[0], want);
  // ceil(5/96) * 4 * 6 = 24
  EXPECT_EQ(layer_stats(r, "add").pool_busy_cycles, 24u);
}

TEST(XdnnSimEltwise, SixteenBitIntermediateWrapsAndRoundsHalfUp) {
  // 20000 * 2 = 40000 wraps to -25536 (docs/quant.md); -3 * 1 >> 1 rounds to -1; 5 >> 1 to 3.
  const isa::Requant wrap = requant({1}, {0}, {0}, -32768, 32767, 16);
  const SimResult r = simulate(eltwise_program(wrap, 2, 0, 1, 1, 2, 2), config(),
                               {IntTensor{{1, 1, 1, 2}, {20000, -3}}, IntTensor{{1, 1, 1, 2}, {0, 0}}}, {});
  EXPECT_EQ(r.outputs[0].values, (std::vector<std::int32_t>{-25536, -6}));
  const isa::Requant half = requant({1}, {0}, {1}, -128, 127);
  const SimResult h = simulate(eltwise_program(half, 1, 0, 1, 1, 2), config(),
                               {IntTensor{{1, 1, 1, 2}, {-3, 5}}, IntTensor{{1, 1, 1, 2}, {0, 0}}}, {});
  EXPECT_EQ(h.outputs[0].values, (std::vector<std::int32_t>{-1, 3}));
  const isa::Requant left = requant({1}, {1}, {-2}, -128, 127);  // negative shift: (v + 1) << 2
  const SimResult l = simulate(eltwise_program(left, 1, 0, 1, 1, 2), config(),
                               {IntTensor{{1, 1, 1, 2}, {-3, 5}}, IntTensor{{1, 1, 1, 2}, {0, 0}}}, {});
  EXPECT_EQ(l.outputs[0].values, (std::vector<std::int32_t>{-8, 24}));
}

TEST(XdnnSimCopy, GatherScatterAndThreeDimensionalCopies) {
  ProgramBuilder b;
  // A 32-byte network input in DDR (1 channel x 1 row x 32 words of one lane).
  const auto in_l = layout(1, 1, 32, {.section = 1});
  const auto out_l = layout(1, 1, 64, {.section = 1});
  const auto in_r = region(x::MEMORY_DDR, b.ddr(32), in_l);
  const auto out_r = region(x::MEMORY_DDR, b.ddr(64), out_l);
  const std::uint64_t am = b.am(256);
  b.input("x", {1, 1, 1, 32}, in_r);
  b.output("y", {1, 1, 1, 64}, out_r);
  b.layer("copy", "concat", out_r);
  const auto copy = [](x::Copy& c, x::Memory sm, std::uint64_t s, x::Memory dm, std::uint64_t d, std::uint64_t chunk,
                       std::uint64_t count, std::uint64_t ss, std::uint64_t ds, std::uint64_t rows = 0,
                       std::uint64_t srs = 0, std::uint64_t drs = 0) {
    c.set_source_memory(sm);
    c.set_source(s);
    c.set_destination_memory(dm);
    c.set_destination(d);
    c.set_chunk_bytes(chunk);
    c.set_count(count);
    c.set_source_stride(ss);
    c.set_destination_stride(ds);
    c.set_rows(rows);
    c.set_source_row_stride(srs);
    c.set_destination_row_stride(drs);
  };
  // Gather: every other byte pair of the input -> AM[0, 16).
  copy(*b.instr("copy").mutable_upload(), x::MEMORY_DDR, in_r.address(), x::MEMORY_AM, am, 2, 8, 4, 2);
  // 3-D gather: 2 rows x 3 chunks of 1 byte, rows 16 bytes apart, chunks 3 apart -> AM[64, ...)
  x::Instr& g3 = b.instr("copy");
  copy(*g3.mutable_upload(), x::MEMORY_DDR, in_r.address() + 1, x::MEMORY_AM, am + 64, 1, 3, 3, 1, 2, 16, 8);
  // Scatter: AM[0, 16) as 4-byte chunks to DDR output words 0, 8, 16, 24 (a stride of 8).
  x::Instr& s = b.instr("copy");
  s.mutable_wait()->set_upload(true);
  copy(*s.mutable_download(), x::MEMORY_AM, am, x::MEMORY_DDR, out_r.address(), 4, 4, 4, 8);
  // 3-D scatter of the 3-D gather's result: rows of 3 bytes to output rows at 32 and 48.
  x::Instr& s3 = b.instr("copy");
  copy(*s3.mutable_download(), x::MEMORY_AM, am + 64, x::MEMORY_DDR, out_r.address() + 32, 3, 1, 3, 3, 2, 8, 16);
  std::vector<std::int32_t> in(32);
  for (int i = 0; i < 32; ++i) in[static_cast<std::size_t>(i)] = i + 1;
  const SimResult r = simulate(b.program(), config(), {IntTensor{{1, 1, 1, 32}, in}}, {});
  // The same moves as plain byte loops.
  std::vector<std::int32_t> a(256, 0), want(64, 0);
  for (int i = 0; i < 8; ++i) {
    for (int k = 0; k < 2; ++k) a[static_cast<std::size_t>(2 * i + k)] = in[static_cast<std::size_t>(4 * i + k)];
  }
  for (int row = 0; row < 2; ++row) {
    for (int i = 0; i < 3; ++i)
      a[static_cast<std::size_t>(64 + 8 * row + i)] = in[static_cast<std::size_t>(1 + 16 * row + 3 * i)];
  }
  for (int i = 0; i < 4; ++i) {
    for (int k = 0; k < 4; ++k) want[static_cast<std::size_t>(8 * i + k)] = a[static_cast<std::size_t>(4 * i + k)];
  }
  for (int row = 0; row < 2; ++row) {
    for (int k = 0; k < 3; ++k)
      want[static_cast<std::size_t>(32 + 16 * row + k)] = a[static_cast<std::size_t>(64 + 8 * row + k)];
  }
  EXPECT_EQ(r.outputs[0].values, want);
  const auto& layer = layer_stats(r, "copy");
  EXPECT_EQ(layer.ddr_read_bytes, 16u + 6u);
  EXPECT_EQ(layer.ddr_write_bytes, 16u + 6u);
  EXPECT_EQ(layer.tiles, 0u);
}

// The units run apart: a layer's last instruction in program order (a short download) can
// finish before an earlier one on another unit starts (a gather's last part, queued behind a
// long one). The layer's output is read when all have finished, not when the last listed has.
TEST(XdnnSimCopy, ALayerIsCapturedWhenAllItsInstructionsHaveFinished) {
  ProgramBuilder b;
  constexpr std::uint32_t kBytes = 2048;
  const auto in_l = layout(1, 1, kBytes, {.section = 1});
  const auto in_r = region(x::MEMORY_DDR, b.ddr(kBytes), in_l);
  const auto out_r = region(x::MEMORY_AM, b.am(kBytes), in_l);
  const std::uint64_t elsewhere = b.am(64), scratch = b.ddr(64);
  b.input("x", {1, 1, 1, kBytes}, in_r);
  b.output("y", {1, 1, 1, kBytes}, out_r);
  b.layer("g", "gather", out_r);
  const auto bytewise = [](x::Copy& c, x::Memory from, std::uint64_t source, x::Memory to, std::uint64_t destination,
                           std::uint64_t count) {
    c.set_source_memory(from);
    c.set_source(source);
    c.set_destination_memory(to);
    c.set_destination(destination);
    c.set_chunk_bytes(1);
    c.set_count(count);
    c.set_source_stride(1);
    c.set_destination_stride(1);
  };
  // Parts of 256, 1536 and 256 bytes on the upload unit, then the download.
  for (const auto& [begin, end] : {std::pair{0u, 256u}, std::pair{256u, 1792u}, std::pair{1792u, kBytes}}) {
    bytewise(*b.instr("g").mutable_upload(), x::MEMORY_DDR, in_r.address() + begin, x::MEMORY_AM,
             out_r.address() + begin, end - begin);
  }
  bytewise(*b.instr("g").mutable_download(), x::MEMORY_AM, elsewhere, x::MEMORY_DDR, scratch, 64);
  std::vector<std::int32_t> in(kBytes);
  for (std::uint32_t i = 0; i < kBytes; ++i) in[i] = static_cast<std::int32_t>(i % 200) - 100;
  const SimResult r = simulate(b.program(), config(), {IntTensor{{1, 1, 1, kBytes}, in}}, capture_options());
  ASSERT_EQ(r.layer_outputs.count("g:out"), 1u);
  EXPECT_EQ(r.layer_outputs.at("g:out").values, in);
}

TEST(XdnnSimCopy, NetworkInputIsWrittenInItsLayoutWithZeroPadding) {
  // 3 channels in AM words of 4 lanes (lane 3 is padding), 5 words of a row stride of 8,
  // 16-bit unsigned: the whole buffer is downloaded byte for byte and checked against the
  // layout formula of isa/xdnn.proto.
  ProgramBuilder b;
  const auto l = layout(3, 2, 5, {.section = 4, .element_bytes = 2, .is_signed = false, .width_stride = 8});
  const std::uint64_t bytes = bytes_of(l);  // 1 section * 2 rows * 8 words * 4 lanes * 2 bytes = 128
  ASSERT_EQ(bytes, 128u);
  const auto in_r = region(x::MEMORY_AM, b.am(bytes), l);
  const auto raw_l = layout(1, 1, static_cast<std::uint32_t>(bytes), {.section = 1, .is_signed = false});
  const auto raw_r = region(x::MEMORY_DDR, b.ddr(bytes), raw_l);
  b.input("x", {1, 3, 2, 5}, in_r);
  b.output("raw", {1, 1, 1, static_cast<std::int64_t>(bytes)}, raw_r);
  b.layer("down", "concat", raw_r);
  x::Copy& c = *b.instr("down").mutable_download();
  c.set_source_memory(x::MEMORY_AM);
  c.set_source(in_r.address());
  c.set_destination_memory(x::MEMORY_DDR);
  c.set_destination(raw_r.address());
  c.set_chunk_bytes(bytes);
  c.set_count(1);
  const IntTensor x = random_tensor(3, 2, 5, 0, 65535, 171);
  const SimResult r = simulate(b.program(), config(), {x}, {});
  std::vector<std::int32_t> want(bytes, 0);
  for (std::uint32_t ch = 0; ch < 3; ++ch) {
    for (std::uint32_t h = 0; h < 2; ++h) {
      for (std::uint32_t w = 0; w < 5; ++w) {
        // ((c / S) * H + h) * width_stride + w) * S * element_bytes + (c % S) * element_bytes
        const std::size_t at = ((std::size_t{ch} / 4 * 2 + h) * 8 + w) * 4 * 2 + (ch % 4) * 2;
        const std::int32_t v = x.values[(std::size_t{ch} * 2 + h) * 5 + w];
        want[at] = v & 0xff;
        want[at + 1] = (v >> 8) & 0xff;
      }
    }
  }
  EXPECT_EQ(r.outputs[0].values, want);
}

TEST(XdnnSimConv, DdrNetworkIoThroughGatherScatterAndFcShapes) {
  // A network input [1, 20] stored compactly in DDR, gathered into AM, a 1x1 conv (FC) on
  // the array, the [1, 10] result scattered back to DDR.
  ConvCase k = dense_case(20, 1, 1, 10, window(1, 1, 0), 1, 131);
  k.input.shape = {1, 20};
  ProgramBuilder b;
  const auto in_ddr_l = layout(20, 1, 1, {.section = 20});
  const auto out_ddr_l = layout(10, 1, 1, {.section = 10});
  const auto in_am_l = layout(20, 1, 1, {.section = 8});  // three sections of 8 lanes
  const auto out_am_l = layout(10, 1, 1);
  const auto in_ddr = region(x::MEMORY_DDR, b.ddr(bytes_of(in_ddr_l)), in_ddr_l);
  const auto out_ddr = region(x::MEMORY_DDR, b.ddr(bytes_of(out_ddr_l)), out_ddr_l);
  const auto in_am = region(x::MEMORY_AM, b.am(bytes_of(in_am_l)), in_am_l);
  const auto out_am = region(x::MEMORY_AM, b.am(bytes_of(out_am_l)), out_am_l);
  b.input("x", {1, 20}, in_ddr);
  b.output("y", {1, 10}, out_ddr);
  b.layer("fc", "fc", out_ddr);
  const std::uint64_t w = b.add_weights(k.weights, 1);
  b.load_weights("fc", w, 0, k.weights.size());
  x::Copy& up = *b.instr("fc").mutable_upload();  // 8 + 8 + 4 channels, one section each
  up.set_source_memory(x::MEMORY_DDR);
  up.set_source(in_ddr.address());
  up.set_destination_memory(x::MEMORY_AM);
  up.set_destination(in_am.address());
  up.set_chunk_bytes(8);
  up.set_count(3);
  up.set_source_stride(8);
  up.set_destination_stride(8);
  x::Instr& conv = b.instr("fc");
  conv.mutable_wait()->set_upload(true);
  conv.mutable_wait()->set_weights(true);
  set_conv(conv, {in_am, out_am, k.window, 1, 0, 1, k.bias, k.rq, 0, 0});
  x::Instr& down = b.instr("fc");
  down.mutable_wait()->set_conv(true);
  x::Copy& d = *down.mutable_download();
  d.set_source_memory(x::MEMORY_AM);
  d.set_source(out_am.address());
  d.set_destination_memory(x::MEMORY_DDR);
  d.set_destination(out_ddr.address());
  d.set_chunk_bytes(10);
  d.set_count(1);
  const SimResult r = simulate(b.program(), config(), {k.input}, {});
  ASSERT_EQ(r.outputs.size(), 1u);
  EXPECT_EQ(r.outputs[0].shape, (std::vector<std::int64_t>{1, 10}));
  expect_equal(r.outputs[0], expected(k));
}

TEST(XdnnSimHost, FcOnTheHostModel) {
  ConvCase k = dense_case(21, 1, 1, 10, window(1, 1, 0), 1, 141);
  ProgramBuilder b;
  const auto in_l = layout(21, 1, 1, {.section = 21});
  const auto out_l = layout(10, 1, 1, {.section = 10});
  const auto in_r = region(x::MEMORY_DDR, b.ddr(bytes_of(in_l)), in_l);
  const auto out_r = region(x::MEMORY_DDR, b.ddr(bytes_of(out_l)), out_l);
  const std::uint64_t w = b.add_weights(k.weights, 1);
  b.input("x", {1, 21, 1, 1}, in_r);
  b.output("y", {1, 10}, out_r);
  b.layer("fc", "fc", out_r);
  x::Conv& c = set_conv(b.instr("fc"), {in_r, out_r, k.window, 1, w, 1, k.bias, k.rq, 0, 0});
  c.set_on_host(true);
  const x::Program program = b.program();
  const SimResult r = simulate(program, config("v3_96", {"host_fc_softmax=true"}), {k.input}, {});
  expect_equal(r.outputs[0], expected(k));
  // Compute: 2 * 210 MACs / 5e9 op/s = 84 ns; the link: (21 + 10) bytes / 12e9 B/s = 2.583 ns;
  // ceil(86.583e-9 s * 700e6 cycles/s) = ceil(60.61) = 61.
  EXPECT_EQ(r.host_cycles, 61u);
  EXPECT_EQ(layer_stats(r, "fc").host_cycles, 61u);
  EXPECT_EQ(layer_stats(r, "fc").array_busy_cycles, 0u);
  EXPECT_EQ(unit_stats(r, "host").instructions, 1u);
  // The host is part of every system: the same program runs without host_fc_softmax, and a
  // slower link costs more.
  EXPECT_EQ(simulate(program, config(), {k.input}, {}).host_cycles, 61u);
  // (84 ns + 31 B / 0.1e9 B/s = 310 ns) * 700 MHz = 275.8 -> 276
  EXPECT_EQ(simulate(program, config("v3_96", {"host_link_gbps=0.1"}), {k.input}, {}).host_cycles, 276u);
}

void expect_user_error(const x::Program& program, const HwConfig& hw, const std::vector<IntTensor>& inputs,
                       const std::vector<std::string>& needles);

TEST(XdnnSimHost, AConvOfAStrideTheArrayLacksRunsOnTheHost) {
  // A ViT's patch embedding steps by its patch (16 on ViT-B); here a 3x3 window of stride 3
  // over 9x9: 3x3 outputs, each from its own patch. The array refuses the stride; the host not.
  ConvCase k = dense_case(3, 9, 9, 4, window(3, 3, 0), 1, 77);
  ProgramBuilder b;
  const auto in_l = layout(3, 9, 9, {.section = 3});
  const auto out_l = layout(4, 3, 3, {.section = 4});
  const auto in_r = region(x::MEMORY_DDR, b.ddr(bytes_of(in_l)), in_l);
  const auto out_r = region(x::MEMORY_DDR, b.ddr(bytes_of(out_l)), out_l);
  const std::uint64_t w = b.add_weights(k.weights, 1);
  b.input("x", {1, 3, 9, 9}, in_r);
  b.output("y", {1, 4, 3, 3}, out_r);
  b.layer("patches", "conv", out_r);
  x::Conv& c = set_conv(b.instr("patches"), {in_r, out_r, k.window, 1, w, 1, k.bias, k.rq, 0, 0});
  c.set_on_host(true);
  x::Program program = b.program();
  const SimResult r = simulate(program, config(), {k.input}, {});
  expect_equal(r.outputs[0], expected(k));
  program.mutable_instrs(0)->mutable_conv()->mutable_window()->set_stride_w(0);
  expect_user_error(program, config(), {k.input}, {"instruction 0", "stride 3x0 (the host takes 1 to 1024)"});
}

// --- host elementwise: lookup tables and multiplies on the host model ---------------------

// y = lut(x): x and y network tensors in DDR, one XNLut(host) between them.
x::Program lut_program(const x::TensorLayout& in_l, const x::TensorLayout& out_l, const std::vector<std::int32_t>& table) {
  ProgramBuilder b;
  const auto in_r = region(x::MEMORY_DDR, b.ddr(bytes_of(in_l)), in_l);
  const auto out_r = region(x::MEMORY_DDR, b.ddr(bytes_of(out_l)), out_l);
  b.input("x", {1, in_l.channels(), in_l.height(), in_l.width()}, in_r);
  b.output("y", {1, out_l.channels(), out_l.height(), out_l.width()}, out_r);
  b.layer("lut", "lut", out_r).set_unit("host");
  x::HostElementwise& h = *b.instr("lut").mutable_host_elementwise();
  h.set_kind(x::HOST_LUT);
  *h.mutable_a() = in_r;
  *h.mutable_output() = out_r;
  for (const std::int32_t entry : table) h.add_table(entry);
  return b.program();
}

// y = requant(a * b): a, b and y network tensors in DDR, one XNMul(host).
x::Program mul_program(const x::TensorLayout& a_l, const x::TensorLayout& b_l, const x::TensorLayout& out_l,
                       const isa::Requant& rq) {
  ProgramBuilder b;
  const auto a_r = region(x::MEMORY_DDR, b.ddr(bytes_of(a_l)), a_l);
  const auto b_r = region(x::MEMORY_DDR, b.ddr(bytes_of(b_l)), b_l);
  const auto out_r = region(x::MEMORY_DDR, b.ddr(bytes_of(out_l)), out_l);
  b.input("a", {1, a_l.channels(), a_l.height(), a_l.width()}, a_r);
  b.input("b", {1, b_l.channels(), b_l.height(), b_l.width()}, b_r);
  b.output("y", {1, out_l.channels(), out_l.height(), out_l.width()}, out_r);
  b.layer("mul", "mul", out_r).set_unit("host");
  x::HostElementwise& h = *b.instr("mul").mutable_host_elementwise();
  h.set_kind(x::HOST_MUL);
  *h.mutable_a() = a_r;
  *h.mutable_b() = b_r;
  *h.mutable_output() = out_r;
  *h.mutable_requant() = rq;
  return b.program();
}

x::HostElementwise& host_instr(x::Program& p) { return *p.mutable_instrs(0)->mutable_host_elementwise(); }

TEST(XdnnSimHost, LutLooksUpEverySignedValueIncludingBothEnds) {
  // x holds every int8 value once (-128 .. 127), in 4 channels of an 8-lane section (the
  // host reads any layout); table[i] = 127 - i, so y = table[x + 128] = -1 - x.
  IntTensor x{{1, 4, 8, 8}, {}};
  for (int v = -128; v <= 127; ++v) x.values.push_back(v);
  std::vector<std::int32_t> table;
  for (int i = 0; i < 256; ++i) table.push_back(127 - i);
  const x::Program p = lut_program(layout(4, 8, 8, {.section = 8}), layout(4, 8, 8, {.section = 4}), table);
  const SimResult r = simulate(p, config(), {x}, {});
  ASSERT_EQ(r.outputs[0].values.size(), 256u);
  EXPECT_EQ(r.outputs[0].values.front(), 127);   // x = -128 reads table[0]
  EXPECT_EQ(r.outputs[0].values.back(), -128);   // x = 127 reads table[255]
  for (std::size_t i = 0; i < 256; ++i) EXPECT_EQ(r.outputs[0].values[i], -1 - x.values[i]) << "x = " << x.values[i];
  EXPECT_EQ(unit_stats(r, "host").instructions, 1u);
  EXPECT_EQ(layer_stats(r, "lut").array_busy_cycles, 0u);
}

TEST(XdnnSimHost, LutOfUnsignedValuesIndexesFromZero) {
  // x: every uint8 value (0 .. 255); table[i] = 255 - i into an unsigned output: y = 255 - x.
  IntTensor x{{1, 1, 16, 16}, {}};
  for (int v = 0; v <= 255; ++v) x.values.push_back(v);
  std::vector<std::int32_t> table;
  for (int i = 0; i < 256; ++i) table.push_back(255 - i);
  const auto l = layout(1, 16, 16, {.section = 1, .is_signed = false});
  const SimResult r = simulate(lut_program(l, l, table), config(), {x}, {});
  EXPECT_EQ(r.outputs[0].values.front(), 255);  // x = 0 reads table[0]
  EXPECT_EQ(r.outputs[0].values.back(), 0);     // x = 255 reads table[255]
  for (std::size_t i = 0; i < 256; ++i) EXPECT_EQ(r.outputs[0].values[i], 255 - x.values[i]) << "x = " << x.values[i];
}

// y = clamp(rshift_round(3 * a * b, 1), -128, 127), b [2, 1, 1] broadcast over a [2, 1, 3]:
//   channel 0, b = 2:  a = 127 -> 762 -> 381 -> 127 (saturates); a = -128 -> -768 -> -384
//                      -> -128 (saturates); a = 7 -> 42 -> 21
//   channel 1, b = -3: a = -3 -> 27 -> 13.5 rounds half up to 14; a = 50 -> -450 -> -225
//                      -> -128; a = 1 -> -9 -> -4.5 rounds half up to -4
TEST(XdnnSimHost, MulRequantisesSaturatesAtBothEndsAndBroadcasts) {
  const IntTensor a{{1, 2, 1, 3}, {127, -128, 7, -3, 50, 1}};
  const IntTensor b{{1, 2, 1, 1}, {2, -3}};
  const std::vector<std::int32_t> want{127, -128, 21, 14, -128, -4};
  const isa::Requant rq = requant({3}, {0}, {1}, -128, 127);
  const auto full = layout(2, 1, 3, {.section = 8});  // padded lanes: the host reads the layout
  const auto gate = layout(2, 1, 1, {.section = 2});
  const auto out = layout(2, 1, 3, {.section = 2});
  SimResult r = simulate(mul_program(full, gate, out, rq), config(), {a, b}, {});
  EXPECT_EQ(r.outputs[0].values, want);
  // The broadcast operand may be a as well.
  r = simulate(mul_program(gate, full, out, rq), config(), {b, a}, {});
  EXPECT_EQ(r.outputs[0].values, want);
  // ReLU is the clamp's lo = 0; an unsigned output takes [0, 255].
  const auto u8_out = layout(2, 1, 3, {.section = 2, .is_signed = false});
  r = simulate(mul_program(full, gate, u8_out, requant({3}, {0}, {1}, 0, 255)), config(), {a, b}, {});
  EXPECT_EQ(r.outputs[0].values, (std::vector<std::int32_t>{255, 0, 21, 14, 0, 0}));
}

TEST(XdnnSimHost, MulBroadcastsAlongAnyDimension) {
  // a [1, 2, 2] (one channel) times b [3, 1, 1]: y[c][h][w] = a[0][h][w] * b[c][0][0].
  const IntTensor a{{1, 1, 2, 2}, {1, -2, 3, -4}};
  const IntTensor b{{1, 3, 1, 1}, {1, 10, -5}};
  const SimResult r = simulate(mul_program(layout(1, 2, 2), layout(3, 1, 1), layout(3, 2, 2),
                                           requant({1}, {0}, {0}, -128, 127)),
                               config(), {a, b}, {});
  EXPECT_EQ(r.outputs[0].values, (std::vector<std::int32_t>{1, -2, 3, -4, 10, -20, 30, -40, -5, 10, -15, 20}));
}

TEST(XdnnSimHost, LutAndMulCyclesFollowTheHostFormula) {
  // v3_96: host_gops 5, host_link_gbps 12, 700 MHz.
  // Lut over 4 x 8 x 8: 256 ops / 5e9 = 51.2 ns; (256 + 256) B / 12e9 B/s = 42.667 ns;
  // ceil(93.867 ns * 700 MHz) = ceil(65.71) = 66.
  IntTensor x{{1, 4, 8, 8}, std::vector<std::int32_t>(256, 3)};
  std::vector<std::int32_t> table(256, 0);
  const x::Program lut = lut_program(layout(4, 8, 8), layout(4, 8, 8), table);
  const SimResult lr = simulate(lut, config(), {x}, {});
  EXPECT_EQ(lr.host_cycles, 66u);
  EXPECT_EQ(layer_stats(lr, "lut").host_cycles, 66u);
  EXPECT_EQ(simulate(lut, config(), {}, timing_only()).host_cycles, 66u);
  // Mul of 16 x 8 x 8 by a broadcast 16 x 1 x 1: 1024 ops / 5e9 = 204.8 ns; the gate crosses
  // the link at its own size: (1024 + 16 + 1024) B / 12e9 B/s = 172 ns;
  // ceil(376.8 ns * 700 MHz) = ceil(263.76) = 264.
  const x::Program mul =
      mul_program(layout(16, 8, 8), layout(16, 1, 1), layout(16, 8, 8), requant({1}, {0}, {0}, -128, 127));
  const SimResult mr = simulate(mul, config(), {}, timing_only());
  EXPECT_EQ(mr.host_cycles, 264u);
  // A slower link: (204.8 ns + 2064 B / 1e9 B/s = 2268.8 ns) * 700 MHz = 1588.16 -> 1589.
  EXPECT_EQ(simulate(mul, config("v3_96", {"host_link_gbps=1"}), {}, timing_only()).host_cycles, 1589u);
}

// --- host resize: a segmentation head's upsampling on the host model -----------------------

x::Program resize_program(const x::TensorLayout& in_l, const x::TensorLayout& out_l, const std::vector<std::int32_t>& rows,
                          const std::vector<std::int32_t>& cols) {
  ProgramBuilder b;
  const auto in_r = region(x::MEMORY_DDR, b.ddr(bytes_of(in_l)), in_l);
  const auto out_r = region(x::MEMORY_DDR, b.ddr(bytes_of(out_l)), out_l);
  b.input("x", {1, in_l.channels(), in_l.height(), in_l.width()}, in_r);
  b.output("y", {1, out_l.channels(), out_l.height(), out_l.width()}, out_r);
  b.layer("resize", "resize", out_r).set_unit("host");
  x::HostElementwise& h = *b.instr("resize").mutable_host_elementwise();
  h.set_kind(x::HOST_RESIZE);
  *h.mutable_a() = in_r;
  *h.mutable_output() = out_r;
  for (const std::int32_t t : rows) h.add_resize_rows(t);
  for (const std::int32_t t : cols) h.add_resize_cols(t);
  return b.program();
}

// 1 x 2 x 2 to 1 x 2 x 3: rows copied (nearest taps), columns at 0, 0.5 and 1 between the two
// (weights 0, 128, 256). Row 0 [-3, 4]: -3; (128 * -3 + 128 * 4) * 256 = 32768, + 2^15 >> 16 = 1
// (0.5 rounded half up); 4. Row 1 [10, 11]: 10; 10.5 -> 11; 11.
TEST(XdnnSimHost, ResizeWeighsItsTapsAndRoundsHalfUp) {
  const x::Program p = resize_program(layout(1, 2, 2), layout(1, 2, 3), {0, 0, 0, 1, 1, 0}, {0, 0, 0, 0, 1, 128, 1, 1, 0});
  const SimResult r = simulate(p, config(), {IntTensor{{1, 1, 2, 2}, {-3, 4, 10, 11}}}, {});
  EXPECT_EQ(r.outputs.at(0).values, (std::vector<std::int32_t>{-3, 1, 4, 10, 11, 11}));
  // 6 outputs x 8 ops on the host's 5 Gop/s, and (4 + 6) bytes over the 12 GB/s link.
  EXPECT_GT(r.host_cycles, 0u);
}

TEST(XdnnSimHost, ResizeTablesOutsideTheInputAreRefusedBeforeTheRun) {
  for (const auto& [rows, cols] : {std::pair{std::vector<std::int32_t>{0, 2, 0, 1, 1, 0}, std::vector<std::int32_t>{0, 0, 0, 1, 1, 0}},
                                   std::pair{std::vector<std::int32_t>{0, 0, 0, 1, 1, 0}, std::vector<std::int32_t>{0, 1, 300, 1, 1, 0}},
                                   std::pair{std::vector<std::int32_t>{0, 0, 0}, std::vector<std::int32_t>{0, 0, 0, 1, 1, 0}}}) {
    const x::Program p = resize_program(layout(1, 2, 2), layout(1, 2, 2), rows, cols);
    EXPECT_THROW(simulate(p, config(), {IntTensor{{1, 1, 2, 2}, {1, 2, 3, 4}}}, {}), UserError);
  }
}

// --- host softmax: a classifier's probabilities on the host model ---------------------------

// y = softmax(x) over the channels of one row (C x 1 x 1): x and y network tensors in DDR, one
// XNSoftmax(host) between them.
x::Program softmax_program(const x::TensorLayout& in_l, const x::TensorLayout& out_l,
                           const std::vector<std::int32_t>& exp_table) {
  ProgramBuilder b;
  const auto in_r = region(x::MEMORY_DDR, b.ddr(bytes_of(in_l)), in_l);
  const auto out_r = region(x::MEMORY_DDR, b.ddr(bytes_of(out_l)), out_l);
  b.input("x", {1, in_l.channels()}, in_r);
  b.output("y", {1, out_l.channels()}, out_r);
  b.layer("softmax", "softmax", out_r).set_unit("host");
  x::HostElementwise& h = *b.instr("softmax").mutable_host_elementwise();
  h.set_kind(x::HOST_SOFTMAX);
  *h.mutable_a() = in_r;
  *h.mutable_output() = out_r;
  for (const std::int32_t entry : exp_table) h.add_exp_table(entry);
  return b.program();
}

// exp((i - 255) * ln 2) in Q16: entry 255 - k is 65536 >> k (k <= 16), 0 below; so one step
// below the row's maximum weighs 1/2, two steps 1/4, ...
std::vector<std::int32_t> halving_exp_table() {
  std::vector<std::int32_t> table(256, 0);
  for (int k = 0; k <= 16; ++k) table[static_cast<std::size_t>(255 - k)] = 65536 >> k;
  return table;
}

x::TensorLayout row_layout(std::uint32_t channels, bool is_signed = true, std::uint32_t section = 0) {
  return layout(channels, 1, 1, {.section = section == 0 ? channels : section, .is_signed = is_signed});
}

std::vector<std::int32_t> run_softmax_row(const std::vector<std::int32_t>& row, bool is_signed) {
  const auto c = static_cast<std::uint32_t>(row.size());
  // The input padded to an 8-lane section (the host reads any layout), the output compact.
  const x::Program p = softmax_program(row_layout(c, is_signed, std::max<std::uint32_t>(c, 8)),
                                       row_layout(c, false), halving_exp_table());
  const SimResult r = simulate(p, config(), {IntTensor{{1, c}, row}}, {});
  return r.outputs.at(0).values;
}

// With the halving table, sum = 65536 * (sum of the weights 2^-k) and
// y = min(255, (e * 256 + sum / 2) / sum), integer division:
TEST(XdnnSimHost, SoftmaxOfTiedChannelsSplitsTheirShare) {
  // int8 [5, 5, 4, 3]: e = 65536, 65536, 32768, 16384, sum = 180224 (weights 4:4:2:1 of 11);
  // (16777216 + 90112) / 180224 = 93 (93.59), (8388608 + 90112) / 180224 = 47 (47.05),
  // (4194304 + 90112) / 180224 = 23 (23.77).
  EXPECT_EQ(run_softmax_row({5, 5, 4, 3}, true), (std::vector<std::int32_t>{93, 93, 47, 23}));
  // A tie below the maximum, at the bottom of the int8 range: [-128, -128, -127, -128]:
  // e = 32768, 32768, 65536, 32768, sum = 163840: 8404992 / 163840 = 51 (51.3),
  // 16859136 / 163840 = 102 (102.9).
  EXPECT_EQ(run_softmax_row({-128, -128, -127, -128}, true), (std::vector<std::int32_t>{51, 51, 102, 51}));
}

TEST(XdnnSimHost, SoftmaxOfEqualChannelsIsTheirShareRoundedHalfUp) {
  // Every e = 65536, sum = C * 65536: y = (256 + C / 2) / C, 256 / C rounded half up.
  // C = 10: 25.6 -> 26 (a division without the + sum / 2 would give 25); C = 3: 85.3 -> 85.
  EXPECT_EQ(run_softmax_row(std::vector<std::int32_t>(10, 3), true), std::vector<std::int32_t>(10, 26));
  EXPECT_EQ(run_softmax_row({-7, -7, -7}, true), (std::vector<std::int32_t>{85, 85, 85}));
  EXPECT_EQ(run_softmax_row({200, 200, 200}, false), (std::vector<std::int32_t>{85, 85, 85}));
  // C = 1: 256.5 -> 256, clamped to 255.
  EXPECT_EQ(run_softmax_row({42}, true), (std::vector<std::int32_t>{255}));
}

TEST(XdnnSimHost, SoftmaxOfOneDominantChannelClampsItTo255) {
  // int8 [127, -128, 0, -60]: the others are 255, 127 and 187 steps below the maximum
  // (entries 0, 128 and 68: all 0), so sum = 65536 and y = (16777216 + 32768) / 65536 = 256
  // -> 255, the rest 0. x = -128 reads entry 0, the table's first.
  EXPECT_EQ(run_softmax_row({127, -128, 0, -60}, true), (std::vector<std::int32_t>{255, 0, 0, 0}));
  // uint8, the maximum last: [0, 10, 100, 255].
  EXPECT_EQ(run_softmax_row({0, 10, 100, 255}, false), (std::vector<std::int32_t>{0, 0, 0, 255}));
}

TEST(XdnnSimHost, SoftmaxOfUnsignedValuesSpansTheirWholeRange) {
  // uint8 [255, 0, 254, 253]: x = 0 is 255 below the maximum (entry 0 = 0); e = 65536, 0,
  // 32768, 16384, sum = 114688: 16834560 / 114688 = 146 (146.8), 57344 / 114688 = 0 (0.5),
  // 8445952 / 114688 = 73 (73.6), 4251648 / 114688 = 37 (37.07).
  EXPECT_EQ(run_softmax_row({255, 0, 254, 253}, false), (std::vector<std::int32_t>{146, 0, 73, 37}));
  // The same row as int8 values one apart: [-1, -128, -2, -3] -> the tie-free 4:2:1 part.
  EXPECT_EQ(run_softmax_row({-1, -128, -2, -3}, true), (std::vector<std::int32_t>{146, 0, 73, 37}));
}

TEST(XdnnSimHost, SoftmaxCyclesFollowTheHostFormula) {
  // docs/xdnn.md: 4 ops per output element (max, exp lookup, sum, division) at host_gops, the
  // row in and the probabilities out over the link at host_link_gbps.
  const auto expected_cycles = [](const HwConfig& hw, std::uint64_t channels) {
    const double seconds = 4.0 * static_cast<double>(channels) / (hw.xdnn().host_gops * 1e9) +
                           2.0 * static_cast<double>(channels) / (hw.xdnn().host_link_gbps * 1e9);
    return static_cast<std::uint64_t>(std::ceil(seconds * hw.clock_mhz * 1e6));
  };
  for (const std::uint32_t c : {10u, 1000u}) {
    const x::Program p = softmax_program(row_layout(c), row_layout(c, false), halving_exp_table());
    for (const HwConfig& hw : {config(), config("v2_28"), config("v3_96", {"host_gops=0.5", "host_link_gbps=2"})}) {
      const SimResult r = simulate(p, hw, {}, timing_only());
      EXPECT_EQ(r.host_cycles, expected_cycles(hw, c)) << c << " channels on " << hw.name;
      EXPECT_EQ(layer_stats(r, "softmax").host_cycles, r.host_cycles);
      EXPECT_EQ(unit_stats(r, "host").instructions, 1u);
    }
  }
  // More than a Lut over as many elements: 4 ops per element instead of 1. v3_96 (5 GOP/s,
  // 12 GB/s, 700 MHz), 1000 channels: (800 + 166.67) ns -> 677 cycles; the Lut's 1000 ops:
  // (200 + 166.67) ns -> 257.
  const SimResult softmax =
      simulate(softmax_program(row_layout(1000), row_layout(1000, false), halving_exp_table()), config(), {},
               timing_only());
  const SimResult lut = simulate(lut_program(row_layout(1000), row_layout(1000), std::vector<std::int32_t>(256, 0)),
                                 config(), {}, timing_only());
  EXPECT_EQ(softmax.host_cycles, 677u);
  EXPECT_EQ(lut.host_cycles, 257u);
  // Data or not, the same cycles.
  IntTensor x{{1, 1000}, random_values(1000, -128, 127, 211)};
  EXPECT_EQ(simulate(softmax_program(row_layout(1000), row_layout(1000, false), halving_exp_table()), config(), {x}, {})
                .host_cycles,
            677u);
}

TEST(XdnnSimHost, UnflaggedDownloadUnderAHostLutIsARace) {
  // A download writes the lut's input in DDR: the lut must wait for it.
  ProgramBuilder b;
  const auto l = layout(4, 2, 2);
  const auto am_r = region(x::MEMORY_AM, b.am(bytes_of(l)), l);
  const auto in_r = region(x::MEMORY_DDR, b.ddr(bytes_of(l)), l);
  const auto out_r = region(x::MEMORY_DDR, b.ddr(bytes_of(l)), l);
  b.input("x", {1, 4, 2, 2}, am_r);
  b.output("y", {1, 4, 2, 2}, out_r);
  b.layer("lut", "lut", out_r);
  x::Copy& down = *b.instr("lut").mutable_download();
  down.set_source_memory(x::MEMORY_AM);
  down.set_source(am_r.address());
  down.set_destination_memory(x::MEMORY_DDR);
  down.set_destination(in_r.address());
  down.set_chunk_bytes(bytes_of(l));
  down.set_count(1);
  x::Instr& lut = b.instr("lut");
  x::HostElementwise& h = *lut.mutable_host_elementwise();
  h.set_kind(x::HOST_LUT);
  *h.mutable_a() = in_r;
  *h.mutable_output() = out_r;
  for (int i = 0; i < 256; ++i) h.add_table(i / 2 - 64);
  const IntTensor x = random_tensor(4, 2, 2, -128, 127, 171);
  try {
    simulate(b.program(), config(), {x}, {});
    FAIL() << "expected a race";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("instruction 1 (XNLut(host)"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("dependency flag"), std::string::npos) << e.what();
  }
  lut.mutable_wait()->set_download(true);
  const SimResult r = simulate(b.program(), config(), {x}, {});
  for (std::size_t i = 0; i < x.values.size(); ++i) EXPECT_EQ(r.outputs[0].values[i], (x.values[i] + 128) / 2 - 64);
}

// --- bad programs ----------------------------------------------------------------------

void expect_user_error(const x::Program& program, const HwConfig& hw, const std::vector<IntTensor>& inputs,
                       const std::vector<std::string>& needles) {
  try {
    simulate(program, hw, inputs, {});
    FAIL() << "expected a UserError mentioning " << needles.front();
  } catch (const UserError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.find('\n'), std::string::npos) << "one line: " << what;
    for (const auto& n : needles) EXPECT_NE(what.find(n), std::string::npos) << "'" << n << "' not in: " << what;
  }
}

TEST(XdnnSimErrors, OutputRegionOutsideAmNamesTheInstruction) {
  ConvCase k = dense_case(3, 5, 5, 4, window(3, 1, 1));
  x::Program p = conv_program(k);
  p.mutable_instrs(1)->mutable_conv()->mutable_output()->set_address(9u * 1024 * 1024 - 16);
  expect_user_error(p, config(), {k.input}, {"instruction 1", "XNConv", "conv", "output", "outside AM"});
}

TEST(XdnnSimErrors, WeightsOutsideTheFilterCache) {
  ConvCase k = dense_case(3, 5, 5, 4, window(3, 1, 1));
  x::Program p = conv_program(k);
  p.mutable_instrs(0)->mutable_load_weights()->set_destination(306u * 1024 - 8);
  expect_user_error(p, config(), {k.input}, {"instruction 0", "XNLoadWeights", "filter cache"});
}

TEST(XdnnSimErrors, BadLayoutIsRefused) {
  ConvCase k = dense_case(3, 5, 5, 4, window(3, 1, 1));
  x::Program p = conv_program(k);
  p.mutable_instrs(1)->mutable_conv()->mutable_input()->mutable_layout()->set_width_stride(2);
  expect_user_error(p, config(), {k.input}, {"instruction 1", "width_stride"});
}

TEST(XdnnSimErrors, DepthwiseOnAnArrayWithoutIt) {
  ConvCase k = dense_case(6, 5, 5, 6, window(3, 1, 1), 6);
  expect_user_error(conv_program(k), config("v3_96", {"depthwise=false"}), {k.input}, {"instruction 1", "depthwise"});
}

TEST(XdnnSimErrors, FilterBeyondMaxFilterElementsAndBadStride) {
  ConvCase k = dense_case(3, 9, 9, 4, window(3, 1, 1));
  // 3 x 3 x 3 = 27 elements > 20
  expect_user_error(conv_program(k), config("v3_96", {"max_filter_elements=20"}), {k.input},
                    {"instruction 1", "max_filter_elements"});
  ConvCase s = dense_case(3, 9, 9, 4, window(3, 3, 1));
  expect_user_error(conv_program(s), config(), {s.input}, {"instruction 1", "stride"});
}

TEST(XdnnSimErrors, CopyBetweenTheWrongMemories) {
  ConvCase k = dense_case(3, 5, 5, 4, window(3, 1, 1));
  x::Program p = conv_program(k);
  p.mutable_instrs(0)->mutable_load_weights()->set_destination_memory(x::MEMORY_AM);
  expect_user_error(p, config(), {k.input}, {"instruction 0", "AM"});
}

// A program written by hand may hold any 64-bit value: sums that wrap around are refused
// before the run, by validate_program alone (it allocates no memory).
TEST(XdnnSimErrors, FieldsWhoseArithmeticWouldWrapAreRefused) {
  ConvCase k = dense_case(3, 5, 5, 4, window(3, 1, 1));
  const x::Program good = conv_program(k);
  EXPECT_NO_THROW(validate_program(good, config()));
  const auto refused = [&](const x::Program& p, const std::string& needle) {
    try {
      validate_program(p, config());
      ADD_FAILURE() << "expected a UserError mentioning " << needle;
    } catch (const UserError& e) {
      EXPECT_THAT(e.what(), testing::HasSubstr(needle));
    }
  };
  x::Program p = good;
  x::Copy& load = *p.mutable_instrs(0)->mutable_load_weights();
  load.set_count(2);
  load.set_source_stride(~std::uint64_t{0});  // (count - 1) * stride + chunk wraps to chunk - 1
  refused(p, "span more than 2^64 bytes");
  p = good;
  p.mutable_instrs(0)->mutable_load_weights()->set_destination(~std::uint64_t{0} - 2);
  refused(p, "lie outside filter cache");
  // Staged weights: a load may read AM, but not be marked a staging upload or an activation
  // copy, and its AM source must lie inside AM.
  p = good;
  p.mutable_instrs(0)->mutable_load_weights()->set_staged_weights(true);
  refused(p, "a weight load marked as an activation copy or a staging upload");
  p = good;
  p.mutable_instrs(0)->mutable_load_weights()->set_source_memory(x::MEMORY_AM);
  p.mutable_instrs(0)->mutable_load_weights()->set_source(~std::uint64_t{0} - 2);
  refused(p, "lie outside AM");
  p = good;
  p.mutable_instrs(0)->mutable_load_weights()->set_source_memory(x::MEMORY_FILTER_CACHE);
  refused(p, "copies filter cache -> filter cache, expected DDR -> filter cache");
  p = good;
  p.mutable_instrs(1)->mutable_conv()->mutable_output()->mutable_layout()->set_height(1u << 31);
  refused(p, "exceeds");
  p = good;
  p.mutable_instrs(1)->mutable_conv()->mutable_window()->set_kernel_h(1u << 30);
  refused(p, "window field 1073741824 exceeds 1024");
  p = good;
  p.set_weights_address(~std::uint64_t{0});
  refused(p, "weights lie outside the DDR");
  p = good;
  p.mutable_outputs(0)->add_shape(2);  // twice the values its region holds
  refused(p, "output");
}

TEST(XdnnSimErrors, DdrBeyondTheConfig) {
  ConvCase k = dense_case(3, 5, 5, 4, window(3, 1, 1));
  x::Program p = conv_program(k);
  p.set_ddr_bytes_used(17ull << 30);
  EXPECT_THROW(simulate(p, config(), {k.input}, {}), UserError);
}

TEST(XdnnSimErrors, RequantOverflowingSixtyFourBits) {
  // 100 * 2^40 * 2^40 does not fit int64: an error, not a silent wrap.
  const isa::Requant huge = requant({std::int64_t{1} << 40}, {0}, {0}, -128, 127);
  const x::Program p = eltwise_program(huge, std::int64_t{1} << 40, 0, 1, 1, 1);
  expect_user_error(p, config(), {IntTensor{{1, 1, 1, 1}, {100}}, IntTensor{{1, 1, 1, 1}, {0}}},
                    {"instruction 0", "XNEltwise"});
}

TEST(XdnnSimErrors, UnflaggedConflictBetweenUnitsIsARace) {
  // The eltwise reads the conv's output while the conv runs: without the conv flag the
  // program is wrong (the result would depend on timing).
  const ConvCase k = dense_case(4, 4, 4, 4, window(3, 1, 1), 1, 161);
  ProgramBuilder b;
  const auto l = layout(4, 4, 4);
  const auto in_r = region(x::MEMORY_AM, b.am(bytes_of(l)), l);
  const auto mid_r = region(x::MEMORY_AM, b.am(bytes_of(l)), l);
  const auto out_r = region(x::MEMORY_AM, b.am(bytes_of(l)), l);
  b.input("x", {1, 4, 4, 4}, in_r);
  b.output("y", {1, 4, 4, 4}, out_r);
  b.layer("conv", "conv", mid_r);
  b.layer("add", "eltwise", out_r);
  b.load_weights("conv", b.add_weights(k.weights, 1), 0, k.weights.size());
  x::Instr& conv = b.instr("conv");
  conv.mutable_wait()->set_weights(true);
  set_conv(conv, {in_r, mid_r, k.window, 1, 0, 1, k.bias, k.rq, 0, 0});
  x::Instr& add = b.instr("add");
  x::Eltwise& e = *add.mutable_eltwise();
  *e.mutable_a() = mid_r;
  *e.mutable_b() = in_r;
  *e.mutable_output() = out_r;
  e.add_input_multiplier(1);
  e.add_input_multiplier(1);
  *e.mutable_requant() = requant({1}, {0}, {0}, -128, 127);
  expect_user_error(b.program(), config(), {k.input}, {"instruction 2", "instruction 1"});
  // With the flag it runs and gives conv(x) + x.
  add.mutable_wait()->set_conv(true);
  const SimResult r = simulate(b.program(), config(), {k.input}, {});
  expect_equal(r.outputs[0], ref_eltwise(expected(k), dense(k.input), 1, 1, requant({1}, {0}, {0}, -128, 127)));
}

TEST(XdnnSimErrors, MalformedHostLutIsRefused) {
  std::vector<std::int32_t> table(256, 0);
  const IntTensor x = random_tensor(2, 3, 3, -128, 127, 181);
  const auto l = layout(2, 3, 3);
  const x::Program good = lut_program(l, l, table);
  const std::vector<std::string> which{"instruction 0", "XNLut(host)", "layer 'lut'"};
  const auto refused = [&](x::Program p, const std::string& why) {
    std::vector<std::string> needles = which;
    needles.push_back(why);
    expect_user_error(p, config(), {x}, needles);
  };
  x::Program p = good;
  host_instr(p).mutable_table()->RemoveLast();
  refused(p, "the table has 255 entries; an 8-bit input needs 256");
  p = good;
  host_instr(p).set_table(255, 128);
  refused(p, "table entry 255 (128) lies outside the output's range [-128, 127]");
  p = good;
  host_instr(p).mutable_a()->set_memory(x::MEMORY_AM);
  refused(p, "the host reads and writes DDR only, but a is in AM");
  p = good;
  host_instr(p).mutable_output()->set_address(2ull << 20);
  refused(p, "output region 864 bytes at 0x200000 lie outside DDR");
  p = good;
  host_instr(p).mutable_output()->mutable_layout()->set_height(2);
  refused(p, "a lookup table keeps the shape (a 2x3x3, output 2x2x3)");
  p = good;
  host_instr(p).mutable_a()->mutable_layout()->set_element_bytes(2);
  refused(p, "a lookup table maps 8-bit values to 8-bit values");
  p = good;
  *host_instr(p).mutable_b() = host_instr(p).a();
  refused(p, "a lookup table takes one operand and no requant");
  p = good;
  host_instr(p).set_kind(static_cast<x::HostElementwiseKind>(9));
  expect_user_error(p, config(), {x}, {"instruction 0", "XNUnknown(host)", "unknown host elementwise kind 9"});
}

// A detection head's conv (2 channels of 3x3 pixels) read as 6 tokens... of 3 features: element
// k of the input and the output in HWC order is the same value (a host copy, no arithmetic).
TEST(XdnnSimHost, HwcReshapeKeepsTheHwcOrder) {
  const IntTensor x = random_tensor(2, 3, 3, -128, 127, 77);
  x::Program p = lut_program(layout(2, 3, 3), layout(3, 1, 6), {});
  host_instr(p).set_kind(x::HOST_HWC_RESHAPE);
  const auto y = simulate(p, config(), {x}, {}).outputs.at(0).values;
  ASSERT_EQ(y.size(), 18u);
  for (std::size_t k = 0; k < 18; ++k) {
    const std::size_t pixel = k / 2, channel = k % 2;  // the input's HWC order
    const std::size_t token = k / 3, feature = k % 3;  // the output's
    EXPECT_EQ(y[feature * 6 + token], x.values[channel * 9 + pixel]) << "element " << k;
  }
  x::Program bad = p;
  bad.mutable_outputs(0)->clear_shape();
  host_instr(bad).mutable_output()->mutable_layout()->set_width(5);
  expect_user_error(bad, config(), {x}, {"XNHwcReshape(host)", "an HWC reshape keeps the element count"});
  bad = p;
  host_instr(bad).add_table(0);
  expect_user_error(bad, config(), {x}, {"XNHwcReshape(host)", "an HWC reshape copies"});
}

TEST(XdnnSimErrors, MalformedHostSoftmaxIsRefused) {
  const IntTensor x{{1, 4}, {5, 5, 4, 3}};
  const x::Program good = softmax_program(row_layout(4), row_layout(4, false), halving_exp_table());
  ASSERT_EQ(simulate(good, config(), {x}, {}).outputs.at(0).values, (std::vector<std::int32_t>{93, 93, 47, 23}));
  const auto refused = [&](x::Program p, const std::string& why) {
    expect_user_error(p, config(), {x}, {"instruction 0", "XNSoftmax(host)", "layer 'softmax'", why});
  };
  x::Program p = good;
  host_instr(p).mutable_exp_table()->RemoveLast();
  refused(p, "the exp table has 255 entries; an 8-bit input needs 256");
  p = good;
  host_instr(p).add_exp_table(0);
  refused(p, "the exp table has 257 entries; an 8-bit input needs 256");
  p = good;
  host_instr(p).mutable_exp_table()->Clear();
  refused(p, "the exp table has 0 entries");
  p = good;
  host_instr(p).set_exp_table(254, 65537);
  refused(p, "exp table entry 254 (65537) lies outside [0, 65536]");
  p = good;
  host_instr(p).set_exp_table(3, -1);
  refused(p, "exp table entry 3 (-1) lies outside [0, 65536]");
  p = good;
  host_instr(p).set_exp_table(255, 65535);
  refused(p, "the exp table's last entry (the row's maximum) is 65535, not 65536");
  p = good;
  host_instr(p).mutable_a()->mutable_layout()->set_element_bytes(2);
  refused(p, "a softmax takes an 8-bit input (a has 2 bytes per element)");
  p = good;
  host_instr(p).mutable_output()->mutable_layout()->set_is_signed(true);
  refused(p, "a softmax writes uint8 probabilities (the output is int8)");
  p = good;
  host_instr(p).mutable_output()->mutable_layout()->set_element_bytes(2);
  refused(p, "a softmax writes uint8 probabilities (the output is uint16)");
  p = good;
  host_instr(p).mutable_output()->mutable_layout()->set_channels(3);
  refused(p, "a softmax keeps the shape (a 4x1x1, output 3x1x1)");
  p = good;
  // Not a row of channels: a 4 x 2 x 1 image.
  host_instr(p).mutable_a()->mutable_layout()->set_height(2);
  host_instr(p).mutable_output()->mutable_layout()->set_height(2);
  refused(p, "a softmax runs over the channels of one row (C x 1 x 1: [N, C] or [N, C, 1, 1]), but a is 4x2x1");
  p = good;
  host_instr(p).add_table(0);
  refused(p, "a softmax takes one operand, its exp table and no requant or lookup table");
  p = good;
  *host_instr(p).mutable_requant() = requant({1}, {0}, {0}, 0, 255);
  refused(p, "a softmax takes one operand, its exp table and no requant or lookup table");
  p = good;
  host_instr(p).mutable_output()->set_memory(x::MEMORY_AM);
  refused(p, "the host reads and writes DDR only, but output is in AM");
  // A lookup table or a multiply carries no exp table.
  x::Program lut = lut_program(layout(2, 3, 3), layout(2, 3, 3), std::vector<std::int32_t>(256, 0));
  host_instr(lut).add_exp_table(65536);
  expect_user_error(lut, config(), {random_tensor(2, 3, 3, -128, 127, 212)},
                    {"instruction 0", "XNLut(host)", "a lookup table has no exp table"});
  x::Program mul =
      mul_program(layout(2, 3, 3), layout(2, 1, 1), layout(2, 3, 3), requant({1}, {0}, {0}, -128, 127));
  host_instr(mul).add_exp_table(65536);
  expect_user_error(mul, config(), {random_tensor(2, 3, 3, -128, 127, 213), random_tensor(2, 1, 1, -128, 127, 214)},
                    {"instruction 0", "XNMul(host)", "a mul has no exp table"});
}

TEST(XdnnSimErrors, MalformedHostMulIsRefused) {
  const IntTensor a = random_tensor(2, 3, 3, -128, 127, 191);
  const IntTensor b = random_tensor(2, 1, 1, -128, 127, 192);
  const x::Program good =
      mul_program(layout(2, 3, 3), layout(2, 1, 1), layout(2, 3, 3), requant({1}, {0}, {0}, -128, 127));
  const auto refused = [&](x::Program p, const std::string& why) {
    expect_user_error(p, config(), {a, b}, {"instruction 0", "XNMul(host)", "layer 'mul'", why});
  };
  x::Program p = good;
  host_instr(p).mutable_b()->mutable_layout()->set_height(2);
  refused(p, "b of shape 2x2x1 does not broadcast to the output's 2x3x3");
  p = good;
  host_instr(p).mutable_requant()->add_multiplier(2);
  refused(p, "requant has 2/1/1 multiplier/offset/shift entries for 1 channels");
  p = good;
  host_instr(p).mutable_requant()->set_hi(300);
  refused(p, "requant clamp [-128, 300] exceeds the output's range [-128, 127]");
  p = good;
  host_instr(p).mutable_b()->set_memory(x::MEMORY_FILTER_CACHE);
  refused(p, "but b is in filter cache");
  p = good;
  host_instr(p).add_table(0);
  refused(p, "a mul has no table");
  // A multiplier beyond any compiler's is refused before the run.
  p = good;
  host_instr(p).mutable_requant()->set_multiplier(0, std::int64_t{1} << 62);
  refused(p, "requant multiplier 4611686018427387904 outside [-2^32, 2^32]");
  // A product beyond 64 bits after an in-range multiplier and shift is an error at run time,
  // not a wrap: 100 * 100 * 2^32, shifted left by 31.
  p = good;
  host_instr(p).mutable_requant()->set_multiplier(0, std::int64_t{1} << 32);
  host_instr(p).mutable_requant()->set_shift(0, -31);
  expect_user_error(p, config(), {IntTensor{{1, 2, 3, 3}, std::vector<std::int32_t>(18, 100)}, b},
                    {"instruction 0", "XNMul(host)", "overflows 64 bits"});
}

// --- layer outputs -----------------------------------------------------------------------

TEST(XdnnSimCapture, LayerOutputIsTakenWhenItsLastInstructionCompletes) {
  // c1 writes buffer B; c2 (waiting for c1) overwrites B. The capture of c1 must hold c1's
  // values, not what B holds at the end.
  const ConvCase c1 = dense_case(3, 5, 5, 4, window(3, 1, 1), 1, 151);
  ConvCase c2 = dense_case(3, 5, 5, 4, window(1, 1, 0), 1, 152);
  c2.input = c1.input;
  ProgramBuilder b;
  const auto in_l = layout(3, 5, 5);
  const auto out_l = layout(4, 5, 5);
  const auto in_r = region(x::MEMORY_AM, b.am(bytes_of(in_l)), in_l);
  const auto out_r = region(x::MEMORY_AM, b.am(bytes_of(out_l)), out_l);
  b.input("x", {1, 3, 5, 5}, in_r);
  b.output("y", {1, 4, 5, 5}, out_r);
  b.layer("c1", "conv", out_r, "t1");
  b.layer("c2", "conv", out_r, "t2");
  const std::uint64_t w1 = b.add_weights(c1.weights, 1);
  const std::uint64_t w2 = b.add_weights(c2.weights, 1);
  b.load_weights("c1", w1, 0, c1.weights.size());
  b.load_weights("c2", w2, 2048, c2.weights.size());
  x::Instr& i1 = b.instr("c1");
  i1.mutable_wait()->set_weights(true);
  set_conv(i1, {in_r, out_r, c1.window, 1, 0, 1, c1.bias, c1.rq, 0, 0});
  x::Instr& i2 = b.instr("c2");
  i2.mutable_wait()->set_conv(true);
  set_conv(i2, {in_r, out_r, c2.window, 1, 2048, 1, c2.bias, c2.rq, 0, 0});
  const SimResult r = simulate(b.program(), config(), {c1.input}, capture_options());
  ASSERT_EQ(r.layer_outputs.size(), 2u);
  expect_equal(r.layer_outputs.at("t1"), expected(c1));
  expect_equal(r.layer_outputs.at("t2"), expected(c2));
  expect_equal(r.outputs[0], expected(c2));
  const SimResult none = simulate(b.program(), config(), {c1.input}, {});
  EXPECT_TRUE(none.layer_outputs.empty());
}

}  // namespace
}  // namespace wb::test::xdnn
