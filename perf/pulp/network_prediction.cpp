#include "perf/pulp/network_prediction.h"

#include <algorithm>

#include "perf/pulp/timeline.h"

namespace wb::perf::pulp {

namespace {

// Time is a number and a kernel call takes its predicted cost (the tiler's clock, which
// timeline.cpp keeps to itself); copies are priced by the predictor (Clock's default).
class PredictorClock final : public Clock {
 public:
  std::uint64_t now() const override { return now_; }
  void wait_until(std::uint64_t cycle) override { now_ = std::max(now_, cycle); }
  void compute(const KernelCall&, const KernelCost& cost, std::size_t) override { now_ += cost.cycles; }
  void copied(const DmaCopy&, Track, std::uint64_t, std::uint64_t, std::size_t) override {}

 private:
  std::uint64_t now_ = 0;
};

}  // namespace

std::vector<std::uint64_t> predict_layer_cycles(const isa::pulp::Network& network, const PulpParams& hw) {
  Channels channels;
  channels.reset(hw);
  PredictorClock clock;
  std::vector<std::uint64_t> cycles;
  cycles.reserve(static_cast<std::size_t>(network.layers_size()));
  for (const isa::pulp::Layer& layer : network.layers()) {
    const LayerTiming t = run_layer(layer, hw, channels, clock);
    cycles.push_back(t.end - t.start);
  }
  return cycles;
}

}  // namespace wb::perf::pulp
