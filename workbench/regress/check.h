#pragma once
// `regress check` and `regress update-baseline`: run the baseline's matrix (its sweep specs,
// on the local process pool, timing-only or verify as each spec says) and compare every
// figure with the checked-in baseline. Any change fails, an improvement too, until the
// baseline is updated with a reason, so every change of figures is a reviewed diff.

#include <cstddef>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "workbench/regress/run_record.h"

namespace wb::regress {

struct CheckOptions {
  std::filesystem::path baseline;
  std::optional<std::filesystem::path> work_dir;  // the matrix's sweeps; default: a temporary folder, removed
  std::vector<std::filesystem::path> matrix;      // update-baseline: the sweep specs (default: the baseline's)
  std::size_t jobs = 0;                           // points at once (0: the machine's cores)
  std::filesystem::path executable;               // this binary (the sweeps' points run it)
  std::string reason;                             // update-baseline: why (kept in the file's history)
  std::size_t max_layers = 10;                    // changed layers printed per run
};

// Runs the sweep specs (relative paths from `base_dir`) and returns every point as a run.
std::vector<RunRecord> run_matrix(const std::vector<std::filesystem::path>& specs, const std::filesystem::path& base_dir,
                                  const std::filesystem::path& work_dir, std::size_t jobs,
                                  const std::filesystem::path& executable, std::ostream& log);

// 0: every figure as in the baseline; 1: something changed (printed, worst first).
int run_check(const CheckOptions& options, std::ostream& out);
// Rewrites the baseline from a fresh run of its matrix, printing what changed, and appends
// {date, build, reason} to its history. UserError without a reason.
int run_update_baseline(const CheckOptions& options, std::ostream& out);

}  // namespace wb::regress
