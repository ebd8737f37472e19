#pragma once
// `regress record` and `regress compare` (docs/regression.md).

#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

#include "workbench/regress/compare.h"

namespace wb::regress {

// Stores the runs of run reports, sweep point results and sweep databases in the history
// database. 0; 1 when a run contradicts one recorded before by the same build with the same
// inputs (a determinism bug); UserError (exit 2) for a file that is not such a report.
int run_record(const std::filesystem::path& db, const std::vector<std::filesystem::path>& files, std::ostream& out);

struct CompareCommand {
  std::filesystem::path db;           // the history, for commits
  std::vector<std::string> baseline;  // files (reports, sweep databases, a baseline), or one recorded commit
  std::vector<std::string> current;   // the same; default: the newest recorded commit
  CompareOptions options;
};

// `workbench regress compare` (recorded runs against a baseline; `workbench compare` of run
// reports side by side is compare::run_compare): 0 no regression, 1 a regression (printed,
// worst first); UserError for bad input.
int run_regress_compare(const CompareCommand& command, std::ostream& out);

}  // namespace wb::regress
