#pragma once
// A shared, bandwidth-limited channel (the DDR channel of xDNN's default DDR target): transfers
// are served one after another at `bytes_per_cycle`, each completing `latency_cycles` after
// its last byte; a transfer that finds the channel busy waits for it, and that wait is counted
// as stall. Arithmetic on simulated time only, it never waits: a loosely-timed TLM target
// (sim/common/bandwidth_target.h) turns a reservation into an annotated delay.

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

  // When a transfer held the port (its bytes moving) and when it completed (latency after).
  struct Occupancy {
    sc_core::sc_time start, end, done;
  };

  // Reserves the port for `bytes` requested at `now`. Requests come in time order (each at or
  // after the previous one's `now`), as the threads of one SystemC simulation make them.
  Occupancy reserve(sc_core::sc_time now, std::uint64_t bytes);

  // Cycles a transfer of `bytes` occupies the port (excluding latency).
  std::uint64_t occupancy_cycles(std::uint64_t bytes) const;

  const BandwidthPortParams& params() const { return params_; }
  const BandwidthPortStats& stats() const { return stats_; }

 private:
  const BandwidthPortParams params_;
  sc_core::sc_time busy_until_ = sc_core::SC_ZERO_TIME;
  BandwidthPortStats stats_;
};

}  // namespace wb::sim
