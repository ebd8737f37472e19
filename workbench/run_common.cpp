#include "workbench/run_common.h"

#include <fmt/format.h>

#include <algorithm>
#include <ostream>
#include <random>

#include "compiler/frontend/onnx_import.h"
#include "compiler/frontend/tensor_files.h"
#include "compiler/golden/integer_executor.h"
#include "compiler/golden/reference_executor.h"
#include "support/error.h"
#include "support/file_io.h"
#include "support/interrupt.h"
#include "support/progress.h"
#include "support/sha256.h"
#include "support/stopwatch.h"
#include "workbench/hw_show.h"
#include "workbench/report/report_console.h"
#include "workbench/report/report_csv.h"
#include "workbench/report/report_json.h"
#include "workbench/version.h"

namespace wb {

namespace {

// The first element where `actual` differs from `expected` (index -1: the sizes differ).
std::optional<report::Mismatch> first_difference(const std::string& where, const Tensor& expected,
                                                 const std::vector<std::int32_t>& actual) {
  if (static_cast<std::size_t>(expected.numel()) != actual.size()) {
    return report::Mismatch{where, -1, expected.numel(), static_cast<std::int64_t>(actual.size())};
  }
  for (std::int64_t i = 0; i < expected.numel(); ++i) {
    const std::int64_t e = expected.as_int64(i);
    const std::int64_t a = actual[static_cast<std::size_t>(i)];
    if (e != a) return report::Mismatch{where, i, e, a};
  }
  return std::nullopt;
}

}  // namespace

Tensor synthetic_float(const quant::QTensor& t, std::uint64_t seed) {
  Tensor out(DType::F32, t.float_shape());
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (float& v : out.span<float>()) v = normal(rng);
  return out;
}

std::vector<Tensor> read_inputs_for(const InputFiles& files, const std::vector<quant::QTensor>& inputs) {
  std::vector<RunInputSpec> specs;
  for (const quant::QTensor& t : inputs) specs.push_back(run_input_spec(t));
  return read_input_files(files, specs);
}

std::vector<quant::QTensor> input_tensors(const quant::QGraph& graph) {
  std::vector<quant::QTensor> tensors;
  for (const int i : graph.inputs) tensors.push_back(graph.tensor(i));
  return tensors;
}

std::map<int, Tensor> golden_tensors(const quant::QGraph& graph, const std::vector<Tensor>& quantized_inputs) {
  std::map<int, Tensor> all;
  const golden::IntegerExecutor executor(graph);
  for (std::size_t i = 0; i < graph.inputs.size(); ++i) all[graph.inputs[i]] = quantized_inputs[i];
  ProgressPhase progress("golden check", graph.nodes.size(), "nodes");
  executor.run_quantized(quantized_inputs, [&](int index, const Tensor& t) {
    all[index] = t;
    progress.step();
    throw_if_interrupted();
  });
  return all;
}

Verification verify_against_golden(const quant::QGraph& graph, const std::map<int, Tensor>& golden,
                                   const std::vector<const std::vector<std::int32_t>*>& outputs,
                                   const std::vector<CapturedLayer>& layers) {
  Verification v;
  std::optional<report::Mismatch> output_mismatch;
  for (std::size_t o = 0; o < graph.outputs.size() && o < outputs.size(); ++o) {
    const auto diff = first_difference(graph.tensor(graph.outputs[o]).name, golden.at(graph.outputs[o]), *outputs[o]);
    if (diff && !output_mismatch) output_mismatch = diff;
  }
  for (const CapturedLayer& layer : layers) {
    const int tensor = graph.find_tensor(layer.tensor);
    if (layer.values == nullptr || tensor < 0 || golden.count(tensor) == 0) continue;
    ++v.layers_checked;
    if (auto diff = first_difference(layer.layer, golden.at(tensor), *layer.values)) {
      v.mismatch = diff;
      break;
    }
  }
  if (!output_mismatch && !v.mismatch) {
    v.verdict = "bit-exact";
  } else {
    v.verdict = "mismatch";
    if (!v.mismatch) v.mismatch = output_mismatch;
  }
  return v;
}

std::string model_name_of(const std::filesystem::path& model_path) {
  const std::string folder = model_path.parent_path().filename().string();
  return model_path.stem() == "model" && !folder.empty() ? folder : model_path.stem().string();
}

report::RunReport report_header(const std::string& model_path, const std::string& model_name,
                                const std::filesystem::path& hw_path, const HwConfig& config,
                                const std::string& model_sha256) {
  report::RunReport r;
  r.tool_version = std::string(kVersion);
  r.tool_git = std::string(build_git_commit()) + (build_git_dirty() ? "+dirty." : "") + std::string(build_git_changes());
  r.tool_commit = std::string(build_git_commit());
  r.tool_dirty = build_git_dirty();
  r.model_path = model_path;
  r.model_sha256 = !model_sha256.empty()                            ? model_sha256
                   : std::filesystem::is_regular_file(model_path) ? sha256_file(model_path)
                                                                   : "";
  r.model_name = model_path.empty() ? model_name : model_name_of(model_path);
  r.hw_path = hw_path.string();
  r.hw_sha256 = sha256_file(hw_path);
  r.target = target_name(config.target());
  r.hw_resolved = hw_config_json(config);
  return r;
}

void check_outputs(const SimOutputs& outputs) {
  const std::pair<const std::filesystem::path*, const char*> files[] = {
      {&outputs.json, "--json"}, {&outputs.csv, "--csv"}, {&outputs.trace, "--trace"}, {&outputs.vcd, "--vcd"}};
  for (const auto& [path, option] : files) {
    if (!path->empty()) check_output_file(*path, option);
  }
  if (!outputs.plot_dir.empty()) check_output_folder(outputs.plot_dir, "--plot");
}

std::vector<Tensor> run_inputs(const InputFiles& files, const QuantizeResult& quantized,
                               const std::vector<Tensor>& seeded, std::uint64_t seed, std::ostream& log) {
  std::vector<Tensor> inputs;
  if (!files.empty()) {
    inputs = read_inputs_for(files, input_tensors(quantized.qgraph));
  } else {
    inputs = !seeded.empty() ? seeded : random_inputs(*quantized.float_graph, seed);
    const std::vector<quant::QTensor> tensors = input_tensors(quantized.qgraph);
    const bool ids = std::any_of(tensors.begin(), tensors.end(), [](const quant::QTensor& t) { return t.token_ids; });
    log << fmt::format("input: seeded {} (seed {}); give a real one with --input\n",
                       ids ? "token ids inside their table, N(0,1) floats" : "N(0,1)", seed);
  }
  return inputs;
}

VerifyModel verify_model(const std::filesystem::path& dir, const std::filesystem::path& program_path,
                         const isa::ProgramHeader& header, const InputFiles& files,
                         std::uint64_t seed, std::ostream& log) {
  VerifyModel m;
  m.qdq_path = dir / "model.qdq.onnx";
  if (!std::filesystem::exists(m.qdq_path)) {
    throw UserError(fmt::format("{}: missing; verify needs a folder written by 'workbench compile' (8-bit models)",
                                m.qdq_path.string()));
  }
  if (header.qdq_model_sha256().empty()) {
    throw UserError(fmt::format("{}: {} was compiled without one (its model has no QDQ form), so verify cannot "
                                "check it; use 'workbench run' on the model instead",
                                m.qdq_path.string(), program_path.filename().string()));
  }
  const std::string qdq_sha256 = sha256_file(m.qdq_path);
  if (qdq_sha256 != header.qdq_model_sha256()) {
    // A file that does not import is damaged (truncated, overwritten); one that does is another model.
    try {
      import_onnx_file(m.qdq_path);
    } catch (const UserError& e) {
      throw UserError(fmt::format("{}: damaged, not the model {} was compiled from ({}); compile the model again "
                                  "into this folder",
                                  m.qdq_path.string(), program_path.filename().string(), e.what()));
    }
    throw UserError(fmt::format(
        "{}: not the model {} was compiled from (SHA-256 {}..., the program records {}...); compile the model "
        "again into this folder",
        m.qdq_path.string(), program_path.filename().string(), qdq_sha256.substr(0, 12),
        header.qdq_model_sha256().substr(0, 12)));
  }
  QuantizeCommand quantize;
  quantize.model = m.qdq_path;
  quantize.quant.scheme = quant::parse_scheme(header.quant_scheme());
  m.quantized = run_quantize(quantize, log);
  if (!files.empty()) {
    m.inputs = read_inputs_for(files, input_tensors(m.quantized.qgraph));
  } else {
    m.inputs = random_inputs(*m.quantized.float_graph, seed);
  }
  return m;
}

void golden_check(const quant::QGraph& graph, const std::vector<Tensor>& quantized_inputs,
                  const std::function<Verification(const std::map<int, Tensor>& golden)>& compare,
                  report::RunReport& r, std::ostream& log) {
  const auto start = SteadyClock::now();
  const Verification v = compare(golden_tensors(graph, quantized_inputs));
  r.verdict = v.verdict;
  r.mismatch = v.mismatch;
  r.totals.specific["layers_verified"] = v.layers_checked;
  log << fmt::format("golden check: {} ({} layer outputs compared)\n", v.verdict, v.layers_checked);
  report_timing("golden check", seconds_since(start));
}

std::vector<Tensor> sim_inputs(const std::vector<quant::QTensor>& program_inputs,
                               const InputFiles& files, std::uint64_t seed) {
  if (!files.empty()) return read_inputs_for(files, program_inputs);
  std::vector<Tensor> inputs;
  for (const quant::QTensor& t : program_inputs) inputs.push_back(synthetic_float(t, seed));
  return inputs;
}

void emit_outputs(const report::RunReport& r, const SimOutputs& outputs, std::ostream& log) {
  std::ostream& console = outputs.console != nullptr ? *outputs.console : log;
  if (outputs.table) {
    report::print_table(r, console);
  } else if (outputs.totals) {
    report::print_totals(r, console);
  }
  if (!outputs.json.empty()) report::write_json(r, outputs.json);
  if (!outputs.csv.empty()) report::write_csv(r, outputs.csv);
}

}  // namespace wb
