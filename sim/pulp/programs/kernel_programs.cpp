#include "sim/pulp/programs/kernel_programs.h"

#include <algorithm>
#include <stdexcept>

#include "sim/pulp/programs/families.h"
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
    case KERNEL_RESIZE: return resize_program(call, core, cores);
    case KERNEL_LAYERNORM: return layernorm_program(call, core, cores);
    case KERNEL_MATMUL: return product_program(call, core, cores);
    default: break;
  }
  throw std::logic_error("kernel_program: a kernel kind without a program (kernel_problem admits it)");
}

namespace {

// PULP-NN's kernels take up to 22 arguments: 8 arrive in registers (a0-a7), the rest the core
// loads from the caller's frame; the kernel saves the 12 callee-saved registers (s0-s11) its
// loops use and restores them before it returns. Between, PULP-NN's split: the core id
// (csrr), the chunk (shift, and, sltu, add: ceil(n / cores) with cores a power of two), start
// and stop (mul, 2 x p.min), the core's im2col base (mul, add). Counted from
// pulp_nn_conv_Ho_parallel's prologue; the other kernels' are alike.
constexpr std::uint32_t kStackArguments = 10;
constexpr std::uint32_t kSavedRegisters = 12;
constexpr std::uint32_t kSplitInstructions = 10;

void entry(CoreProgramBuilder& b, std::uint32_t stack_top) {
  const std::uint32_t frame = stack_top - 4 * kSavedRegisters;
  for (std::uint32_t r = 0; r < kSavedRegisters; ++r) b.store(frame + 4 * r, 4);
  for (std::uint32_t a = 0; a < kStackArguments; ++a) b.load(stack_top + 4 * a, 4);
  b.alu(kSplitInstructions);
}

void exit(CoreProgramBuilder& b, std::uint32_t stack_top) {
  const std::uint32_t frame = stack_top - 4 * kSavedRegisters;
  for (std::uint32_t r = 0; r < kSavedRegisters; ++r) b.load(frame + 4 * r, 4);
  b.branch();  // ret
}

}  // namespace

CoreProgram as_called(const CoreProgram& loops, std::uint32_t stack_top) {
  if (loops.empty()) return loops;
  CoreProgram program;
  program.reserve(loops.size() + 2 * kSavedRegisters + kStackArguments + kSplitInstructions + 1);
  CoreProgramBuilder b(program);
  entry(b, stack_top);
  program.insert(program.end(), loops.begin(), loops.end());
  exit(b, stack_top);
  return program;
}

std::uint32_t core_stack_top(std::int64_t l1_bytes, std::int64_t l1_tile_budget_bytes, int core, int cores) {
  const std::int64_t stacks = std::max<std::int64_t>(l1_bytes - l1_tile_budget_bytes, 0);
  const std::int64_t each = stacks / std::max(cores, 1) / 4 * 4;
  // The caller's frame (the stack arguments) lies above the top: keep it inside L1.
  const std::int64_t top = l1_bytes - each * core - 4 * kStackArguments;
  return static_cast<std::uint32_t>(std::max<std::int64_t>(top, 0));
}

}  // namespace wb::sim::pulp
