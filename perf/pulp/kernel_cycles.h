#pragma once
// The predictor's instruction counts of PULP-NN's loops: HwConfig keys `predictor.*` that
// perf/pulp declares (kernel_cycles.def: each key once, with its default and derivation) and
// registers into the PULP schema before any config is read (kernel_cycles.cpp), so isa/ keeps
// the hardware's facts and the predictor its own parameters. Only the predictor reads them; the
// cluster model (sim/pulp) times its own instructions.

#include <string_view>

#include "isa/hw_config.h"

namespace wb::perf::pulp {

struct KernelCycles {
#define WB_HW_KEY(type, field, initial, ...) type field = initial;
#include "perf/pulp/kernel_cycles.def"
};

// The section's name: its keys' prefix and its entry in PulpParams::models.
inline constexpr std::string_view kKernelCyclesSection = "predictor";

// The counts of `hw`: the loaded config's (its file's and --set's values), or for params built
// by hand rather than loaded, the defaults.
const KernelCycles& kernel_cycles(const PulpParams& hw);

}  // namespace wb::perf::pulp
