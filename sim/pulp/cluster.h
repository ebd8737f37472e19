#pragma once
// The SystemC modules of the cluster: the fabric controller thread that walks the tile
// program, one thread per core, the event-unit barrier, and the DMA channels (a channel is a
// resource with a free-at time and its in-flight transfers; a transfer is one transaction).
// Elaborated once per process; each run hands it a RunState.

#define SC_INCLUDE_DYNAMIC_PROCESSES
#include <systemc>

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "isa/hw_config.h"
#include "isa/pulp.pb.h"
#include "isa/pulp_cost.h"
#include "sim/pulp/pulp_sim.h"

namespace wb::sim::pulp {

inline constexpr int kMaxCores = 16;

// One transfer or kernel call, for the trace.
struct TraceEvent {
  int track = 0;  // 0..cores-1: cores; kMaxCores: DMA in; +1: DMA out; +2: uDMA
  std::uint64_t start = 0, end = 0;
  std::size_t layer = 0, step = 0;
  const char* what = "";
};

struct Memories {
  std::vector<std::uint8_t> l1, l2, l3;
  std::vector<std::uint8_t>& of(isa::pulp::Memory m) {
    return m == isa::pulp::MEMORY_L1 ? l1 : m == isa::pulp::MEMORY_L2 ? l2 : l3;
  }
};

struct RunState {
  const isa::pulp::Network* network = nullptr;
  const PulpParams* hw = nullptr;
  Memories memories;
  bool data = true;
  bool capture = false;
  bool trace = false;
  std::vector<LayerStats> layers;
  std::vector<TraceEvent> events;
  std::map<std::string, IntTensor> layer_outputs;
  std::uint64_t total_cycles = 0, dma_busy_cycles = 0, l3_busy_cycles = 0;
};

// A DMA channel: transfers start when the channel is free and fewer than `outstanding` are
// in flight; each holds the channel for its busy cycles and completes `latency` later.
class DmaChannel {
 public:
  void reset(int outstanding);
  // Start time of a transfer issued at `now` (waits for a free slot) and its completion.
  std::pair<std::uint64_t, std::uint64_t> schedule(std::uint64_t now, std::uint64_t busy, std::uint64_t latency);
  std::uint64_t last_completion() const { return last_completion_; }
  // Cycles the channel moves data within [begin, end).
  std::uint64_t busy_within(std::uint64_t begin, std::uint64_t end) const;

 private:
  int outstanding_ = 1;
  std::uint64_t free_at_ = 0, last_completion_ = 0;
  std::deque<std::uint64_t> completions_;                       // of transfers in flight, ascending
  std::deque<std::pair<std::uint64_t, std::uint64_t>> busy_;    // recent busy intervals
};

class Cluster : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(Cluster);
  explicit Cluster(sc_core::sc_module_name name);

  // Runs `state` to completion.
  void run(RunState& state);

 private:
  void fabric_controller();
  void core_thread(int core);
  void run_layer(std::size_t index);
  std::uint64_t now() const;
  void wait_until(std::uint64_t cycle);
  // Issues cluster-DMA copies (the controller programs each), returns their last completion.
  std::uint64_t issue(const google::protobuf::RepeatedPtrField<isa::pulp::DmaCopy>& copies, DmaChannel& channel,
                      std::size_t layer, std::size_t step, int track, bool to_l1);
  std::uint64_t l3_copies(const google::protobuf::RepeatedPtrField<isa::pulp::DmaCopy>& copies, std::size_t layer,
                          std::size_t step, bool blocking, bool into_l2);
  void compute(const isa::pulp::KernelCall& call, std::size_t layer, std::size_t step);
  void move(const isa::pulp::DmaCopy& copy);

  RunState* state_ = nullptr;
  bool done_ = true;  // the current run has finished
  sc_core::sc_time period_;
  sc_core::sc_time start_;
  sc_core::sc_event start_event_;
  std::array<sc_core::sc_event, kMaxCores> go_;
  std::array<std::uint64_t, kMaxCores> work_{};
  int active_cores_ = 0;
  int arrived_ = 0;
  sc_core::sc_event barrier_;
  DmaChannel dma_in_, dma_out_, udma_;
  std::uint64_t udma_prefetch_done_ = 0;
};

}  // namespace wb::sim::pulp
