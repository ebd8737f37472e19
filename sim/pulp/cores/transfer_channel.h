#pragma once
// A channel of the cluster DMA (one per direction) or of the uDMA, as the cluster model runs
// it: transfers start in the order they were issued, one moving its bytes at a time, at most
// `outstanding` in flight (issued and not yet completed); a transfer holds the channel for its
// moving cycles (its memory target's figure, docs/tlm.md) and completes `latency` cycles
// after its last byte moved. The cluster DMA's bursts are logged with their L1 addresses so
// that a kernel call running beside them meets them at the TCDM banks (sim/pulp/cores/core_engine.h).

#include <cstdint>
#include <deque>
#include <vector>

#include "isa/pulp.pb.h"
#include "sim/pulp/cores/core_engine.h"

namespace wb::sim::pulp {

class TransferChannel {
 public:
  void reset(int outstanding, std::uint64_t latency);

  struct Slot {
    std::uint64_t start = 0, moved = 0, done = 0;  // moving from start to moved; completed at done
  };
  // When a transfer issued at `now` would start moving.
  std::uint64_t start_of(std::uint64_t now) const;
  Slot issue(std::uint64_t now, std::uint64_t moving_cycles);
  // When the last transfer issued completes (0 before any).
  std::uint64_t drained() const { return drained_; }
  // Cycles the channel moved data within [begin, end).
  std::uint64_t moving_within(std::uint64_t begin, std::uint64_t end) const;

  // The L1 side of a cluster-DMA copy that moves from `start` to `moved`: each contiguous run
  // of its L1 side as bursts of at most `burst_bytes`, spread evenly over the moving cycles.
  void log_l1_bursts(const isa::pulp::DmaCopy& copy, bool into_l1, std::uint64_t burst_bytes, const Slot& slot);
  // The bursts still to move at or after `from`, their start cycles counted from `from`, at
  // most `horizon` cycles ahead. Forgets those before `from`.
  DmaL1Traffic l1_traffic(std::uint64_t from, std::uint64_t horizon, int bytes_per_cycle);

 private:
  struct LoggedBurst {
    std::uint64_t cycle = 0;
    std::uint32_t l1_address = 0, bytes = 0;
  };
  int outstanding_ = 1;
  std::uint64_t latency_ = 0;
  std::uint64_t free_at_ = 0, drained_ = 0;
  std::deque<std::uint64_t> in_flight_;  // completion cycles of transfers not yet completed, ascending
  std::deque<std::pair<std::uint64_t, std::uint64_t>> moving_;  // recent [start, moved) spans
  std::deque<LoggedBurst> bursts_;  // in cycle order
};

}  // namespace wb::sim::pulp
