#pragma once
// The bandwidth-and-latency memory as a TLM target, xDNN's default DDR (docs/tlm.md): one
// channel (BandwidthPort) every transfer that reaches the socket shares (the overlay's DDR
// units send theirs through one initiator socket). A transfer begins at
// sc_time_stamp() + its annotated delay, waits there for the channel if an earlier one holds
// it, holds it for its bytes at bytes_per_cycle and completes latency_cycles after its last
// byte; b_transport adds that whole time to the delay and reports when the bytes held the
// channel (ChannelOccupancy). Requests are served in the order they arrive.

#include <optional>

#include "sim/common/bandwidth_port.h"
#include "sim/common/memory_target.h"

namespace wb::sim {

class BandwidthTarget final : public MemoryTarget {
 public:
  explicit BandwidthTarget(sc_core::sc_module_name name);
  // Before each run (the module is elaborated once, a process runs many configs): the
  // channel's parameters, the channel idle, its statistics zeroed.
  void configure(const BandwidthPortParams& params);
  // The channel's own count of this run (std::logic_error before configure()).
  const BandwidthPortStats& stats() const;

 private:
  bool configured() const override { return port_.has_value(); }
  sc_core::sc_time serve(const TransferRequest& request, ChannelOccupancy& occupancy) override;

  std::optional<BandwidthPort> port_;
};

}  // namespace wb::sim
