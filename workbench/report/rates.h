#pragma once
// The rates a back end derives from a layer's or a run's cycles: MAC/cycle, utilization against
// the config's int8 peak, and time at its clock.

#include <cstdint>

#include "isa/hw_config.h"
#include "workbench/report/report.h"

namespace wb {

// Fills a layer row's MAC/cycle, utilization (of the int8 peak) and microseconds from its MACs and cycles.
void set_rates(report::LayerRow& row, const HwConfig& config);
// Fills cycles, latency, MAC/cycle and utilization of the totals (MACs already summed).
void set_totals(report::RunReport& r, std::uint64_t cycles, const HwConfig& config);

}  // namespace wb
