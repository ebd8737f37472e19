#pragma once
// The result of one design point, as one JSON file `<work>/results/<key>.json`: written once,
// atomically (temporary file + rename), by the point's process when it succeeded or by the
// process that ran it when it failed (exit code, signal, timeout). The sweep imports these
// files into its database; on Slurm they are all the compute nodes write.

#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "workbench/report/report.h"

namespace wb::sweep {

inline constexpr int kPointResultVersion = 2;  // 2: run reports of schema 2

struct PointResult {
  std::string key;
  std::string status;  // "done" | "failed"
  int exit_code = 0;   // the point process's (128 + signal when killed; -1 timed out)
  std::string error;   // failed: the error line
  double wall_seconds = 0;
  std::string host, finished_at, build;
  std::optional<report::RunReport> report;  // done: the run report
};

nlohmann::json point_result_json(const PointResult& result);
// UserError naming `source` when it is not a point result of this version.
PointResult point_result_from_json(const nlohmann::json& json, const std::string& source);

void write_point_result(const PointResult& result, const std::filesystem::path& path);
PointResult read_point_result(const std::filesystem::path& path);

// "2026-11-23T10:00:00Z".
std::string utc_now();
std::string host_name();

}  // namespace wb::sweep
