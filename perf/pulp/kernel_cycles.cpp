#include "perf/pulp/kernel_cycles.h"

#include <any>
#include <vector>

#include "isa/hw_schema.h"

namespace wb::perf::pulp {

namespace {

using hw_schema::KeySpec;

KernelCycles& counts_of(HwConfig& c) {
  return hw_schema::model_section<KernelCycles>(std::get<PulpParams>(c.params).models, kKernelCyclesSection);
}

std::vector<KeySpec> kernel_cycle_keys() {
  HwConfig fresh;
  fresh.params = PulpParams{};
  counts_of(fresh);
  return {
#define WB_HW_KEY(...) WB_HW_SCHEMA_ROW(fresh, counts_of(c), __VA_ARGS__)
#include "perf/pulp/kernel_cycles.def"
  };
}

// Registered before main: any tool that times kernels with these counts links this file.
const bool kRegistered = [] {
  hw_schema::register_model_section({Target::Pulp, kKernelCyclesSection, [] { return std::any(KernelCycles{}); },
                                     kernel_cycle_keys});
  return true;
}();

}  // namespace

const KernelCycles& kernel_cycles(const PulpParams& hw) {
  static const KernelCycles defaults;
  const auto it = hw.models.find(kKernelCyclesSection);
  const KernelCycles* loaded = it == hw.models.end() ? nullptr : std::any_cast<KernelCycles>(&it->second);
  return loaded != nullptr ? *loaded : defaults;
}

}  // namespace wb::perf::pulp
