// RESIZE's per-core programs (sim/pulp/programs/resize.cpp): its loads and stores inside its
// buffers, every output byte stored once by the cores together, and its op counts against a
// hand count of the loop nest.
#include <gtest/gtest.h>

#include <cstdint>

#include "tests/unit/sim/pulp/programs/programs_testing.h"

namespace wb::sim::pulp {
namespace {

using isa::pulp::KernelCall;
using namespace programs_testing;

struct ResizeCall {
  KernelCall call;
  Buffer input, tables, output;
};

// A 2x upsampling tile: 3 x 4 x 5 input to 6 x 8 x 5, its entries 6 and 8 of tables of 10 and 12.
ResizeCall resize_call() {
  ResizeCall r;
  KernelCall& c = r.call;
  c.set_kind(isa::pulp::KERNEL_RESIZE);
  c.set_parallel(isa::pulp::PARALLEL_HO);
  set_window(c, 3, 4, 5, 5, 1, 1, 0);
  c.set_h_out(6);
  c.set_w_out(8);
  c.set_resize_row0(2);
  c.set_resize_col0(4);
  c.set_resize_input_row0(1);
  c.set_resize_input_col0(2);
  c.set_resize_table_rows(10);
  c.set_resize_table_cols(12);
  Layout layout;
  const auto buffer = [&](const char* name, std::uint64_t bytes) {
    const std::uint64_t at = layout.place(bytes);
    return Buffer{name, at, at + bytes};
  };
  r.input = buffer("input", 3 * 4 * 5);
  r.tables = buffer("tables", 8 * (10 + 12));
  r.output = buffer("output", 6 * 8 * 5);
  c.set_input(r.input.begin);
  c.set_weights(r.tables.begin);
  c.set_output(r.output.begin);
  return r;
}

TEST(ResizePrograms, EveryAccessLiesInsideItsBufferAndEveryOutputIsStoredOnce) {
  const ResizeCall r = resize_call();
  expect_well_formed(r.call);
  for (const int cores : {1, 4, 8}) {
    for (int core = 0; core < cores; ++core) {
      EXPECT_EQ(stray_access(kernel_program(r.call, core, cores), {r.input, r.tables}, {r.output}), "")
          << cores << " cores, core " << core;
    }
    expect_each_output_stored_once(programs_of(r.call, cores), r.output, std::to_string(cores) + " cores");
  }
}

// Core 0 of 4 has output rows 0 and 1 (chunks of ceil(6 / 4) = 2). Per row: the row entry (lw,
// lhu), 8 Alu, the column loop's lp.setup; per pixel (8): the column entry (2 loads), 5 Alu,
// lp.setup; per element (5 channels): 4 byte loads, 8 Alu, 1 sb. No load feeds the next op.
TEST(ResizePrograms, CountsFollowTheLoopNest) {
  const ResizeCall r = resize_call();
  const OpCounts n = count_ops(kernel_program(r.call, 0, 4));
  const std::uint64_t rows = 2, pixels = rows * 8, elements = pixels * 5;
  EXPECT_EQ(n.loads, rows * 2 + pixels * 2 + elements * 4);
  EXPECT_EQ(n.stores, elements);
  EXPECT_EQ(n.load_use, 0u);
  EXPECT_EQ(n.ops, rows * (2 + 8 + 1) + pixels * (2 + 5 + 1) + elements * (4 + 8 + 1));
  EXPECT_EQ(n.dot_products, 0u);
  EXPECT_TRUE(kernel_program(r.call, 3, 4).empty());  // rows 6..: none
}

}  // namespace
}  // namespace wb::sim::pulp
