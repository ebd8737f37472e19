#pragma once
// The run history: one SQLite file (default ~/.cache/workbench/history.db) of recorded runs,
// each keyed by its build (commit, dirty) and its inputs (model hash, hw config fingerprint,
// scheme, compile options), with its figures per layer and in total and its host wall-clock
// seconds. Commits are ordered by when they were first recorded (the database builds
// nothing and needs no git). docs/regression.md has the schema.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "workbench/regress/run_record.h"
#include "support/sqlite.h"

namespace wb::regress {

inline constexpr int kHistorySchemaVersion = 1;

// history.db in the workbench cache folder ($WB_CACHE_DIR, $XDG_CACHE_HOME/workbench or
// ~/.cache/workbench).
std::filesystem::path default_history_path();

struct RecordedCommit {
  std::string commit;  // full hash ("" outside git)
  bool dirty = false;
  std::string first_recorded;  // UTC time
  std::size_t runs = 0;
  std::string label() const { return short_commit(commit, dirty); }
};

class HistoryDb {
 public:
  // create: make the file (and its folder) when missing. UserError naming the file when it is
  // not a history database of this schema version.
  HistoryDb(const std::filesystem::path& path, bool create);

  const std::filesystem::path& path() const { return db_.path(); }

  // Stores a run; false (nothing stored) when the same report was recorded before.
  bool record(const RunRecord& run, const std::string& content_digest);

  // Commits in the order they were first recorded.
  std::vector<RecordedCommit> commits() const;
  // The commit a prefix names ("3553808", "3553808+dirty" for the dirty runs of it; a prefix
  // of a commit recorded only dirty names those); UserError when none or several match,
  // listing what there is.
  RecordedCommit find_commit(const std::string& prefix) const;
  // Every run recorded for the commit (clean or dirty as given), in recording order.
  std::vector<RunRecord> runs_of(const RecordedCommit& commit) const;

 private:
  RunRecord read_run(std::int64_t id) const;

  mutable sqlite::Database db_;
};

}  // namespace wb::regress
