#include "workbench/compile.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <iostream>
#include <ostream>

#include "support/atomic_file.h"
#include "support/error.h"
#include "support/file_io.h"
#include "support/progress.h"
#include "support/sha256.h"
#include "support/stopwatch.h"
#include "workbench/file_digest_memo.h"
#include "workbench/model_cache.h"
#include "workbench/report/report.h"
#include "workbench/run_common.h"
#include "workbench/backends/target_program.h"
#include "workbench/warnings.h"

namespace wb {

namespace {

// "a, b and c".
std::string listed(const std::vector<std::string>& names) {
  if (names.size() < 2) return fmt::format("{}", fmt::join(names, ""));
  return fmt::format("{} and {}", fmt::join(names.begin(), names.end() - 1, ", "), names.back());
}

bool writes_quantization_files(const QuantizeCommand& q) {
  return q.out_dir || q.report || q.dump_dir || q.save_inputs_dir || q.print_qgraph;
}

// A folder the cache can write to, or nullopt with a warning (the run goes on uncached).
std::optional<ModelCache> usable_cache(const std::filesystem::path& dir) {
  try {
    create_output_folder(dir, "model cache");
  } catch (const UserError& e) {
    warn_later(fmt::format("warning: {}; quantizing without the model cache (or --no-cache)", e.what()));
    return std::nullopt;
  }
  return ModelCache(dir);
}

void quantize_from_cache(const CompileCommand& command, const ModelCache& cache, CompiledModel& result,
                         std::ostream& log) {
  const std::uintmax_t limit = model_cache_limit();
  const auto start = SteadyClock::now();
  result.model_sha256 = remembered_sha256(command.quantize.model, cache.dir().parent_path() / "model_digests");
  CachedModel cached = ensure_quantized(cache, command.quantize, {}, result.model_sha256, log);
  if (cached.hit) {
    const quant::QGraph& graph = cached.model.graph;
    if (cached.model.synthetic_calibration) {
      const bool token_ids = std::any_of(graph.inputs.begin(), graph.inputs.end(),
                                         [&](int t) { return graph.tensor(t).token_ids; });
      warn_later(synthetic_calibration_warning(command.quantize, token_ids));
    }
    // The import's notes (a symbolic batch taken as 1), as a quantization now would say them.
    const nlohmann::json record = nlohmann::json::parse(cached.model.record_json, nullptr, false);
    if (record.is_object() && record.contains("notes") && record["notes"].is_array()) {
      for (const nlohmann::json& note : record["notes"]) {
        if (note.is_string()) note_later(note.get<std::string>());
      }
    }
    log << fmt::format("quantized {} with scheme {}: {} integer nodes, {} tensors from the model cache\n",
                       command.quantize.model.filename().string(), quant::scheme_name(graph.scheme), graph.nodes.size(),
                       graph.tensors.size());
    report_timing("quantization (from the model cache)", seconds_since(start));
  } else {
    result.quantized = std::move(cached.quantized);
    cache.evict(limit, cached.key);
  }
  result.quantized.synthetic_calibration = cached.model.synthetic_calibration;
  // quant.json's record of the quantization, naming the model file as this command does.
  result.quantized.quant_json_extra = nlohmann::json::parse(cached.model.record_json, nullptr, false);
  if (!result.quantized.quant_json_extra.is_object()) result.quantized.quant_json_extra = nlohmann::json::object();
  result.quantized.quant_json_extra["model"] = command.quantize.model.string();
  result.quantized.qgraph = std::move(cached.model.graph);
  result.seeded_inputs = std::move(cached.model.float_inputs);
}

}  // namespace

CompileCommand to_compile_command(const CompileRequest& request) {
  CompileCommand command;
  command.model = request.model;
  command.hw = request.hw;
  command.overrides = request.overrides;
  command.compile_opts = request.compile_opts;
  command.quantize.model = request.model;
  command.quantize.scheme_explicit = !request.scheme.empty();
  command.quantize.quant.scheme = !request.scheme.empty()
                                      ? quant::parse_scheme(request.scheme)
                                      : backend_for(load_hw_config(request.hw, request.overrides)).default_scheme();
  command.quantize.calibration.method = quant::parse_calibration_method(request.calib_method);
  if (!request.calib_dir.empty()) command.quantize.calib_dir = request.calib_dir;
  command.quantize.calib_count = request.calib_count;
  command.quantize.seed = request.seed;
  for (const std::string& shape : request.shapes) command.quantize.given_shapes.push_back(parse_shape_option(shape));
  return command;
}

CompiledModel compile_model(const CompileCommand& command, std::ostream& log) {
  CompiledModel result;
  result.config = load_hw_config(command.hw, command.overrides);
  result.backend = &backend_for(result.config);
  const OptionValues options = result.backend->compile_options().parse(command.compile_opts);
  std::optional<ModelCache> cache;
  if (command.model_cache && !writes_quantization_files(command.quantize)) cache = usable_cache(*command.model_cache);
  if (cache) {
    quantize_from_cache(command, *cache, result, log);
  } else {
    result.quantized = run_quantize(command.quantize, log);
  }
  const auto compile_start = SteadyClock::now();
  result.program = result.backend->compile(result.quantized.qgraph, result.config, options);
  report_timing("compile", seconds_since(compile_start));
  // What the program was compiled from beyond the model and config: for the reports of sim/verify.
  isa::ProgramHeader& header = result.program->mutable_header();
  for (const std::string& set : command.overrides) header.add_hw_overrides(set);
  header.set_calibration(calibration_record(command.quantize, result.quantized).dump());
  return result;
}

void run_compile(const CompileCommand& command, std::ostream& log) {
  if (command.out_dir.empty()) throw UserError("compile: give an output folder with -o OUTDIR");
  // Nothing is written until the program is: a layer that does not fit leaves no quant files.
  check_output_folder(command.out_dir, "-o");
  CompiledModel model = compile_model(command, log);
  model.backend->print_compile_summary(*model.program, log);
  // The program records what it was compiled from, so verify can refuse another model.qdq.onnx.
  isa::ProgramHeader& header = model.program->mutable_header();
  header.set_model_sha256(!model.model_sha256.empty() ? model.model_sha256 : sha256_file(command.quantize.model));
  header.set_qdq_model_sha256(write_quantization_files(model.quantized, command.out_dir, log));
  const std::vector<std::string> written = model.backend->write(*model.program, command.out_dir);
  log << fmt::format("wrote {} to {}\n", listed(written), command.out_dir.string());
}

}  // namespace wb
