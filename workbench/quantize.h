#pragma once
// `workbench quantize`: calibrates a float ONNX model (or reads an already-quantized QDQ
// model), builds the QGraph of a scheme, writes quant.json and model.qdq.onnx, and reports
// the integer golden model's fidelity against the float model (docs/quant.md).

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "compiler/frontend/input_shapes.h"
#include "compiler/ir/graph.h"
#include "compiler/quant/calibration.h"
#include "compiler/frontend/onnx_import.h"
#include "compiler/quant/quantizer.h"

namespace wb {

// The QGraph of an already-quantized (QDQ) model: its float ops between Dequantize and
// Quantize fused first as the float flow fuses them (a GELU written as torch exports it).
quant::QGraph qgraph_of_qdq_model(Graph& graph, quant::Scheme scheme);

struct QuantizeCommand {
  std::filesystem::path model;
  quant::QuantizeOptions quant;
  bool scheme_explicit = false;  // --scheme given: a QDQ model of another scheme is an error
  quant::CalibrationOptions calibration;
  std::optional<std::filesystem::path> calib_dir;   // else calib_count synthetic inputs
  int calib_count = 16;
  std::uint64_t seed = 1;
  std::optional<std::filesystem::path> eval_dir;    // else the calibration inputs
  std::optional<std::filesystem::path> out_dir;     // quant.json, model.qdq.onnx, report.json
  bool report = false;
  std::optional<std::filesystem::path> dump_dir;    // integer tensors of the first evaluation input
  std::optional<std::filesystem::path> save_inputs_dir;  // the evaluation inputs as NNN.npy
  bool print_qgraph = false;
  // No calibration: every tensor gets the range [-1, 1] (for timing-only runs, whose
  // programs and cycles do not depend on the ranges).
  bool structure_only = false;
  // The shapes of the graph's inputs as given (`--shape`, the `--input` files): a symbolic
  // dimension takes its size from them (compiler/frontend/input_shapes.h).
  std::vector<GivenShape> given_shapes;
  std::vector<GivenShape> input_file_shapes;
};

// One network input per sample (the models we quantize have one input).
using InputSet = std::vector<std::vector<Tensor>>;

struct LayerFidelity {
  std::string layer;
  std::string type;
  std::string tensor;
  double sqnr_db = 0;  // +inf when the integer result equals the float one; NaN with no float counterpart
};

struct OutputFidelity {
  std::string name;
  double sqnr_db = 0;
  double top1_agreement = 0;  // float and integer argmax agree
  double top5_agreement = 0;  // float argmax is within the integer top 5
};

struct FidelityReport {
  std::vector<LayerFidelity> layers;
  std::vector<OutputFidelity> outputs;
  int inputs = 0;
};

struct QuantizeResult {
  quant::QGraph qgraph;
  std::optional<FidelityReport> fidelity;
  double calibration_seconds = 0;
  double quantize_seconds = 0;  // import + passes + calibration + QGraph
  bool from_qdq = false;
  bool synthetic_calibration = false;  // calibrated on seeded synthetic inputs
  // The float graph after the scheme's passes (the QDQ graph for a quantized model): its
  // inputs are what `run` feeds, and what synthetic inputs are drawn for.
  std::shared_ptr<Graph> float_graph;
  nlohmann::json quant_json_extra;  // what quant.json records beside the QGraph (model, calibration)
};

QuantizeResult run_quantize(const QuantizeCommand& command, std::ostream& log);

// quant.json, model.qdq.onnx (and report.json with a fidelity report) into `dir`, created.
// Returns model.qdq.onnx's SHA-256 ("" when the model could not be exported as QDQ).
std::string write_quantization_files(const QuantizeResult& result, const std::filesystem::path& dir, std::ostream& log);

// How a quantization found its scales, for the record (the run report's run.calibration):
// {"source": "dir"|"synthetic"|"qdq"|"none", "method", "percentile" (percentile method),
//  "dir" or "count" and "seed"}; "none" is a timing-only run's [-1, 1] ranges.
nlohmann::json calibration_record(const QuantizeCommand& command, const QuantizeResult& result);

// The graph inputs as imported: [{"name", "declared" ("[batch,3,h,w]"), "shape" (the sizes used),
// "source" ("model", "batch 1", or the --shape / --input that gave it)}] (quant.json's "input_shapes").
nlohmann::json resolved_inputs_json(const std::vector<ResolvedInput>& inputs);

// The warning a quantization calibrated on seeded synthetic inputs prints (one line, no newline);
// `token_ids`: some input is token ids, drawn inside their table rather than N(0,1).
std::string synthetic_calibration_warning(const QuantizeCommand& command, bool token_ids);

// Every .npy/.pb file of a folder, sorted by name, as one sample each. UserError for an empty
// folder, a multi-input model, or a tensor that does not match the graph's input.
InputSet load_input_set(const Graph& graph, const std::filesystem::path& dir);
InputSet synthetic_input_set(const Graph& graph, int count, std::uint64_t seed);

// Runs the float reference executor over the samples and collects the statistics.
quant::Calibrator calibrate(const Graph& graph, const InputSet& samples, const quant::CalibrationOptions& options);

// Runs float graph and QGraph on every sample; per layer SQNR by tensor name, outputs' SQNR
// and top-1/top-5 agreement.
FidelityReport evaluate_fidelity(const Graph& float_graph, const quant::QGraph& qgraph, const InputSet& samples);

nlohmann::json fidelity_json(const FidelityReport& report);
void print_fidelity(std::ostream& os, const FidelityReport& report);

}  // namespace wb
