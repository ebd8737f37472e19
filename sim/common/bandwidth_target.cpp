#include "sim/common/bandwidth_target.h"

#include <stdexcept>

namespace wb::sim {

BandwidthTarget::BandwidthTarget(sc_core::sc_module_name name) : MemoryTarget(name) {}

void BandwidthTarget::configure(const BandwidthPortParams& params) { port_.emplace(params); }

const BandwidthPortStats& BandwidthTarget::stats() const {
  if (!port_) throw std::logic_error(std::string(name()) + ": statistics of a target not configured");
  return port_->stats();
}

sc_core::sc_time BandwidthTarget::serve(const TransferRequest& request, ChannelOccupancy& occupancy) {
  const BandwidthPort::Occupancy held = port_->reserve(request.begin, request.bytes);
  occupancy.reported = true;
  occupancy.start = held.start;
  occupancy.end = held.end;
  return held.done - request.begin;
}

}  // namespace wb::sim
