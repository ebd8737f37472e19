#include "workbench/regress/run_sources.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "support/error.h"
#include "support/file_io.h"
#include "support/sha256.h"
#include "workbench/regress/baseline.h"
#include "workbench/report/report_json.h"
#include "workbench/sweep/point_result.h"
#include "workbench/sweep/results_db.h"

namespace wb::regress {

namespace {

constexpr std::string_view kSqliteMagic{"SQLite format 3\0", 16};

RunRecord failed_run(const sweep::StoredPoint& point, const std::string& source) {
  RunRecord run;
  run.source = source;
  run.model = point.model;
  run.config = point.config;
  run.target = point.target;
  run.compile_options = point.compile_options;
  run.data = point.mode == "verify";
  run.verdict = "failed";
  run.error = point.error;
  run.build = point.build;
  return run;
}

std::vector<RunRecord> runs_of_sweep(const std::filesystem::path& path) {
  const sweep::ResultsDb db(path, false);
  std::vector<RunRecord> runs;
  const RunRecord* build_of_done = nullptr;
  for (const sweep::StoredPoint& point : db.points()) {
    const std::string source = fmt::format("{} point #{}", path.string(), point.position);
    if (point.status == "done") {
      const auto report = db.run_report(point.key);
      if (!report) continue;
      RunRecord run = record_from_report(*report, source);
      run.model = point.model;  // as the sweep names it (a spec's `name:`), as a failed point is
      run.digest = sha256_hex(point.key + report::to_json(*report).dump());
      runs.push_back(std::move(run));
    } else if (point.status == "failed") {
      RunRecord run = failed_run(point, source);
      run.digest = sha256_hex(point.key + point.error + point.finished_at);
      runs.push_back(std::move(run));
    }
  }
  // A failed point has no report; it was made by the build of the sweep's done points.
  for (const RunRecord& run : runs) {
    if (run.verdict != "failed") build_of_done = &run;
  }
  if (build_of_done != nullptr) {
    const RunRecord done = *build_of_done;
    for (RunRecord& run : runs) {
      if (run.verdict == "failed") {
        run.commit = done.commit;
        run.dirty = done.dirty;
        run.build = done.build;
      }
    }
  }
  if (runs.empty()) throw UserError(fmt::format("{}: the sweep has no result yet (workbench sweep status)", path.string()));
  return runs;
}

}  // namespace

std::vector<RunRecord> load_runs(const std::filesystem::path& path) {
  if (!std::filesystem::is_regular_file(path)) {
    throw UserError(fmt::format("{}: no such file (give run reports of `workbench run --json`, sweep result files or "
                                "databases, or a baseline)",
                                path.string()));
  }
  const std::string text = read_file_bytes(path);
  if (text.compare(0, kSqliteMagic.size(), kSqliteMagic) == 0) return runs_of_sweep(path);
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw UserError(fmt::format("{}: not valid JSON (truncated?): {}", path.string(), e.what()));
  }
  if (is_baseline_document(doc)) return read_baseline(path).runs;
  const std::string digest = sha256_hex(text);
  if (doc.is_object() && doc.contains("point_result")) {
    const sweep::PointResult result = sweep::point_result_from_json(doc, path.string());
    if (!result.report) {
      throw UserError(fmt::format("{}: a failed sweep point ({}); record the sweep's database to keep failures",
                                  path.string(), result.error));
    }
    RunRecord run = record_from_report(*result.report, path.string());
    run.digest = digest;
    return {run};
  }
  RunRecord run = record_from_report(report::from_json(doc, path.string()), path.string());
  run.digest = digest;
  return {run};
}

}  // namespace wb::regress
