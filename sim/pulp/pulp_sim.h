#pragma once
// The SystemC model of a PULP cluster (DESIGN.md §5, docs/pulp.md): a fabric controller that
// runs the layer loop of a tile program; `cores` cluster cores as SC_THREADs that a kernel
// call forks and an event-unit barrier joins; the cluster DMA with one channel per direction,
// bursts, latency, a limit of outstanding transfers and TCDM bank contention with the cores;
// the uDMA between L3 (HyperRAM + flash) and L2. The cores execute their kernels' instruction
// streams against the banked L1 (sim/pulp/cores/core_engine.h), the DMA's bursts among them; the
// memory side of each transfer is a TLM-2.0 target (docs/tlm.md), by default
// sim/pulp/memory_targets, or a model the user binds with bind_l2_model() / bind_l3_model().
// None of it is the compiler's predictor (perf/pulp): the simulator measures what the
// predictor predicts, and the report shows both.
// Memories are byte arrays the copies and kernels really read and write (HWC tiles); outputs
// are read back from them.
//
// This code shares no arithmetic with compiler/golden: bit-exactness against it means
// something.

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "isa/hw_config.h"
#include "sim/common/memory_target.h"
#include "sim/common/sim_types.h"
#include "isa/pulp.pb.h"

namespace wb::sim::pulp {

using wb::sim::IntTensor;
using wb::sim::SimOptions;

struct LayerStats {
  std::string name, type;
  std::uint64_t macs = 0, ops = 0;
  std::uint64_t cycles = 0;  // end - start; layers run back to back, so they sum to the total
  std::uint64_t start_cycle = 0, end_cycle = 0;
  std::uint64_t compute_cycles = 0;   // kernel calls, barrier and DMA contention included
  // compute_cycles cut into causes (they add up to it): the slowest core's own work (its
  // instructions and pipeline stalls), its cycles lost at the TCDM banks (to other cores and
  // to the DMA), the dispatch and wake-up, the barrier, and in DORY's layer loop the cores
  // running its own code (sim/pulp/programs/dory_tile_loop.h).
  std::uint64_t core_cycles = 0, conflict_cycles = 0, dispatch_cycles = 0, barrier_cycles = 0;
  std::uint64_t tile_loop_cycles = 0;
  // The conflicts, counted per call over every core: cycles cores lost a bank to another core,
  // and to the cluster DMA.
  std::uint64_t bank_conflict_cycles = 0, dma_conflict_cycles = 0;
  std::uint64_t dma_issue_cycles = 0;  // programming cluster-DMA copies
  std::uint64_t dma_wait_cycles = 0;  // the cluster waiting for L2 <-> L1 copies
  std::uint64_t l3_cycles = 0;        // the cluster waiting for the uDMA (L3 loads, stores, weight prefetch)
  std::uint64_t l1_bytes_in = 0, l1_bytes_out = 0;  // cluster DMA
  std::uint64_t l3_bytes_in = 0, l3_bytes_out = 0;  // uDMA
  // What the energy model charges (perf/energy), counted as the cores and channels ran: the
  // cores' instructions, the int8 MACs of their SIMD dot products (4 per pv.sdotsp.b), their
  // TCDM accesses (loads and stores; a misaligned one twice), and of the uDMA's bytes those
  // that came from or went to L3's flash (the rest: its HyperRAM).
  std::uint64_t core_instructions = 0, core_simd_macs = 0, l1_core_accesses = 0;
  std::uint64_t l3_flash_bytes = 0;
  std::uint64_t tiles = 0;
  // Its bounds (docs/report.md "Bounds"): its calls' core work spread evenly over every core,
  // and per channel the cycles and bytes of its own transfers within [start, end).
  struct ChannelShare {
    std::uint64_t cycles = 0, bytes = 0;
  };
  std::uint64_t compute_bound_cycles = 0;
  ChannelShare dma_in_bound, dma_out_bound, udma_bound;
  std::vector<std::uint64_t> core_busy_cycles;  // per core
  std::vector<std::uint64_t> core_calls;        // per core, the kernel calls that gave it work
};

struct SimResult {
  std::uint64_t total_cycles = 0;
  double clock_mhz = 0;
  std::vector<LayerStats> layers;  // in Network.layers order
  std::vector<IntTensor> outputs;  // Network.outputs (empty with data = false)
  std::map<std::string, IntTensor> layer_outputs;  // by Layer.output, with capture_layer_outputs
  std::uint64_t dma_busy_cycles = 0, l3_busy_cycles = 0;
  // Kernel calls timed on the cores, and those taken from the cache of identical calls.
  std::uint64_t kernel_calls = 0, kernel_calls_reused = 0;
};

// The checks simulate() makes before it runs anything, without allocating the memories: every
// copy and kernel call inside its memories and its bounds, the inputs', outputs' and layer
// outputs' tensors inside theirs. UserError naming the layer, step and field.
void validate_network(const isa::pulp::Network& network, const HwConfig& config);

// Bind `factory`'s target to the cluster DMA's L2 socket or the uDMA's L3 socket instead of the
// default (docs/tlm.md, "Binding another model"); the cluster calls it for each transfer's
// cycles when it issues it, so the model must annotate the delay and not wait(). The cluster
// elaborates, and binds, at the first simulate() of the process: std::logic_error after that.
void bind_l2_model(MemoryModelFactory factory);
void bind_l3_model(MemoryModelFactory factory);

// Builds the cluster's SystemC modules now, unless they exist or a memory model is bound (its
// factory takes the first run's config; the modules are then built by that run). SystemC
// elaborates once per process, before its first simulation: a process that runs both targets
// (the Python module) builds both simulators' modules before either runs.
void elaborate_ahead();

// Runs a tile program. The caller checks it was compiled for `config`
// (isa::pulp::check_network_matches). A copy outside its memory or a malformed kernel call is
// a UserError naming the layer, the step and the copy or call, raised before the run; so is bad
// data a kernel finds as it runs (a gather index not below c_in). Can be called many times per
// process: the SystemC modules are elaborated once (for up to 16 cores).
SimResult simulate(const isa::pulp::Network& network, const HwConfig& config, const std::vector<IntTensor>& inputs,
                   const SimOptions& options);

}  // namespace wb::sim::pulp
