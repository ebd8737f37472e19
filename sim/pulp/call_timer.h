#pragma once
// Times kernel calls on the cores (sim/pulp/core_engine.h), with a cache: calls that are the
// same (kernel, shapes, every operand's place among the L1 banks, cores) and meet the same DMA
// bursts (start cycles from the call's first, place among the banks, bytes; none) take the
// same cycles, so each is simulated once per run and reused. The hit rate is reported
// (SimResult.kernel_calls_reused).

#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "isa/hw_config.h"
#include "isa/pulp.pb.h"
#include "sim/pulp/core_engine.h"

namespace wb::sim::pulp {

class CallTimer {
 public:
  // `stack_tops`: where each core's stack ends (core_stack_top).
  CallTimer(int banks, const CorePipeline& pipeline, std::vector<std::uint32_t> stack_tops)
      : banks_(banks), pipeline_(pipeline), stack_tops_(std::move(stack_tops)) {}

  // The cores' run of `call`, with `dma` (may be null or empty) moving bytes in L1 beside it.
  const CallRun& time(const isa::pulp::KernelCall& call, const DmaL1Traffic* dma);

  std::uint64_t calls() const { return calls_; }
  std::uint64_t cache_hits() const { return hits_; }

 private:
  std::string key_of(const isa::pulp::KernelCall& call) const;
  std::string key_of(const DmaL1Traffic& dma) const;

  int banks_;
  CorePipeline pipeline_;
  std::vector<std::uint32_t> stack_tops_;
  std::unordered_map<std::string, CallRun> cache_;
  std::uint64_t calls_ = 0, hits_ = 0;
};

}  // namespace wb::sim::pulp
