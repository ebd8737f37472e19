#include "workbench/sweep/executor.h"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "support/stopwatch.h"
#include "workbench/model_cache.h"
#include "workbench/run_common.h"
#include "workbench/sweep/local_executor.h"
#include "workbench/sweep/slurm_executor.h"
#include "workbench/version.h"

namespace wb::sweep {

namespace {

using Clock = std::chrono::steady_clock;

// Quantizes each model the points need, once (cached in the work folder).
std::map<std::string, std::filesystem::path> quantize_models(const std::vector<const DesignPoint*>& points,
                                                             const std::filesystem::path& work_dir, std::ostream& err) {
  const ModelCache cache(work_dir / "models");
  std::map<std::string, std::filesystem::path> entries;
  for (const DesignPoint* p : points) {
    if (entries.count(p->quant_key) != 0) continue;
    const auto start = Clock::now();
    std::ostringstream log;
    const CachedModel cached = ensure_quantized(cache, p->quantize, p->inputs, p->model_sha256, log);
    if (cached.key != p->quant_key) throw std::logic_error("sweep: the quantization key changed under a point");
    err << fmt::format("model {} ({} scheme{}): {}\n", p->model, quant::scheme_name(p->quantize.quant.scheme),
                       p->quantize.structure_only ? ", timing only: no calibration" : "",
                       cached.hit ? "quantized model cached" : fmt::format("quantized in {:.1f} s", seconds_since(start)));
    entries[p->quant_key] = cached.entry;
  }
  return entries;
}

Manifest make_manifest(const SweepRun& run, const std::vector<const DesignPoint*>& points,
                       const std::map<std::string, std::filesystem::path>& models) {
  Manifest m;
  m.sweep = run.spec.name;
  m.build = build_id();
  m.work_dir = std::filesystem::absolute(run.work_dir);
  m.executable = run.executable;
  m.timeout_s = run.timeout_s;
  for (const DesignPoint* p : points) {
    ManifestPoint mp;
    mp.key = p->key;
    mp.position = p->position;
    mp.model = p->model;
    mp.model_path = std::filesystem::absolute(p->model_path);
    mp.model_sha256 = p->model_sha256;
    mp.qmodel = std::filesystem::absolute(models.at(p->quant_key));
    mp.config_path = std::filesystem::absolute(p->config_path);
    mp.overrides = p->overrides;
    mp.compile_opts = p->compile_opts;
    mp.mode = p->mode;
    m.points.push_back(std::move(mp));
  }
  return m;
}

std::filesystem::path new_manifest_path(const std::filesystem::path& work_dir) {
  const auto stamp = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  return std::filesystem::absolute(work_dir / "manifests" / fmt::format("{}-{}.jsonl", stamp, getpid()));
}

}  // namespace

std::unique_ptr<Executor> make_executor(const SweepOptions& options) {
  switch (options.executor) {
    case ExecutorKind::Local:
      return std::make_unique<LocalExecutor>(options.jobs, options.terminal);
    case ExecutorKind::Slurm:
      return std::make_unique<SlurmExecutor>(options.slurm, options.terminal);
  }
  throw std::logic_error("make_executor: an executor without an implementation");
}

ManifestFile write_points_manifest(const SweepRun& run, const std::vector<const DesignPoint*>& points) {
  const auto models = quantize_models(points, run.work_dir, run.err);
  ManifestFile file{make_manifest(run, points, models), new_manifest_path(run.work_dir)};
  write_manifest(file.manifest, file.path);
  return file;
}

}  // namespace wb::sweep
