#pragma once
// The PULP cluster's default memory targets (docs/tlm.md): L2 as the cluster DMA reaches it and
// L3 (HyperRAM and flash) as the uDMA reaches it. Each prices one transfer in whole cycles of
// the cluster clock from its shape (TransferShape: the runs the DMA cuts it into), adds that to
// the annotated delay and keeps no state: the DMA engines' own parts (programming a copy, the
// latency before data flows, one channel per direction, the outstanding-transfer limit, the
// queue) stay with the initiator (the cluster's channels, sim/pulp/cores/transfer_channel.h).
//
// Written apart from the compiler's predictor (perf/pulp/cost): the simulator measures with
// code of its own (DESIGN.md §3), and a test holds the two to the same cycles.

#include <cstdint>
#include <optional>

#include "isa/hw_config.h"
#include "sim/common/memory_target.h"

namespace wb::sim::pulp {

// The runs a transfer is priced by, as today's DMA model counts them: every chunk of every row,
// but a single row of several chunks as one run of one chunk. That is perf/pulp/cost's rule,
// kept so that binding the default targets moves no figure; it under-counts such copies (a
// tile of whole pixels narrower than its tensor), to be fixed on both sides at once.
std::uint64_t priced_runs(const TransferShape& shape);

// The L2 port the cluster DMA moves data through, one per direction.
struct L2PortParams {
  std::uint64_t bytes_per_cycle = 8;  // dma_bytes_per_cycle
  std::uint64_t burst_bytes = 256;    // dma_burst_bytes: a run moves as bursts of at most this, a cycle each extra
  sc_core::sc_time clock_period = sc_core::sc_time(1, sc_core::SC_NS);
};
L2PortParams l2_port_params(const PulpParams& hw, sc_core::sc_time clock_period);
// Cycles a transfer holds the port: per run, ceil(chunk_bytes / bytes_per_cycle) + ceil(chunk_bytes / burst_bytes).
std::uint64_t l2_transfer_cycles(const L2PortParams& params, const TransferShape& shape);

// L3 behind the uDMA: every run is a HyperRAM transaction of its own.
struct L3Params {
  double bytes_per_cycle = 1.0;       // l3_bytes_per_cycle
  std::uint64_t access_cycles = 100;  // l3_latency_cycles, per run
  sc_core::sc_time clock_period = sc_core::sc_time(1, sc_core::SC_NS);
};
L3Params l3_params(const PulpParams& hw, sc_core::sc_time clock_period);
// Cycles of a transfer: runs x access_cycles + ceil(bytes / bytes_per_cycle).
std::uint64_t l3_transfer_cycles(const L3Params& params, const TransferShape& shape);

class L2Target final : public MemoryTarget {
 public:
  explicit L2Target(sc_core::sc_module_name name);
  void configure(const L2PortParams& params);  // before each run

 private:
  bool configured() const override { return params_.has_value(); }
  sc_core::sc_time serve(const TransferRequest& request, ChannelOccupancy& occupancy) override;
  std::optional<L2PortParams> params_;
};

class L3Target final : public MemoryTarget {
 public:
  explicit L3Target(sc_core::sc_module_name name);
  void configure(const L3Params& params);  // before each run

 private:
  bool configured() const override { return params_.has_value(); }
  sc_core::sc_time serve(const TransferRequest& request, ChannelOccupancy& occupancy) override;
  std::optional<L3Params> params_;
};

}  // namespace wb::sim::pulp
