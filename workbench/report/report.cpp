#include "workbench/report/report.h"

#include <algorithm>

#include "workbench/report/target_description.h"

namespace wb::report {

std::uint64_t Bound::cycles() const {
  std::uint64_t most = compute_cycles;
  for (const MemoryBound& level : memory) most = std::max(most, level.cycles);
  return most;
}

std::string Bound::binding() const {
  std::string name = compute_cycles > 0 ? "compute" : "";
  std::uint64_t most = compute_cycles;
  for (const MemoryBound& level : memory) {
    if (level.cycles > most) {
      most = level.cycles;
      name = level.level;
    }
  }
  if (name == "compute" && 2 * mapping_cycles > compute_cycles) name = "mapping";
  return name;
}

std::optional<double> prediction_error_pct(std::uint64_t simulated, std::optional<std::uint64_t> predicted) {
  if (!predicted || *predicted == 0) return std::nullopt;
  return (static_cast<double>(simulated) - static_cast<double>(*predicted)) / static_cast<double>(*predicted) * 100.0;
}

double energy_pj(const Energy& energy) {
  double sum = 0;
  for (const auto& [component, pj] : energy) sum += pj;
  return sum;
}

double pj_per_mac(const Energy& energy, std::uint64_t macs) {
  return macs > 0 ? energy_pj(energy) / static_cast<double>(macs) : 0.0;
}

// pJ / ms = 1e-9 W.
double power_mw(const Energy& energy, double latency_ms) {
  return latency_ms > 0 ? energy_pj(energy) / latency_ms * 1e-6 : 0.0;
}

double energy_delay(const Energy& energy, double latency_ms) { return energy_pj(energy) * 1e-6 * latency_ms; }

std::string offchip_level(const RunReport& report) {
  const TargetDescription* target = find_description(report.target);
  return target == nullptr ? "off-chip" : std::string(target->offchip_level);
}

}  // namespace wb::report
