#pragma once
// What each counted event costs in energy, and what each unit draws whatever it does
// (docs/energy.md): the per-action energies and static powers of the energy model
// (perf/energy), as HwConfig keys `energy.*`. Plain data like the rest of HwConfig. The
// defaults, with the source or the derivation of each, are in energy_params.cpp (a value
// changed there recompiles one file).

namespace wb {

// A PULP cluster and its SoC (GAP8: TSMC 55 nm).
struct PulpEnergyParams {
  double instruction_pj = 0;     // one core instruction: fetch, decode, register file, ALU, pJ
  double simd_mac_pj = 0;        // one int8 MAC of a SIMD dot product, beyond its instruction, pJ
  double l1_access_pj = 0;       // one 32-bit TCDM access: a core's load or store, a DMA word, pJ
  double l2_byte_pj = 0;         // one byte read or written in L2 (the cluster DMA's or uDMA's side), pJ
  double l3_ram_byte_pj = 0;     // one byte through the HyperRAM, pJ
  double l3_flash_byte_pj = 0;   // one byte read from the HyperFlash, pJ
  double cluster_idle_mw = 0;    // the cluster domain switched on, whatever its cores do (clock tree, leakage), mW
  double soc_mw = 0;             // the SoC domain over the run (fabric controller, L2 leakage, uDMA, pads), mW
};
PulpEnergyParams default_pulp_energy();

// An xDNN overlay on its FPGA card (Virtex UltraScale+: 16 nm).
struct XdnnEnergyParams {
  double dsp_mac_pj = 0;              // one MAC slot of the array: a DSP48's int8 MAC, used or padded, pJ
  double am_byte_pj = 0;              // one byte read or written in Active Memory (UltraRAM), pJ
  double filter_cache_byte_pj = 0;    // one byte written into or read out of the filter cache (block RAM), pJ
  double pool_eltwise_element_pj = 0; // one output element of the pool/eltwise block, pJ
  double ddr_byte_pj = 0;             // one byte over the DDR4 channel (device and PHY), pJ
  double host_mw = 0;                 // the host while it runs a host layer (0: the host is not counted), mW
  double static_mw = 0;               // the overlay's static and clock power over the run, mW
};
XdnnEnergyParams default_xdnn_energy();

}  // namespace wb
