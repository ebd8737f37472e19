#include "sim/pulp/kernel_programs.h"

#include <algorithm>
#include <stdexcept>

#include "sim/pulp/program_families.h"
#include "support/math.h"

namespace wb::sim::pulp {

CoreItems core_items(std::uint32_t total, int core, int cores, std::uint32_t multiple) {
  const auto n = static_cast<std::uint32_t>(cores > 0 ? cores : 1);
  const std::uint32_t chunk = align_up(ceil_div(total, n), multiple > 0 ? multiple : 1);
  const std::uint64_t begin = std::uint64_t{chunk} * static_cast<std::uint32_t>(core);
  if (begin >= total) return CoreItems{total, total};
  return CoreItems{static_cast<std::uint32_t>(begin), static_cast<std::uint32_t>(std::min<std::uint64_t>(begin + chunk, total))};
}

CoreProgram kernel_program(const isa::pulp::KernelCall& call, int core, int cores) {
  using namespace isa::pulp;
  switch (call.kind()) {
    case KERNEL_CONV:
    case KERNEL_POINTWISE:
    case KERNEL_GROUPED_CONV: return matmul_program(call, core, cores);
    case KERNEL_LINEAR: return linear_program(call, core, cores);
    case KERNEL_DEPTHWISE: return depthwise_program(call, core, cores);
    case KERNEL_ADD:
    case KERNEL_LUT:
    case KERNEL_MUL:
    case KERNEL_GATHER:
    case KERNEL_MAXPOOL:
    case KERNEL_AVGPOOL: return elementwise_program(call, core, cores);
    case KERNEL_SOFTMAX: return softmax_program(call, core, cores);
    default: break;
  }
  throw std::logic_error("kernel_program: a kernel kind without a program (kernel_problem admits it)");
}

}  // namespace wb::sim::pulp
