#include "perf/pulp/network_prediction.h"

#include "perf/pulp/timeline.h"

namespace wb::perf::pulp {

std::vector<std::uint64_t> predict_layer_cycles(const isa::pulp::Network& network, const PulpParams& hw) {
  Channels channels;
  channels.reset(hw);
  CountingClock clock;
  std::vector<std::uint64_t> cycles;
  cycles.reserve(static_cast<std::size_t>(network.layers_size()));
  for (const isa::pulp::Layer& layer : network.layers()) {
    const LayerTiming t = run_layer(layer, hw, channels, clock);
    cycles.push_back(t.end - t.start);
  }
  return cycles;
}

}  // namespace wb::perf::pulp
