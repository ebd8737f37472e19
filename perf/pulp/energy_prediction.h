#pragma once
// What the energy model (perf/energy) expects a layer of a tile program to cost, before it
// runs: the events the cluster model would count, estimated from the predictor's view of the
// program (tiler=energy chooses tilings with it). Each kernel call's busy cycles on each core
// stand for its instructions (RI5CY issues one a cycle; stalls make this an upper bound), its
// loads for its L1 accesses, the copies' bytes for the DMA and uDMA traffic, and the layer's
// predicted cycles for the static power. A prediction, like predicted_cycles: the report's
// energy comes from the simulator's counts.

#include <cstdint>

#include "isa/hw_config.h"
#include "isa/pulp.pb.h"
#include "perf/energy/energy_model.h"

namespace wb::perf::pulp {

// The events of `layer`, taking `cycles` as its span.
energy::PulpEvents predicted_events(const isa::pulp::Layer& layer, const PulpParams& hw, std::uint64_t cycles);
// Their energy at hw.energy's values, pJ.
double predicted_energy_pj(const isa::pulp::Layer& layer, const PulpParams& hw, double clock_mhz, std::uint64_t cycles);

}  // namespace wb::perf::pulp
