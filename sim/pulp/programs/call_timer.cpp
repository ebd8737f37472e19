#include "sim/pulp/programs/call_timer.h"

#include <vector>

#include "sim/pulp/programs/kernel_programs.h"

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

std::string CallTimer::key_of(const DmaL1Traffic& dma) const {
  // The DMA meets the cores by when each burst starts (from the call's first cycle), where it
  // starts among the banks and how long it is: a call of the next tile, whose prefetch was
  // issued the same way, meets the same bursts.
  const std::uint64_t turn = 4 * static_cast<std::uint64_t>(banks_);
  std::string key;
  key.reserve(dma.bursts.size() * 20 + 4);
  const auto put = [&](std::uint64_t v) { key.append(reinterpret_cast<const char*>(&v), sizeof v); };
  put(static_cast<std::uint64_t>(dma.bytes_per_cycle));
  for (const DmaBurst& b : dma.bursts) {
    put(b.start_cycle);
    put(b.l1_address % turn);
    put(b.bytes);
  }
  return key;
}

void CallTimer::begin_run() {
  // A long-lived process (the Python module, a sweep worker) runs many networks: past this
  // many distinct calls the cache starts again rather than grow without end.
  constexpr std::size_t kMaxCachedCalls = 50'000;
  if (cache_.size() > kMaxCachedCalls) cache_.clear();
  calls_ = 0;
  hits_ = 0;
  ++run_;
}

const CallRun& CallTimer::time(const isa::pulp::KernelCall& call, const DmaL1Traffic* dma) {
  ++calls_;
  std::string key = key_of(call);
  if (dma != nullptr && !dma->bursts.empty()) key += key_of(*dma);
  if (const auto it = cache_.find(key); it != cache_.end()) {
    // Reused within this run: a call first met in this run counts as timed, as in a fresh
    // process, so the report does not depend on what the process ran before.
    if (it->second.last_run == run_) {
      ++hits_;
    } else {
      it->second.last_run = run_;
    }
    return it->second.run;
  }
  std::vector<CoreProgram> programs;
  const int cores = static_cast<int>(stack_tops_.size());
  programs.reserve(stack_tops_.size());
  for (int core = 0; core < cores; ++core) {
    programs.push_back(as_called(kernel_program(call, core, cores), stack_tops_[static_cast<std::size_t>(core)]));
  }
  return cache_.emplace(std::move(key), Timed{run_call(programs, banks_, pipeline_, dma), run_}).first->second.run;
}

}  // namespace wb::sim::pulp
