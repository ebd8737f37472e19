#include "workbench/sweep/point_runner.h"

#include <fmt/format.h>

#include <ostream>

#include "support/error.h"
#include "support/stopwatch.h"
#include "workbench/model_cache.h"
#include "workbench/run.h"
#include "workbench/backends/target.h"
#include "workbench/version.h"

namespace wb::sweep {

report::RunReport run_point(const ManifestPoint& point, std::ostream& log) {
  const HwConfig config = load_hw_config(point.config_path, point.overrides);
  const TargetBackend& backend = backend_for(config);
  const OptionValues options = backend.compile_options().parse(point.compile_opts);
  const auto compile_start = std::chrono::steady_clock::now();
  const quant::QuantizedModel model = load_quantized_model(point.qmodel);
  const std::unique_ptr<TargetProgram> program = backend.compile(model.graph, config, options);
  const double compile_seconds = seconds_since(compile_start);
  SimulationRequest request;
  request.backend = &backend;
  request.program = program.get();
  request.graph = &model.graph;
  request.config = &config;
  request.hw_path = point.config_path;
  request.model_path = point.model_path.string();
  request.model_sha256 = point.model_sha256;
  request.float_inputs = model.float_inputs;
  request.no_data = point.mode == Mode::Timing;
  request.outputs.table = false;
  request.outputs.totals = false;
  request.compile_seconds = compile_seconds;
  return simulate_and_verify(request, log);
}

void run_manifest_point(const std::filesystem::path& manifest_path, std::size_t index, std::ostream& log) {
  const auto start = std::chrono::steady_clock::now();
  const Manifest manifest = read_manifest(manifest_path);
  if (manifest.build != build_id()) {
    throw UserError(fmt::format("{}: written by workbench {}, this is {}; run the sweep again with this build",
                                manifest_path.string(), manifest.build, build_id()));
  }
  if (index >= manifest.points.size()) {
    throw UserError(fmt::format("{}: no point {} (it has {})", manifest_path.string(), index, manifest.points.size()));
  }
  const ManifestPoint& point = manifest.points[index];
  PointResult result;
  result.key = point.key;
  result.report = run_point(point, log);
  result.status = "done";
  result.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result.host = host_name();
  result.finished_at = utc_now();
  result.build = build_id();
  write_point_result(result, manifest.result_path(point.key));
}

}  // namespace wb::sweep
