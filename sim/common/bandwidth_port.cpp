#include "sim/common/bandwidth_port.h"

#include <cmath>
#include <stdexcept>

namespace wb::sim {

BandwidthPort::BandwidthPort(const BandwidthPortParams& params) : params_(params) {
  if (!(params.bytes_per_cycle > 0)) throw std::invalid_argument("BandwidthPort: bytes_per_cycle must be positive");
  if (params.clock_period == sc_core::SC_ZERO_TIME) throw std::invalid_argument("BandwidthPort: zero clock period");
}

std::uint64_t BandwidthPort::occupancy_cycles(std::uint64_t bytes) const {
  return static_cast<std::uint64_t>(std::ceil(static_cast<double>(bytes) / params_.bytes_per_cycle));
}

BandwidthPort::Occupancy BandwidthPort::reserve(sc_core::sc_time now, std::uint64_t bytes) {
  const sc_core::sc_time start = busy_until_ > now ? busy_until_ : now;
  const std::uint64_t cycles = occupancy_cycles(bytes);
  busy_until_ = start + params_.clock_period * static_cast<double>(cycles);
  stats_.transfers += 1;
  stats_.bytes += bytes;
  stats_.busy_cycles += cycles;
  stats_.stall_cycles += static_cast<std::uint64_t>((start - now) / params_.clock_period);
  return {start, busy_until_, busy_until_ + params_.clock_period * static_cast<double>(params_.latency_cycles)};
}

}  // namespace wb::sim
