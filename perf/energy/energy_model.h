#pragma once
// The energy model (docs/energy.md): Timeloop/Accelergy's method, events counted by a simulator
// times the energy of each action, plus each unit's static power times the time it is on:
//   energy = sum over events (count x energy per event) + sum over units (static mW x time).
// A prediction library beside perf/pulp: the simulators count the events (sim/pulp's and
// sim/xdnn's LayerStats), the back ends hand them here, and nothing in sim/ includes this.
// Energies are in pJ, per layer (its span) and per run.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "isa/energy_params.h"

namespace wb::perf::energy {

// Energy by component, in the target's order (pulp_components(), xdnn_components()), pJ.
using Breakdown = std::vector<std::pair<std::string, double>>;

// pJ a unit drawing `mw` uses over `cycles` at `clock_mhz`: mW x us = nJ.
double static_pj(double mw, std::uint64_t cycles, double clock_mhz);

// ---- PULP -------------------------------------------------------------------------------------
// What the cluster model counted over a span (a layer, or the run).
struct PulpEvents {
  std::uint64_t cycles = 0;             // the span
  std::uint64_t core_instructions = 0;  // every core's
  std::uint64_t core_simd_macs = 0;     // int8 MACs of SIMD dot products
  std::uint64_t l1_core_accesses = 0;   // the cores' TCDM loads and stores
  std::uint64_t l1_dma_bytes = 0;       // bytes the cluster DMA moved in and out of L1
  std::uint64_t l3_bytes = 0;           // bytes the uDMA moved (L3 <-> L2)
  std::uint64_t l3_flash_bytes = 0;     // of those, the flash's

  PulpEvents& operator+=(const PulpEvents& other);  // every count, the cycles too
};
// "cores", "l1", "l2", "l3", "static".
const std::vector<std::string_view>& pulp_components();
// The cluster DMA's L1 side moves 32-bit words; L2 sees both DMAs' bytes.
Breakdown pulp_energy(const PulpEnergyParams& params, const PulpEvents& events, double clock_mhz);

// ---- xDNN -------------------------------------------------------------------------------------
// What the overlay model counted over a span.
struct XdnnEvents {
  std::uint64_t cycles = 0;  // the span
  std::uint64_t array_mac_slots = 0;
  std::uint64_t am_read_bytes = 0, am_write_bytes = 0;
  std::uint64_t filter_cache_read_bytes = 0, filter_cache_write_bytes = 0;
  std::uint64_t pool_eltwise_elements = 0;
  std::uint64_t ddr_bytes = 0;
  std::uint64_t host_cycles = 0;

  XdnnEvents& operator+=(const XdnnEvents& other);  // every count, the cycles too
};
// "array", "am", "filter_cache", "pool_eltwise", "ddr", "host", "static".
const std::vector<std::string_view>& xdnn_components();
Breakdown xdnn_energy(const XdnnEnergyParams& params, const XdnnEvents& events, double clock_mhz);

}  // namespace wb::perf::energy
