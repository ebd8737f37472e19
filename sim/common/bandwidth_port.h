#pragma once
// A shared, bandwidth-limited port (a DDR channel, a DMA direction, an L2 port): transfers
// are served one after another at `bytes_per_cycle`, each completing `latency_cycles` after
// its last byte. Callers from several SC_THREADs contend, and the time they wait for the
// port is counted as stall. Timing is transaction level: one wait() per transfer.

#include <systemc>

#include <cstdint>

namespace wb::sim {

struct BandwidthPortParams {
  double bytes_per_cycle = 8.0;
  std::uint64_t latency_cycles = 0;
  sc_core::sc_time clock_period = sc_core::sc_time(1, sc_core::SC_NS);
};

struct BandwidthPortStats {
  std::uint64_t transfers = 0;
  std::uint64_t bytes = 0;
  std::uint64_t busy_cycles = 0;   // cycles the port spent moving data
  std::uint64_t stall_cycles = 0;  // cycles callers waited for the port to become free
};

class BandwidthPort {
 public:
  explicit BandwidthPort(const BandwidthPortParams& params);

  // When a transfer held the port (its bytes moving), in simulated time.
  struct Occupancy {
    sc_core::sc_time start, end;
  };

  // Must be called from an SC_THREAD; returns when the transfer has completed.
  Occupancy transfer(std::uint64_t bytes);

  // Cycles a transfer of `bytes` occupies the port (excluding latency).
  std::uint64_t occupancy_cycles(std::uint64_t bytes) const;

  const BandwidthPortStats& stats() const { return stats_; }

 private:
  const BandwidthPortParams params_;
  sc_core::sc_time busy_until_ = sc_core::SC_ZERO_TIME;
  BandwidthPortStats stats_;
};

}  // namespace wb::sim
