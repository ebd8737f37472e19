#include "workbench/regress/history_db.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "support/error.h"
#include "support/sqlite_columns.h"
#include "workbench/model_cache.h"
#include "workbench/sweep/point_result.h"

namespace wb::regress {

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY,
  digest TEXT NOT NULL UNIQUE,
  recorded_at TEXT NOT NULL,
  source TEXT NOT NULL,
  commit_hash TEXT NOT NULL,
  dirty INTEGER NOT NULL,
  build TEXT NOT NULL,
  model TEXT NOT NULL,
  model_sha256 TEXT NOT NULL,
  config TEXT NOT NULL,
  target TEXT NOT NULL,
  hw_fingerprint TEXT NOT NULL,
  scheme TEXT NOT NULL,
  compile_options TEXT NOT NULL,
  data INTEGER NOT NULL,
  verdict TEXT NOT NULL,
  error TEXT NOT NULL,
  compile_seconds REAL NOT NULL,
  simulate_seconds REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_by_commit ON runs (commit_hash, dirty);
CREATE TABLE IF NOT EXISTS figures (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  layer_position INTEGER NOT NULL,
  layer TEXT NOT NULL,
  layer_type TEXT NOT NULL,
  metric TEXT NOT NULL,
  value INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS figures_by_run ON figures (run_id);
)sql";

// layer_position of the run's totals.
constexpr std::int64_t kTotalsPosition = -1;

// A run's own columns of the runs table (besides its id, digest and recording time).
const sqlite::Columns<RunRecord>& run_columns() {
  static const sqlite::Columns<RunRecord> columns({{"source", &RunRecord::source},
                                                   {"commit_hash", &RunRecord::commit},
                                                   {"dirty", &RunRecord::dirty},
                                                   {"build", &RunRecord::build},
                                                   {"model", &RunRecord::model},
                                                   {"model_sha256", &RunRecord::model_sha256},
                                                   {"config", &RunRecord::config},
                                                   {"target", &RunRecord::target},
                                                   {"hw_fingerprint", &RunRecord::hw_fingerprint},
                                                   {"scheme", &RunRecord::scheme},
                                                   {"compile_options", &RunRecord::compile_options},
                                                   {"data", &RunRecord::data},
                                                   {"verdict", &RunRecord::verdict},
                                                   {"error", &RunRecord::error},
                                                   {"compile_seconds", &RunRecord::compile_seconds},
                                                   {"simulate_seconds", &RunRecord::simulate_seconds}});
  return columns;
}

}  // namespace

std::filesystem::path default_history_path() { return default_cache_dir() / "history.db"; }

HistoryDb::HistoryDb(const std::filesystem::path& path, bool create)
    : db_([&]() {
        if (!create && !std::filesystem::exists(path)) {
          throw UserError(fmt::format("{}: no such history database; record runs first (workbench regress record "
                                      "RUN.json...)",
                                      path.string()));
        }
        if (create && path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
        return sqlite::Database(path, create, "a workbench run history");
      }()) {
  const bool created = db_.initialise_if_empty([&] {
    db_.execute(kSchema);
    db_.prepare("INSERT INTO meta (key, value) VALUES ('history_schema', ?)")
        .bind(1, std::to_string(kHistorySchemaVersion))
        .run();
  });
  if (created) return;
  bool ok = false;
  try {
    sqlite::Statement version = db_.prepare("SELECT value FROM meta WHERE key = 'history_schema'");
    ok = version.step() && version.text(0) == std::to_string(kHistorySchemaVersion);
  } catch (const UserError&) {
    ok = false;
  }
  if (!ok) {
    throw UserError(fmt::format("{}: not a workbench run history of schema {} (a sweep's results database? give "
                                "those to `regress record`)",
                                path.string(), kHistorySchemaVersion));
  }
}

bool HistoryDb::record(const RunRecord& run, const std::string& content_digest) {
  sqlite::Transaction t(db_);
  {
    sqlite::Statement seen = db_.prepare("SELECT count(*) FROM runs WHERE digest = ?");
    seen.bind(1, content_digest).step();
    if (seen.integer(0) != 0) return false;
  }
  sqlite::Statement insert_run =
      db_.prepare(fmt::format("INSERT INTO runs (digest, recorded_at, {}) VALUES (?, ?, {})", run_columns().names(),
                              run_columns().placeholders()));
  insert_run.bind(1, content_digest).bind(2, sweep::utc_now());
  run_columns().bind(insert_run, run, 3);
  insert_run.run();
  sqlite::Statement last = db_.prepare("SELECT last_insert_rowid()");
  last.step();
  const std::int64_t id = last.integer(0);
  sqlite::Statement insert =
      db_.prepare("INSERT INTO figures (run_id, layer_position, layer, layer_type, metric, value) VALUES (?, ?, ?, ?, ?, ?)");
  const auto add = [&](std::int64_t position, const std::string& layer, const std::string& type, const Figures& figures) {
    if (figures.empty() && position != kTotalsPosition) {  // the layer still exists: a row with no metric says so
      insert.bind(1, id).bind(2, position).bind(3, layer).bind(4, type).bind(5, std::string_view("")).bind(6, std::int64_t{0});
      insert.run();
      insert.reset();
    }
    for (const auto& [metric, value] : figures) {
      insert.bind(1, id).bind(2, position).bind(3, layer).bind(4, type).bind(5, metric).bind(6, static_cast<std::int64_t>(value));
      insert.run();
      insert.reset();
    }
  };
  add(kTotalsPosition, "", "", run.totals);
  for (std::size_t i = 0; i < run.layers.size(); ++i) {
    add(static_cast<std::int64_t>(i), run.layers[i].name, run.layers[i].type, run.layers[i].figures);
  }
  t.commit();
  return true;
}

std::vector<RecordedCommit> HistoryDb::commits() const {
  std::vector<RecordedCommit> commits;
  sqlite::Statement q = db_.prepare(
      "SELECT commit_hash, dirty, min(recorded_at), count(*) FROM runs GROUP BY commit_hash, dirty ORDER BY min(id)");
  while (q.step()) {
    commits.push_back({q.text(0), q.integer(1) != 0, q.text(2), static_cast<std::size_t>(q.integer(3))});
  }
  return commits;
}

RecordedCommit HistoryDb::find_commit(const std::string& prefix) const {
  std::string hash = prefix;
  bool dirty = false;
  if (const std::size_t plus = prefix.find("+dirty"); plus != std::string::npos) {
    hash = prefix.substr(0, plus);
    dirty = true;
  }
  std::vector<RecordedCommit> matches;
  const std::vector<RecordedCommit> all = commits();
  for (const RecordedCommit& c : all) {
    if (c.dirty == dirty && !hash.empty() && c.commit.rfind(hash, 0) == 0) matches.push_back(c);
  }
  if (matches.empty() && !dirty) {  // only a dirty tree's runs of it: those are what the prefix can mean
    for (const RecordedCommit& c : all) {
      if (c.dirty && !hash.empty() && c.commit.rfind(hash, 0) == 0) matches.push_back(c);
    }
  }
  if (matches.size() == 1) return matches.front();
  std::vector<std::string> labels;
  for (const RecordedCommit& c : all) labels.push_back(c.label());
  if (matches.empty()) {
    throw UserError(fmt::format("{}: no run of commit '{}' recorded{}", path().string(), prefix,
                                labels.empty() ? "" : fmt::format("; recorded: {}", fmt::join(labels, ", "))));
  }
  throw UserError(fmt::format("{}: '{}' names {} recorded commits; give more digits", path().string(), prefix,
                              matches.size()));
}

std::vector<RunRecord> HistoryDb::runs_of(const RecordedCommit& commit) const {
  std::vector<std::int64_t> ids;
  sqlite::Statement q = db_.prepare("SELECT id FROM runs WHERE commit_hash = ? AND dirty = ? ORDER BY id");
  q.bind(1, commit.commit).bind(2, std::int64_t{commit.dirty ? 1 : 0});
  while (q.step()) ids.push_back(q.integer(0));
  std::vector<RunRecord> runs;
  for (std::int64_t id : ids) runs.push_back(read_run(id));
  return runs;
}

RunRecord HistoryDb::read_run(std::int64_t id) const {
  sqlite::Statement q = db_.prepare(fmt::format("SELECT {} FROM runs WHERE id = ?", run_columns().names()));
  q.bind(1, id);
  if (!q.step()) throw UserError(fmt::format("{}: run {} vanished", path().string(), id));
  RunRecord run;
  run_columns().read(q, run, 0);
  sqlite::Statement f = db_.prepare(
      "SELECT layer_position, layer, layer_type, metric, value FROM figures WHERE run_id = ? ORDER BY layer_position, "
      "rowid");
  f.bind(1, id);
  std::int64_t last_position = kTotalsPosition;
  while (f.step()) {
    const std::int64_t position = f.integer(0);
    const auto value = static_cast<std::uint64_t>(f.integer(4));
    if (position == kTotalsPosition) {
      run.totals[f.text(3)] = value;
      continue;
    }
    if (position != last_position) {
      run.layers.push_back({f.text(1), f.text(2), {}});
      last_position = position;
    }
    if (const std::string metric = f.text(3); !metric.empty()) run.layers.back().figures[metric] = value;
  }
  return run;
}

}  // namespace wb::regress
