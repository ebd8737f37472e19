#pragma once
// The host model's layers (isa/xdnn.proto, HostElementwise: lookup tables, products, softmaxes,
// resizes, layer norms, embeddings, attention's products): their checks before a run and their
// integer arithmetic over tensors read from and written to DDR. kernels.h dispatches to them.

#include <string>

#include "isa/xdnn.pb.h"
#include "sim/xdnn/memory.h"

namespace wb::sim::xdnn {

// "" when the host layer's kind, operands, tables and parameters are well formed and its
// regions lie in DDR inside `m`, else what is wrong.
std::string host_elementwise_problem(const isa::xdnn::HostElementwise& h, const MemorySizes& m);

// Runs the host layer: reads its operands from DDR, writes its output there.
void run_host_elementwise(const isa::xdnn::HostElementwise& h, Memories& m);

}  // namespace wb::sim::xdnn
