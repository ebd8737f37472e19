#pragma once
// The performance model's run of a whole compiled program: every layer in order on the
// predictor's timeline (perf/pulp/timeline), the channels and the weight prefetch in flight
// carried from layer to layer as the cluster carries them. The report's `predicted_cycles`,
// set beside the simulated cycles: the workbench calls it, the simulator never does.

#include <cstdint>
#include <vector>

#include "isa/hw_config.h"
#include "isa/pulp.pb.h"

namespace wb::perf::pulp {

// Each layer's predicted span, in program order. Layers run one after another from cycle 0,
// so the spans add up to the program's predicted cycles. A layer's figure differs from the
// tiler's (layer_cycles: the layer alone, channels idle) by what the layers before leave in
// flight: its weights still being prefetched, their write-backs still draining.
std::vector<std::uint64_t> predict_layer_cycles(const isa::pulp::Network& network, const PulpParams& hw);

}  // namespace wb::perf::pulp
