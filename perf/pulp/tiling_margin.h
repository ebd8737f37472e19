#pragma once
// How far tiler=cost trusts the predictor over DORY's tiling: a candidate replaces DORY's
// tiling of a layer only when the predictor says it saves more than the kernel's margin
// (HwConfig keys tiling_margin.*, measured against the cluster model: isa/pulp_timing.h). The
// predictor is the compiler's estimate, the cluster model the referee; where the predictor has
// been seen to misjudge a kernel's tilings by up to some gain, a smaller gain is not taken.

#include <cstdint>

#include "isa/hw_config.h"
#include "isa/pulp.pb.h"

namespace wb::perf::pulp {

// The margin of a candidate of a `kind` layer (`plane`: it runs the plane depthwise kernel).
double tiling_margin(const PulpParams& hw, isa::pulp::KernelKind kind, bool plane);

// Whether a candidate predicted at `candidate` cycles beats DORY's tiling predicted at `dory`
// by more than `margin` of DORY's.
bool beats_dory(std::uint64_t candidate, std::uint64_t dory, double margin);

}  // namespace wb::perf::pulp
