#include "workbench/run.h"

#include <fmt/format.h>

#include <ostream>

#include "compiler/golden/integer_executor.h"
#include "compiler/ir/token_layout.h"
#include "support/error.h"
#include "support/file_io.h"
#include "support/progress.h"
#include "support/stopwatch.h"

namespace wb {

namespace {

sim::IntTensor to_int_tensor(const Tensor& t) {
  sim::IntTensor out;
  out.shape = t.shape();
  out.values.reserve(static_cast<std::size_t>(t.numel()));
  for (std::int64_t i = 0; i < t.numel(); ++i) out.values.push_back(static_cast<std::int32_t>(t.as_int64(i)));
  return out;
}

Verification compare_with_golden(const quant::QGraph& graph, const std::map<int, Tensor>& golden, const TargetRun& run) {
  std::vector<const std::vector<std::int32_t>*> outputs;
  for (const auto& o : run.outputs) outputs.push_back(&o.values);
  std::vector<CapturedLayer> layers;
  for (const auto& layer : run.layer_outputs) layers.push_back({layer.name, layer.tensor, &layer.values.values});
  return verify_against_golden(graph, golden, outputs, layers);
}

// The token ids the inputs hold; none for a model without token inputs.
std::optional<std::uint64_t> token_count(const quant::QGraph& graph) {
  std::uint64_t tokens = 0;
  for (const int input : graph.inputs) {
    const quant::QTensor& t = graph.tensor(input);
    if (t.token_ids) tokens += static_cast<std::uint64_t>(num_elements(t.shape));
  }
  return tokens > 0 ? std::optional(tokens) : std::nullopt;
}

void keep_outputs(const TargetRun& run, const quant::QGraph* graph, std::vector<NetworkOutput>& kept) {
  kept.clear();
  for (std::size_t i = 0; i < run.outputs.size(); ++i) {
    NetworkOutput output{fmt::format("output{}", i), run.outputs[i].shape, run.outputs[i].values, 0};
    if (graph != nullptr && i < graph->outputs.size()) {
      const quant::QTensor& t = graph->tensor(graph->outputs[i]);
      output.name = t.name;
      output.scale = t.scale;
      // An output of tokens stored as its image [1, K, 1, T] goes to users as the [1, T, K] (or
      // a KV cache's [1, h, T, d]) of the float model (token_layout.h).
      if (!t.source_shape.empty() && output.values.size() == static_cast<std::size_t>(num_elements(t.shape))) {
        std::vector<std::int32_t> tokens(output.values.size());
        for (std::size_t j = 0; j < tokens.size(); ++j) {
          tokens[j] = output.values[static_cast<std::size_t>(
              image_offset_of(t.source_shape, t.shape, static_cast<std::int64_t>(j)))];
        }
        output.values = std::move(tokens);
        output.shape = t.source_shape;
      }
    }
    kept.push_back(std::move(output));
  }
}

// A program file of another target (by its file name's extension) gets that said, not
// "corrupted".
void check_program_target(const std::filesystem::path& program, const TargetBackend& backend,
                          const std::filesystem::path& hw) {
  for (const TargetBackend* other : all_backends()) {
    if (other == &backend || program.extension() != std::filesystem::path(other->program_file_name()).extension()) {
      continue;
    }
    throw UserError(fmt::format("{}: a program for {}, but {} is a config for {}; give a config for {}",
                                program.string(), other->display_name(), hw.string(), backend.display_name(),
                                other->display_name()));
  }
}

// The request's parts every command fills the same way.
SimulationRequest request_for(const TargetBackend& backend, const TargetProgram& program, const HwConfig& config,
                              const std::filesystem::path& hw_path, const SimOutputs& outputs) {
  SimulationRequest request;
  request.backend = &backend;
  request.program = &program;
  request.config = &config;
  request.hw_path = hw_path;
  request.outputs = outputs;
  return request;
}

}  // namespace

report::RunReport simulate_and_verify(const SimulationRequest& request, std::ostream& log) {
  const std::vector<quant::QTensor> program_inputs = request.program->inputs();
  std::vector<Tensor> quantized;
  std::vector<sim::IntTensor> sim_inputs;
  for (std::size_t i = 0; i < program_inputs.size(); ++i) {
    const quant::QTensor& t =
        request.graph != nullptr ? request.graph->tensor(request.graph->inputs.at(i)) : program_inputs[i];
    quantized.push_back(golden::quantize_input(t, request.float_inputs.at(i)));
    sim_inputs.push_back(to_int_tensor(quantized.back()));
  }
  if (request.graph != nullptr) golden::check_token_ids(*request.graph, quantized);
  sim::SimOptions options;
  options.data = !request.no_data;
  options.images = request.images;
  options.capture_layer_outputs = request.graph != nullptr && !request.no_data;
  options.trace_path = request.outputs.trace;
  options.vcd_path = request.outputs.vcd;
  for (const TargetBackend* backend : all_backends()) backend->elaborate_ahead();
  const auto sim_start = SteadyClock::now();
  const TargetRun run = request.backend->simulate(*request.program, *request.config, sim_inputs, options);
  const double sim_seconds = seconds_since(sim_start);

  report::RunReport r = report_header(request.model_path, request.program->header().model_name(), request.hw_path,
                                      *request.config, request.model_sha256);
  r.totals = run.report.totals;
  if (request.graph != nullptr) r.totals.tokens = token_count(*request.graph);
  r.layers = run.report.layers;
  r.units = run.report.units;
  const isa::ProgramHeader& header = request.program->header();
  nlohmann::json calibration = nlohmann::json::parse(header.calibration(), nullptr, false);
  if (calibration.is_discarded()) calibration = nullptr;  // a program compiled before it was recorded
  r.run = {header.quant_scheme(), header.compile_options(), header.hw_fingerprint(), !request.no_data,
           {header.hw_overrides().begin(), header.hw_overrides().end()}, std::move(calibration)};
  r.wall = {request.compile_seconds, sim_seconds};
  for (std::size_t i = 0; i < program_inputs.size(); ++i) {
    const std::string data = request.no_data                     ? "none"
                             : i < request.input_sources.size() ? request.input_sources[i]
                                                                 : "seeded N(0,1)";
    r.run.inputs.push_back({{"name", program_inputs[i].name},
                            {"shape", program_inputs[i].float_shape()},
                            {"dtype", dtype_name(request.float_inputs.at(i).dtype())},
                            {"data", data}});
  }
  r.verdict = "not-verified";
  if (request.graph != nullptr && !request.no_data) {
    golden_check(
        *request.graph, quantized,
        [&](const std::map<int, Tensor>& golden) { return compare_with_golden(*request.graph, golden, run); }, r, log);
  }
  if (request.outputs.network_outputs != nullptr) keep_outputs(run, request.graph, *request.outputs.network_outputs);
  log << fmt::format("{}{}\n", run.summary, request.no_data ? " (timing only: --no-data)" : "");
  report_timing("simulation", sim_seconds);
  emit_outputs(r, request.outputs, log);
  return r;
}

report::RunReport run_model(const RunCommand& command, std::ostream& log) {
  check_outputs(command.outputs);
  CompileCommand compile = command.compile;
  // Read and checked before anything is quantized; their shapes are the model's symbolic sizes.
  compile.quantize.input_file_shapes = input_file_shapes(command.inputs);
  compile.quantize.structure_only = command.no_data;
  const auto compile_start = SteadyClock::now();
  const CompiledModel model = compile_model(compile, log);
  const double compile_seconds = seconds_since(compile_start);
  model.backend->print_compile_summary(*model.program, log);
  SimulationRequest request = request_for(*model.backend, *model.program, model.config, command.compile.hw, command.outputs);
  request.graph = &model.quantized.qgraph;
  request.model_path = command.compile.model.string();
  request.model_sha256 = model.model_sha256;
  request.float_inputs =
      run_inputs(command.inputs, model.quantized, model.seeded_inputs, command.compile.quantize.seed, log);
  request.input_sources = input_sources(command.inputs, input_tensors(model.quantized.qgraph),
                                       command.compile.quantize.seed);
  request.compile_seconds = compile_seconds;
  request.no_data = command.no_data;
  request.images = command.images;
  return simulate_and_verify(request, log);
}

report::RunReport sim_program(const SimCommand& command, std::ostream& log) {
  check_outputs(command.outputs);
  input_file_shapes(command.inputs);  // each file readable and finite before the program loads
  const HwConfig config = load_hw_config(command.hw, command.overrides);
  const TargetBackend& backend = backend_for(config);
  check_program_target(command.program, backend, command.hw);
  const std::unique_ptr<TargetProgram> program = backend.load(command.program, config);
  SimulationRequest request = request_for(backend, *program, config, command.hw, command.outputs);
  request.model_path = command.program.string();
  request.float_inputs = sim_inputs(program->inputs(), command.inputs, command.seed);
  request.input_sources = input_sources(command.inputs, program->inputs(), command.seed);
  request.no_data = command.no_data;
  request.images = command.images;
  return simulate_and_verify(request, log);
}

namespace {

// The folder `compile -o` wrote: the one given, or the folder of a program file given instead.
std::filesystem::path compiled_folder(const std::filesystem::path& given) {
  std::error_code ec;
  if (std::filesystem::is_directory(given, ec)) return given;
  if (!std::filesystem::exists(given, ec)) {
    throw UserError(fmt::format("{}: no such folder (give the folder workbench compile -o wrote)", given.string()));
  }
  for (const TargetBackend* backend : all_backends()) {
    if (given.filename() == backend->program_file_name()) {
      return given.parent_path().empty() ? std::filesystem::path(".") : given.parent_path();
    }
  }
  throw UserError(fmt::format("{}: not a compiled folder nor a program file; give the folder workbench compile -o "
                              "wrote (its program.xdnn or program.pulp beside model.qdq.onnx)",
                              given.string()));
}

}  // namespace

report::RunReport verify_program(const VerifyCommand& command, std::ostream& log) {
  check_outputs(command.outputs);
  input_file_shapes(command.inputs);  // each file readable and finite before the program loads
  const HwConfig config = load_hw_config(command.hw, command.overrides);
  const TargetBackend& backend = backend_for(config);
  const std::filesystem::path dir = compiled_folder(command.dir);
  const std::filesystem::path program_path = dir / backend.program_file_name();
  std::error_code ec;
  if (!std::filesystem::exists(program_path, ec)) {
    for (const TargetBackend* other : all_backends()) {
      if (std::filesystem::exists(dir / other->program_file_name(), ec)) {
        check_program_target(dir / other->program_file_name(), backend, command.hw);
      }
    }
  }
  const std::unique_ptr<TargetProgram> program = backend.load(program_path, config);
  const VerifyModel m = verify_model(dir, program_path, program->header(), command.inputs, command.seed, log);
  SimulationRequest request = request_for(backend, *program, config, command.hw, command.outputs);
  request.graph = &m.quantized.qgraph;
  request.model_path = m.qdq_path.string();
  request.float_inputs = m.inputs;
  request.input_sources = input_sources(command.inputs, program->inputs(), command.seed);
  return simulate_and_verify(request, log);
}

}  // namespace wb
