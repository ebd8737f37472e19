// The xDNN back end: compiler/xdnn, isa/xdnn_program and the SystemC overlay model
// (sim/xdnn) behind the Target interface.

#include <fmt/format.h>

#include <ostream>
#include <stdexcept>

#include "compiler/xdnn/compile.h"
#include "compiler/xdnn/layer_mapping.h"
#include "compiler/xdnn/sibling_merge.h"
#include "isa/xdnn_program.h"
#include "perf/energy/energy_model.h"
#include "sim/xdnn/xdnn_sim.h"
#include "workbench/report/layer_types.h"
#include "workbench/report/rates.h"
#include "workbench/backends/target_backends.h"
#include "workbench/backends/target_program.h"

namespace wb {

namespace isa::xdnn {

// The program input's QTensor (for quantising a float input the way the golden model does).
quant::QTensor qtensor_of(const IoTensor& io) { return io_qtensor(io, io.region().layout().is_signed()); }

}  // namespace isa::xdnn

namespace {

namespace xsim = wb::sim::xdnn;

using XdnnProgram = ProgramOf<isa::xdnn::Program>;


report::RunReport build_report(const XdnnProgram& compiled, const HwConfig& config, const xsim::SimResult& sim) {
  const isa::xdnn::Program& program = compiled.program();
  const nlohmann::json* compile_report = compiled.compile_report();
  report::RunReport r;
  std::uint64_t weight_bytes = 0, am_weight_bytes = 0, activation_bytes = 0, intermediate_bytes = 0;
  perf::energy::XdnnEvents run_events;
  for (const auto& l : sim.layers) {
    report::LayerRow row;
    row.name = l.name;
    row.type = report_layer_type(l.type);
    row.unit = l.unit;
    const auto& program_layer = program.layers(static_cast<int>(r.layers.size()));
    row.output = program_layer.output();
    for (const auto& part : program_layer.parts()) row.parts.push_back(part.output());
    row.macs = l.macs;
    row.ops = l.ops;
    row.cycles = l.cycles;
    std::uint64_t working = 0;  // the cycles its own unit computed for it
    for (std::size_t c = 0; c < xsim::kTimeCauses; ++c) {
      const auto cause = static_cast<xsim::TimeCause>(c);
      row.time.emplace_back(std::string(xsim::time_cause_name(cause)), l.time.cycles[c]);
      if (cause == xsim::TimeCause::Array || cause == xsim::TimeCause::PoolEltwise || cause == xsim::TimeCause::Host) {
        working += l.time.cycles[c];
      }
    }
    // Stalls as SCALE-Sim means them: the span's cycles its unit was not computing for it.
    row.stall_cycles = l.cycles - working;
    row.bytes_in = l.ddr_read_bytes + l.ddr_weight_bytes;
    row.bytes_out = l.ddr_write_bytes;
    row.tiles = l.tiles;
    row.bound.compute_cycles = l.compute_bound_cycles;
    row.bound.mapping_cycles = l.mapping_loss_cycles;
    row.bound.memory.push_back({"ddr_channel", l.ddr_bound_cycles, l.ddr_bound_bytes});
    set_rates(row, config);
    const perf::energy::XdnnEvents events{l.cycles,
                                          l.array_mac_slots,
                                          l.am_read_bytes,
                                          l.am_write_bytes,
                                          l.filter_cache_read_bytes,
                                          l.filter_cache_write_bytes,
                                          l.pool_eltwise_elements,
                                          l.ddr_read_bytes + l.ddr_write_bytes + l.ddr_weight_bytes,
                                          l.host_cycles};
    row.energy = perf::energy::xdnn_energy(config.xdnn().energy, events, config.clock_mhz);
    run_events += events;
    const double mapping =
        l.array_mac_slots > 0 ? static_cast<double>(l.array_macs) / static_cast<double>(l.array_mac_slots) : 0.0;
    row.specific = {{"ddr_weight_bytes", l.ddr_weight_bytes},
                 {"am_weight_bytes", l.am_weight_bytes},
                 {"ddr_upload_bytes", l.ddr_read_bytes},
                 {"ddr_download_bytes", l.ddr_write_bytes},
                 {"array_busy_cycles", l.array_busy_cycles},
                 {"pool_busy_cycles", l.pool_busy_cycles},
                 {"ddr_busy_cycles", l.ddr_busy_cycles},
                 {"host_cycles", l.host_cycles},
                 {"flag_wait_cycles", l.stall_cycles},
                 {"mapping_efficiency", mapping},
                 {"array_mac_slots", l.array_mac_slots},
                 {"am_read_bytes", l.am_read_bytes},
                 {"am_write_bytes", l.am_write_bytes},
                 {"filter_cache_read_bytes", l.filter_cache_read_bytes},
                 {"filter_cache_write_bytes", l.filter_cache_write_bytes},
                 {"pool_eltwise_elements", l.pool_eltwise_elements},
                 {"start_cycle", l.start_cycle},
                 {"end_cycle", l.end_cycle}};
    weight_bytes += l.ddr_weight_bytes;
    am_weight_bytes += l.am_weight_bytes;
    activation_bytes += l.ddr_read_bytes + l.ddr_write_bytes;
    intermediate_bytes += l.ddr_intermediate_bytes;
    r.totals.macs += l.macs;
    r.totals.ops += l.ops;
    r.layers.push_back(std::move(row));
  }
  // A stream of images (throughput mode): the figures are per image in the steady state, the
  // time between the last two images' ends (xsim::SimResult); one image: the run.
  const std::size_t images = sim.image_end.size();
  const std::uint64_t per_image =
      images >= 2 ? sim.image_end[images - 1] - sim.image_end[images - 2] : sim.total_cycles;
  set_totals(r, per_image, config);
  run_events.cycles = per_image;  // the spans overlap: the static power is over the image's time
  r.totals.energy = perf::energy::xdnn_energy(config.xdnn().energy, run_events, config.clock_mhz);
  r.totals.offchip_bytes = weight_bytes + activation_bytes;
  // xfDNN's meaning (REFERENCE.md): intermediate activations through DDR, not the network's own
  // input and output (nor the host layers' operands, which xfDNN's host code read and wrote).
  r.totals.moveops = intermediate_bytes;
  r.totals.bound.compute_cycles = sim.compute_bound_cycles;
  r.totals.bound.mapping_cycles = sim.mapping_loss_cycles;
  r.totals.bound.memory.push_back({"ddr_channel", sim.ddr_channel.busy_cycles, sim.ddr_channel.bytes});
  r.totals.host_ms = static_cast<double>(sim.host_cycles) / (config.clock_mhz * 1e3);
  r.totals.specific = {{"ddr_weight_bytes", weight_bytes},
                    {"am_weight_bytes", am_weight_bytes},
                    {"ddr_activation_bytes", activation_bytes},
                    {"ddr_input_output_bytes", activation_bytes - intermediate_bytes},
                    {"overlapped_cycles", sim.overlapped_cycles},
                    {"am_read_bytes", run_events.am_read_bytes},
                    {"am_write_bytes", run_events.am_write_bytes},
                    {"filter_cache_read_bytes", run_events.filter_cache_read_bytes},
                    {"filter_cache_write_bytes", run_events.filter_cache_write_bytes}};
  if (compile_report != nullptr) {
    r.totals.specific["ddr_spill_bytes"] = compile_report->at("ddr_spill_bytes").get<std::uint64_t>();
    r.totals.specific["peak_am_bytes"] = compile_report->at("schedule").at("peak_am_bytes");
    r.totals.specific["am_extent_bytes"] = compile_report->at("allocation").at("extent_bytes");
    r.totals.specific["am_allocator"] = compile_report->at("allocation").at("strategy");
    r.totals.specific["row_tiled_layers"] = compile_report->at("allocation").at("row_tiled_layers");
    r.totals.specific["ddr_resident_buffers"] = compile_report->at("allocation").at("ddr_resident_buffers");
    r.totals.specific["valid_schedules"] = compile_report->at("schedule").at("valid_schedules");
  }
  const auto busy = [&](std::uint64_t cycles) {
    return sim.total_cycles > 0 ? static_cast<double>(cycles) / static_cast<double>(sim.total_cycles) : 0.0;
  };
  for (const xsim::UnitStats& u : sim.units) {
    r.units.push_back({u.unit, u.busy_cycles, busy(u.busy_cycles), u.instructions, u.bytes, u.stall_cycles});
  }
  const auto& ddr = sim.ddr_channel;
  r.units.push_back({"ddr_channel", ddr.busy_cycles, busy(ddr.busy_cycles), ddr.transfers, ddr.bytes, ddr.stall_cycles});
  const auto ms = [&](std::uint64_t cycles) { return static_cast<double>(cycles) / (config.clock_mhz * 1e3); };
  r.totals.specific["images"] = images;
  r.totals.specific["fps_per_pe"] = per_image > 0 ? config.clock_mhz * 1e6 / static_cast<double>(per_image) : 0.0;
  if (images > 0) {
    r.totals.specific["first_image_latency_ms"] = ms(sim.image_end[0] - sim.image_begin[0]);
    r.totals.specific["image_latency_ms"] = ms(sim.image_end[images - 1] - sim.image_begin[images - 1]);
  }
  r.totals.specific["stream_cycles"] = sim.total_cycles;
  const xsim::CardStats& card = sim.card;
  const std::uint64_t card_cycles = card.window_end - card.window_begin;
  r.totals.specific["pes"] = card.pes;
  r.totals.specific["card_images"] = card.image_done.size();
  r.totals.specific["card_cycles"] = card_cycles;
  r.totals.specific["card_fps"] =
      card_cycles > 0 ? config.clock_mhz * 1e6 * static_cast<double>(card.window_images) / static_cast<double>(card_cycles)
                      : 0.0;
  r.totals.specific["card_binding"] = card.binding;
  r.totals.specific["host_link_busy_share"] = card.host_link_busy_share;
  r.totals.specific["host_busy_share"] = card.host_busy_share;
  r.totals.specific["am_bytes"] = config.xdnn().am_bytes;
  r.totals.specific["instructions"] = program.instrs_size();
  return r;
}

using namespace report::declaring;


class XdnnBackend : public BackendOf<isa::xdnn::Program> {
 public:
  XdnnBackend()
      : BackendOf(describe(Target::Xdnn), {isa::xdnn::save_program, isa::xdnn::load_program,
                                    isa::xdnn::check_program_matches, "program.cmd"}) {}
  const OptionTable& compile_options() const override { return xdnn::compile_option_table(); }

  std::unique_ptr<TargetProgram> compile(const quant::QGraph& graph, const HwConfig& config,
                                         const OptionValues& options) const override {
    xdnn::CompileResult compiled = xdnn::compile_xdnn(graph, config, xdnn::to_compile_options(options));
    return std::make_unique<XdnnProgram>(std::move(compiled.program), std::move(compiled.report), std::move(compiled.cmd));
  }

  Partition partition(const quant::QGraph& graph, const HwConfig& config, const OptionValues& options) const override {
    const xdnn::CompileOptions xdnn_options = xdnn::to_compile_options(options);
    const xdnn::SiblingMerge merge = xdnn::merge_siblings(graph, config.xdnn(), xdnn_options);
    const xdnn::LayerMapping mapping = xdnn::map_merged_layers(graph, merge, config.xdnn(), xdnn_options);
    Partition result;
    for (const xdnn::XLayer& layer : mapping.layers) {
      result.layers.push_back({layer.name, report_layer_type(layer.type), xdnn::layer_unit(layer), layer.host_reason});
    }
    result.unsupported = mapping.unsupported;
    return result;
  }

  void print_compile_summary(const TargetProgram& program, std::ostream& os) const override {
    const nlohmann::json* report = typed(program).compile_report();
    if (report == nullptr) return;
    const auto& r = *report;
    const auto& schedule = r.at("schedule");
    const auto& allocation = r.at("allocation");
    os << fmt::format("compiled {} for {}: {} instructions, {} layers, {:.3f} GOP ({:.3f} GMAC)\n",
                      r.at("model").get<std::string>(), r.at("hw").get<std::string>(),
                      r.at("instructions").get<std::uint64_t>(), r.at("layers").size(),
                      static_cast<double>(r.at("ops").get<std::uint64_t>()) * 1e-9,
                      static_cast<double>(r.at("macs").get<std::uint64_t>()) * 1e-9);
    os << fmt::format("  schedule: {} valid schedules explored in {} regions; peak AM footprint {} bytes ({} in the "
                      "model's own order)\n",
                      schedule.at("valid_schedules").get<std::uint64_t>(), schedule.at("regions").get<int>(),
                      schedule.at("peak_am_bytes").get<std::uint64_t>(),
                      schedule.at("default_order_peak_am_bytes").get<std::uint64_t>());
    os << fmt::format("  AM allocation: strategy {}, extent {} of {} bytes, {} buffer(s) spilled\n",
                      allocation.at("strategy").get<std::string>(), allocation.at("extent_bytes").get<std::uint64_t>(),
                      allocation.at("am_bytes").get<std::int64_t>(), allocation.at("spilled_buffers").get<int>());
    if (allocation.at("row_tiled_layers").get<int>() > 0) {
      os << fmt::format("  row tiling: {} layer(s) run in row stripes around {} buffer(s) kept in DDR\n",
                        allocation.at("row_tiled_layers").get<int>(), allocation.at("ddr_resident_buffers").get<int>());
    }
    os << fmt::format("  DDR: weights {} bytes; activations {} bytes, of which intermediate (moveops: spills, "
                      "concat copies, gathers) {} bytes\n",
                      r.at("weight_bytes").get<std::uint64_t>(), r.at("ddr_activation_bytes").get<std::uint64_t>(),
                      r.at("moveops").get<std::uint64_t>());
  }

  void elaborate_ahead() const override { xsim::elaborate_ahead(); }

  TargetRun simulate(const TargetProgram& program, const HwConfig& config, const std::vector<sim::IntTensor>& inputs,
                     const sim::SimOptions& options) const override {
    const XdnnProgram& p = typed(program);
    xsim::SimResult sim = xsim::simulate(p.program(), config, inputs, options);
    TargetRun run;
    run.report = build_report(p, config, sim);
    run.outputs = std::move(sim.outputs);
    for (const auto& layer : p.program().layers()) {
      for (const auto& checked : isa::xdnn::checked_outputs(layer)) {
        const auto captured = sim.layer_outputs.find(*checked.tensor);
        if (captured != sim.layer_outputs.end()) {
          run.layer_outputs.push_back({layer.name(), *checked.tensor, captured->second});
        }
      }
    }
    run.summary = fmt::format("simulated {} instructions", p.program().instrs_size());
    const std::size_t images = sim.image_end.size();
    if (sim.card.pes > 1) {
      run.summary += fmt::format(" for each of {} images on {} PEs (PE 0's figures shown)", sim.card.image_done.size(),
                                 sim.card.pes);
    } else if (images > 1) {
      run.summary += fmt::format(" for each of {} images", images);
    }
    if (sim.image_outputs.size() > 1) {
      // Every image had the same input: the golden check of the last covers all of them only if
      // they agree. The first that differs is the one checked, so its mismatch is reported.
      for (std::size_t k = 0; k + 1 < sim.image_outputs.size(); ++k) {
        if (sim.image_outputs[k] != sim.image_outputs.back()) {
          run.summary += fmt::format(" (image {} differs from the last: its outputs are checked)", k + 1);
          run.outputs = sim.image_outputs[k];
          break;
        }
      }
    }
    return run;
  }
};

}  // namespace

std::unique_ptr<TargetBackend> make_xdnn_backend() { return std::make_unique<XdnnBackend>(); }

}  // namespace wb
