#include "workbench/sweep/results_db.h"

#include <fmt/format.h>

#include <algorithm>

#include "support/error.h"
#include "support/sqlite_columns.h"
#include "workbench/report/report_json.h"
#include "workbench/backends/target.h"
#include "workbench/version.h"

namespace wb::sweep {

namespace {

// A layer's energy as the layers table stores it (a JSON object), in its target's order.
report::Energy stored_energy(const std::string& text, const std::vector<std::string_view>& order) {
  report::Energy energy;
  const nlohmann::json object = nlohmann::json::parse(text);
  for (auto it = object.begin(); it != object.end(); ++it) energy.emplace_back(it.key(), it->get<double>());
  report::order_by_names(energy, order);
  return energy;
}

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS axes (position INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS points (
  key TEXT PRIMARY KEY,
  position INTEGER NOT NULL,
  model TEXT NOT NULL,
  model_path TEXT NOT NULL,
  model_sha256 TEXT NOT NULL,
  config TEXT NOT NULL,
  config_path TEXT NOT NULL,
  target TEXT NOT NULL,
  overrides TEXT NOT NULL,
  compile_options TEXT NOT NULL,
  params TEXT NOT NULL,
  hw_values TEXT NOT NULL,
  mode TEXT NOT NULL,
  submissions INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS results (
  key TEXT PRIMARY KEY REFERENCES points(key),
  status TEXT NOT NULL CHECK (status IN ('done', 'failed')),
  exit_code INTEGER NOT NULL,
  error TEXT NOT NULL,
  wall_seconds REAL NOT NULL,
  host TEXT NOT NULL,
  finished_at TEXT NOT NULL,
  build TEXT NOT NULL,
  cycles INTEGER,
  latency_ms REAL,
  macs INTEGER,
  mac_per_cycle REAL,
  utilization REAL,
  memory_bytes INTEGER,
  moveops INTEGER,
  clock_mhz REAL,
  verdict TEXT,
  report TEXT,
  predicted_cycles INTEGER,
  prediction_error_pct REAL
);
CREATE TABLE IF NOT EXISTS layers (
  key TEXT NOT NULL REFERENCES results(key) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  name TEXT NOT NULL,
  type TEXT NOT NULL,
  macs INTEGER NOT NULL,
  ops INTEGER NOT NULL,
  cycles INTEGER NOT NULL,
  mac_per_cycle REAL NOT NULL,
  utilization REAL NOT NULL,
  stall_cycles INTEGER NOT NULL,
  bytes_in INTEGER NOT NULL,
  bytes_out INTEGER NOT NULL,
  tiles INTEGER NOT NULL,
  extra TEXT NOT NULL,
  unit TEXT NOT NULL DEFAULT '',
  output TEXT NOT NULL DEFAULT '',
  predicted_cycles INTEGER,
  prediction_error_pct REAL,
  energy TEXT NOT NULL DEFAULT '{}',
  analysis TEXT NOT NULL DEFAULT '{}',
  PRIMARY KEY (key, position)
);
CREATE TABLE IF NOT EXISTS slurm_jobs (
  job_id TEXT PRIMARY KEY,
  manifest TEXT NOT NULL,
  points INTEGER NOT NULL,
  chunk INTEGER NOT NULL,
  submitted_at TEXT NOT NULL
);
)sql";

// Each point's axis values, typed: as written in the spec (text) and, for a config key, its
// resolved number (value: bytes for sizes, 0/1 for booleans; NULL for compile_opt).
// Whole numbers (sizes, counts) come out as integers.
constexpr const char* kAxisView = R"sql(
CREATE VIEW IF NOT EXISTS point_axes AS
  SELECT key, position, axis, text,
         CASE WHEN number = CAST(number AS INTEGER) THEN CAST(number AS INTEGER) ELSE number END AS value
  FROM (SELECT p.key AS key, p.position AS position, a.name AS axis,
               json_extract(p.params, '$."' || a.name || '"') AS text,
               json_extract(p.hw_values, '$."' || a.name || '"') AS number
        FROM points p JOIN axes a);
)sql";

void set_meta(sqlite::Database& db, const std::string& key, const std::string& value) {
  db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)").bind(1, key).bind(2, value).run();
}

std::int64_t as_int(std::uint64_t value) { return static_cast<std::int64_t>(value); }

// The schema version the file records: "" for a file without tables, "none" for a database
// of another program. A file that is not a database at all is refused by name.
std::string schema_version(sqlite::Database& db) {
  try {
    sqlite::Statement has_meta = db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'");
    has_meta.step();
    if (has_meta.integer(0) == 1) {
      sqlite::Statement row = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'");
      return row.step() ? row.text(0) : std::string("none");
    }
    sqlite::Statement tables = db.prepare("SELECT count(*) FROM sqlite_master");
    tables.step();
    return tables.integer(0) > 0 ? "none" : "";
  } catch (const UserError&) {
    throw UserError(fmt::format("{}: not a SQLite database (is it a sweep's results file?)", db.path().string()));
  }
}

bool has_column(sqlite::Database& db, std::string_view table, std::string_view column) {
  sqlite::Statement query = db.prepare("SELECT count(*) FROM pragma_table_info(?) WHERE name = ?");
  query.bind(1, table).bind(2, column).step();
  return query.integer(0) == 1;
}

// The prediction and its error as columns: NULL without a prediction (a target without a
// predictor), the error NULL too for a prediction of 0 cycles.
void bind_prediction(sqlite::Statement& statement, int column, std::uint64_t cycles,
                     std::optional<std::uint64_t> predicted) {
  const std::optional<double> error = report::prediction_error_pct(cycles, predicted);
  if (predicted) {
    statement.bind(column, as_int(*predicted));
  } else {
    statement.bind_null(column);
  }
  if (error) {
    statement.bind(column + 1, *error);
  } else {
    statement.bind_null(column + 1);
  }
}

std::optional<std::uint64_t> predicted_of(sqlite::Statement& row, int column) {
  if (row.is_null(column)) return std::nullopt;
  return static_cast<std::uint64_t>(row.integer(column));
}

}  // namespace

std::filesystem::path default_db_path(const SweepSpec& spec) { return std::filesystem::path(spec.name + ".db"); }

std::filesystem::path work_dir_for(const std::filesystem::path& db_path) {
  std::filesystem::path dir = db_path;
  dir.replace_extension(".sweep");
  if (dir == db_path) dir += ".sweep";
  return dir;
}

ResultsDb::ResultsDb(const std::filesystem::path& path, bool create)
    : db_([&] {
        std::error_code ec;
        if (!create && !std::filesystem::exists(path, ec)) {
          throw UserError(fmt::format("{}: no such results database (workbench sweep SPEC writes one)", path.string()));
        }
        return sqlite::Database(path, create, "a sweep's results database");
      }()) {
  std::string version = schema_version(db_);
  if (version.empty()) {
    db_.initialise_if_empty([&] {
      db_.execute(kSchema);
      db_.execute(kAxisView);
      set_meta(db_, "schema_version", std::to_string(kResultsSchemaVersion));
    });
    version = schema_version(db_);  // ours, or that of the process that made the tables first
  }
  if (version != std::to_string(kResultsSchemaVersion)) {
    throw UserError(fmt::format("{}: not a sweep results database of schema version {} (found '{}')", path.string(),
                                kResultsSchemaVersion, version));
  }
  layers_have_places_ = has_column(db_, "layers", "output");
  has_predictions_ = has_column(db_, "layers", "predicted_cycles");
  layers_have_energy_ = has_column(db_, "layers", "energy");
  layers_have_analysis_ = has_column(db_, "layers", "analysis");
  sqlite::Statement view = db_.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'view' AND name = 'point_axes'");
  has_axis_view_ = view.step() && view.integer(0) > 0;
}

void ResultsDb::add_layer_places() {
  // Databases written before layers recorded where they ran and the tensor they write (the
  // same schema version otherwise): the columns are added on the first write, read as ''.
  if (layers_have_places_) return;
  db_.execute("ALTER TABLE layers ADD COLUMN unit TEXT NOT NULL DEFAULT ''");
  db_.execute("ALTER TABLE layers ADD COLUMN output TEXT NOT NULL DEFAULT ''");
  layers_have_places_ = true;
}

void ResultsDb::add_prediction_columns() {
  // Databases written before the reports carried the predictor's cycles (the same schema
  // version otherwise): the columns are added on the first write, read as NULL (no prediction).
  if (has_predictions_) return;
  for (const char* table : {"results", "layers"}) {
    db_.execute(fmt::format("ALTER TABLE {} ADD COLUMN predicted_cycles INTEGER", table));
    db_.execute(fmt::format("ALTER TABLE {} ADD COLUMN prediction_error_pct REAL", table));
  }
  has_predictions_ = true;
}

void ResultsDb::add_energy_column() {
  // Databases written before the reports carried energy (the same schema version otherwise):
  // the column is added on the first write, read as no energy.
  if (layers_have_energy_) return;
  db_.execute("ALTER TABLE layers ADD COLUMN energy TEXT NOT NULL DEFAULT '{}'");
  layers_have_energy_ = true;
}

void ResultsDb::add_axis_view() {
  // Databases written before the typed view of the axes had it not; it is added on the first write.
  if (has_axis_view_) return;
  db_.execute(kAxisView);
  has_axis_view_ = true;
}

void ResultsDb::add_analysis_column() {
  // Databases written before each layer's time causes and bound were kept (the same schema
  // version otherwise): the column is added on the first write, read as none.
  if (layers_have_analysis_) return;
  db_.execute("ALTER TABLE layers ADD COLUMN analysis TEXT NOT NULL DEFAULT '{}'");
  layers_have_analysis_ = true;
}

void ResultsDb::record_sweep(const SweepSpec& spec, const std::filesystem::path& work_dir) {
  sqlite::Transaction t(db_);
  set_meta(db_, "name", spec.name);
  set_meta(db_, "description", spec.description);
  set_meta(db_, "spec_path", std::filesystem::absolute(spec.path).string());
  set_meta(db_, "spec_text", spec.text);
  set_meta(db_, "mode", mode_name(spec.mode));
  set_meta(db_, "work_dir", std::filesystem::absolute(work_dir).string());
  set_meta(db_, "build", build_id());
  nlohmann::json pareto = nlohmann::json::array();
  for (const ParetoPlot& p : spec.pareto) {
    pareto.push_back({{"x", p.x}, {"x_label", p.x_label}, {"y", p.y}, {"group", p.group}});
  }
  set_meta(db_, "pareto", pareto.dump());
  if (meta("created_at").empty()) set_meta(db_, "created_at", utc_now());
  set_meta(db_, "updated_at", utc_now());
  db_.execute("DELETE FROM axes");
  sqlite::Statement insert = db_.prepare("INSERT INTO axes (position, name) VALUES (?, ?)");
  for (std::size_t i = 0; i < spec.axes.size(); ++i) {
    insert.bind(1, static_cast<std::int64_t>(i)).bind(2, spec.axes[i].name).run();
    insert.reset();
  }
  t.commit();
}

std::string ResultsDb::meta(const std::string& key) const {
  sqlite::Statement row = db_.prepare("SELECT value FROM meta WHERE key = ?");
  row.bind(1, key);
  return row.step() ? row.text(0) : std::string();
}

std::vector<std::string> ResultsDb::axes() const {
  std::vector<std::string> names;
  sqlite::Statement rows = db_.prepare("SELECT name FROM axes ORDER BY position");
  while (rows.step()) names.push_back(rows.text(0));
  return names;
}

void ResultsDb::add_points(const std::vector<DesignPoint>& points) {
  sqlite::Transaction t(db_);
  sqlite::Statement insert = db_.prepare(
      "INSERT INTO points (key, position, model, model_path, model_sha256, config, config_path, target, overrides, "
      "compile_options, params, hw_values, mode) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
      "ON CONFLICT (key) DO UPDATE SET position = excluded.position");
  for (const DesignPoint& p : points) {
    nlohmann::json hw_values = nlohmann::json::object();
    for (const auto& [name, value] : numeric_keys(p.hw)) hw_values[name] = value;
    insert.bind(1, p.key)
        .bind(2, static_cast<std::int64_t>(p.position))
        .bind(3, p.model)
        .bind(4, std::filesystem::absolute(p.model_path).string())
        .bind(5, p.model_sha256)
        .bind(6, p.config)
        .bind(7, std::filesystem::absolute(p.config_path).string())
        .bind(8, std::string_view(target_name(p.hw.target())))
        .bind(9, nlohmann::json(p.overrides).dump())
        .bind(10, p.compile_options)
        .bind(11, p.params.dump())
        .bind(12, hw_values.dump())
        .bind(13, std::string_view(mode_name(p.mode)))
        .run();
    insert.reset();
  }
  t.commit();
}

void ResultsDb::store(const PointResult& result) {
  sqlite::Transaction t(db_);
  add_layer_places();
  add_prediction_columns();
  add_energy_column();
  add_analysis_column();
  add_axis_view();
  {
    sqlite::Statement known = db_.prepare("SELECT count(*) FROM points WHERE key = ?");
    known.bind(1, result.key).step();
    if (known.integer(0) == 0) {
      throw UserError(fmt::format("{}: result of point {} which this sweep does not have", db_.path().string(), result.key));
    }
  }
  db_.prepare("DELETE FROM layers WHERE key = ?").bind(1, result.key).run();
  sqlite::Statement insert = db_.prepare(
      "INSERT OR REPLACE INTO results (key, status, exit_code, error, wall_seconds, host, finished_at, build, cycles, "
      "latency_ms, macs, mac_per_cycle, utilization, memory_bytes, moveops, clock_mhz, verdict, report, "
      "predicted_cycles, prediction_error_pct) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  insert.bind(1, result.key)
      .bind(2, result.status)
      .bind(3, static_cast<std::int64_t>(result.exit_code))
      .bind(4, result.error)
      .bind(5, result.wall_seconds)
      .bind(6, result.host)
      .bind(7, result.finished_at)
      .bind(8, result.build);
  if (result.report) {
    const report::RunReport& r = *result.report;
    nlohmann::json report = report::to_json(r);
    report.erase("layers");
    const nlohmann::json resolved = r.hw_resolved.value("resolved", nlohmann::json::object());
    const double clock = resolved.value("clock_mhz", 0.0);
    insert.bind(9, as_int(r.totals.cycles))
        .bind(10, r.totals.latency_ms)
        .bind(11, as_int(r.totals.macs))
        .bind(12, r.totals.mac_per_cycle)
        .bind(13, r.totals.utilization)
        .bind(14, as_int(r.totals.offchip_bytes))
        .bind(15, as_int(r.totals.moveops))
        .bind(16, clock)
        .bind(17, r.verdict)
        .bind(18, report.dump());
    bind_prediction(insert, 19, r.totals.cycles, r.totals.predicted_cycles);
  } else {
    for (int column = 9; column <= 20; ++column) insert.bind_null(column);
  }
  insert.run();
  if (result.report) {
    sqlite::Statement layer = db_.prepare(
        "INSERT INTO layers (key, position, name, type, macs, ops, cycles, mac_per_cycle, utilization, stall_cycles, "
        "bytes_in, bytes_out, tiles, extra, unit, output, predicted_cycles, prediction_error_pct, energy, analysis) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    const auto& layers = result.report->layers;
    for (std::size_t i = 0; i < layers.size(); ++i) {
      const report::LayerRow& row = layers[i];
      layer.bind(1, result.key)
          .bind(2, static_cast<std::int64_t>(i))
          .bind(3, row.name)
          .bind(4, row.type)
          .bind(5, as_int(row.macs))
          .bind(6, as_int(row.ops))
          .bind(7, as_int(row.cycles))
          .bind(8, row.mac_per_cycle)
          .bind(9, row.utilization)
          .bind(10, as_int(row.stall_cycles))
          .bind(11, as_int(row.bytes_in))
          .bind(12, as_int(row.bytes_out))
          .bind(13, as_int(row.tiles))
          .bind(14, row.specific.dump())
          .bind(15, row.unit)
          .bind(16, row.output);
      bind_prediction(layer, 17, row.cycles, row.predicted_cycles);
      nlohmann::json energy = nlohmann::json::object();
      for (const auto& [component, pj] : row.energy) energy[component] = pj;
      layer.bind(19, energy.dump());
      layer.bind(20, report::layer_analysis_json(row).dump());
      layer.run();
      layer.reset();
    }
  }
  t.commit();
}

void ResultsDb::count_submission(const std::vector<std::string>& keys) {
  update_each(keys, "UPDATE points SET submissions = submissions + 1 WHERE key = ?");
}

void ResultsDb::reset_submissions(const std::vector<std::string>& keys) {
  update_each(keys, "UPDATE points SET submissions = 0 WHERE key = ?");
}

void ResultsDb::update_each(const std::vector<std::string>& keys, std::string_view sql) {
  sqlite::Transaction t(db_);
  sqlite::Statement update = db_.prepare(sql);
  for (const std::string& key : keys) {
    update.bind(1, key).run();
    update.reset();
  }
  t.commit();
}

void ResultsDb::record_slurm_job(const std::string& job_id, const std::filesystem::path& manifest, std::size_t points,
                                 std::size_t chunk) {
  db_.prepare("INSERT OR REPLACE INTO slurm_jobs (job_id, manifest, points, chunk, submitted_at) VALUES (?, ?, ?, ?, ?)")
      .bind(1, job_id)
      .bind(2, manifest.string())
      .bind(3, static_cast<std::int64_t>(points))
      .bind(4, static_cast<std::int64_t>(chunk))
      .bind(5, utc_now())
      .run();
}

std::vector<ResultsDb::SlurmJob> ResultsDb::slurm_jobs() const {
  std::vector<SlurmJob> jobs;
  sqlite::Statement rows = db_.prepare("SELECT job_id, manifest, points, chunk FROM slurm_jobs ORDER BY submitted_at, job_id");
  while (rows.step()) {
    jobs.push_back({rows.text(0), rows.text(1), static_cast<std::size_t>(rows.integer(2)),
                    static_cast<std::size_t>(rows.integer(3))});
  }
  return jobs;
}

std::map<std::string, std::string> ResultsDb::statuses() const {
  std::map<std::string, std::string> all;
  sqlite::Statement rows = db_.prepare("SELECT key, status FROM results");
  while (rows.step()) all[rows.text(0)] = rows.text(1);
  return all;
}

std::vector<StoredPoint> ResultsDb::points() const {
  std::vector<StoredPoint> all;
  // A point's own columns, then its result's first ones (null until it has run).
  static const sqlite::Columns<StoredPoint> point_columns(
      {{"key", &StoredPoint::key}, {"position", &StoredPoint::position}, {"model", &StoredPoint::model},
       {"model_path", &StoredPoint::model_path}, {"config", &StoredPoint::config},
       {"config_path", &StoredPoint::config_path}, {"target", &StoredPoint::target}, {"mode", &StoredPoint::mode},
       {"compile_options", &StoredPoint::compile_options}});
  static const sqlite::Columns<StoredPoint> result_columns(
      {{"status", &StoredPoint::status}, {"exit_code", &StoredPoint::exit_code}, {"error", &StoredPoint::error},
       {"host", &StoredPoint::host}, {"finished_at", &StoredPoint::finished_at}, {"build", &StoredPoint::build},
       {"wall_seconds", &StoredPoint::wall_seconds}});
  // A done point's totals (null otherwise).
  static const sqlite::Columns<StoredPoint> total_columns(
      {{"cycles", &StoredPoint::cycles}, {"macs", &StoredPoint::macs}, {"memory_bytes", &StoredPoint::memory_bytes},
       {"moveops", &StoredPoint::moveops}, {"latency_ms", &StoredPoint::latency_ms},
       {"mac_per_cycle", &StoredPoint::mac_per_cycle}, {"utilization", &StoredPoint::utilization},
       {"clock_mhz", &StoredPoint::clock_mhz}, {"verdict", &StoredPoint::verdict}});
  sqlite::Statement rows = db_.prepare(
      fmt::format("SELECT {}, p.params, p.hw_values, p.submissions, {}, {}, r.report, {} FROM points p LEFT JOIN "
                  "results r ON r.key = p.key ORDER BY p.position, p.key",
                  point_columns.names("p."), result_columns.names("r."), total_columns.names("r."),
                  has_predictions_ ? "r.predicted_cycles" : "NULL"));
  while (rows.step()) {
    StoredPoint p;
    int column = point_columns.read(rows, p, 0);
    p.params = nlohmann::json::parse(rows.text(column++));
    p.hw_values = nlohmann::json::parse(rows.text(column++));
    p.submissions = static_cast<int>(rows.integer(column++));
    const int results = column, totals = results + static_cast<int>(result_columns.size());
    const int report = totals + static_cast<int>(total_columns.size());
    if (!rows.is_null(results)) result_columns.read(rows, p, results);
    if (!rows.is_null(totals)) {
      total_columns.read(rows, p, totals);
      p.totals = nlohmann::json::parse(rows.text(report)).value("totals", nlohmann::json::object());
      p.predicted_cycles = predicted_of(rows, report + 1);
    }
    all.push_back(std::move(p));
  }
  return all;
}

std::optional<report::RunReport> ResultsDb::run_report(const std::string& key) const {
  sqlite::Statement query = db_.prepare("SELECT report FROM results WHERE key = ? AND status = 'done'");
  query.bind(1, key);
  if (!query.step() || query.is_null(0)) return std::nullopt;
  nlohmann::json stored;
  try {
    stored = nlohmann::json::parse(query.text(0));
  } catch (const nlohmann::json::parse_error& e) {
    throw UserError(fmt::format("{}: point {}: stored report is not JSON: {}", db_.path().string(), key, e.what()));
  }
  stored["layers"] = nlohmann::json::array();  // stored apart, in the layers table
  report::RunReport report = report::from_json(stored, fmt::format("{}: point {}", db_.path().string(), key));
  report.layers = layers(key);
  return report;
}

std::vector<report::LayerRow> ResultsDb::layers(const std::string& key) const {
  std::vector<report::LayerRow> rows;
  sqlite::Statement query = db_.prepare(
      std::string("SELECT name, type, macs, ops, cycles, mac_per_cycle, utilization, stall_cycles, bytes_in, bytes_out, "
                  "tiles, extra, ") +
      (layers_have_places_ ? "unit, output" : "'', ''") + (has_predictions_ ? ", predicted_cycles" : ", NULL") +
      (layers_have_energy_ ? ", energy" : ", '{}'") + (layers_have_analysis_ ? ", analysis" : ", '{}'") +
      " FROM layers WHERE key = ? ORDER BY position");
  query.bind(1, key);
  // Layer blocks of reports of an older schema keep their names of then (report_json.h).
  int schema = report::kReportSchema;
  {
    sqlite::Statement stored = db_.prepare("SELECT json_extract(report, '$.schema') FROM results WHERE key = ?");
    stored.bind(1, key);
    if (stored.step() && !stored.is_null(0)) schema = static_cast<int>(stored.integer(0));
  }
  std::vector<std::string_view> energy_order;
  std::string target_name;
  {
    sqlite::Statement target = db_.prepare("SELECT target FROM points WHERE key = ?");
    target.bind(1, key);
    if (target.step()) {
      target_name = target.text(0);
      if (const TargetBackend* backend = find_backend(target_name)) energy_order = backend->energy_components();
    }
  }
  while (query.step()) {
    report::LayerRow row;
    row.name = query.text(0);
    row.type = query.text(1);
    row.macs = static_cast<std::uint64_t>(query.integer(2));
    row.ops = static_cast<std::uint64_t>(query.integer(3));
    row.cycles = static_cast<std::uint64_t>(query.integer(4));
    row.mac_per_cycle = query.real(5);
    row.utilization = query.real(6);
    row.stall_cycles = static_cast<std::uint64_t>(query.integer(7));
    row.bytes_in = static_cast<std::uint64_t>(query.integer(8));
    row.bytes_out = static_cast<std::uint64_t>(query.integer(9));
    row.tiles = static_cast<std::uint64_t>(query.integer(10));
    row.specific = nlohmann::json::parse(query.text(11));
    report::upgrade_layer_block(row.specific, schema);
    row.unit = query.text(12);
    row.output = query.text(13);
    row.predicted_cycles = predicted_of(query, 14);
    row.energy = stored_energy(query.text(15), energy_order);
    const nlohmann::json analysis = nlohmann::json::parse(query.text(16), nullptr, false);
    if (!analysis.is_object()) throw UserError(fmt::format("{}: layer '{}': damaged time and bound", path().string(), row.name));
    if (!analysis.empty()) report::read_layer_analysis(analysis, target_name, path().string(), row);
    rows.push_back(std::move(row));
  }
  return rows;
}

const nlohmann::json* stored_total(const StoredPoint& point, const std::string& name) {
  if (const auto it = point.totals.find(name); it != point.totals.end() && !it->is_object()) return &*it;
  // The target's own totals are in its block (`totals.<target>.<statistic>`).
  for (const auto& [key, block] : point.totals.items()) {
    if (!block.is_object()) continue;
    if (const auto it = block.find(name); it != block.end()) return &*it;
  }
  return nullptr;
}

}  // namespace wb::sweep
