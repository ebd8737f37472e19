#include "sim/pulp/call_timer.h"

#include <vector>

#include "sim/pulp/kernel_programs.h"

namespace wb::sim::pulp {

std::string CallTimer::key_of(const isa::pulp::KernelCall& call) const {
  // Bank conflicts depend on where each operand starts among the banks, not on its address:
  // every address field is reduced to its offset within one turn of the banks.
  const std::uint64_t turn = 4 * static_cast<std::uint64_t>(banks_);
  isa::pulp::KernelCall shape = call;
  shape.set_input(call.input() % turn);
  shape.set_input_b(call.input_b() % turn);
  shape.set_output(call.output() % turn);
  shape.set_weights(call.weights() % turn);
  shape.set_bias(call.bias() % turn);
  shape.set_im2col(call.im2col() % turn);
  shape.set_accumulator(call.accumulator() % turn);
  // The requantisation's values change no instruction; how many entries it has may.
  auto& requant = *shape.mutable_requant();
  for (auto& v : *requant.mutable_multiplier()) v = 0;
  for (auto& v : *requant.mutable_offset()) v = 0;
  for (auto& v : *requant.mutable_shift()) v = 0;
  requant.set_lo(0);
  requant.set_hi(0);
  for (auto& v : *shape.mutable_input_multiplier()) v = 0;
  std::string key;
  shape.SerializeToString(&key);
  return key;
}

const CallRun& CallTimer::time(const isa::pulp::KernelCall& call, const DmaL1Traffic* dma) {
  ++calls_;
  const bool alone = dma == nullptr || dma->bursts.empty();
  std::string key;
  if (alone) {
    key = key_of(call);
    if (const auto it = cache_.find(key); it != cache_.end()) {
      ++hits_;
      return it->second;
    }
  }
  std::vector<CoreProgram> programs;
  const int cores = static_cast<int>(stack_tops_.size());
  programs.reserve(stack_tops_.size());
  for (int core = 0; core < cores; ++core) {
    programs.push_back(as_called(kernel_program(call, core, cores), stack_tops_[static_cast<std::size_t>(core)]));
  }
  CallRun run = run_call(programs, banks_, pipeline_, alone ? nullptr : dma);
  if (!alone) {
    uncached_ = std::move(run);
    return uncached_;
  }
  return cache_.emplace(std::move(key), std::move(run)).first->second;
}

}  // namespace wb::sim::pulp
