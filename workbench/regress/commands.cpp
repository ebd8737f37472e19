#include "workbench/regress/commands.h"

#include <fmt/format.h>

#include <map>
#include <ostream>
#include <utility>
#include <set>

#include "support/error.h"
#include "support/sha256.h"
#include "workbench/regress/history_db.h"
#include "workbench/regress/run_sources.h"

namespace wb::regress {

namespace {

// Files, or (one item that is not a file) a commit recorded in the history.
std::vector<RunRecord> resolve_runs(const std::vector<std::string>& items, const std::filesystem::path& db,
                                    const char* side) {
  if (items.size() == 1 && !std::filesystem::exists(items.front())) {
    if (!std::filesystem::exists(db)) {
      throw UserError(fmt::format("--{} {}: no such file, and no history database {} to find it as a commit in",
                                  side, items.front(), db.string()));
    }
    const HistoryDb history(db, false);
    return history.runs_of(history.find_commit(items.front()));
  }
  std::vector<RunRecord> runs;
  for (const std::string& item : items) {
    for (RunRecord& run : load_runs(item)) runs.push_back(std::move(run));
  }
  return runs;
}

}  // namespace

int run_record(const std::filesystem::path& db, const std::vector<std::filesystem::path>& files, std::ostream& out) {
  if (files.empty()) throw UserError("record: give run reports (workbench run --json FILE), sweep databases or results");
  std::vector<RunRecord> runs;
  for (const auto& file : files) {
    for (RunRecord& run : load_runs(file)) runs.push_back(std::move(run));  // every file read before any is stored
  }
  HistoryDb history(db, true);
  // The runs of each commit, read once: those recorded before, then these as they are stored.
  std::map<std::pair<std::string, bool>, std::vector<RunRecord>> runs_of_commit;
  for (const RecordedCommit& c : history.commits()) runs_of_commit[{c.commit, c.dirty}] = history.runs_of(c);
  std::size_t stored = 0, known = 0;
  std::set<std::string> commits;
  std::vector<std::string> bugs;
  for (const RunRecord& run : runs) {
    // Equal inputs in one build must give equal figures.
    std::vector<RunRecord>& same_commit = runs_of_commit[{run.commit, run.dirty}];
    for (const RunRecord& before : same_commit) {
      if (before.build == run.build && !run.build.empty() && inputs_key(before) == inputs_key(run) &&
          !same_figures(before, run)) {
        bugs.push_back(fmt::format("determinism bug: {} ({}) and {} ({}): same build {} and inputs, different figures",
                                   case_name(run), run.source, case_name(before), before.source, run.build));
      }
    }
    if (history.record(run, run.digest.empty() ? sha256_hex(run.source + inputs_key(run)) : run.digest)) {
      ++stored;
      same_commit.push_back(run);
    } else {
      ++known;
    }
    commits.insert(short_commit(run.commit, run.dirty));
  }
  out << fmt::format("recorded {} run(s) of {} into {}{}\n", stored, fmt::join(commits, ", "), db.string(),
                     known > 0 ? fmt::format(" ({} recorded before: skipped)", known) : "");
  for (const std::string& bug : bugs) out << "error: " << bug << '\n';
  return bugs.empty() ? 0 : 1;
}

int run_regress_compare(const CompareCommand& command, std::ostream& out) {
  if (command.baseline.empty()) throw UserError("compare: give the baseline with --baseline (files, or a recorded commit)");
  const std::vector<RunRecord> baseline = resolve_runs(command.baseline, command.db, "baseline");
  std::vector<RunRecord> current;
  if (command.current.empty()) {
    const HistoryDb history(command.db, false);
    const std::vector<RecordedCommit> commits = history.commits();
    if (commits.empty()) throw UserError(fmt::format("{}: no run recorded; give --current", command.db.string()));
    out << fmt::format("current: the newest recorded commit, {}\n", commits.back().label());
    current = history.runs_of(commits.back());
  } else {
    current = resolve_runs(command.current, command.db, "current");
  }
  if (baseline.empty()) throw UserError("compare: the baseline has no run");
  if (current.empty()) throw UserError("compare: the current side has no run");
  const Comparison comparison = compare_runs(baseline, current, command.options);
  print_comparison(comparison, command.options, out);
  return comparison_fails(comparison, command.options) ? 1 : 0;
}

}  // namespace wb::regress
