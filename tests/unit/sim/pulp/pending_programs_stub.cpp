// DELETE ON MERGE with wt-kprog: stand-ins for the kernel programs written in another worktree
// (programs_depthwise/elementwise/softmax.cpp), so that this branch's test binary links
// (kernel_programs.cpp's dispatch names them). They throw: no test here calls them.
#include <stdexcept>

#include "sim/pulp/program_families.h"

namespace wb::sim::pulp {

CoreProgram depthwise_program(const isa::pulp::KernelCall&, int, int) { throw std::logic_error("not merged yet"); }
CoreProgram elementwise_program(const isa::pulp::KernelCall&, int, int) { throw std::logic_error("not merged yet"); }
CoreProgram softmax_program(const isa::pulp::KernelCall&, int, int) { throw std::logic_error("not merged yet"); }

}  // namespace wb::sim::pulp
