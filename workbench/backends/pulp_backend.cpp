// The PULP back end: compiler/pulp, isa/pulp_program and the SystemC cluster model
// (sim/pulp) behind the Target interface.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <array>
#include <ostream>
#include <stdexcept>

#include "compiler/pulp/compile.h"
#include "compiler/pulp/layer_mapping.h"
#include "isa/pulp_program.h"
#include "perf/energy/energy_model.h"
#include "perf/pulp/network_prediction.h"
#include "sim/pulp/pulp_sim.h"
#include "workbench/report/layer_types.h"
#include "workbench/backends/pulp_tiling_referee.h"
#include "workbench/report/rates.h"
#include "workbench/backends/target_backends.h"
#include "workbench/backends/target_program.h"

namespace wb {

namespace isa::pulp {

// The program input's QTensor (for quantising a float input the way the golden model does).
quant::QTensor qtensor_of(const IoTensor& io) { return io_qtensor(io, io.is_signed()); }

}  // namespace isa::pulp

namespace {

namespace psim = wb::sim::pulp;

using PulpProgram = ProgramOf<isa::pulp::Network>;

using namespace report::declaring;



const char* parallel_name(isa::pulp::Parallel parallel) {
  switch (parallel) {
    case isa::pulp::PARALLEL_HO: return "Ho";
    case isa::pulp::PARALLEL_HOWO: return "HoWo";
    default: return "Co";
  }
}


// `predicted`: each layer's cycles on the predictor (perf/pulp/network_prediction), beside the
// simulator's.
report::RunReport build_report(const isa::pulp::Network& network, const HwConfig& config, const psim::SimResult& sim,
                               const std::vector<std::uint64_t>& predicted) {
  report::RunReport r;
  std::uint64_t predicted_total = 0;
  std::uint64_t l3_in = 0, l3_out = 0, l1_in = 0, l1_out = 0;
  perf::energy::PulpEvents run_events;
  for (std::size_t i = 0; i < sim.layers.size(); ++i) {
    const auto& l = sim.layers[i];
    const auto& layer = network.layers(static_cast<int>(i));
    report::LayerRow row;
    row.name = l.name;
    row.type = report_layer_type(l.type);
    row.unit = isa::pulp::kernel_unit(layer.kind());
    row.output = layer.output();
    row.macs = l.macs;
    row.ops = l.ops;
    row.cycles = l.cycles;
    row.stall_cycles = l.dma_wait_cycles + l.l3_cycles;
    row.bytes_in = l.l3_bytes_in;
    row.bytes_out = l.l3_bytes_out;
    row.tiles = l.tiles;
    if (i < predicted.size()) {
      row.predicted_cycles = predicted[i];
      predicted_total += predicted[i];
    }
    // Levels in name order (a report read back from JSON lists them so).
    row.bound.compute_cycles = l.compute_bound_cycles;
    row.bound.memory = {{"cluster_dma_in", l.dma_in_bound.cycles, l.dma_in_bound.bytes},
                        {"cluster_dma_out", l.dma_out_bound.cycles, l.dma_out_bound.bytes},
                        {"udma", l.udma_bound.cycles, l.udma_bound.bytes}};
    // The run's: the layers' added up, as the cluster runs one layer after another.
    r.totals.bound.compute_cycles += row.bound.compute_cycles;
    if (r.totals.bound.memory.empty()) r.totals.bound.memory = {{"cluster_dma_in"}, {"cluster_dma_out"}, {"udma"}};
    for (std::size_t level = 0; level < row.bound.memory.size(); ++level) {
      r.totals.bound.memory[level].cycles += row.bound.memory[level].cycles;
      r.totals.bound.memory[level].bytes += row.bound.memory[level].bytes;
    }
    // In the order of the description's time causes (report/pulp_description.cpp).
    const std::array<std::uint64_t, kPulpTimeCauses.size()> time = {
        l.core_cycles,      l.conflict_cycles, l.dispatch_cycles, l.barrier_cycles,
        l.tile_loop_cycles, l.dma_issue_cycles, l.dma_wait_cycles, l.l3_cycles};
    for (std::size_t c = 0; c < time.size(); ++c) row.time.emplace_back(kPulpTimeCauses[c], time[c]);
    set_rates(row, config);
    const perf::energy::PulpEvents events = pulp_layer_events(l);
    row.energy = perf::energy::pulp_energy(config.pulp().energy, events, config.clock_mhz);
    run_events += events;
    const auto& t = layer.tiling();
    // The plane kernel names the depthwise part, alone or fused ("depthwise+pointwise").
    std::string kernel = l.type;
    if (t.depthwise_plane() && kernel.rfind("depthwise", 0) == 0) {
      kernel.replace(0, std::string_view("depthwise").size(), "depthwise_plane");
    }
    row.specific = {{"kernel", kernel},
                 {"compute_cycles", l.compute_cycles},
                 {"dma_wait_cycles", l.dma_wait_cycles},
                 {"core_bank_conflict_cycles", l.bank_conflict_cycles},
                 {"core_dma_conflict_cycles", l.dma_conflict_cycles},
                 {"l3_wait_cycles", l.l3_cycles},
                 {"l1_bytes_in", l.l1_bytes_in},
                 {"l1_bytes_out", l.l1_bytes_out},
                 {"tiler_cycles", t.predicted_cycles()},
                 {"tile", fmt::format("{}x{}x{}{}", t.tile_h_out(), t.tile_w_out(), t.tile_c_out(),
                                      t.tile_c_in() != 0 && t.tile_c_in() < layer.steps(0).compute().c_in()
                                          ? fmt::format(" cin {}", t.tile_c_in())
                                          : "")},
                 {"parallel", parallel_name(t.parallel())},
                 {"l1_tile_bytes", t.l1_total_bytes()},
                 {"core_instructions", l.core_instructions},
                 {"simd_macs", l.core_simd_macs},
                 {"l1_core_accesses", l.l1_core_accesses},
                 {"l3_flash_bytes", l.l3_flash_bytes},
                 {"start_cycle", l.start_cycle},
                 {"end_cycle", l.end_cycle}};
    if (layer.fused_layers_size() > 0) row.specific["fusion_group"] = fmt::format("{}", fmt::join(layer.fused_layers(), " + "));
    l3_in += l.l3_bytes_in;
    l3_out += l.l3_bytes_out;
    l1_in += l.l1_bytes_in;
    l1_out += l.l1_bytes_out;
    r.totals.macs += l.macs;
    r.totals.ops += l.ops;
    r.layers.push_back(std::move(row));
  }
  set_totals(r, sim.total_cycles, config);
  run_events.cycles = sim.total_cycles;  // the run's static power: over the run, not the layers' spans
  r.totals.energy = perf::energy::pulp_energy(config.pulp().energy, run_events, config.clock_mhz);
  if (predicted.size() == sim.layers.size()) r.totals.predicted_cycles = predicted_total;
  const auto busy = [&](std::uint64_t cycles) {
    return sim.total_cycles > 0 ? static_cast<double>(cycles) / static_cast<double>(sim.total_cycles) : 0.0;
  };
  std::uint64_t dma_wait = 0, l3_wait = 0, dma_copies = 0, udma_copies = 0;
  for (std::size_t core = 0; core < static_cast<std::size_t>(config.pulp().cores); ++core) {
    std::uint64_t cycles = 0, calls = 0;
    for (const auto& l : sim.layers) {
      if (core < l.core_busy_cycles.size()) cycles += l.core_busy_cycles[core];
      if (core < l.core_calls.size()) calls += l.core_calls[core];
    }
    r.units.push_back({fmt::format("core{}", core), cycles, busy(cycles), calls, 0, 0});
  }
  for (const auto& l : sim.layers) {
    dma_wait += l.dma_wait_cycles;
    l3_wait += l.l3_cycles;
  }
  for (const auto& layer : network.layers()) {
    for (const auto& step : layer.steps()) {
      dma_copies += static_cast<std::uint64_t>(step.load_size() + step.prefetch_size() + step.write_back_size());
      udma_copies += static_cast<std::uint64_t>(step.l3_load_size() + step.l3_prefetch_size() + step.l3_store_size());
    }
    udma_copies += static_cast<std::uint64_t>(layer.l3_prefetch_size());
  }
  r.units.push_back({"cluster_dma", sim.dma_busy_cycles, busy(sim.dma_busy_cycles), dma_copies, l1_in + l1_out, dma_wait});
  r.units.push_back({"udma", sim.l3_busy_cycles, busy(sim.l3_busy_cycles), udma_copies, l3_in + l3_out, l3_wait});
  r.totals.offchip_bytes = l3_in + l3_out;
  r.totals.moveops = isa::pulp::intermediate_l3_bytes(network);
  r.totals.specific = {{"l3_bytes_in", l3_in},
                    {"l3_bytes_out", l3_out},
                    {"l1_dma_bytes_in", l1_in},
                    {"l1_dma_bytes_out", l1_out},
                    {"l2_bytes_used", network.l2_bytes_used()},
                    {"l2_activation_peak_bytes", network.l2_activation_peak_bytes()},
                    {"l3_bytes_used", network.l3_bytes_used()},
                    {"cores", config.pulp().cores},
                    {"tiler", network.layers_size() > 0 ? network.layers(0).tiling().objective() : ""},
                    {"kernel_calls", sim.kernel_calls},
                    {"core_instructions", run_events.core_instructions},
                    {"simd_macs", run_events.core_simd_macs},
                    {"l1_core_accesses", run_events.l1_core_accesses},
                    {"l3_flash_bytes", run_events.l3_flash_bytes},
                    {"kernel_calls_reused", sim.kernel_calls_reused}};
  return r;
}

class PulpBackend : public BackendOf<isa::pulp::Network> {
 public:
  PulpBackend()
      : BackendOf(describe(Target::Pulp), {isa::pulp::save_network, isa::pulp::load_network,
                                    isa::pulp::check_network_matches, "tiling.txt"}) {}
  const OptionTable& compile_options() const override { return pulp::compile_option_table(); }

  std::unique_ptr<TargetProgram> compile(const quant::QGraph& graph, const HwConfig& config,
                                         const OptionValues& options) const override {
    const ClusterTilingReferee referee;
    pulp::CompileResult compiled = pulp::compile_pulp(graph, config, pulp::to_compile_options(options), &referee);
    return std::make_unique<PulpProgram>(std::move(compiled.network), std::move(compiled.report),
                                         std::move(compiled.tiling_log));
  }

  Partition partition(const quant::QGraph& graph, const HwConfig&, const OptionValues&) const override {
    const pulp::LayerMapping mapping = pulp::map_layers(graph);
    Partition result;
    for (const pulp::PLayer& layer : mapping.layers) {
      result.layers.push_back(
          {layer.name, report_layer_type(pulp::kernel_type_name(layer.kind)), isa::pulp::kernel_unit(layer.kind), ""});
    }
    result.unsupported = mapping.unsupported;
    return result;
  }

  void print_compile_summary(const TargetProgram& program, std::ostream& os) const override {
    const PulpProgram& p = typed(program);
    const nlohmann::json* report = p.compile_report();
    if (report == nullptr) return;
    const auto& r = *report;
    os << fmt::format("compiled {} for {} (tiler={}): {} layers, {:.3f} GMAC; L2 used {} bytes, L3 {} bytes (weights "
                      "{}); predicted {} cycles\n",
                      p.program().header().model_name(), r.at("hw").get<std::string>(),
                      r.at("tiler").get<std::string>(), r.at("layers").size(),
                      static_cast<double>(r.at("macs").get<std::uint64_t>()) * 1e-9,
                      r.at("l2_bytes_used").get<std::uint64_t>(), r.at("l3_bytes_used").get<std::uint64_t>(),
                      r.at("l3_weight_bytes").get<std::uint64_t>(), r.at("predicted_cycles").get<std::uint64_t>());
    const std::uint64_t measured = r.value("tilings_measured", std::uint64_t{0});
    if (measured > 0) {
      os << fmt::format("the cluster model measured {} candidate tilings; it overruled the predictor's best in {} of "
                        "{} layers\n",
                        measured, r.value("layers_overruling_predictor", std::uint64_t{0}), r.at("layers").size());
    }
    const std::uint64_t stage_layers = r.value("patch_stage_layers", std::uint64_t{0});
    if (stage_layers > 0) {
      os << fmt::format("patch stage: the first {} layers run in {} bands, their intermediates in L2 rings, none in L3\n",
                        stage_layers, r.value("patch_stage_bands", std::uint64_t{0}));
    }
    const std::uint64_t candidates = r.value("fusion_candidates", std::uint64_t{0});
    if (candidates > 0) {
      const std::uint64_t fused = r.value("fused_pairs", std::uint64_t{0});
      const bool all = p.program().header().compile_options().find("fusion=all") != std::string::npos;
      os << fmt::format("fusion: {} of {} depthwise + pointwise pairs run fused{}\n", fused, candidates,
                        fused == candidates ? ""
                        : all               ? " (the others cannot run fused as planned)"
                                            : " (the others cannot run fused as planned or measured no faster)");
    }
  }

  void elaborate_ahead() const override { psim::elaborate_ahead(); }

  TargetRun simulate(const TargetProgram& program, const HwConfig& config, const std::vector<sim::IntTensor>& inputs,
                     const sim::SimOptions& options) const override {
    const isa::pulp::Network& network = typed(program).program();
    psim::SimResult sim = psim::simulate(network, config, inputs, options);
    TargetRun run;
    // The compiler's expectation of the same program, beside what the simulator measured (the
    // simulator itself never asks the predictor: DESIGN.md §3).
    run.report = build_report(network, config, sim, perf::pulp::predict_layer_cycles(network, config.pulp()));
    run.outputs = std::move(sim.outputs);
    std::size_t steps = 0;
    for (const auto& layer : network.layers()) {
      steps += static_cast<std::size_t>(layer.steps_size());
      const auto captured = sim.layer_outputs.find(layer.output());
      if (captured != sim.layer_outputs.end()) run.layer_outputs.push_back({layer.name(), layer.output(), captured->second});
    }
    run.summary = fmt::format("simulated {} layers, {} tiles", network.layers_size(), steps);
    return run;
  }
};

}  // namespace

std::unique_ptr<TargetBackend> make_pulp_backend() { return std::make_unique<PulpBackend>(); }

}  // namespace wb
