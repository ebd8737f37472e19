#include "workbench/run_common.h"

#include <fmt/format.h>

#include <ostream>
#include <random>

#include "compiler/frontend/tensor_io.h"
#include "compiler/golden/integer_executor.h"
#include "isa/error.h"

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

double seconds_since(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

Tensor synthetic_float(const quant::QTensor& t, std::uint64_t seed) {
  Tensor out(DType::F32, t.shape);
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (float& v : out.span<float>()) v = normal(rng);
  return out;
}

Tensor read_float_input(const std::filesystem::path& path, const quant::QTensor& t) {
  Tensor input = read_tensor_file(path);
  if (input.dtype() != DType::F32 || input.shape() != t.shape) {
    throw UserError(fmt::format("{}: expected a float32 tensor of shape {} for input '{}', got {} {}", path.string(),
                                format_shape(t.shape), t.name, dtype_name(input.dtype()),
                                format_shape(input.shape())));
  }
  return input;
}

std::map<int, Tensor> golden_tensors(const quant::QGraph& graph, const std::vector<Tensor>& quantized_inputs) {
  std::map<int, Tensor> all;
  const golden::IntegerExecutor executor(graph);
  for (std::size_t i = 0; i < graph.inputs.size(); ++i) all[graph.inputs[i]] = quantized_inputs[i];
  executor.run_quantized(quantized_inputs, [&](int index, const Tensor& t) { all[index] = t; });
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

void emit_outputs(const report::RunReport& r, const SimOutputs& outputs, std::ostream& log) {
  if (outputs.table) report::print_table(r, log);
  if (!outputs.json.empty()) report::write_json(r, outputs.json);
  if (!outputs.csv.empty()) report::write_csv(r, outputs.csv);
}

}  // namespace wb
