#include "sim/pulp/memory_targets.h"

#include <algorithm>
#include <cmath>

#include "support/math.h"

namespace wb::sim::pulp {

L2PortParams l2_port_params(const PulpParams& hw, sc_core::sc_time clock_period) {
  L2PortParams p;
  p.bytes_per_cycle = static_cast<std::uint64_t>(std::max(hw.dma_bytes_per_cycle, 1));
  p.burst_bytes = static_cast<std::uint64_t>(std::max<std::int64_t>(hw.dma_burst_bytes, 1));
  p.clock_period = clock_period;
  return p;
}

std::uint64_t priced_runs(const TransferShape& shape) { return shape.rows > 1 ? shape.rows * shape.count : 1; }

std::uint64_t l2_transfer_cycles(const L2PortParams& params, const TransferShape& shape) {
  const std::uint64_t run = shape.chunk_bytes;
  return priced_runs(shape) * (ceil_div(run, params.bytes_per_cycle) + ceil_div(run, params.burst_bytes));
}

L3Params l3_params(const PulpParams& hw, sc_core::sc_time clock_period) {
  L3Params p;
  p.bytes_per_cycle = std::max(hw.l3_bytes_per_cycle, 1e-9);
  p.access_cycles = static_cast<std::uint64_t>(std::max(hw.l3_latency_cycles, 0));
  p.clock_period = clock_period;
  return p;
}

std::uint64_t l3_transfer_cycles(const L3Params& params, const TransferShape& shape) {
  return priced_runs(shape) * params.access_cycles +
         static_cast<std::uint64_t>(std::ceil(static_cast<double>(shape.bytes()) / params.bytes_per_cycle));
}

L2Target::L2Target(sc_core::sc_module_name name) : MemoryTarget(name) {}

void L2Target::configure(const L2PortParams& params) { params_ = params; }

sc_core::sc_time L2Target::serve(const TransferRequest& request, ChannelOccupancy&) {
  return params_->clock_period * static_cast<double>(l2_transfer_cycles(*params_, request.shape));
}

L3Target::L3Target(sc_core::sc_module_name name) : MemoryTarget(name) {}

void L3Target::configure(const L3Params& params) { params_ = params; }

sc_core::sc_time L3Target::serve(const TransferRequest& request, ChannelOccupancy&) {
  return params_->clock_period * static_cast<double>(l3_transfer_cycles(*params_, request.shape));
}

}  // namespace wb::sim::pulp
