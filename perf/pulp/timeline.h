#pragma once
// The order and timing of one layer of a PULP tile program: when each DMA transfer starts and
// completes on its channel, when the cluster waits, when each kernel call may start. Written
// once, against a clock the caller provides: sim/pulp's SystemC cluster runs it with real
// waits and its core threads doing the compute, and compiler/pulp's tiler runs it on a plain
// counter to time candidate tilings. So the tiler's figure for a layer is the simulator's.

#include <cstdint>
#include <deque>
#include <utility>
#include <vector>

#include "isa/hw_config.h"
#include "isa/pulp.pb.h"
#include "perf/pulp/cost.h"

namespace wb::perf::pulp {

using isa::pulp::Layer;

// A DMA channel: a transfer starts when the channel is free and fewer than `outstanding` are
// in flight; it holds the channel for its busy cycles and completes `latency` later.
class DmaChannel {
 public:
  void reset(int outstanding);
  // Start and completion of a transfer issued at `now`.
  std::pair<std::uint64_t, std::uint64_t> schedule(std::uint64_t now, std::uint64_t busy, std::uint64_t latency);
  // When a transfer issued at `now` would start (schedule's start, before its busy cycles are known).
  std::uint64_t start_at(std::uint64_t now) const;
  std::uint64_t last_completion() const { return last_completion_; }
  // Cycles the channel moves data within [begin, end).
  std::uint64_t busy_within(std::uint64_t begin, std::uint64_t end) const;

 private:
  int outstanding_ = 1;
  std::uint64_t free_at_ = 0, last_completion_ = 0;
  std::deque<std::uint64_t> completions_;                     // of transfers in flight, ascending
  std::deque<std::pair<std::uint64_t, std::uint64_t>> busy_;  // recent busy intervals
};

enum class Track { DmaIn, DmaOut, Udma };

// When a transfer held its channel (its bytes moving) and how many bytes it moved.
struct Transfer {
  Track track = Track::DmaIn;
  std::uint64_t begin = 0, end = 0, bytes = 0;
};

// L2 bytes [begin, end) a uDMA copy writes, landed at `done`.
struct PendingL2Write {
  std::uint64_t begin = 0, end = 0, done = 0;
};

// The cluster's channels and the uDMA prefetch in flight, carried from layer to layer.
struct Channels {
  DmaChannel dma_in, dma_out, udma;
  // The next layer's weights, issued by the layer before, one entry per copy in issue order:
  // the next layer waits for the first before it starts and for each other one before an
  // L2 -> L1 copy that reads its bytes (isa/pulp.proto, Layer.l3_prefetch).
  std::vector<PendingL2Write> weight_prefetch_pending;
  std::vector<Transfer> weight_prefetch;  // their transfers, for the next layer's channel bounds
  void reset(const PulpParams& hw);
};

// What the caller's clock does. The simulator waits in SystemC time; the tiler just counts.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::uint64_t now() const = 0;
  virtual void wait_until(std::uint64_t cycle) = 0;
  // Runs a kernel call that may start now: on return, now() is its end (cost.cycles later).
  virtual void compute(const KernelCall& call, const KernelCost& cost, std::size_t step) = 0;
  // A copy was issued (start: it begins moving, end: its last byte has landed).
  virtual void copied(const DmaCopy& copy, Track track, std::uint64_t start, std::uint64_t end, std::size_t step) = 0;
  // Cycles a copy holds its channel, taken at `start`: a cluster-DMA copy's busy cycles (its
  // latency follows), a uDMA copy's whole time. By default the predictor's (perf/pulp/cost);
  // the simulator asks its L2 or L3 memory target (docs/tlm.md).
  virtual std::uint64_t channel_cycles(const DmaCopy& copy, Track track, std::uint64_t start, const PulpParams& hw);
};

// The predictor's clock: time is a number, a kernel call takes its predicted cost, copies are
// priced by the predictor (Clock's default). The tiler times candidates on it, and
// network_prediction whole programs.
class CountingClock final : public Clock {
 public:
  std::uint64_t now() const override;
  void wait_until(std::uint64_t cycle) override;
  void compute(const KernelCall& call, const KernelCost& cost, std::size_t step) override;
  void copied(const DmaCopy& copy, Track track, std::uint64_t start, std::uint64_t end, std::size_t step) override;

 private:
  std::uint64_t now_ = 0;
};

struct LayerTiming {
  std::uint64_t start = 0, end = 0;
  std::uint64_t compute_cycles = 0;   // kernel calls with dispatch, barrier and DMA contention
  // compute_cycles cut into its causes (they add up to it): the slowest core's own work; its
  // stalls on TCDM bank conflicts with the other cores and with the DMA; the fabric
  // controller's dispatch and the cores' wake-up; the closing barrier; DORY's layer loop on the
  // cores (Tiling.dory_tile_loop: predictor.dory_tile_loop* per tile).
  std::uint64_t core_cycles = 0, conflict_cycles = 0, dispatch_cycles = 0, barrier_cycles = 0;
  std::uint64_t tile_loop_cycles = 0;
  std::uint64_t dma_issue_cycles = 0;  // the controller core programming cluster-DMA copies
  // compute + dma_issue + dma_wait + l3 = end - start.
  std::uint64_t dma_wait_cycles = 0;  // waiting for L2 <-> L1 copies
  std::uint64_t l3_cycles = 0;        // waiting for the uDMA
  std::uint64_t l1_bytes_in = 0, l1_bytes_out = 0, l3_bytes_in = 0, l3_bytes_out = 0;
  std::uint64_t dma_busy_cycles = 0, l3_busy_cycles = 0;
  std::uint64_t tiles = 0;
  // Its bounds (docs/report.md, "Bounds"): its kernel calls' core work spread evenly over
  // every core (no imbalance, no conflicts, no dispatch or barrier), and per channel the cycles
  // and bytes of its own transfers within [start, end) (its weights prefetched during the
  // previous layer count only inside its span; the next layer's it issues count for that one).
  struct ChannelShare {
    std::uint64_t cycles = 0, bytes = 0;
  };
  std::uint64_t compute_bound_cycles = 0;
  ChannelShare dma_in_bound, dma_out_bound, udma_bound;
};

// Runs one layer in the order isa/pulp.proto's Step defines.
LayerTiming run_layer(const Layer& layer, const PulpParams& hw, Channels& channels, Clock& clock);

// The cycles of one layer run alone (channels idle, no weight prefetch in flight): the
// tiler's figure for a candidate tiling.
std::uint64_t layer_cycles(const Layer& layer, const PulpParams& hw);

}  // namespace wb::perf::pulp
