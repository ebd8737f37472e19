#pragma once
// The kernel programs by family (sim/pulp/programs/kernel_programs.h), each in its own file, and the
// split of a call's work among the cores that they share. Internal to sim/pulp.

#include <cstdint>

#include "isa/pulp.pb.h"
#include "sim/pulp/cores/core_ops.h"

namespace wb::sim::pulp {

// Items [begin, end) of core `core` when `total` items go to `cores` cores in chunks of
// ceil(total / cores) rounded up to a multiple of `multiple`, in core order (PULP-NN's split:
// rows and channels with multiple 1, pixels of the HOWO variant with 2, output channels of the
// CO variant with 4). Empty (begin == end) for a core past the end.
struct CoreItems {
  std::uint32_t begin = 0, end = 0;
  std::uint32_t count() const { return end - begin; }
};
CoreItems core_items(std::uint32_t total, int core, int cores, std::uint32_t multiple = 1);

// programs_matmul.cpp: CONV, POINTWISE, GROUPED_CONV (im2col + 4x2 matmul), LINEAR, MATMUL.
CoreProgram matmul_program(const isa::pulp::KernelCall& call, int core, int cores);
CoreProgram linear_program(const isa::pulp::KernelCall& call, int core, int cores);
// MATMUL: with matmul_b_by_rows each core's rows of b's transpose and a barrier, then its rows
// of a in pairs, each the 4x2 matmul over b's c_out rows.
CoreProgram product_program(const isa::pulp::KernelCall& call, int core, int cores);
// programs_depthwise.cpp: DEPTHWISE, the window kernel and the plane kernel (depthwise_plane).
CoreProgram depthwise_program(const isa::pulp::KernelCall& call, int core, int cores);
// programs_elementwise.cpp: ADD, LUT, MUL, GATHER, MAXPOOL, AVGPOOL.
CoreProgram elementwise_program(const isa::pulp::KernelCall& call, int core, int cores);
// programs_softmax.cpp: SOFTMAX.
CoreProgram softmax_program(const isa::pulp::KernelCall& call, int core, int cores);
// programs_resize.cpp: RESIZE.
CoreProgram resize_program(const isa::pulp::KernelCall& call, int core, int cores);
// programs_layernorm.cpp: LAYERNORM.
CoreProgram layernorm_program(const isa::pulp::KernelCall& call, int core, int cores);

}  // namespace wb::sim::pulp
