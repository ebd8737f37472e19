#include "perf/energy/energy_model.h"

#include <algorithm>

namespace wb::perf::energy {

namespace {

double times(std::uint64_t count, double pj) { return static_cast<double>(count) * pj; }

Breakdown named(const std::vector<std::string_view>& names, const std::vector<double>& pj) {
  Breakdown out;
  for (std::size_t i = 0; i < names.size(); ++i) out.emplace_back(std::string(names[i]), pj[i]);
  return out;
}

}  // namespace

PulpEvents& PulpEvents::operator+=(const PulpEvents& o) {
  cycles += o.cycles;
  core_instructions += o.core_instructions;
  core_simd_macs += o.core_simd_macs;
  l1_core_accesses += o.l1_core_accesses;
  l1_dma_bytes += o.l1_dma_bytes;
  l3_bytes += o.l3_bytes;
  l3_flash_bytes += o.l3_flash_bytes;
  return *this;
}

XdnnEvents& XdnnEvents::operator+=(const XdnnEvents& o) {
  cycles += o.cycles;
  array_mac_slots += o.array_mac_slots;
  am_read_bytes += o.am_read_bytes;
  am_write_bytes += o.am_write_bytes;
  filter_cache_read_bytes += o.filter_cache_read_bytes;
  filter_cache_write_bytes += o.filter_cache_write_bytes;
  pool_eltwise_elements += o.pool_eltwise_elements;
  ddr_bytes += o.ddr_bytes;
  host_cycles += o.host_cycles;
  return *this;
}

double static_pj(double mw, std::uint64_t cycles, double clock_mhz) {
  if (clock_mhz <= 0) return 0;
  return mw * static_cast<double>(cycles) / clock_mhz * 1e3;
}

const std::vector<std::string_view>& pulp_components() {
  static const std::vector<std::string_view> names = {"cores", "l1", "l2", "l3", "static"};
  return names;
}

Breakdown pulp_energy(const PulpEnergyParams& p, const PulpEvents& e, double clock_mhz) {
  const std::uint64_t dma_words = (e.l1_dma_bytes + 3) / 4;
  const std::uint64_t ram_bytes = e.l3_bytes - std::min(e.l3_flash_bytes, e.l3_bytes);
  return named(pulp_components(),
               {times(e.core_instructions, p.instruction_pj) + times(e.core_simd_macs, p.simd_mac_pj),
                times(e.l1_core_accesses + dma_words, p.l1_access_pj),
                times(e.l1_dma_bytes + e.l3_bytes, p.l2_byte_pj),
                times(ram_bytes, p.l3_ram_byte_pj) + times(e.l3_flash_bytes, p.l3_flash_byte_pj),
                static_pj(p.cluster_idle_mw + p.soc_mw, e.cycles, clock_mhz)});
}

const std::vector<std::string_view>& xdnn_components() {
  static const std::vector<std::string_view> names = {"array", "am", "filter_cache", "pool_eltwise",
                                                      "ddr",   "host", "static"};
  return names;
}

Breakdown xdnn_energy(const XdnnEnergyParams& p, const XdnnEvents& e, double clock_mhz) {
  return named(xdnn_components(),
               {times(e.array_mac_slots, p.dsp_mac_pj), times(e.am_read_bytes + e.am_write_bytes, p.am_byte_pj),
                times(e.filter_cache_read_bytes + e.filter_cache_write_bytes, p.filter_cache_byte_pj),
                times(e.pool_eltwise_elements, p.pool_eltwise_element_pj), times(e.ddr_bytes, p.ddr_byte_pj),
                static_pj(p.host_mw, e.host_cycles, clock_mhz), static_pj(p.static_mw, e.cycles, clock_mhz)});
}

}  // namespace wb::perf::energy
