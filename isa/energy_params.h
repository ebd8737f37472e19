#pragma once
// What each counted event costs in energy, and what each unit draws whatever it does
// (docs/energy.md): the per-action energies and static powers of the energy model
// (perf/energy), as HwConfig keys `energy.*`. Plain data like the rest of HwConfig: each key,
// its default and its source once in isa/hw_keys_{pulp,xdnn}_energy.def.

namespace wb {

// A PULP cluster and its SoC (GAP8: TSMC 55 nm).
struct PulpEnergyParams {
#define WB_HW_KEY(type, field, initial, ...) type field = initial;
#include "isa/hw_keys_pulp_energy.def"
};

// An xDNN overlay on its FPGA card (Virtex UltraScale+: 16 nm).
struct XdnnEnergyParams {
#define WB_HW_KEY(type, field, initial, ...) type field = initial;
#include "isa/hw_keys_xdnn_energy.def"
};

}  // namespace wb
