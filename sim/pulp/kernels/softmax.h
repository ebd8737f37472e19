#pragma once
// KERNEL_SOFTMAX's functional kernel (isa/pulp.proto): per pixel over its c_out channels,
// m = max x, e[c] = table[x[c] - m + 255], y[c] = min(255, (e[c] * 256 + sum / 2) / sum), and
// under Swin's region labels (KernelCall.softmax_label_*) only the keys of each query's region,
// written from that contract (the simulator does not call the compiler; tests check it by hand
// and against compiler/golden's run_softmax). Apart from sim/pulp/kernels/kernels.cpp, which dispatches
// and checks the operands against L1.

#include <cstdint>
#include <span>
#include <string>

#include "isa/pulp.pb.h"

namespace wb::sim::pulp {

// The bytes the call's table takes at `weights`: the 1 KiB exp table, then W L region labels.
std::uint64_t softmax_table_bytes(const isa::pulp::KernelCall& call);

// "" or what the call's fields get wrong for a softmax: a signed output, a parallel other than
// HO, more than 65535 channels, region labels whose shape is not rows of one window's keys
// inside the layer's W h L rows.
std::string softmax_call_problem(const isa::pulp::KernelCall& call);

// Runs a well-formed softmax call on the L1 bytes; UserError for an exp table the quantizer
// cannot write (it arrives by DMA, so it is checked as the call runs).
void run_softmax_kernel(const isa::pulp::KernelCall& call, std::span<std::uint8_t> l1);

}  // namespace wb::sim::pulp
