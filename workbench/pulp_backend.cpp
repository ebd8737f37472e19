// The PULP back end: compiler/pulp, isa/pulp_program and the SystemC cluster model
// (sim/pulp) behind the Target interface.

#include <fmt/format.h>

#include <array>
#include <ostream>
#include <stdexcept>

#include "compiler/pulp/compile.h"
#include "compiler/pulp/layer_mapping.h"
#include "isa/pulp_program.h"
#include "perf/energy/energy_model.h"
#include "perf/pulp/network_prediction.h"
#include "sim/pulp/pulp_sim.h"
#include "workbench/layer_types.h"
#include "workbench/pulp_tiling_referee.h"
#include "workbench/run_common.h"
#include "workbench/target_backends.h"
#include "workbench/target_program.h"

namespace wb {

namespace isa::pulp {

// The program input's QTensor (for quantising a float input the way the golden model does).
quant::QTensor qtensor_of(const IoTensor& io) { return io_qtensor(io, io.is_signed()); }

}  // namespace isa::pulp

namespace {

namespace psim = wb::sim::pulp;

using PulpProgram = ProgramOf<isa::pulp::Network>;

using namespace report::declaring;

// A layer's time on the cluster (sim/pulp's LayerStats): the slowest core's own work, the
// cycles it lost at the TCDM banks (to other cores and to the DMA), dispatch and wake-up, the
// closing barrier, DORY's layer loop on the cores (tiler=dory), programming the DMA, waiting for
// it, waiting for the uDMA.
constexpr std::array<std::string_view, 8> kTimeCauses = {"cores",     "bank_conflicts", "dispatch",
                                                         "barrier",   "tile_loop",      "dma_issue",
                                                         "dma_wait",  "l3_wait"};


const char* parallel_name(isa::pulp::Parallel parallel) {
  switch (parallel) {
    case isa::pulp::PARALLEL_HO: return "Ho";
    case isa::pulp::PARALLEL_HOWO: return "HoWo";
    default: return "Co";
  }
}

TargetDescription describe_pulp() {
  // clang-format off
  return {
    .target = Target::Pulp,
    .display_name = "PULP",
    .default_scheme = quant::Scheme::Pulp,
    .program_file = "program.pulp",
    .offchip_level = "L3",
    .statistics = {
        kStartCycle,
        kEndCycle,
        {"kernel", Layer, Text, "", "the PULP-NN kernel (`conv`, `pointwise`, `depthwise`, `linear`, ...; `depthwise_plane`: the plane depthwise kernel, pulp.md; `depthwise+pointwise`, `depthwise_plane+pointwise`: a fused pair)"},
        {"compute_cycles", Layer, Count, "cycles", "cycles the cores computed (bank conflicts, dispatch and barriers included)", Part},
        {"dma_wait_cycles", Layer, Count, "cycles", "cycles the cluster waited for its DMA", Part},
        {"core_bank_conflict_cycles", Layer, Count, "cycles", "cycles cores lost a TCDM bank to another core, counted over every core and call", Part},
        {"core_dma_conflict_cycles", Layer, Count, "cycles", "cycles cores lost a TCDM bank to the cluster DMA's bursts, counted over every core and call", Part},
        {"l3_wait_cycles", Layer, Count, "cycles", "cycles it waited for the uDMA (L3)", Part},
        {"l1_bytes_in", Layer, Count, "bytes", "bytes the cluster DMA brought L2 -> L1", Tracked},
        {"l1_bytes_out", Layer, Count, "bytes", "bytes the cluster DMA wrote back L1 -> L2", Tracked},
        {"tiler_cycles", Layer, Count, "cycles", "the tiler's figure for its tiling: the layer predicted alone, channels idle and its weights in L2 (`predicted_cycles` adds what the layers before leave in flight)"},
        {"tile", Layer, Text, "", "its output tile, H x W x C (and its input-channel chunk)"},
        {"parallel", Layer, Text, "", "how the cores split a tile (`Co`, `Ho`, `HoWo`)"},
        {"l1_tile_bytes", Layer, Count, "bytes", "L1 its tiles' buffers take"},
        {"core_instructions", Layer, Count, "", "instructions its kernel calls ran, every core's (docs/energy.md's events)"},
        {"simd_macs", Layer, Count, "MACs", "int8 MACs of its SIMD dot products (pv.sdotsp.b: 4 each)"},
        {"l1_core_accesses", Layer, Count, "", "the cores' TCDM loads and stores (a misaligned access twice)"},
        {"l3_flash_bytes", Layer, Count, "bytes", "of its uDMA bytes, those read from L3's flash (the rest: HyperRAM)"},
        {"l3_bytes_in", Run, Count, "bytes", "bytes the uDMA brought L3 -> L2 (weights and activations)", Tracked},
        {"l3_bytes_out", Run, Count, "bytes", "bytes the uDMA wrote L2 -> L3", Tracked},
        {"l1_dma_bytes_in", Run, Count, "bytes", "bytes the cluster DMA brought L2 -> L1", Tracked},
        {"l1_dma_bytes_out", Run, Count, "bytes", "bytes the cluster DMA wrote back L1 -> L2", Tracked},
        {"l2_bytes_used", Run, Count, "bytes", "the highest L2 address the program's buffers reach (outputs are placed from the top down)"},
        {"l2_activation_peak_bytes", Run, Count, "bytes", "the most L2 the activations hold at once (staging and weight buffers excluded)"},
        {"l3_bytes_used", Run, Count, "bytes", "L3 RAM the program's buffers take"},
        {"cores", Run, Count, "", "the cluster's cores"},
        {"tiler", Run, Text, "", "the tiling objective (`dory`, `cost`, `energy`)"},
        {"kernel_calls", Run, Count, "", "kernel calls the cluster ran"},
        {"kernel_calls_reused", Run, Count, "", "of those, calls timed once and reused: the same kernel, shapes and operands' bank offsets, no DMA beside them"},
        {"core_instructions", Run, Count, "", "instructions the cores ran"},
        {"simd_macs", Run, Count, "MACs", "int8 MACs of SIMD dot products"},
        {"l1_core_accesses", Run, Count, "", "the cores' TCDM loads and stores"},
        {"l3_flash_bytes", Run, Count, "bytes", "uDMA bytes read from L3's flash"},
        kLayersVerified,
    },
    .statistic_notes = {
        {"type", Layer, "its `linear` is `fc`, its `pointwise` `conv`"},
        {"unit", Layer, "`cores`, `cluster_dma` for a gather of pixels (the DMA's copies alone), `udma` for an embedding (its row copies)"},
        {"bytes_in", Layer, "activations, and weights from the L3 image"},
        {"tiles", Layer, "its tiles"},
        {"predicted_cycles", Layer, "perf/pulp's timeline (the tiler's model, kernels' loop counts and DMA formulas) over the program's layers in order, channels and weight prefetch carried from layer to layer as the cluster carries them"},
        {"moveops", Run, "activation bytes the uDMA moved between L2 and L3's RAM, not the weights from the L3 image nor a network input or output that lives in L3"},
        {"offchip_level", Run, "`L3`"},
        {"offchip_bytes", Run, "`l3_bytes_in` + `l3_bytes_out`"},
    },
    .time_causes = {kTimeCauses.begin(), kTimeCauses.end()},
    .energy_components = perf::energy::pulp_components(),
  };
  // clang-format on
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
    const std::array<std::uint64_t, kTimeCauses.size()> time = {
        l.core_cycles,      l.conflict_cycles, l.dispatch_cycles, l.barrier_cycles,
        l.tile_loop_cycles, l.dma_issue_cycles, l.dma_wait_cycles, l.l3_cycles};
    for (std::size_t c = 0; c < time.size(); ++c) row.time.emplace_back(kTimeCauses[c], time[c]);
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
      : BackendOf(describe_pulp(), {isa::pulp::save_network, isa::pulp::load_network,
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
