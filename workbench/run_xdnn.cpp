#include "workbench/run_xdnn.h"

#include <fmt/format.h>

#include <map>
#include <ostream>

#include "compiler/frontend/tensor_io.h"
#include "compiler/golden/integer_executor.h"
#include "compiler/golden/reference_executor.h"
#include "isa/error.h"
#include "isa/xdnn_program.h"
#include "sim/xdnn/xdnn_sim.h"

namespace wb {

namespace {

namespace xsim = wb::sim::xdnn;
using Clock = SteadyClock;

xsim::IntTensor to_int_tensor(const Tensor& t) {
  xsim::IntTensor out;
  out.shape = t.shape();
  out.values.reserve(static_cast<std::size_t>(t.numel()));
  for (std::int64_t i = 0; i < t.numel(); ++i) out.values.push_back(static_cast<std::int32_t>(t.as_int64(i)));
  return out;
}

// The program input's QTensor (for quantising a float input the way the golden model does).
quant::QTensor io_qtensor(const isa::xdnn::IoTensor& io) {
  quant::QTensor t;
  t.name = io.name();
  t.shape.assign(io.shape().begin(), io.shape().end());
  t.bits = static_cast<int>(io.bits());
  t.is_signed = io.region().layout().is_signed();
  t.scale = io.scale();
  return t;
}

Verification verify(const quant::QGraph& graph, const isa::xdnn::Program& program,
                    const std::map<int, Tensor>& golden, const xsim::SimResult& sim) {
  std::vector<const std::vector<std::int32_t>*> outputs;
  for (const auto& o : sim.outputs) outputs.push_back(&o.values);
  std::vector<CapturedLayer> layers;
  for (const auto& layer : program.layers()) {
    const auto captured = sim.layer_outputs.find(layer.output());
    if (captured != sim.layer_outputs.end()) layers.push_back({layer.name(), layer.output(), &captured->second.values});
  }
  return verify_against_golden(graph, golden, outputs, layers);
}

report::RunReport build_report(const isa::xdnn::Program& program, const HwConfig& config,
                               const std::filesystem::path& hw_path, const std::string& model_path,
                               const xsim::SimResult& sim, const nlohmann::json* compile_report) {
  report::RunReport r = report_header(model_path, program.header().model_name(), hw_path, config);
  const double peak = peak_mac_per_cycle(config, 8);
  std::uint64_t weight_bytes = 0, activation_bytes = 0, spill_bytes = 0;
  for (const auto& l : sim.layers) {
    report::LayerRow row;
    row.name = l.name;
    row.type = l.type;
    row.macs = l.macs;
    row.ops = l.ops;
    row.cycles = l.cycles;
    row.stall_cycles = l.stall_cycles;
    row.bytes_in = l.ddr_read_bytes + l.ddr_weight_bytes;
    row.bytes_out = l.ddr_write_bytes;
    row.tiles = l.tiles;
    set_rates(row, peak);
    row.extra = {{"ddr_weight_bytes", l.ddr_weight_bytes},
                 {"ddr_upload_bytes", l.ddr_read_bytes},
                 {"ddr_download_bytes", l.ddr_write_bytes},
                 {"array_busy_cycles", l.array_busy_cycles},
                 {"pool_busy_cycles", l.pool_busy_cycles},
                 {"start_cycle", l.start_cycle},
                 {"end_cycle", l.end_cycle}};
    weight_bytes += l.ddr_weight_bytes;
    activation_bytes += l.ddr_read_bytes + l.ddr_write_bytes;
    r.totals.macs += l.macs;
    r.totals.ops += l.ops;
    r.layers.push_back(std::move(row));
  }
  set_totals(r, sim.total_cycles, config);
  r.totals.ddr_bytes = weight_bytes + activation_bytes;
  r.totals.moveops = activation_bytes;
  r.totals.host_ms = static_cast<double>(sim.host_cycles) / (config.clock_mhz * 1e3);
  r.totals.extra = {{"ddr_weight_bytes", weight_bytes}, {"ddr_activation_bytes", activation_bytes}};
  if (compile_report != nullptr) {
    spill_bytes = compile_report->at("ddr_spill_bytes").get<std::uint64_t>();
    r.totals.extra["ddr_spill_bytes"] = spill_bytes;
    r.totals.extra["ddr_input_output_bytes"] = compile_report->at("ddr_input_output_bytes");
    r.totals.extra["peak_am_bytes"] = compile_report->at("schedule").at("peak_am_bytes");
    r.totals.extra["am_extent_bytes"] = compile_report->at("allocation").at("extent_bytes");
    r.totals.extra["am_allocator"] = compile_report->at("allocation").at("strategy");
    r.totals.extra["valid_schedules"] = compile_report->at("schedule").at("valid_schedules");
  }
  r.totals.extra["am_bytes"] = config.xdnn().am_bytes;
  r.totals.extra["instructions"] = program.instrs_size();
  return r;
}

xsim::SimOptions sim_options(const SimOutputs& outputs, bool no_data, bool capture) {
  xsim::SimOptions options;
  options.data = !no_data;
  options.capture_layer_outputs = capture && !no_data;
  options.trace_path = outputs.trace;
  options.vcd_path = outputs.vcd;
  return options;
}

report::RunReport simulate_and_verify(const quant::QGraph* graph, const isa::xdnn::Program& program,
                                      const HwConfig& config, const std::filesystem::path& hw_path,
                                      const std::string& model_path, const std::vector<Tensor>& float_inputs,
                                      bool no_data, const SimOutputs& outputs, const nlohmann::json* compile_report,
                                      std::ostream& log) {
  std::vector<Tensor> quantized;
  std::vector<xsim::IntTensor> sim_inputs;
  for (std::size_t i = 0; i < static_cast<std::size_t>(program.inputs_size()); ++i) {
    const quant::QTensor t = graph != nullptr ? graph->tensor(graph->inputs[i]) : io_qtensor(program.inputs(static_cast<int>(i)));
    quantized.push_back(golden::quantize_input(t, float_inputs.at(i)));
    sim_inputs.push_back(to_int_tensor(quantized.back()));
  }
  const auto sim_start = Clock::now();
  const xsim::SimResult sim = xsim::simulate(program, config, sim_inputs, sim_options(outputs, no_data, graph != nullptr));
  const double sim_seconds = seconds_since(sim_start);
  report::RunReport r = build_report(program, config, hw_path, model_path, sim, compile_report);
  r.verdict = "not-verified";
  if (graph != nullptr && !no_data) {
    golden_check(
        *graph, quantized, [&](const std::map<int, Tensor>& golden) { return verify(*graph, program, golden, sim); }, r,
        log);
  }
  log << fmt::format("simulated {} instructions in {:.2f} s{}\n", program.instrs_size(), sim_seconds,
                     no_data ? " (timing only: --no-data)" : "");
  emit_outputs(r, outputs, log);
  return r;
}

}  // namespace

report::RunReport run_xdnn(const RunCommand& command, std::ostream& log) {
  CompileCommand compile = command.compile;
  compile.quantize.structure_only = command.no_data;
  const CompiledModel model = compile_model(compile, log);
  print_compile_summary(log, model.compiled);
  const std::vector<Tensor> inputs = run_inputs(command.input, model.quantized, command.compile.quantize.seed, log);
  return simulate_and_verify(&model.quantized.qgraph, model.compiled.program, model.config, command.compile.hw,
                             command.compile.model.string(), inputs, command.no_data, command.outputs,
                             &model.compiled.report, log);
}

report::RunReport sim_xdnn(const SimCommand& command, std::ostream& log) {
  const HwConfig config = load_hw_config(command.hw, command.overrides);
  const isa::xdnn::Program program = isa::xdnn::load_program(command.program);
  isa::xdnn::check_program_matches(program, config, command.program.string());
  std::vector<quant::QTensor> io;
  for (const auto& t : program.inputs()) io.push_back(io_qtensor(t));
  const std::vector<Tensor> inputs = sim_inputs(io, command.input, command.seed);
  report::RunReport r = simulate_and_verify(nullptr, program, config, command.hw, command.program.string(), inputs,
                                            command.no_data, command.outputs, nullptr, log);
  return r;
}

report::RunReport verify_xdnn(const VerifyCommand& command, std::ostream& log) {
  const std::filesystem::path program_path = command.dir / "program.xdnn";
  const HwConfig config = load_hw_config(command.hw, command.overrides);
  const isa::xdnn::Program program = isa::xdnn::load_program(program_path);
  isa::xdnn::check_program_matches(program, config, program_path.string());
  const VerifyModel m = verify_model(command.dir, program.header().quant_scheme(), command.input, command.seed, log);
  return simulate_and_verify(&m.quantized.qgraph, program, config, command.hw, m.qdq_path.string(), m.inputs, false,
                             command.outputs, nullptr, log);
}

}  // namespace wb
