#include "workbench/infer.h"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <ostream>

#include "compiler/frontend/onnx_import.h"
#include "compiler/frontend/tensor_files.h"
#include "compiler/golden/reference_executor.h"
#include "compiler/ir/printer.h"
#include "compiler/quant/quantizer.h"
#include "support/error.h"
#include "workbench/warnings.h"

namespace wb {

std::vector<std::pair<std::int64_t, double>> top_k(const Tensor& tensor, int k) {
  if (tensor.numel() == 0 || !is_float(tensor.dtype())) return {};
  const std::int64_t row = tensor.rank() == 0 ? 1 : tensor.shape().back();
  std::vector<std::int64_t> index(static_cast<std::size_t>(row));
  std::iota(index.begin(), index.end(), 0);
  const auto count = std::min<std::size_t>(static_cast<std::size_t>(std::max(k, 0)), index.size());
  std::partial_sort(index.begin(), index.begin() + static_cast<std::ptrdiff_t>(count), index.end(),
                    [&](std::int64_t a, std::int64_t b) {
                      const double va = tensor.as_double(a);
                      const double vb = tensor.as_double(b);
                      return va > vb || (va == vb && a < b);
                    });
  std::vector<std::pair<std::int64_t, double>> best;
  for (std::size_t i = 0; i < count; ++i) best.emplace_back(index[i], tensor.as_double(index[i]));
  return best;
}

InferResult run_infer(const InferOptions& options, std::ostream& log) {
  ImportOptions import_options;
  import_options.given_shapes = options.shapes;
  import_options.input_file_shapes = input_file_shapes(options.inputs);
  const ImportedModel model = import_onnx_file(options.model, import_options);
  for (const std::string& note : model.notes) note_later(note);
  const Graph& graph = model.graph;
  if (options.outputs.size() > graph.outputs().size()) {
    throw UserError(fmt::format("the model has {} output{} but --output was given {} times", graph.outputs().size(),
                                graph.outputs().size() == 1 ? "" : "s", options.outputs.size()));
  }
  // NaN in, NaN (or a plausible-looking argmax of garbage) out: refuse as `run` does.
  quant::check_finite_constants(graph);
  const ReferenceExecutor executor(graph);
  std::vector<Tensor> inputs;
  if (options.inputs.empty()) {
    inputs = random_inputs(graph, options.seed);
    fmt::print(log, "inputs: seeded random (seed {}), N(0,1) for float inputs\n", options.seed);
  } else {
    std::vector<RunInputSpec> specs;
    for (const Value* in : graph.inputs()) specs.push_back({in->name, in->shape, in->dtype});
    inputs = read_input_files(options.inputs, specs);
  }
  const auto start = std::chrono::steady_clock::now();
  InferResult result;
  result.outputs = executor.run(inputs);
  result.milliseconds = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  for (const Value* out : graph.outputs()) result.output_names.push_back(out->name);

  for (std::size_t i = 0; i < options.outputs.size(); ++i) {
    write_tensor_file(options.outputs[i], result.outputs[i], result.output_names[i]);
  }
  fmt::print(log, "inference: {:.1f} ms (float reference executor)\n", result.milliseconds);
  for (std::size_t i = 0; i < result.outputs.size(); ++i) {
    const Tensor& t = result.outputs[i];
    fmt::print(log, "output {}: {}{}", result.output_names[i], dtype_name(t.dtype()), format_shape(t.shape()));
    if (i < options.outputs.size()) fmt::print(log, " -> {}", options.outputs[i].string());
    log << '\n';
    const auto best = top_k(t, options.top_k);
    if (best.size() > 1) {
      fmt::print(log, "  top-{}:", best.size());
      for (const auto& [index, value] : best) fmt::print(log, "  #{} ({:.4f})", index, value);
      log << '\n';
    }
  }
  return result;
}

}  // namespace wb
