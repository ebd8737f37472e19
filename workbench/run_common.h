#pragma once
// What `run`, `sim` and `verify` do the same way for every target: make or read the float
// input, run the golden model, compare the simulated tensors with it, and write the report.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "compiler/ir/tensor.h"
#include "compiler/quant/qgraph.h"
#include "isa/hw_config.h"
#include "isa/program_common.pb.h"
#include "support/stopwatch.h"
#include "workbench/quantize.h"
#include "workbench/report/rates.h"
#include "workbench/report/report.h"
#include "workbench/run_inputs.h"

namespace wb {

// A simulated network output in the golden model's layout (NCHW): what the check compares.
struct NetworkOutput {
  std::string name;  // the model's tensor name; "output<i>" for `sim`, which has no model
  std::vector<std::int64_t> shape;
  std::vector<std::int32_t> values;  // the output's quantized integers
  double scale = 0;                  // float value = integer x scale; 0 when unknown (`sim`)
};

struct SimOutputs {
  std::filesystem::path json, csv, trace, vcd;  // empty: not written
  std::filesystem::path plot_dir;  // --plot: checked here, written by the caller (the roofline)
  bool table = true;                            // print the per-layer table
  bool totals = true;                           // print the totals and the verdict (--quiet keeps them)
  std::ostream* console = nullptr;              // where the table and totals go (null: the log)
  // Where the simulated network outputs go (the Python module's Run.outputs); null: dropped.
  std::vector<NetworkOutput>* network_outputs = nullptr;
};
// UserError naming the first output file that cannot be written (before any long work).
void check_outputs(const SimOutputs& outputs);


// Seeded N(0,1) floats of the shape users give the tensor in (QTensor::float_shape).
Tensor synthetic_float(const quant::QTensor& t, std::uint64_t seed);

// The --input files' tensors for these graph inputs (QGraph tensors), in their order; each of
// its input's float_shape() (an input of tokens: [1, T, C], not its image). UserError naming
// the file and what the input takes otherwise.
std::vector<Tensor> read_inputs_for(const InputFiles& files, const std::vector<quant::QTensor>& inputs);
// The QGraph tensors of the graph's inputs.
std::vector<quant::QTensor> input_tensors(const quant::QGraph& graph);

// Golden run on the quantized inputs: every tensor, by QGraph index.
std::map<int, Tensor> golden_tensors(const quant::QGraph& graph, const std::vector<Tensor>& quantized_inputs);

struct Verification {
  std::string verdict = "not-verified";
  std::optional<report::Mismatch> mismatch;
  int layers_checked = 0;
};

// A simulated layer output to check: the layer's name, its QGraph tensor's name and values
// (NCHW, as the golden tensor).
struct CapturedLayer {
  std::string layer, tensor;
  const std::vector<std::int32_t>* values = nullptr;
};

// Network outputs decide the verdict; the first captured layer (in program order) whose output
// differs names the place.
Verification verify_against_golden(const quant::QGraph& graph, const std::map<int, Tensor>& golden,
                                   const std::vector<const std::vector<std::int32_t>*>& outputs,
                                   const std::vector<CapturedLayer>& layers);

// What tables and the regression history call a model file: its stem, or for an exported
// workload (<name>/model.onnx) its folder's name ("resnet50", not "model" or the graph's
// "torch_jit").
std::string model_name_of(const std::filesystem::path& model_path);

// A report's identity: tool, model (path, sha256, name), hw (path, sha256, target, resolved keys).
// The model's name is model_name_of(model_path), or `model_name` (the graph's) without a path.
// `model_sha256`: the model file's digest when the caller knows it (empty: computed here).
report::RunReport report_header(const std::string& model_path, const std::string& model_name,
                                const std::filesystem::path& hw_path, const HwConfig& config,
                                const std::string& model_sha256 = "");


// The float inputs of `run`: the --input files or seeded N(0,1) with a note in the log
// (`seeded` when the model cache holds them, else drawn from the quantized model's float graph).
std::vector<Tensor> run_inputs(const InputFiles& files, const QuantizeResult& quantized,
                               const std::vector<Tensor>& seeded, std::uint64_t seed, std::ostream& log);

// `verify`: the QGraph rebuilt from DIR/model.qdq.onnx with the program's scheme, and its inputs.
// UserError unless model.qdq.onnx is the one the program (`header`, read from `program_path`)
// was compiled from.
struct VerifyModel {
  std::filesystem::path qdq_path;
  QuantizeResult quantized;
  std::vector<Tensor> inputs;
};
VerifyModel verify_model(const std::filesystem::path& dir, const std::filesystem::path& program_path,
                         const isa::ProgramHeader& header, const InputFiles& files,
                         std::uint64_t seed, std::ostream& log);

// Runs the golden model on the quantized inputs, lets `compare` check the simulated tensors
// against its tensors, and records the verdict (and layers_verified) in `r`; logs the result.
void golden_check(const quant::QGraph& graph, const std::vector<Tensor>& quantized_inputs,
                  const std::function<Verification(const std::map<int, Tensor>& golden)>& compare,
                  report::RunReport& r, std::ostream& log);

// The float inputs of `sim` for a program's inputs: --input, or seeded N(0,1).
std::vector<Tensor> sim_inputs(const std::vector<quant::QTensor>& program_inputs,
                               const InputFiles& files, std::uint64_t seed);

// The console table, JSON and CSV the outputs ask for.
void emit_outputs(const report::RunReport& report, const SimOutputs& outputs, std::ostream& log);

}  // namespace wb
