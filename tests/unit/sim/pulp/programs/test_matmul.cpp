// The matmul family's per-core programs (sim/pulp/programs/matmul.cpp): the dot products a
// call makes, counted by hand from PULP-NN's loop structure; every access inside the operand
// it belongs to; every output stored exactly once by the cores together, whatever the split.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sim/pulp/programs/kernel_programs.h"
#include "sim/pulp/programs/families.h"
#include "tests/unit/sim/pulp/programs/programs_testing.h"

namespace wb::sim::pulp {
namespace {

using isa::pulp::KernelCall;
using isa::pulp::KernelKind;
using isa::pulp::Parallel;

struct MatmulShape {
  KernelKind kind = isa::pulp::KERNEL_CONV;
  std::uint32_t h_in = 4, w_in = 4, c_in = 8, c_out = 6, k = 3, stride = 1, pad = 1, groups = 0;
  Parallel parallel = isa::pulp::PARALLEL_HO;
  int cores = 8;
};

// A well-formed call whose operands lie one after another (16 bytes apart, so an access that
// strays out of one cannot land in the next), every requant field but the shift per channel.
KernelCall matmul_call(const MatmulShape& s) {
  KernelCall c;
  c.set_kind(s.kind);
  c.set_parallel(s.parallel);
  programs_testing::set_window(c, s.h_in, s.w_in, s.c_in, s.c_out, s.k, s.stride, s.pad);
  c.set_groups(s.groups);
  c.set_has_bias(true);
  const std::uint32_t cin_g = s.groups > 0 ? s.c_in / s.groups : s.c_in;
  const std::uint64_t k_bytes = std::uint64_t{s.k} * s.k * cin_g;
  std::uint64_t at = 16;
  const auto place = [&](std::uint64_t bytes) {
    const std::uint64_t here = at;
    at += (bytes + 3) / 4 * 4 + 16;
    return here;
  };
  c.set_input(place(std::uint64_t{s.h_in} * s.w_in * s.c_in));
  c.set_output(place(std::uint64_t{c.h_out()} * c.w_out() * s.c_out));
  c.set_weights(place(s.c_out * k_bytes));
  c.set_bias(place(4 * std::uint64_t{s.c_out}));
  c.set_im2col(place(2 * k_bytes * static_cast<std::uint64_t>(s.cores)));
  c.set_accumulator(place(4 * std::uint64_t{c.h_out()} * c.w_out() * s.c_out));
  for (std::uint32_t ch = 0; ch < s.c_out; ++ch) {
    c.mutable_requant()->add_multiplier(3 + ch);
    c.mutable_requant()->add_offset(ch);
  }
  c.mutable_requant()->add_shift(4);
  c.mutable_requant()->set_lo(0);
  c.mutable_requant()->set_hi(255);
  return c;
}

std::vector<CoreProgram> programs_of(const KernelCall& call, int cores) {
  std::vector<CoreProgram> programs;
  for (int core = 0; core < cores; ++core) programs.push_back(kernel_program(call, core, cores));
  return programs;
}

std::uint64_t count_kind(const CoreProgram& p, CoreOpKind kind) {
  std::uint64_t n = 0;
  for (const CoreOp& op : p) n += op.kind == kind ? 1 : 0;
  return n;
}

std::uint64_t dot_products(const std::vector<CoreProgram>& programs) {
  std::uint64_t n = 0;
  for (const CoreProgram& p : programs) n += count_kind(p, CoreOpKind::DotProduct);
  return n;
}

TEST(MatmulProgram, ConvDotProductsFollowTheFourByTwoBlocks) {
  // 3x3 conv, c_in 8: K = 72 bytes = 18 words, no leftover bytes; c_out 6 = one 4-channel
  // block and 2 leftover channels. A pixel pair: 18 x 8 (the block) + 2 x 18 x 2 (1x2) = 216.
  // An odd pixel: 18 x 4 (4x1) + 2 x 18 (1x1) = 108.
  MatmulShape s;
  s.cores = 1;  // 4x4 output: 8 pairs
  EXPECT_EQ(dot_products(programs_of(matmul_call(s), 1)), 8u * 216);
  s.h_in = s.w_in = 3;  // 3x3 output on one core: 4 pairs and the odd 9th pixel
  EXPECT_EQ(dot_products(programs_of(matmul_call(s), 1)), 4u * 216 + 108);
  // On 2 cores (HO): rows 0-1 (6 pixels, 3 pairs) and row 2 (a pair and an odd pixel).
  s.cores = 2;
  const std::vector<CoreProgram> two = programs_of(matmul_call(s), 2);
  EXPECT_EQ(count_kind(two[0], CoreOpKind::DotProduct), 3u * 216);
  EXPECT_EQ(count_kind(two[1], CoreOpKind::DotProduct), 216u + 108);
}

TEST(MatmulProgram, LeftoverBytesAreScalarProducts) {
  // c_in 3, 3x3: K = 27 = 6 words + 3 bytes; c_out 4, one block; a 1x2 output: 1 pair.
  // Dot products 6 x 8; the 3 bytes x (6 byte loads + 8 p.mac), besides the 6 word loads x 6.
  MatmulShape s;
  s.c_in = 3;
  s.c_out = 4;
  s.h_in = 1;
  s.w_in = 2;
  s.cores = 1;
  const KernelCall call = matmul_call(s);
  const CoreProgram p = kernel_program(call, 0, 1);
  EXPECT_EQ(count_kind(p, CoreOpKind::DotProduct), 6u * 8);
  std::uint64_t byte_loads_of_weights = 0;
  for (const CoreOp& op : p) {
    if (op.kind == CoreOpKind::Load && op.bytes == 1 && op.address >= call.weights() &&
        op.address < call.weights() + 4 * 27) {
      ++byte_loads_of_weights;
    }
  }
  EXPECT_EQ(byte_loads_of_weights, 3u * 4);
}

TEST(MatmulProgram, LinearMakesTwoOutputsPerLoop) {
  // c_in 10: 2 words + 2 bytes. 5 outputs on one core: 2 pairs (2 dot products per word) and
  // one output alone (1 per word): 2 x 2 x 2 + 2 = 10.
  MatmulShape s;
  s.kind = isa::pulp::KERNEL_LINEAR;
  s.h_in = s.w_in = 1;
  s.k = 1;
  s.pad = 0;
  s.c_in = 10;
  s.c_out = 5;
  s.cores = 1;
  const CoreProgram p = kernel_program(matmul_call(s), 0, 1);
  EXPECT_EQ(count_kind(p, CoreOpKind::DotProduct), 10u);
  // Per pair per word 3 loads, per pair per byte 3; alone 2 and 2 (the last byte load feeds
  // the product); plus a bias load and, per output, 2 requant constants (multiplier, offset).
  EXPECT_EQ(count_kind(p, CoreOpKind::Load), 2u * (2 * 3 + 2 * 3) + (2 * 2 + 2 * 2) + 5 * (1 + 2));
  EXPECT_EQ(count_kind(p, CoreOpKind::Store), 5u);
}

struct Range {
  std::string name;
  std::uint64_t begin = 0, end = 0;
  bool holds(std::uint64_t a, std::uint64_t bytes) const { return a >= begin && a + bytes <= end; }
};

std::vector<Range> operand_ranges(const KernelCall& c, int cores) {
  const std::uint64_t cin_g = c.groups() > 0 ? c.c_in() / c.groups() : c.c_in();
  const std::uint64_t k = std::uint64_t{c.k_h()} * c.k_w() * cin_g;
  const std::uint64_t outputs = std::uint64_t{c.h_out()} * c.w_out() * c.c_out();
  return {{"input", c.input(), c.input() + std::uint64_t{c.h_in()} * c.w_in() * c.c_in()},
          {"output", c.output(), c.output() + outputs},
          {"weights", c.weights(), c.weights() + c.c_out() * k},
          {"bias", c.bias(), c.bias() + 4 * std::uint64_t{c.c_out()}},
          {"im2col", c.im2col(), c.im2col() + 2 * k * static_cast<std::uint64_t>(cores)},
          {"accumulator", c.accumulator(), c.accumulator() + 4 * outputs}};
}

// The operand each access of the call's programs falls in, checked: inside one; stores only to
// the im2col buffer, the output or the accumulator; a core's im2col accesses in its own slice.
std::map<std::string, std::uint64_t> accesses_by_operand(const KernelCall& call, int cores) {
  const std::vector<Range> ranges = operand_ranges(call, cores);
  const std::uint64_t cin_g = call.groups() > 0 ? call.c_in() / call.groups() : call.c_in();
  const std::uint64_t k = std::uint64_t{call.k_h()} * call.k_w() * cin_g;
  std::map<std::string, std::uint64_t> counts;
  for (int core = 0; core < cores; ++core) {
    for (const CoreOp& op : kernel_program(call, core, cores)) {
      if (op.kind != CoreOpKind::Load && op.kind != CoreOpKind::Store) continue;
      const Range* in = nullptr;
      for (const Range& r : ranges) {
        if (r.holds(op.address, op.bytes)) in = &r;
      }
      if (in == nullptr) {
        ADD_FAILURE() << "core " << core << ": access of " << int{op.bytes} << " at " << op.address << " in no operand";
        continue;
      }
      ++counts[in->name];
      if (op.kind == CoreOpKind::Store) {
        EXPECT_TRUE(in->name == "im2col" || in->name == "output" || in->name == "accumulator") << in->name;
      }
      if (in->name == "im2col") {
        const std::uint64_t own = call.im2col() + 2 * k * static_cast<std::uint64_t>(core);
        EXPECT_TRUE(op.address >= own && op.address + op.bytes <= own + 2 * k) << "core " << core;
      }
    }
  }
  return counts;
}

std::vector<MatmulShape> varied_shapes() {
  std::vector<MatmulShape> shapes;
  for (const Parallel parallel : {isa::pulp::PARALLEL_HO, isa::pulp::PARALLEL_HOWO, isa::pulp::PARALLEL_CO}) {
    MatmulShape conv;  // 3x3, pad 1, c_in 8 (aligned runs), c_out 6
    conv.parallel = parallel;
    MatmulShape odd = conv;  // c_in 3: misaligned im2col runs and leftover bytes; stride 2
    odd.c_in = 3;
    odd.c_out = 13;
    odd.h_in = 7;
    odd.w_in = 5;
    odd.stride = 2;
    MatmulShape pointwise;
    pointwise.kind = isa::pulp::KERNEL_POINTWISE;
    pointwise.k = 1;
    pointwise.pad = 0;
    pointwise.h_in = 3;
    pointwise.w_in = 5;
    pointwise.c_in = 12;
    pointwise.c_out = 9;
    pointwise.parallel = parallel;
    MatmulShape grouped = conv;
    grouped.kind = isa::pulp::KERNEL_GROUPED_CONV;
    grouped.groups = 2;
    grouped.c_in = 6;
    grouped.c_out = 10;
    shapes.insert(shapes.end(), {conv, odd, pointwise, grouped});
  }
  MatmulShape linear;
  linear.kind = isa::pulp::KERNEL_LINEAR;
  linear.h_in = linear.w_in = 1;
  linear.k = 1;
  linear.pad = 0;
  linear.c_in = 37;
  linear.c_out = 21;
  shapes.push_back(linear);
  return shapes;
}

std::string describe(const MatmulShape& s) {
  return std::string(isa::pulp::KernelKind_Name(s.kind)) + " " + isa::pulp::Parallel_Name(s.parallel) + " c_in " +
         std::to_string(s.c_in) + " c_out " + std::to_string(s.c_out);
}

TEST(MatmulProgram, EveryAccessLiesInsideItsOperand) {
  for (const MatmulShape& s : varied_shapes()) {
    SCOPED_TRACE(describe(s));
    const KernelCall call = matmul_call(s);
    const std::map<std::string, std::uint64_t> counts = accesses_by_operand(call, s.cores);
    EXPECT_GT(counts.count("input"), 0u);
    EXPECT_GT(counts.count("weights"), 0u);
    EXPECT_GT(counts.count("output"), 0u);
    EXPECT_EQ(counts.count("im2col") > 0, s.kind == isa::pulp::KERNEL_CONV || s.kind == isa::pulp::KERNEL_GROUPED_CONV);
    EXPECT_EQ(counts.count("accumulator"), 0u);  // not input-channel tiled
  }
}

TEST(MatmulProgram, InputChannelTilesReadAndWritePartialSums) {
  MatmulShape s;
  for (const auto& [first, last] : {std::pair{true, false}, std::pair{false, false}, std::pair{false, true}}) {
    KernelCall call = matmul_call(s);
    call.set_cin_tiled(true);
    call.set_first_cin_tile(first);
    call.set_last_cin_tile(last);
    const std::map<std::string, std::uint64_t> counts = accesses_by_operand(call, s.cores);
    const std::uint64_t outputs = std::uint64_t{call.h_out()} * call.w_out() * call.c_out();
    std::uint64_t partial_loads = 0, partial_stores = 0, output_stores = 0, bias_loads = 0;
    for (const CoreProgram& p : programs_of(call, s.cores)) {
      for (const CoreOp& op : p) {
        const bool in_acc = op.address >= call.accumulator() && op.address < call.accumulator() + 4 * outputs;
        if (op.kind == CoreOpKind::Load && in_acc) ++partial_loads;
        if (op.kind == CoreOpKind::Store && in_acc) ++partial_stores;
        if (op.kind == CoreOpKind::Store && op.address >= call.output() && op.address < call.output() + outputs) {
          ++output_stores;
        }
        if (op.kind == CoreOpKind::Load && op.address >= call.bias() && op.address < call.bias() + 4 * call.c_out()) {
          ++bias_loads;
        }
      }
    }
    // A later tile starts from every output's partial sum; a non-last one stores every output's.
    EXPECT_EQ(partial_loads, first ? 0u : outputs) << first << last;
    EXPECT_EQ(partial_stores, last ? 0u : outputs) << first << last;
    EXPECT_EQ(output_stores, last ? outputs : 0u) << first << last;
    // The bias words are read by the first tile (the requant's per-channel constants stand in
    // beside the bias on the last: see requant_constant).
    EXPECT_EQ(bias_loads > 0, first || last) << first << last;
    EXPECT_EQ(counts.count("accumulator") > 0, !(first && last));
  }
}

// How often each byte of [begin, begin + bytes) is stored, over every core's program.
std::vector<int> store_counts(const std::vector<CoreProgram>& programs, std::uint64_t begin, std::uint64_t bytes) {
  std::vector<int> counts(bytes, 0);
  for (const CoreProgram& p : programs) {
    for (const CoreOp& op : p) {
      if (op.kind != CoreOpKind::Store || op.address < begin || op.address >= begin + bytes) continue;
      for (std::uint64_t b = 0; b < op.bytes; ++b) ++counts[op.address - begin + b];
    }
  }
  return counts;
}

TEST(MatmulProgram, TheCoresStoreEveryOutputByteExactlyOnce) {
  for (const MatmulShape& s : varied_shapes()) {
    for (const int cores : {1, 3, 8}) {
      SCOPED_TRACE(describe(s) + " on " + std::to_string(cores) + " cores");
      MatmulShape shape = s;
      shape.cores = cores;
      const KernelCall call = matmul_call(shape);
      const std::uint64_t outputs = std::uint64_t{call.h_out()} * call.w_out() * call.c_out();
      const std::vector<int> counts = store_counts(programs_of(call, cores), call.output(), outputs);
      for (std::uint64_t i = 0; i < outputs; ++i) ASSERT_EQ(counts[i], 1) << "output byte " << i;
      // A non-last input-channel tile: every int32 partial sum once instead.
      KernelCall partial = call;
      if (s.kind == isa::pulp::KERNEL_GROUPED_CONV) continue;  // no input-channel tiling
      partial.set_cin_tiled(true);
      partial.set_first_cin_tile(true);
      const std::vector<int> acc = store_counts(programs_of(partial, cores), call.accumulator(), 4 * outputs);
      for (std::uint64_t i = 0; i < 4 * outputs; ++i) ASSERT_EQ(acc[i], 1) << "accumulator byte " << i;
    }
  }
}

// A dilated conv (4x4x8, 3x3, dilation 2, pads 2: 4x4 outputs) gathers its im2col position by
// position: along each axis output o reads o - 2, o, o + 2, two of them inside, so every output
// pixel reads 2 x 2 input pixels of 8 bytes (2 words) and zeroes the other 5 positions:
// 16 x 4 x 2 = 128 word loads of the input, 16 x 9 x 2 = 288 word stores into the im2col.
TEST(MatmulProgram, ADilatedConvGathersItsIm2colPositionByPosition) {
  MatmulShape s;
  s.pad = 2;
  KernelCall call = matmul_call(s);
  call.set_dilation_h(2);
  call.set_dilation_w(2);
  call.set_h_out(4);
  call.set_w_out(4);
  programs_testing::expect_well_formed(call);
  std::uint64_t input_loads = 0, im2col_stores = 0;
  const std::uint64_t input_end = call.input() + std::uint64_t{s.h_in} * s.w_in * s.c_in;
  const std::uint64_t im2col_end = call.im2col() + 2 * std::uint64_t{9} * s.c_in * static_cast<std::uint64_t>(s.cores);
  for (const CoreProgram& p : programs_of(call, s.cores)) {
    for (const CoreOp& op : p) {
      if (op.kind == CoreOpKind::Load && op.address >= call.input() && op.address < input_end) {
        EXPECT_EQ(op.bytes, 4);
        ++input_loads;
      }
      if (op.kind == CoreOpKind::Store && op.address >= call.im2col() && op.address < im2col_end) ++im2col_stores;
    }
  }
  EXPECT_EQ(input_loads, 16u * 4 * 2);
  EXPECT_EQ(im2col_stores, 16u * 9 * 2);
}

TEST(MatmulProgram, ACorePastTheEndGetsAnEmptyProgram) {
  MatmulShape rows;  // 2 output rows (HO): cores 2..7 idle
  rows.h_in = 2;
  rows.k = 1;
  rows.pad = 0;
  MatmulShape channels;  // 8 output channels in chunks of 4 (CO): cores 2..7 idle
  channels.c_out = 8;
  channels.parallel = isa::pulp::PARALLEL_CO;
  MatmulShape linear;  // 3 outputs: cores 3..7 idle
  linear.kind = isa::pulp::KERNEL_LINEAR;
  linear.h_in = linear.w_in = 1;
  linear.k = 1;
  linear.pad = 0;
  linear.c_out = 3;
  for (const auto& [shape, busy] : {std::pair{rows, 2}, std::pair{channels, 2}, std::pair{linear, 3}}) {
    SCOPED_TRACE(describe(shape));
    const std::vector<CoreProgram> programs = programs_of(matmul_call(shape), 8);
    for (int core = 0; core < 8; ++core) EXPECT_EQ(programs[core].empty(), core >= busy) << "core " << core;
  }
}

}  // namespace
}  // namespace wb::sim::pulp
