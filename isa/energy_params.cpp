#include "isa/energy_params.h"

namespace wb {

// docs/energy.md gives each value's source and derivation; hw_schema.cpp's `energy.*` keys
// carry the same in one line.
PulpEnergyParams default_pulp_energy() {
  PulpEnergyParams p;
  p.instruction_pj = 50.0;  // tests/bench/energy_fit.py
  p.simd_mac_pj = 0;        // inside the instruction's: DORY's layers cannot separate it
  p.l1_access_pj = 1.475;  // 2.124 pJ x (1.0 V / 1.2 V)^2
  p.l2_byte_pj = 1.87;     // 1.62 pJ x 1.154
  p.l3_ram_byte_pj = 324;  // 60 mA x 1.8 V / 333 MB/s
  p.l3_flash_byte_pj = 324;
  p.cluster_idle_mw = 5.9;
  p.soc_mw = 7.3;
  return p;
}

XdnnEnergyParams default_xdnn_energy() {
  XdnnEnergyParams p;
  p.dsp_mac_pj = 0.40;             // 0.315 pJ x 0.18 x 7.1
  p.am_byte_pj = 2.07;             // 1.62 pJ x 0.18 x 7.1
  p.filter_cache_byte_pj = 2.07;
  p.pool_eltwise_element_pj = 0.80;  // two DSP MACs
  p.ddr_byte_pj = 59.2;            // 7.4 pJ/bit
  p.host_mw = 0;
  p.static_mw = 10000;
  return p;
}

}  // namespace wb
