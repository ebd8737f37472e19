#include "workbench/quantize.h"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <limits>
#include <map>
#include <ostream>

#include "compiler/frontend/onnx_import.h"
#include "compiler/frontend/tensor_files.h"
#include "compiler/golden/integer_executor.h"
#include "compiler/golden/reference_executor.h"
#include "compiler/ir/token_ids.h"
#include "compiler/passes/pass_manager.h"
#include "compiler/frontend/qdq_export.h"
#include "compiler/quant/qdq_import.h"
#include "compiler/quant/quant_json.h"
#include "support/atomic_file.h"
#include "support/error.h"
#include "support/file_io.h"
#include "support/interrupt.h"
#include "support/progress.h"
#include "support/sha256.h"
#include "support/stopwatch.h"
#include "workbench/infer.h"
#include "workbench/tensor_dump.h"
#include "workbench/warnings.h"

namespace wb {
namespace {

using Clock = SteadyClock;

bool is_tensor_file(const std::filesystem::path& path) {
  const auto ext = path.extension().string();
  return ext == ".npy" || ext == ".pb";
}

// Sum of squares of the signal and of the error, for an SQNR.
struct ErrorEnergy {
  double signal = 0;
  double noise = 0;
  bool compared = false;
  void add(const Tensor& reference, const Tensor& approximation) {
    compared = true;
    const auto f = reference.span<float>();
    const auto q = approximation.span<float>();
    for (std::size_t i = 0; i < f.size(); ++i) {
      const double e = static_cast<double>(f[i]) - static_cast<double>(q[i]);
      signal += static_cast<double>(f[i]) * static_cast<double>(f[i]);
      noise += e * e;
    }
  }
  double sqnr_db() const {
    if (!compared) return std::numeric_limits<double>::quiet_NaN();
    if (noise == 0) return std::numeric_limits<double>::infinity();
    return 10.0 * std::log10(signal / noise);
  }
};

std::string format_db(double db) {
  if (std::isnan(db)) return "n/a";
  return std::isinf(db) ? "exact" : fmt::format("{:.2f}", db);
}

}  // namespace

InputSet load_input_set(const Graph& graph, const std::filesystem::path& dir) {
  if (!std::filesystem::is_directory(dir)) throw UserError(fmt::format("{}: not a folder", dir.string()));
  if (graph.inputs().size() != 1) {
    throw UserError(fmt::format("input folders hold one tensor per sample, but the model has {} inputs",
                                graph.inputs().size()));
  }
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.is_regular_file() && is_tensor_file(entry.path())) files.push_back(entry.path());
  }
  if (files.empty()) {
    throw UserError(fmt::format("{}: no .npy or .pb tensor files (one file per calibration input)", dir.string()));
  }
  std::sort(files.begin(), files.end());
  const ReferenceExecutor executor(graph);
  InputSet samples;
  for (const auto& file : files) {
    Tensor t = read_tensor_file(file);
    try {
      executor.check_input(0, t);
    } catch (const UserError& e) {
      throw UserError(fmt::format("{}: {}", file.string(), e.what()));
    }
    samples.push_back({std::move(t)});
  }
  return samples;
}

InputSet synthetic_input_set(const Graph& graph, int count, std::uint64_t seed) {
  if (count < 1) throw UserError(fmt::format("--calib-count {}: need at least one input", count));
  InputSet samples;
  for (int i = 0; i < count; ++i) {
    samples.push_back(random_inputs(graph, seed + static_cast<std::uint64_t>(i)));
    throw_if_interrupted();
  }
  return samples;
}

quant::Calibrator calibrate(const Graph& graph, const InputSet& samples, const quant::CalibrationOptions& options) {
  quant::Calibrator calibrator(options);
  const ReferenceExecutor executor(graph);
  // Histogram methods run every input twice: ranges first, then the histograms.
  ProgressPhase progress("calibration", samples.size() * (calibrator.needs_histograms() ? 2 : 1), "input runs");
  const auto observe_inputs = [&](const std::vector<Tensor>& inputs, bool histogram) {
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      const std::string& name = graph.inputs()[i]->name;
      histogram ? calibrator.observe_histogram(name, inputs[i]) : calibrator.observe_range(name, inputs[i]);
    }
  };
  for (const auto& inputs : samples) {
    observe_inputs(inputs, false);
    executor.run(inputs, [&](const Value& v, const Tensor& t) { calibrator.observe_range(v.name, t); });
    progress.step();
    throw_if_interrupted();
  }
  if (calibrator.needs_histograms()) {
    for (const auto& inputs : samples) {
      observe_inputs(inputs, true);
      executor.run(inputs, [&](const Value& v, const Tensor& t) { calibrator.observe_histogram(v.name, t); });
      progress.step();
      throw_if_interrupted();
    }
  }
  return calibrator;
}

FidelityReport evaluate_fidelity(const Graph& float_graph, const quant::QGraph& qgraph, const InputSet& samples) {
  const ReferenceExecutor float_executor(float_graph);
  const golden::IntegerExecutor int_executor(qgraph);
  std::map<std::string, int> wanted;
  for (std::size_t i = 0; i < qgraph.tensors.size(); ++i) wanted.emplace(qgraph.tensors[i].name, static_cast<int>(i));
  std::vector<ErrorEnergy> energy(qgraph.tensors.size());
  FidelityReport report;
  report.inputs = static_cast<int>(samples.size());
  std::vector<int> top1(qgraph.outputs.size(), 0);
  std::vector<int> top5(qgraph.outputs.size(), 0);
  for (const auto& inputs : samples) {
    std::map<int, Tensor> reference;
    const auto float_outputs = float_executor.run(inputs, [&](const Value& v, const Tensor& t) {
      const auto it = wanted.find(v.name);
      if (it == wanted.end()) return;
      const quant::QTensor& qt = qgraph.tensor(it->second);
      // A QLinear model computes some tensors as integers: compare them in real units.
      if (t.dtype() == DType::F32) reference.emplace(it->second, t);
      if (t.dtype() == qt.dtype() && t.shape() == qt.shape) reference.emplace(it->second, golden::dequantize(qt, t));
    });
    for (std::size_t i = 0; i < float_outputs.size(); ++i) {
      const quant::QTensor& qt = qgraph.tensor(qgraph.outputs[i]);
      reference.emplace(qgraph.outputs[i], float_outputs[i].dtype() == DType::F32 ? float_outputs[i]
                                                                                  : golden::dequantize(qt, float_outputs[i]));
    }
    std::map<int, Tensor> dequantized_outputs;
    int_executor.run(inputs, [&](int index, const Tensor& q) {
      const auto it = reference.find(index);
      if (it == reference.end()) return;
      const Tensor deq = golden::dequantize(qgraph.tensor(index), q);
      // Swin's windowed scores and probabilities: torch's [W, h, L, L'] and the QGraph's rows
      // [W h, L, L'] hold the same elements in the same order.
      const Shape& f = it->second.shape();
      const bool window_rows = f.size() == 4 && deq.shape() == Shape{f[0] * f[1], f[2], f[3]};
      if (deq.shape() == f) {
        energy[static_cast<std::size_t>(index)].add(it->second, deq);
      } else if (window_rows) {
        energy[static_cast<std::size_t>(index)].add(it->second.reshaped(deq.shape()), deq);
      }
      if (std::find(qgraph.outputs.begin(), qgraph.outputs.end(), index) != qgraph.outputs.end()) {
        dequantized_outputs.emplace(index, deq);
      }
    });
    for (std::size_t o = 0; o < qgraph.outputs.size(); ++o) {
      const auto f = top_k(reference.at(qgraph.outputs[o]), 1);
      const auto q = top_k(dequantized_outputs.at(qgraph.outputs[o]), 5);
      if (f.empty() || q.empty()) continue;
      top1[o] += f[0].first == q[0].first ? 1 : 0;
      top5[o] += std::any_of(q.begin(), q.end(), [&](const auto& c) { return c.first == f[0].first; }) ? 1 : 0;
    }
  }
  for (const quant::QNode& node : qgraph.nodes) {
    report.layers.push_back({node.name, quant::qop_name(node.kind), qgraph.tensor(node.output).name,
                             energy[static_cast<std::size_t>(node.output)].sqnr_db()});
  }
  const double n = std::max<double>(1, static_cast<double>(samples.size()));
  for (std::size_t o = 0; o < qgraph.outputs.size(); ++o) {
    report.outputs.push_back({qgraph.tensor(qgraph.outputs[o]).name,
                              energy[static_cast<std::size_t>(qgraph.outputs[o])].sqnr_db(), top1[o] / n, top5[o] / n});
  }
  return report;
}

nlohmann::json fidelity_json(const FidelityReport& report) {
  const auto db = [](double v) -> nlohmann::json {
    return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
  };
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& l : report.layers) {
    layers.push_back({{"layer", l.layer}, {"type", l.type}, {"tensor", l.tensor}, {"sqnr_db", db(l.sqnr_db)}});
  }
  nlohmann::json outputs = nlohmann::json::array();
  for (const auto& o : report.outputs) {
    outputs.push_back({{"name", o.name},
                       {"sqnr_db", db(o.sqnr_db)},
                       {"top1_agreement", o.top1_agreement},
                       {"top5_agreement", o.top5_agreement}});
  }
  return {{"inputs", report.inputs}, {"layers", layers}, {"outputs", outputs},
          {"note", "sqnr_db is null where the integer result equals the float one, or has no float counterpart"}};
}

void print_fidelity(std::ostream& os, const FidelityReport& report) {
  fmt::print(os, "\n   #  {:<48} {:<8} {:>10}\n", "layer", "type", "SQNR dB");
  fmt::print(os, "{}\n", std::string(72, '-'));
  for (std::size_t i = 0; i < report.layers.size(); ++i) {
    const auto& l = report.layers[i];
    fmt::print(os, "{:>4}  {:<48} {:<8} {:>10}\n", i + 1, l.layer.size() > 48 ? l.layer.substr(0, 47) + "~" : l.layer,
               l.type, format_db(l.sqnr_db));
  }
  for (const auto& o : report.outputs) {
    fmt::print(os, "\noutput {}: SQNR {} dB, top-1 agreement {:.1f}%, top-5 agreement {:.1f}% over {} input(s)\n",
               o.name, format_db(o.sqnr_db), 100 * o.top1_agreement, 100 * o.top5_agreement, report.inputs);
  }
}

nlohmann::json resolved_inputs_json(const std::vector<ResolvedInput>& inputs) {
  nlohmann::json list = nlohmann::json::array();
  for (const ResolvedInput& input : inputs) {
    list.push_back({{"name", input.name}, {"declared", input.declared}, {"shape", input.shape}, {"source", input.source}});
  }
  return list;
}

std::string synthetic_calibration_warning(const QuantizeCommand& command, bool token_ids) {
  return fmt::format("warning: calibrating on {} seeded synthetic {} (seed {}); they are not "
                     "representative of real data, so thresholds may be off (use --calib DIR)",
                     command.calib_count,
                     token_ids ? "inputs (token ids drawn uniformly inside their table, N(0,1) floats)" : "N(0,1) inputs",
                     command.seed);
}

quant::QGraph qgraph_of_qdq_model(Graph& graph, quant::Scheme scheme) {
  PassManager::from_pipeline("fuse-layernorm,fuse-rmsnorm,fuse-gelu").run(graph);
  return quant::import_qdq_graph(graph, scheme);
}

QuantizeResult run_quantize(const QuantizeCommand& command, std::ostream& log) {
  // Output folders first: a typo costs no calibration.
  if (command.out_dir) check_output_folder(*command.out_dir, "-o");
  if (command.dump_dir) check_output_folder(*command.dump_dir, "--dump");
  if (command.save_inputs_dir) check_output_folder(*command.save_inputs_dir, "--save-inputs");
  const auto start = Clock::now();
  ImportOptions import_options;
  import_options.given_shapes = command.given_shapes;
  import_options.input_file_shapes = command.input_file_shapes;
  ImportedModel model = import_onnx_file(command.model, import_options);
  for (const std::string& note : model.notes) note_later(note);
  QuantizeResult result;
  Graph& graph = model.graph;
  result.from_qdq = quant::is_qdq_graph(graph);
  InputSet calibration_set;
  bool synthetic = false;
  if (result.from_qdq) {
    quant::Scheme scheme = command.quant.scheme;
    if (const auto it = model.metadata.find(quant::kSchemeMetadataKey); it != model.metadata.end()) {
      scheme = quant::parse_scheme(it->second);
      if (command.scheme_explicit && scheme != command.quant.scheme) {
        throw UserError(fmt::format("{}: a QDQ model quantized with scheme {} (its metadata), not {}: its integer "
                                    "arithmetic is that scheme's; give --scheme {}, or quantize the float model",
                                    command.model.string(), it->second, quant::scheme_name(command.quant.scheme),
                                    it->second));
      }
    }
    fmt::print(log, "{}: already quantized (QDQ); scheme {} for the requantisation rules\n", command.model.string(),
               quant::scheme_name(scheme));
    result.qgraph = qgraph_of_qdq_model(graph, scheme);
  } else {
    quant::check_finite_constants(graph);
    PassManager::from_pipeline(quant::quantization_pipeline(command.quant.scheme)).run(graph);
    quant::check_finite_constants(graph);  // what the passes folded (a mask built from shapes)
    if (command.structure_only) {
      // Timing-only runs: every tensor gets the range [-1, 1]. The program's instructions,
      // shapes, types and addresses do not depend on the ranges, so the cycles are the same.
      quant::Calibrator calibrator(command.calibration);
      const Tensor unit = Tensor::from_vector<float>({2}, {-1.0f, 1.0f});
      for (const Value* v : graph.values()) calibrator.observe_range(v->name, unit);
      result.qgraph = quant::build_qgraph(graph, calibrator, command.quant);
    } else if (command.calib_dir) {
      calibration_set = load_input_set(graph, *command.calib_dir);
    } else {
      synthetic = true;
      result.synthetic_calibration = true;
      calibration_set = synthetic_input_set(graph, command.calib_count, command.seed);
      const auto token_input = [&](const Value* input) { return token_id_rows(graph, *input).has_value(); };
      warn_later(synthetic_calibration_warning(
          command, std::any_of(graph.inputs().begin(), graph.inputs().end(), token_input)));
    }
    if (!command.structure_only) {
      const auto calibration_start = Clock::now();
      const quant::Calibrator calibrator = calibrate(graph, calibration_set, command.calibration);
      result.calibration_seconds = seconds_since(calibration_start);
      result.qgraph = quant::build_qgraph(graph, calibrator, command.quant);
    }
  }
  result.quantize_seconds = seconds_since(start);
  fmt::print(log, "quantized {} with scheme {}: {} integer nodes, {} tensors\n", command.model.filename().string(),
             quant::scheme_name(result.qgraph.scheme), result.qgraph.nodes.size(), result.qgraph.tensors.size());
  report_timing("calibration", result.calibration_seconds);
  report_timing("quantization", result.quantize_seconds);
  if (command.print_qgraph) quant::print_qgraph(log, result.qgraph);

  InputSet eval_set;
  const bool needs_eval = command.report || command.dump_dir || command.save_inputs_dir;
  if (needs_eval) {
    if (command.eval_dir) {
      eval_set = load_input_set(graph, *command.eval_dir);
    } else if (!calibration_set.empty()) {
      eval_set = calibration_set;
    } else {
      eval_set = synthetic_input_set(graph, command.calib_count, command.seed);
    }
  }
  if (command.save_inputs_dir) {
    create_output_folder(*command.save_inputs_dir, "--save-inputs");
    for (std::size_t i = 0; i < eval_set.size(); ++i) {
      write_tensor_file(*command.save_inputs_dir / fmt::format("{:03}.npy", i), eval_set[i][0]);
    }
  }
  if (command.dump_dir) {
    const golden::IntegerExecutor executor(result.qgraph);
    run_and_dump(executor, eval_set.at(0), *command.dump_dir);
    fmt::print(log, "integer tensors of the first evaluation input written to {}\n", command.dump_dir->string());
  }
  if (command.report) {
    result.fidelity = evaluate_fidelity(graph, result.qgraph, eval_set);
    print_fidelity(log, *result.fidelity);
  }
  result.quant_json_extra = {{"model", command.model.string()}, {"input_shapes", resolved_inputs_json(model.inputs)}};
  if (!model.notes.empty()) result.quant_json_extra["notes"] = model.notes;
  if (!result.from_qdq) {
    result.quant_json_extra["calibration"] = {{"method", quant::calibration_method_name(command.calibration.method)},
                                              {"inputs", calibration_set.size()},
                                              {"synthetic", synthetic},
                                              {"percentile", command.calibration.percentile}};
  }
  if (command.out_dir) write_quantization_files(result, *command.out_dir, log);
  result.float_graph = std::make_shared<Graph>(std::move(graph));
  return result;
}

nlohmann::json calibration_record(const QuantizeCommand& command, const QuantizeResult& result) {
  if (command.structure_only) return {{"source", "none"}};
  if (result.from_qdq || (!command.calib_dir && !result.synthetic_calibration)) return {{"source", "qdq"}};
  nlohmann::json record = {{"source", command.calib_dir ? "dir" : "synthetic"},
                           {"method", quant::calibration_method_name(command.calibration.method)}};
  if (command.calibration.method == quant::CalibrationMethod::Percentile) {
    record["percentile"] = command.calibration.percentile;
  }
  if (command.calib_dir) {
    record["dir"] = command.calib_dir->string();
  } else {
    record["count"] = command.calib_count;
    record["seed"] = command.seed;
  }
  return record;
}

std::string write_quantization_files(const QuantizeResult& result, const std::filesystem::path& dir,
                                     std::ostream& log) {
  create_output_folder(dir, "-o");
  write_file_atomically(dir / "quant.json", quant::qgraph_to_json(result.qgraph, result.quant_json_extra).dump(1) + "\n");
  std::string qdq_sha256;
  try {
    const std::string qdq = quant::export_qdq_model(result.qgraph);
    write_file_atomically(dir / "model.qdq.onnx", qdq);
    qdq_sha256 = sha256_hex(qdq);
  } catch (const UserError& e) {
    warn_later(std::string("warning: model.qdq.onnx not written: ") + e.what());
  }
  if (result.fidelity) {
    write_file_atomically(dir / "report.json", fidelity_json(*result.fidelity).dump(1) + "\n");
  }
  fmt::print(log, "wrote {}\n", dir.string());
  return qdq_sha256;
}

}  // namespace wb
