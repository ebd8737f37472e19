#include "workbench/regress/run_record.h"

#include <fmt/format.h>

namespace wb::regress {

RunRecord record_from_report(const report::RunReport& report, const std::string& source) {
  RunRecord run;
  run.source = source;
  run.commit = report.tool_commit;
  run.dirty = report.tool_dirty;
  run.build = report.tool_git;
  run.model = report.model_name;
  run.model_sha256 = report.model_sha256;
  run.config = report.hw_resolved.value("name", std::string());
  run.target = report.target;
  run.hw_fingerprint = report.run.hw_fingerprint;
  run.scheme = report.run.scheme;
  run.compile_options = report.run.compile_options;
  run.data = report.run.data;
  run.verdict = report.verdict;
  run.totals = total_figures(report);
  for (const report::LayerRow& row : report.layers) run.layers.push_back({row.name, row.type, layer_figures(row)});
  run.compile_seconds = report.wall.compile_seconds;
  run.simulate_seconds = report.wall.simulate_seconds;
  return run;
}

std::string case_name(const RunRecord& run) { return fmt::format("{} on {}", run.model, run.config); }

std::string inputs_key(const RunRecord& run) {
  return fmt::format("{}|{}|{}|{}|{}|{}|{}", run.model, run.model_sha256, run.config, run.hw_fingerprint, run.scheme,
                     run.compile_options, run.data ? "data" : "timing");
}

bool same_figures(const RunRecord& a, const RunRecord& b) {
  return a.verdict == b.verdict && a.error == b.error && a.totals == b.totals && a.layers == b.layers;
}

std::string short_commit(const std::string& commit, bool dirty) {
  if (commit.empty()) return dirty ? "(no git)+dirty" : "(no git)";
  return commit.substr(0, 12) + (dirty ? "+dirty" : "");
}

}  // namespace wb::regress
