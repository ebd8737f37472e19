#include "workbench/run_pulp.h"

#include <fmt/format.h>

#include <ostream>

#include "compiler/golden/integer_executor.h"
#include "compiler/golden/reference_executor.h"
#include "isa/error.h"
#include "isa/pulp_program.h"
#include "sim/pulp/pulp_sim.h"
#include "workbench/compile_pulp.h"

namespace wb {

namespace {

namespace psim = wb::sim::pulp;

psim::IntTensor to_int_tensor(const Tensor& t) {
  psim::IntTensor out;
  out.shape = t.shape();
  out.values.reserve(static_cast<std::size_t>(t.numel()));
  for (std::int64_t i = 0; i < t.numel(); ++i) out.values.push_back(static_cast<std::int32_t>(t.as_int64(i)));
  return out;
}

quant::QTensor io_qtensor(const isa::pulp::IoTensor& io) {
  quant::QTensor t;
  t.name = io.name();
  t.shape.assign(io.shape().begin(), io.shape().end());
  t.bits = static_cast<int>(io.bits());
  t.is_signed = io.is_signed();
  t.scale = io.scale();
  return t;
}

report::RunReport build_report(const isa::pulp::Network& network, const HwConfig& config,
                               const std::filesystem::path& hw_path, const std::string& model_path,
                               const psim::SimResult& sim) {
  report::RunReport r = report_header(model_path, network.header().model_name(), hw_path, config);
  const double peak = peak_mac_per_cycle(config, 8);
  std::uint64_t l3_in = 0, l3_out = 0, l1_in = 0, l1_out = 0;
  for (std::size_t i = 0; i < sim.layers.size(); ++i) {
    const auto& l = sim.layers[i];
    const auto& layer = network.layers(static_cast<int>(i));
    report::LayerRow row;
    row.name = l.name;
    row.type = l.type;
    row.macs = l.macs;
    row.ops = l.ops;
    row.cycles = l.cycles;
    row.stall_cycles = l.dma_wait_cycles + l.l3_cycles;
    row.bytes_in = l.l3_bytes_in;
    row.bytes_out = l.l3_bytes_out;
    row.tiles = l.tiles;
    set_rates(row, peak);
    const auto& t = layer.tiling();
    row.extra = {{"compute_cycles", l.compute_cycles},
                 {"dma_wait_cycles", l.dma_wait_cycles},
                 {"l3_wait_cycles", l.l3_cycles},
                 {"l1_bytes_in", l.l1_bytes_in},
                 {"l1_bytes_out", l.l1_bytes_out},
                 {"predicted_cycles", t.predicted_cycles()},
                 {"tile", fmt::format("{}x{}x{}{}", t.tile_h_out(), t.tile_w_out(), t.tile_c_out(),
                                      t.tile_c_in() != 0 && t.tile_c_in() < layer.steps(0).compute().c_in()
                                          ? fmt::format(" cin {}", t.tile_c_in())
                                          : "")},
                 {"parallel", t.parallel() == isa::pulp::PARALLEL_HO     ? "Ho"
                              : t.parallel() == isa::pulp::PARALLEL_HOWO ? "HoWo"
                                                                         : "Co"},
                 {"l1_tile_bytes", t.l1_total_bytes()},
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
  r.totals.l3_bytes = l3_in + l3_out;
  r.totals.moveops = l1_in + l1_out;
  r.totals.extra = {{"l3_bytes_in", l3_in},
                    {"l3_bytes_out", l3_out},
                    {"l1_dma_bytes_in", l1_in},
                    {"l1_dma_bytes_out", l1_out},
                    {"l2_bytes_used", network.l2_bytes_used()},
                    {"l3_bytes_used", network.l3_bytes_used()},
                    {"cores", config.pulp().cores},
                    {"tiler", network.layers_size() > 0 ? network.layers(0).tiling().objective() : ""}};
  return r;
}

report::RunReport simulate_and_verify(const quant::QGraph* graph, const isa::pulp::Network& network,
                                      const HwConfig& config, const std::filesystem::path& hw_path,
                                      const std::string& model_path, const std::vector<Tensor>& float_inputs,
                                      bool no_data, const SimOutputs& outputs, std::ostream& log) {
  std::vector<Tensor> quantized;
  std::vector<psim::IntTensor> sim_inputs;
  for (int i = 0; i < network.inputs_size(); ++i) {
    const quant::QTensor t = graph != nullptr ? graph->tensor(graph->inputs[static_cast<std::size_t>(i)])
                                              : io_qtensor(network.inputs(i));
    quantized.push_back(golden::quantize_input(t, float_inputs.at(static_cast<std::size_t>(i))));
    sim_inputs.push_back(to_int_tensor(quantized.back()));
  }
  psim::SimOptions options;
  options.data = !no_data;
  options.capture_layer_outputs = graph != nullptr && !no_data;
  options.trace_path = outputs.trace;
  if (!outputs.vcd.empty()) {
    throw UserError("--vcd: the PULP model writes no VCD; use --trace (a track per core and per DMA channel)");
  }
  const auto sim_start = SteadyClock::now();
  const psim::SimResult sim = psim::simulate(network, config, sim_inputs, options);
  const double sim_seconds = seconds_since(sim_start);
  report::RunReport r = build_report(network, config, hw_path, model_path, sim);
  r.verdict = "not-verified";
  if (graph != nullptr && !no_data) {
    golden_check(
        *graph, quantized,
        [&](const std::map<int, Tensor>& golden) {
          std::vector<const std::vector<std::int32_t>*> network_outputs;
          for (const auto& o : sim.outputs) network_outputs.push_back(&o.values);
          std::vector<CapturedLayer> layers;
          for (const auto& layer : network.layers()) {
            const auto captured = sim.layer_outputs.find(layer.output());
            if (captured != sim.layer_outputs.end()) {
              layers.push_back({layer.name(), layer.output(), &captured->second.values});
            }
          }
          return verify_against_golden(*graph, golden, network_outputs, layers);
        },
        r, log);
  }
  std::size_t steps = 0;
  for (const auto& layer : network.layers()) steps += static_cast<std::size_t>(layer.steps_size());
  log << fmt::format("simulated {} layers, {} tiles in {:.2f} s{}\n", network.layers_size(), steps, sim_seconds,
                     no_data ? " (timing only: --no-data)" : "");
  emit_outputs(r, outputs, log);
  return r;
}

}  // namespace

report::RunReport run_pulp(const RunCommand& command, std::ostream& log) {
  CompileCommand compile = command.compile;
  compile.quantize.structure_only = command.no_data;
  const PulpCompiledModel model = compile_pulp_model(compile, log);
  print_pulp_compile_summary(log, model.compiled);
  const std::vector<Tensor> inputs = run_inputs(command.input, model.quantized, command.compile.quantize.seed, log);
  return simulate_and_verify(&model.quantized.qgraph, model.compiled.network, model.config, command.compile.hw,
                             command.compile.model.string(), inputs, command.no_data, command.outputs, log);
}

report::RunReport sim_pulp(const SimCommand& command, std::ostream& log) {
  const HwConfig config = load_hw_config(command.hw, command.overrides);
  const isa::pulp::Network network = isa::pulp::load_network(command.program);
  isa::pulp::check_network_matches(network, config, command.program.string());
  std::vector<quant::QTensor> io;
  for (const auto& t : network.inputs()) io.push_back(io_qtensor(t));
  const std::vector<Tensor> inputs = sim_inputs(io, command.input, command.seed);
  return simulate_and_verify(nullptr, network, config, command.hw, command.program.string(), inputs, command.no_data,
                             command.outputs, log);
}

report::RunReport verify_pulp(const VerifyCommand& command, std::ostream& log) {
  const std::filesystem::path program_path = command.dir / "program.pulp";
  const HwConfig config = load_hw_config(command.hw, command.overrides);
  const isa::pulp::Network network = isa::pulp::load_network(program_path);
  isa::pulp::check_network_matches(network, config, program_path.string());
  const VerifyModel m = verify_model(command.dir, network.header().quant_scheme(), command.input, command.seed, log);
  return simulate_and_verify(&m.quantized.qgraph, network, config, command.hw, m.qdq_path.string(), m.inputs, false,
                             command.outputs, log);
}

}  // namespace wb
