#pragma once
// One recorded run as the regression tools see it: which build made it (commit, dirty), what
// went in (model, config, scheme, compile options, with data or timing only), and what came
// out (the deterministic figures per layer and in total, the verdict), with the host
// wall-clock seconds apart from them (noisy: compared statistically, wall_stats.h).

#include <string>
#include <vector>

#include "workbench/regress/metrics.h"
#include "workbench/report/report.h"

namespace wb::regress {

struct LayerRecord {
  std::string name, type;
  Figures figures;

  bool operator==(const LayerRecord&) const = default;
};

struct RunRecord {
  std::string source;  // where it was read from ("run.json", "sweep.db point #3", "baseline.json")
  std::string digest;  // of what it was read from: recording the same report twice stores it once
  // The build.
  std::string commit;  // full hash ("" outside git)
  bool dirty = false;
  std::string build;  // commit plus the fingerprint of uncommitted changes (report tool.git)
  // What went in.
  std::string model, model_sha256, config, target, hw_fingerprint, scheme, compile_options;
  bool data = false;
  // What came out. verdict: bit-exact | mismatch | not-verified | failed (error says why).
  std::string verdict, error;
  Figures totals;
  std::vector<LayerRecord> layers;
  // Host wall-clock seconds (0: unknown).
  double compile_seconds = 0, simulate_seconds = 0;
};

RunRecord record_from_report(const report::RunReport& report, const std::string& source);

// What a comparison pairs runs by: the model and config names ("resnet50 on v3_96").
std::string case_name(const RunRecord& run);
// The full identity of what went in: case plus scheme, compile options and data mode. Two
// runs of one build with equal inputs must have equal figures (else: a determinism bug).
std::string inputs_key(const RunRecord& run);

// Whether two runs' deterministic figures (totals, layers, verdict) are the same.
bool same_figures(const RunRecord& a, const RunRecord& b);

// "3553808a9c1e" (12 digits) plus "+dirty" when it was; "(no git)" without a commit.
std::string short_commit(const std::string& commit, bool dirty);

}  // namespace wb::regress
