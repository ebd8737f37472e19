// The derived figures of a config (DESIGN.md §4.2: formulas over the parameters, never stored),
// one overload per params block.

#include <fmt/format.h>

#include <stdexcept>

#include "isa/hw_config.h"

namespace wb {
namespace {

double peak_macs(const XdnnParams& x, int bits) {
  const XdnnArrayParams& a = x.array;
  return static_cast<double>(a.rows) * a.cols * (bits == 8 ? a.macs_per_dsp_int8 : a.macs_per_dsp_int16);
}
double peak_macs(const PulpParams& p, int bits) {
  return static_cast<double>(p.cores) * (bits == 8 ? p.core_macs_per_cycle_int8 : p.core_macs_per_cycle_int16);
}
std::string peak_macs_formula(const XdnnParams&, int bits) { return fmt::format("dsps x array.macs_per_dsp_int{}", bits); }
std::string peak_macs_formula(const PulpParams&, int bits) { return fmt::format("cores x core_macs_per_cycle_int{}", bits); }

// The figures before the peaks (what the peaks are made of).
std::vector<HwFigure> leading_figures(const XdnnParams& x, double) {
  return {{"dsps", static_cast<double>(x.array.rows) * x.array.cols, "DSP", "array.rows x array.cols"}};
}
std::vector<HwFigure> leading_figures(const PulpParams&, double) { return {}; }

// The figures after the peaks: memories and channels.
std::vector<HwFigure> memory_figures(const XdnnParams& x, double clock_mhz) {
  return {{"ddr_bytes_per_cycle", x.ddr_gbps * x.ddr_efficiency * 1000.0 / clock_mhz, "bytes/cycle",
           "sustained DDR bandwidth per clock: ddr_gbps x ddr_efficiency / clock"},
          {"ddr_latency_cycles", x.ddr_latency_ns * clock_mhz / 1000.0, "cycles", "ddr_latency_ns in clock cycles"}};
}
std::vector<HwFigure> memory_figures(const PulpParams& p, double clock_mhz) {
  return {{"l1_bank_bytes", static_cast<double>(p.l1_bytes) / p.l1_banks, "bytes", "l1_bytes / l1_banks"},
          {"dma_gbps", p.dma_bytes_per_cycle * clock_mhz / 1000.0, "GB/s",
           "cluster DMA bandwidth per direction: dma_bytes_per_cycle x clock"},
          {"l3_gbps", p.l3_bytes_per_cycle * clock_mhz / 1000.0, "GB/s", "L3 bandwidth: l3_bytes_per_cycle x clock"}};
}

}  // namespace

double peak_mac_per_cycle(const HwConfig& config, int bits) {
  if (bits != 8 && bits != 16) throw std::invalid_argument(fmt::format("peak_mac_per_cycle: {} bits", bits));
  return std::visit([bits](const auto& params) { return peak_macs(params, bits); }, config.params);
}

double peak_gops(const HwConfig& config, int bits) {
  return 2.0 * peak_mac_per_cycle(config, bits) * config.clock_mhz / 1000.0;
}

std::vector<HwFigure> derived_figures(const HwConfig& config) {
  std::vector<HwFigure> figures =
      std::visit([&](const auto& params) { return leading_figures(params, config.clock_mhz); }, config.params);
  for (const int bits : {8, 16}) {
    figures.push_back({fmt::format("peak_mac_per_cycle_int{}", bits), peak_mac_per_cycle(config, bits), "MAC/cycle",
                       std::visit([bits](const auto& params) { return peak_macs_formula(params, bits); }, config.params)});
  }
  for (const int bits : {8, 16}) {
    figures.push_back({fmt::format("peak_gops_int{}", bits), peak_gops(config, bits), "GOP/s",
                       fmt::format("2 ops/MAC x peak_mac_per_cycle_int{} x clock_mhz", bits)});
  }
  const std::vector<HwFigure> memory =
      std::visit([&](const auto& params) { return memory_figures(params, config.clock_mhz); }, config.params);
  figures.insert(figures.end(), memory.begin(), memory.end());
  return figures;
}

}  // namespace wb
