#pragma once
// The instruction streams of the kernels the tile programs call (isa/pulp.proto KernelKind),
// one per core, as PULP-NN's loop nests execute them on a call's real L1 buffers: which core
// gets which rows, pixels or channels (the call's `parallel`, as the functional kernels and
// PULP-NN split them), and per iteration the loads, stores, dot products and ALU work of the
// kernel's inner loop. Timing comes later, from the core engine (sim/pulp/cores/core_engine.h).
//
// The streams do not depend on the data (so `run --no-data` and a data run time the same
// calls), only on the call's fields, its operands' addresses, the core and the core count.

#include <cstdint>

#include "isa/pulp.pb.h"
#include "sim/pulp/cores/core_ops.h"

namespace wb::sim::pulp {

// The loops of core `core` (0 .. cores-1) for a well-formed call (kernel_problem(call) == "");
// empty when the split leaves that core no work.
CoreProgram kernel_program(const isa::pulp::KernelCall& call, int core, int cores);

// The kernel's loops as the core runs them when called: its entry (its arguments and saved
// registers on the core's stack, which ends at `stack_top`), the loops, its exit. A core
// without loops wakes, finds no rows or channels of its own and goes to the barrier: empty.
CoreProgram as_called(const CoreProgram& loops, std::uint32_t stack_top);

// Where each core's stack ends: the cores' stacks share the L1 above the tile budget
// (l1_tile_budget_bytes .. l1_bytes), core 0's at the top.
std::uint32_t core_stack_top(std::int64_t l1_bytes, std::int64_t l1_tile_budget_bytes, int core, int cores);

}  // namespace wb::sim::pulp
