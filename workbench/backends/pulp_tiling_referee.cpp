#include "workbench/backends/pulp_tiling_referee.h"

#include "workbench/backends/target.h"

namespace wb {

perf::energy::PulpEvents pulp_layer_events(const sim::pulp::LayerStats& l) {
  return {l.cycles,           l.core_instructions,           l.core_simd_macs,
          l.l1_core_accesses, l.l1_bytes_in + l.l1_bytes_out, l.l3_bytes_in + l.l3_bytes_out,
          l.l3_flash_bytes};
}

namespace {

pulp::TilingMeasurement measurement_of(const sim::pulp::LayerStats& layer, const HwConfig& config) {
  double energy_pj = 0;
  for (const auto& [component, pj] :
       perf::energy::pulp_energy(config.pulp().energy, pulp_layer_events(layer), config.clock_mhz)) {
    energy_pj += pj;
  }
  return {layer.cycles, energy_pj};
}

sim::SimOptions timing_only() {
  sim::SimOptions options;
  options.data = false;
  return options;
}

}  // namespace

std::vector<pulp::TilingMeasurement> ClusterTilingReferee::measure(const std::vector<pulp::TilingTrial>& trials,
                                                                   const HwConfig& config,
                                                                   std::uint64_t l3_image_bytes) const {
  // SystemC elaborates once per process: every simulator's modules before the first run.
  for (const TargetBackend* backend : all_backends()) backend->elaborate_ahead();
  // One program, its layers replaced per trial; the weights' image only sized (a timing-only
  // run reads no byte of it).
  isa::pulp::Network program;
  program.set_l3_image_address(static_cast<std::uint64_t>(config.pulp().l3_bytes));
  program.mutable_l3_image()->assign(l3_image_bytes, '\0');
  std::vector<pulp::TilingMeasurement> measured;
  for (const pulp::TilingTrial& trial : trials) {
    program.clear_layers();
    if (trial.before) *program.add_layers() = *trial.before;
    *program.add_layers() = trial.layer;
    const sim::pulp::SimResult run = sim::pulp::simulate(program, config, {}, timing_only());
    measured.push_back(measurement_of(run.layers.back(), config));
  }
  return measured;
}

std::vector<pulp::TilingMeasurement> ClusterTilingReferee::measure_network(const isa::pulp::Network& network,
                                                                           const HwConfig& config) const {
  for (const TargetBackend* backend : all_backends()) backend->elaborate_ahead();
  const sim::pulp::SimResult run = sim::pulp::simulate(network, config, {}, timing_only());
  std::vector<pulp::TilingMeasurement> measured;
  for (const sim::pulp::LayerStats& layer : run.layers) measured.push_back(measurement_of(layer, config));
  return measured;
}

}  // namespace wb
