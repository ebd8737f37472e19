#pragma once
// Reading runs from what the tools write: a run report (`workbench run/sim/verify --json`),
// a sweep point's result file, a sweep's results database (every point), or a regression
// baseline. Each error names the file: not JSON (truncated), a report of another schema.

#include <filesystem>
#include <vector>

#include "workbench/regress/run_record.h"

namespace wb::regress {

// The runs a file holds, in order; a sweep's failed points come back with verdict "failed".
std::vector<RunRecord> load_runs(const std::filesystem::path& path);

}  // namespace wb::regress
