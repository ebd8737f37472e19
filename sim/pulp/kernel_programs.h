#pragma once
// The instruction streams of the kernels the tile programs call (isa/pulp.proto KernelKind),
// one per core, as PULP-NN's loop nests execute them on a call's real L1 buffers: which core
// gets which rows, pixels or channels (the call's `parallel`, as the functional kernels and
// PULP-NN split them), and per iteration the loads, stores, dot products and ALU work of the
// kernel's inner loop. Timing comes later, from the core engine (sim/pulp/core_engine.h).
//
// The streams do not depend on the data (so `run --no-data` and a data run time the same
// calls), only on the call's fields, its operands' addresses, the core and the core count.

#include "isa/pulp.pb.h"
#include "sim/pulp/core_ops.h"

namespace wb::sim::pulp {

// The program of core `core` (0 .. cores-1) for a well-formed call (kernel_problem(call) ==
// ""); empty when the split leaves that core no work.
CoreProgram kernel_program(const isa::pulp::KernelCall& call, int core, int cores);

}  // namespace wb::sim::pulp
