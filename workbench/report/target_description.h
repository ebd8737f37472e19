#pragma once
// What reports know of each target: facts rather than behaviour (its names, its off-chip level,
// its own statistics and what the standard ones mean on it, its time causes and energy
// components). The report's writers, reader and docs read these; each target's back end
// (workbench/backends/) is built on its description, so the facts are written once, here.

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/quant/qgraph.h"
#include "isa/hw_config.h"
#include "workbench/report/report_stats.h"

namespace wb {

// What commands, files, reports and messages call a target and its pieces (docs/architecture.md).
struct TargetDescription {
  Target target = Target::Xdnn;
  std::string_view display_name;  // in prose: "xDNN"
  // The quantization scheme of this target's real tool chain.
  quant::Scheme default_scheme = quant::Scheme::Pow2;
  std::string_view program_file;  // what `compile` writes and `verify` reads: "program.xdnn"
  // The off-chip memory whose traffic `offchip_bytes` and the layers' bytes_in/out count: "DDR".
  std::string_view offchip_level;
  // Its own statistics: the report block named after the target, in the CSV's column order.
  std::vector<report::StatDecl> statistics;
  // What standard statistics mean on it (the units its layers' `unit` names, ...).
  std::vector<report::StatNote> statistic_notes;
  // The causes its layers' time is cut into, in the order reports list them.
  std::vector<std::string_view> time_causes;
  // The components its energy is cut into (perf/energy), in the order reports list them.
  std::vector<std::string_view> energy_components;
};

// The description of each target, in registration order (xDNN, PULP).
const TargetDescription& describe(Target target);
std::vector<const TargetDescription*> all_descriptions();
// The description of the target called `name` ("xdnn"), or nullptr.
const TargetDescription* find_description(std::string_view name);
// Every target's off-chip level, for a label that covers them all: "DDR/L3" (separator "/"), or
// with their targets "DDR (xDNN) or L3 (PULP)" (separator " or ").
std::string offchip_levels_label(std::string_view separator, bool with_targets = false);

// A PULP layer's time on the cluster (sim/pulp's LayerStats), in report order: the slowest
// core's own work, the cycles it lost at the TCDM banks (to other cores and to the DMA),
// dispatch and wake-up, the closing barrier, DORY's layer loop on the cores (tiler=dory),
// programming the DMA, waiting for it, waiting for the uDMA.
inline constexpr std::array<std::string_view, 8> kPulpTimeCauses = {
    "cores", "bank_conflicts", "dispatch", "barrier", "tile_loop", "dma_issue", "dma_wait", "l3_wait"};

// Each target's own description (report/<target>_description.cpp).
TargetDescription describe_xdnn();
TargetDescription describe_pulp();

}  // namespace wb
