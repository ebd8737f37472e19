// Stands in for sim/pulp/programs_matmul.cpp (written in wt-engine) so that this branch's test
// binary links: kernel_programs.cpp's dispatch names the matmul family. Delete it at the merge.
#include <stdexcept>

#include "sim/pulp/program_families.h"

namespace wb::sim::pulp {

CoreProgram matmul_program(const isa::pulp::KernelCall&, int, int) {
  throw std::logic_error("matmul_program: not in this branch (programs_matmul.cpp, wt-engine)");
}
CoreProgram linear_program(const isa::pulp::KernelCall&, int, int) {
  throw std::logic_error("linear_program: not in this branch (programs_matmul.cpp, wt-engine)");
}

}  // namespace wb::sim::pulp
