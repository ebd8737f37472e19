#include "workbench/report/rates.h"

namespace wb {

void set_rates(report::LayerRow& row, const HwConfig& config) {
  row.mac_per_cycle = row.cycles > 0 ? static_cast<double>(row.macs) / static_cast<double>(row.cycles) : 0.0;
  row.utilization = row.mac_per_cycle / peak_mac_per_cycle(config, 8);
  row.us = static_cast<double>(row.cycles) / config.clock_mhz;
}

void set_totals(report::RunReport& r, std::uint64_t cycles, const HwConfig& config) {
  r.totals.cycles = cycles;
  r.totals.latency_ms = static_cast<double>(cycles) / (config.clock_mhz * 1e3);
  r.totals.mac_per_cycle = cycles > 0 ? static_cast<double>(r.totals.macs) / static_cast<double>(cycles) : 0.0;
  r.totals.utilization = r.totals.mac_per_cycle / peak_mac_per_cycle(config, 8);
}

}  // namespace wb
