#pragma once
// A sweep's results: one SQLite file (docs/sweeps.md has the schema). The sweep's parent
// process is its only writer; one transaction per imported result, so a sweep killed at any
// moment (kill -9 included) leaves every result it stored whole and none twice.

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "workbench/report/report.h"
#include "workbench/sweep/point_result.h"
#include "workbench/sweep/points.h"
#include "workbench/sweep/spec.h"
#include "support/sqlite.h"

namespace wb::sweep {

inline constexpr int kResultsSchemaVersion = 1;

// A point as stored, with its result when it has one.
struct StoredPoint {
  std::string key;
  int position = 0;
  std::string model, model_path, config, config_path, target, mode, compile_options;
  nlohmann::json params = nlohmann::json::object();     // axis -> value as given
  nlohmann::json hw_values = nlohmann::json::object();  // numeric config keys, resolved
  int submissions = 0;                                  // Slurm: times submitted
  // The result ("" = none yet).
  std::string status;
  int exit_code = 0;
  std::string error, host, finished_at, build;
  double wall_seconds = 0;
  // Totals of a done point.
  std::uint64_t cycles = 0, macs = 0, memory_bytes = 0, moveops = 0;
  double latency_ms = 0, mac_per_cycle = 0, utilization = 0, clock_mhz = 0;
  std::string verdict;
  // The predictor's cycles for the whole program (none: a target without one, or a database
  // written before they were recorded); the error is prediction_error_pct(cycles, this).
  std::optional<std::uint64_t> predicted_cycles;
  nlohmann::json totals = nlohmann::json::object();  // every total of the run report, extra ones too
};

// A total of a point's run report by name, standard (`energy_uj`) or in its target's block
// (`totals.<target>.card_fps`); nullptr when it has none.
const nlohmann::json* stored_total(const StoredPoint& point, const std::string& name);

class ResultsDb {
 public:
  // Opens the database; with create, makes it (and its schema) when missing. UserError naming
  // the file when it is not a sweep results database of this schema version.
  ResultsDb(const std::filesystem::path& path, bool create);

  const std::filesystem::path& path() const { return db_.path(); }

  // The sweep it holds: name, spec, work folder, axes.
  void record_sweep(const SweepSpec& spec, const std::filesystem::path& work_dir);
  std::string meta(const std::string& key) const;  // "" when absent
  std::vector<std::string> axes() const;

  // Adds the points not yet known (positions updated to the spec's current order).
  void add_points(const std::vector<DesignPoint>& points);
  // Stores a result (replacing the point's previous one), per-layer rows included.
  void store(const PointResult& result);
  void count_submission(const std::vector<std::string>& keys);
  void reset_submissions(const std::vector<std::string>& keys);
  void record_slurm_job(const std::string& job_id, const std::filesystem::path& manifest, std::size_t points,
                        std::size_t chunk);
  struct SlurmJob {
    std::string id;
    std::filesystem::path manifest;
    std::size_t points = 0, chunk = 1;
  };
  std::vector<SlurmJob> slurm_jobs() const;

  // Key -> status for points with a result.
  std::map<std::string, std::string> statuses() const;
  std::vector<StoredPoint> points() const;  // in position order
  std::vector<report::LayerRow> layers(const std::string& key) const;
  // A done point's whole run report (layers included); nullopt for a point without one.
  // UserError naming the database and point when the stored report is of another schema.
  std::optional<report::RunReport> run_report(const std::string& key) const;

 private:
  // Runs `sql` (one `?`: the key) for each key, in one transaction.
  void update_each(const std::vector<std::string>& keys, std::string_view sql);

  // Adds the layers' unit and output columns to a database written without them.
  void add_layer_places();
  // Adds the prediction columns of results and layers to a database written without them.
  void add_prediction_columns();
  void add_energy_column();
  void add_analysis_column();
  void add_axis_view();

  mutable sqlite::Database db_;
  bool layers_have_places_ = false;  // the layers table has the unit and output columns
  bool has_predictions_ = false;     // results and layers have the prediction columns
  bool layers_have_energy_ = false;  // the layers table has the energy column
  bool layers_have_analysis_ = false;  // the layers table has the analysis column (time causes, bound)
  bool has_axis_view_ = false;         // the point_axes view (the axes' values, typed) exists
};

// The default database of a spec: <spec name>.db in the working folder.
std::filesystem::path default_db_path(const SweepSpec& spec);
// The work folder beside a database: quantized models, manifests, result files, logs.
std::filesystem::path work_dir_for(const std::filesystem::path& db_path);

}  // namespace wb::sweep
