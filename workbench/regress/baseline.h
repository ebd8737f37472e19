#pragma once
// The checked-in baseline (tests/baselines/*.json, docs/regression.md): the figures of a
// matrix of runs (sweep specs of models x configs), one line per (model, config, layer) so a
// change of figures is a reviewable diff, and a history block saying why each update was
// made. Read with every error naming the file: not JSON (truncated), another version, a
// malformed row, a duplicate row or key.

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "workbench/regress/run_record.h"

namespace wb::regress {

inline constexpr int kBaselineVersion = 1;
inline constexpr const char* kTotalRow = "(total)";

struct BaselineUpdate {
  std::string date, build, reason;
};

struct Baseline {
  std::vector<std::filesystem::path> matrix;  // sweep specs, relative to the baseline's folder
  std::vector<BaselineUpdate> history;
  std::vector<RunRecord> runs;  // in file order (the matrix's order)
};

// UserError naming the file for anything not a baseline of this version.
Baseline read_baseline(const std::filesystem::path& path);
// The text write_baseline writes (tested for its shape: one row per line). Rows are keyed by
// (model, config, layer): UserError when two runs share a model and config (a matrix spec
// with axes, or one model in two specs), naming them.
std::string baseline_text(const Baseline& baseline);
// Atomically (temporary file renamed into place).
void write_baseline(const Baseline& baseline, const std::filesystem::path& path);

// Whether a JSON document is a baseline: an object with the top-level "baseline" and "rows".
bool is_baseline_document(const nlohmann::json& doc);

}  // namespace wb::regress
