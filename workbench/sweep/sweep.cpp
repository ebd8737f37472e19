#include "workbench/sweep/sweep.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <ostream>
#include <set>
#include <stdexcept>

#include "support/error.h"
#include "workbench/model_cache.h"
#include "workbench/sweep/executor.h"
#include "workbench/sweep/point_runner.h"
#include "workbench/sweep/points.h"
#include "workbench/sweep/result_files.h"
#include "workbench/sweep/results_db.h"
#include "workbench/sweep/slurm_executor.h"

namespace wb::sweep {

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;

void make_work_dirs(const std::filesystem::path& work_dir) {
  for (const char* sub : {"models", "manifests", "results", "logs"}) {
    std::error_code ec;
    std::filesystem::create_directories(work_dir / sub, ec);
    if (ec) throw UserError(fmt::format("{}: cannot create the sweep's folder: {}", (work_dir / sub).string(), ec.message()));
  }
}

// 1 when a stored result is a mismatch, a crash or a timeout (a point that does not fit its
// hardware exits 2: that is an answer, not a failure of the sweep).
int exit_code_of(const std::vector<StoredPoint>& points) {
  for (const StoredPoint& p : points) {
    if (p.status == "done" && p.verdict == "mismatch") return kExitFailure;
    if (p.status == "failed" && p.exit_code != 2) return kExitFailure;
  }
  return kExitOk;
}

void print_summary(const ResultsDb& db, const std::string& name, std::ostream& out) {
  const std::vector<StoredPoint> points = db.points();
  std::size_t done = 0, failed = 0, pending = 0, mismatches = 0;
  for (const StoredPoint& p : points) {
    if (p.status == "done") ++done;
    if (p.status == "failed") ++failed;
    if (p.status.empty()) ++pending;
    if (p.verdict == "mismatch") ++mismatches;
  }
  out << fmt::format("sweep {}: {} points: {} done, {} failed{}{}\n", name, points.size(), done, failed,
                     pending > 0 ? fmt::format(", {} without a result", pending) : "",
                     mismatches > 0 ? fmt::format(" ({} not bit-exact)", mismatches) : "");
  out << fmt::format("results: {}  (workbench sweep show {}; workbench report {} -o DIR)\n", db.path().string(),
                     db.path().string(), db.path().string());
}

}  // namespace

std::filesystem::path resolve_db(const std::filesystem::path& db_or_spec) {
  const std::string ext = db_or_spec.extension().string();
  if (ext == ".yaml" || ext == ".yml") {
    return default_db_path(load_sweep_spec(db_or_spec, default_cache_dir() / "workloads"));
  }
  return db_or_spec;
}

int run_sweep(const SweepOptions& options, std::ostream& out, std::ostream& err) {
  return run_sweep(options, *make_executor(options), out, err);
}

int run_sweep(const SweepOptions& options, Executor& executor, std::ostream& out, std::ostream& err) {
  const SweepSpec spec = load_sweep_spec(options.spec, default_cache_dir() / "workloads");
  executor.check_available();
  if (options.executable.empty()) throw std::logic_error("run_sweep: no executable");
  std::map<std::filesystem::path, std::string> digests;
  const std::vector<DesignPoint> points = expand_points(spec, digests);
  const double timeout_s = options.timeout_s.value_or(spec.timeout_s);

  if (options.dry_run) {
    out << fmt::format("sweep {}: {} points ({} mode)\n", spec.name, points.size(), mode_name(spec.mode));
    for (const DesignPoint& p : points) {
      out << fmt::format("{:>4}  {}  {}{}\n", p.position, p.key.substr(0, 12), p.label,
                         p.compile_opts.empty() ? "" : fmt::format("  --compile-opt {}", fmt::join(p.compile_opts, ",")));
    }
    return kExitOk;
  }

  const std::filesystem::path db_path = options.db.value_or(default_db_path(spec));
  const std::filesystem::path work_dir = std::filesystem::absolute(work_dir_for(db_path));
  ResultsDb db(db_path, true);
  make_work_dirs(work_dir);
  db.record_sweep(spec, work_dir);
  db.add_points(points);
  const ImportCounts imported = import_result_files(db, work_dir, err);
  if (imported.done + imported.failed > 0) {
    err << fmt::format("imported {} result file(s) left by an earlier run\n", imported.done + imported.failed);
  }

  const std::map<std::string, std::string> statuses = db.statuses();
  std::vector<const DesignPoint*> pending;
  std::vector<std::string> retried;
  std::size_t stored = 0;
  for (const DesignPoint& p : points) {
    const auto it = statuses.find(p.key);
    if (it == statuses.end() || (options.retry_failed && it->second == "failed")) {
      pending.push_back(&p);
      if (it != statuses.end()) retried.push_back(p.key);
    } else {
      ++stored;
    }
  }
  // A failed point run again starts its Slurm submissions afresh.
  db.reset_submissions(retried);
  err << fmt::format("sweep {}: {} points, {} already stored, {} to run ({} mode)\n", spec.name, points.size(), stored,
                     pending.size(), mode_name(spec.mode));

  int status = kExitOk;
  if (!pending.empty()) {
    status = executor.run({spec, db, work_dir, timeout_s, options.executable, out, err}, pending);
  }
  // A writer of a killed earlier run may have been a zombie still when the run began.
  remove_stale_temporaries(work_dir);
  print_summary(db, spec.name, out);
  if (status != kExitOk) return status;
  // Only this spec's points decide the exit code (the database may hold older ones).
  std::set<std::string> keys;
  for (const DesignPoint& p : points) keys.insert(p.key);
  std::vector<StoredPoint> mine;
  for (StoredPoint& p : db.points()) {
    if (keys.count(p.key) != 0) mine.push_back(std::move(p));
  }
  const bool submitted_only = !executor.results_on_return();
  const std::size_t missing = static_cast<std::size_t>(
      std::count_if(mine.begin(), mine.end(), [](const StoredPoint& p) { return p.status.empty(); }));
  if (missing > 0 && !submitted_only) {
    err << fmt::format("{} point(s) have no result: their processes or Slurm tasks ended without writing one (see {}); "
                       "run the same command again to retry them\n",
                       missing, (work_dir / "logs").string());
    return kExitFailure;
  }
  return exit_code_of(mine);
}

int run_point_command(const std::filesystem::path& manifest, std::size_t index, std::ostream& out) {
  run_manifest_point(manifest, index, out);
  return kExitOk;
}

int run_collect(const std::filesystem::path& db_or_spec, std::ostream& out) {
  ResultsDb db(resolve_db(db_or_spec), false);
  const std::filesystem::path work_dir = db.meta("work_dir");
  const ImportCounts counts = import_result_files(db, work_dir, out);
  out << fmt::format("imported {} result file(s): {} done, {} failed{}\n", counts.done + counts.failed, counts.done,
                     counts.failed, counts.unknown > 0 ? fmt::format(" ({} of points this database does not have, left in place)", counts.unknown) : "");
  print_summary(db, db.meta("name"), out);
  return kExitOk;
}

int run_status(const std::filesystem::path& db_or_spec, std::ostream& out) {
  ResultsDb db(resolve_db(db_or_spec), false);
  const std::filesystem::path work_dir = db.meta("work_dir");
  const std::vector<StoredPoint> points = db.points();
  // Points with a result file waiting to be imported.
  std::set<std::string> uncollected;
  std::error_code ec;
  if (std::filesystem::is_directory(work_dir / "results", ec)) {
    for (const auto& entry : std::filesystem::directory_iterator(work_dir / "results", ec)) {
      if (entry.path().extension() == ".json") uncollected.insert(entry.path().stem().string());
    }
  }
  std::set<std::string> without_result;
  std::size_t done = 0, failed = 0;
  for (const StoredPoint& p : points) {
    if (p.status == "done") ++done;
    if (p.status == "failed") ++failed;
    if (p.status.empty() && uncollected.count(p.key) == 0) without_result.insert(p.key);
  }
  // Slurm: the points of each recorded job's tasks that squeue still lists.
  const SlurmQueue slurm = slurm_queue(db, without_result);
  const std::set<std::string>& running = slurm.running;
  const std::set<std::string>& queued = slurm.queued;
  std::size_t missing = 0;
  for (const std::string& key : without_result) missing += running.count(key) + queued.count(key) == 0 ? 1 : 0;
  out << fmt::format("sweep {} ({}): {} points\n", db.meta("name"), db.path().string(), points.size());
  out << fmt::format("  done         {}\n  failed       {}\n", done, failed);
  if (!uncollected.empty()) {
    out << fmt::format("  to collect   {}  (result files not imported yet: workbench sweep collect {})\n",
                       uncollected.size(), db.path().string());
  }
  if (!running.empty() || !queued.empty()) {
    out << fmt::format("  running      {}\n  queued       {}\n", running.size(), queued.size());
  }
  out << fmt::format("  missing      {}{}\n", missing,
                     missing > 0 ? "  (no result and not in Slurm: run the sweep again to run or submit them)" : "");
  for (const std::string& line : slurm.job_lines) out << "  " << line << "\n";
  return kExitOk;
}

}  // namespace wb::sweep
