#include "perf/pulp/tiling_margin.h"

namespace wb::perf::pulp {

double tiling_margin(const PulpParams& hw, isa::pulp::KernelKind kind, bool plane) {
  using namespace isa::pulp;
  const PulpTilingMargins& m = hw.tiling_margin;
  switch (kind) {
    case KERNEL_CONV: return m.conv;
    case KERNEL_POINTWISE: return m.pointwise;
    case KERNEL_GROUPED_CONV: return m.grouped_conv;
    case KERNEL_DEPTHWISE: return plane ? m.depthwise_plane : m.depthwise;
    case KERNEL_LINEAR: return m.linear;
    case KERNEL_ADD: return m.add;
    case KERNEL_MAXPOOL: return m.maxpool;
    case KERNEL_AVGPOOL: return m.avgpool;
    case KERNEL_LUT: return m.lut;
    case KERNEL_MUL: return m.mul;
    case KERNEL_GATHER: return m.gather;
    case KERNEL_SOFTMAX: return m.softmax;
    default: return 1.0;  // a kernel nobody measured: DORY's tiling
  }
}

bool beats_dory(std::uint64_t candidate, std::uint64_t dory, double margin) {
  return static_cast<double>(candidate) < static_cast<double>(dory) * (1.0 - margin);
}

}  // namespace wb::perf::pulp
