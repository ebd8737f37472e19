#pragma once
// The SystemC modules of the cluster: the fabric controller thread that walks the tile
// program in the order isa/pulp.proto's Step defines, programming the cluster DMA's two
// channels and the uDMA (sim/pulp/cores/transfer_channel.h); one thread per core that a kernel call
// forks, and the event-unit barrier that joins them. A call's cycles are its cores' programs
// run against the banked L1 with the DMA's bursts beside them (sim/pulp/programs/call_timer.h).
// Elaborated once per process; each run hands it a RunState. The cluster DMA reaches L2, and
// the uDMA L3, through a TLM initiator socket each (docs/tlm.md): the memory side of every
// transfer's time is the bound target's.

#define SC_INCLUDE_DYNAMIC_PROCESSES
#include <systemc>

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "isa/hw_config.h"
#include "sim/common/backing_store.h"
#include "support/progress.h"
#include "isa/pulp.pb.h"
#include "sim/common/memory_initiator.h"
#include "sim/pulp/programs/call_timer.h"
#include "sim/pulp/programs/dory_tile_loop.h"
#include "sim/pulp/pulp_sim.h"
#include "sim/pulp/cores/transfer_channel.h"

namespace wb::sim::pulp {

inline constexpr int kMaxCores = 16;

// One transfer or kernel call, for the trace.
struct TraceEvent {
  int track = 0;  // 0..cores-1: cores; kMaxCores + Track: DMA in, DMA out, uDMA
  std::uint64_t start = 0, end = 0;
  std::size_t layer = 0, step = 0;
  const char* what = "";  // the operation: the kernel's kind, or "load" / "store"
  std::uint64_t bytes = 0;                 // a transfer's
  const char* src = "", * dst = "";        // a transfer's memories: "L1", "L2", "L3"
};

struct Memories {
  BackingStore l1, l2, l3;
  BackingStore& of(isa::pulp::Memory m) {
    return m == isa::pulp::MEMORY_L1 ? l1 : m == isa::pulp::MEMORY_L2 ? l2 : l3;
  }
};

struct RunState {
  const isa::pulp::Network* network = nullptr;
  ProgressPhase* progress = nullptr;  // stepped once per layer
  const PulpParams* hw = nullptr;
  sc_core::sc_time period;  // of the cluster clock
  Memories memories;
  bool data = true;
  bool capture = false;
  bool trace = false;
  std::vector<LayerStats> layers;
  std::vector<TraceEvent> events;
  std::map<std::string, IntTensor> layer_outputs;
  std::uint64_t total_cycles = 0, dma_busy_cycles = 0, l3_busy_cycles = 0;
  std::uint64_t kernel_calls = 0, kernel_calls_reused = 0;
  // A kernel's run-time data error (a GATHER index out of range), naming the layer and step.
  // The run stops after that layer and simulate() raises it as a UserError: thrown inside the
  // fabric controller's thread, SystemC would end the thread and rethrow it as its own report.
  std::string error;
};

class Cluster : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(Cluster);
  explicit Cluster(sc_core::sc_module_name name);

  // Runs `state` to completion.
  void run(RunState& state);
  // Bound to the L2 and L3 models when the cluster elaborates.
  tlm::tlm_initiator_socket<>& l2_socket() { return dma_port_.socket; }
  tlm::tlm_initiator_socket<>& l3_socket() { return udma_port_.socket; }

 private:
  class LayerWalk;
  struct Carried;
  void fabric_controller();
  void core_thread(int core);
  std::uint64_t now() const;
  void wait_until(std::uint64_t cycle);
  // Forks the call's work to the cores and joins them at the barrier: on return now() is
  // the call's end. Its cycles and causes go to the layer's stats.
  // `cores_running`: the cores run DORY's layer loop, so nothing forks them (no wake-up).
  void compute(const isa::pulp::KernelCall& call, std::size_t layer, std::size_t step, bool cores_running);
  // The cores' run of one stretch of DORY's layer loop, simulated once per run for each
  // (stretch, code, transfers per core) and reused: the stretch touches only the cores' stacks.
  const CallRun& tile_loop_run(DoryStretch stretch, bool depthwise, const std::vector<std::uint32_t>& transfers);
  void move(const isa::pulp::DmaCopy& copy);
  // Token `t`'s id of a row gather, from L1 (0 in a run without data: no ids are known).
  std::uint32_t token_id(const isa::pulp::RowGather& gather, std::uint32_t t) const;
  // A copy was issued on trace track `track` (it moves from start, lands at end): its bytes
  // move now (the waits keep every reader after it) and the trace records it.
  void transferred(const isa::pulp::DmaCopy& copy, int track, std::uint64_t start, std::uint64_t end,
                   std::size_t layer, std::size_t step);
  // The cycles the L2 (cluster DMA) or L3 (uDMA) model gives a copy that its channel starts at `start`.
  std::uint64_t memory_cycles(const isa::pulp::DmaCopy& copy, bool udma, std::uint64_t start, std::size_t layer);

  // The run's channels: the cluster DMA's two directions and the uDMA.
  TransferChannel dma_in_, dma_out_, udma_;
  std::unique_ptr<CallTimer> timer_;
  std::vector<std::uint32_t> stack_tops_;
  CorePipeline pipeline_;
  std::map<std::tuple<int, bool, std::vector<std::uint32_t>>, CallRun> tile_loop_runs_;
  RunState* state_ = nullptr;
  bool done_ = true;  // the current run has finished
  sc_core::sc_time period_;
  sc_core::sc_time start_;
  sc_core::sc_event start_event_;
  std::array<sc_core::sc_event, kMaxCores> go_;
  std::array<std::uint64_t, kMaxCores> work_{};
  int active_cores_ = 0;
  int arrived_ = 0;
  // For the watchdog (sim/common/watchdog.h): where the fabric controller is.
  std::size_t current_layer_ = 0;
  bool at_barrier_ = false;
  std::array<bool, kMaxCores> core_running_{};
  void check_finished() const;  // throws SimulationStalled when the run ended early
  sc_core::sc_event barrier_;
  MemoryInitiator dma_port_, udma_port_;
};

}  // namespace wb::sim::pulp
