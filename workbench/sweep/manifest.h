#pragma once
// A manifest: the immutable list of points one sweep run hands to the processes that run
// them (local pool or Slurm array tasks), one JSON object a line, header first. Written
// once, atomically, and never changed: a resubmission writes a new one. Paths in it are
// absolute, so a task running anywhere on a shared file system finds everything.

#include <filesystem>
#include <string>
#include <vector>

#include "workbench/sweep/spec.h"

namespace wb::sweep {

inline constexpr int kManifestVersion = 1;

struct ManifestPoint {
  std::string key;
  int position = 0;
  std::string model;
  std::filesystem::path model_path;
  std::string model_sha256;
  std::filesystem::path qmodel;  // the quantized model (model_cache.h entry)
  std::filesystem::path config_path;
  std::vector<std::string> overrides, compile_opts;
  Mode mode = Mode::Timing;
};

struct Manifest {
  std::string sweep;   // the spec's name
  std::string build;   // the workbench build that wrote it; points refuse to run on another
  std::filesystem::path work_dir;
  std::filesystem::path executable;  // the workbench binary that runs the points
  double timeout_s = 0;
  std::vector<ManifestPoint> points;

  std::filesystem::path result_path(const std::string& key) const { return work_dir / "results" / (key + ".json"); }
  std::filesystem::path log_path(const std::string& key) const { return work_dir / "logs" / (key + ".log"); }
};

void write_manifest(const Manifest& manifest, const std::filesystem::path& path);
// UserError naming the file (and line) when it is not a manifest of this version.
Manifest read_manifest(const std::filesystem::path& path);

}  // namespace wb::sweep
