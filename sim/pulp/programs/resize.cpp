// RESIZE's per-core program (sim/pulp/programs/kernel_programs.h), our kernel in PULP-NN's style: chunks
// of ceil(h_out / cores) output rows; per row its table entry and the two input rows' pointers,
// per pixel its column entry and the two columns' offsets, per channel four byte loads, the six
// multiplies of the bilinear sum, the rounding and the store. Scalar: the Q8 weights are 9 bits
// (256 is 1), beyond the 8-bit SIMD dot products.
//
// The taps are data (the tables arrive by DMA) and a program may not depend on data: the loads
// read the rows and columns a uniform scale would, min(o * in / out, in - 1) and the one after
// it. Only the banks those loads meet can differ from the real taps'; the counts are exact.
#include <algorithm>
#include <cstdint>

#include "sim/pulp/programs/families.h"

namespace wb::sim::pulp {

namespace {

using isa::pulp::KernelCall;

std::uint32_t u32(std::uint64_t v) { return static_cast<std::uint32_t>(v); }

constexpr std::uint64_t kEntryBytes = 8;  // 4 uint16: first, second, weight, 0

struct Taps {
  std::uint32_t first = 0, second = 0;
};

Taps uniform_taps(std::uint32_t out, std::uint32_t outputs, std::uint32_t inputs) {
  const auto first = static_cast<std::uint32_t>(std::min<std::uint64_t>(std::uint64_t{out} * inputs / outputs, inputs - 1));
  return Taps{first, std::min(first + 1, inputs - 1)};
}

// The entry's first two uint16 as one lw, its weight as an lhu.
void entry_loads(std::uint64_t entry_address, CoreProgramBuilder& b) {
  b.load(u32(entry_address), 4);
  b.load(u32(entry_address + 4), 2);
}

void resize_row(const KernelCall& c, std::uint32_t oy, CoreProgramBuilder& b) {
  const std::uint64_t channels = c.c_out(), row_bytes = std::uint64_t{c.w_in()} * channels;
  entry_loads(c.weights() + kEntryBytes * (std::uint64_t{c.resize_row0()} + oy), b);
  // The two rows less the tile's first (2 sub), times the row pitch (2 mul), plus the input base
  // (2 add), 256 - wr (sub), the output row's pointer (add); the column loop's lp.setup.
  b.alu(8);
  b.loop_setup();
  const Taps rows = uniform_taps(oy, c.h_out(), c.h_in());
  const std::uint64_t column_table = c.weights() + kEntryBytes * c.resize_table_rows();
  for (std::uint32_t ox = 0; ox < c.w_out(); ++ox) {
    entry_loads(column_table + kEntryBytes * (std::uint64_t{c.resize_col0()} + ox), b);
    // The two columns less the tile's first (2 sub), times the channels (2 mul), 256 - wc (sub);
    // the channel loop's lp.setup.
    b.alu(5);
    b.loop_setup();
    const Taps cols = uniform_taps(ox, c.w_out(), c.w_in());
    const std::uint64_t x00 = c.input() + rows.first * row_bytes + cols.first * channels;
    const std::uint64_t x01 = c.input() + rows.first * row_bytes + cols.second * channels;
    const std::uint64_t x10 = c.input() + rows.second * row_bytes + cols.first * channels;
    const std::uint64_t x11 = c.input() + rows.second * row_bytes + cols.second * channels;
    const std::uint64_t y = c.output() + (std::uint64_t{oy} * c.w_out() + ox) * channels;
    for (std::uint64_t ch = 0; ch < channels; ++ch) {
      // Four lb/lbu (post-increment), issued before the products that read them: no stall.
      for (const std::uint64_t x : {x00, x01, x10, x11}) b.load(u32(x + ch), 1);
      // mul, p.mac (the upper row), mul, p.mac (the lower), mul, p.mac (the rows), the
      // rounding's add and srai; sb (post-increment).
      b.alu(8);
      b.store(u32(y + ch), 1);
    }
  }
}

}  // namespace

CoreProgram resize_program(const KernelCall& call, int core, int cores) {
  CoreProgram program;
  const CoreItems rows = core_items(call.h_out(), core, cores);
  if (rows.count() == 0) return program;
  CoreProgramBuilder b(program);
  for (std::uint32_t oy = rows.begin; oy < rows.end; ++oy) resize_row(call, oy, b);
  return program;
}

}  // namespace wb::sim::pulp
