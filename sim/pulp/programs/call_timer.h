#pragma once
// Times kernel calls on the cores (sim/pulp/cores/core_engine.h), with a cache: calls that are the
// same (kernel, shapes, every operand's place among the L1 banks, cores) and meet the same DMA
// bursts (start cycles from the call's first, place among the banks, bytes; none) take the
// same cycles, so each is simulated once and reused, also by the process's later runs on the
// same banks, pipeline and stacks (the tiler's measurements of candidate tilings, then the
// network with the chosen ones). The hit rate is reported (SimResult.kernel_calls_reused).

#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "isa/hw_config.h"
#include "isa/pulp.pb.h"
#include "sim/pulp/cores/core_engine.h"

namespace wb::sim::pulp {

class CallTimer {
 public:
  // `stack_tops`: where each core's stack ends (core_stack_top).
  CallTimer(int banks, const CorePipeline& pipeline, std::vector<std::uint32_t> stack_tops)
      : banks_(banks), pipeline_(pipeline), stack_tops_(std::move(stack_tops)) {}

  // The cores' run of `call`, with `dma` (may be null or empty) moving bytes in L1 beside it.
  const CallRun& time(const isa::pulp::KernelCall& call, const DmaL1Traffic* dma);

  // Whether its cached runs hold for a cluster of these banks, pipeline and stacks.
  bool serves(int banks, const CorePipeline& pipeline, const std::vector<std::uint32_t>& stack_tops) const {
    return banks == banks_ && pipeline == pipeline_ && stack_tops == stack_tops_;
  }
  // A run starts: its counts from zero (cache_hits() counts the calls met earlier in the same
  // run); the cache kept, unless it has grown past a bound.
  void begin_run();

  std::uint64_t calls() const { return calls_; }
  std::uint64_t cache_hits() const { return hits_; }

 private:
  std::string key_of(const isa::pulp::KernelCall& call) const;
  std::string key_of(const DmaL1Traffic& dma) const;

  int banks_;
  CorePipeline pipeline_;
  std::vector<std::uint32_t> stack_tops_;
  struct Timed {
    CallRun run;
    std::uint64_t last_run = 0;  // the run that last met it
  };
  std::unordered_map<std::string, Timed> cache_;
  std::uint64_t calls_ = 0, hits_ = 0, run_ = 0;
};

}  // namespace wb::sim::pulp
