#include "workbench/sweep/sweep.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <map>
#include <ostream>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "support/atomic_file.h"
#include "support/error.h"
#include "workbench/model_cache.h"
#include "workbench/run_common.h"
#include "workbench/sweep/manifest.h"
#include "workbench/sweep/point_result.h"
#include "workbench/sweep/point_runner.h"
#include "workbench/sweep/points.h"
#include "workbench/sweep/process_pool.h"
#include "workbench/sweep/progress.h"
#include "workbench/sweep/results_db.h"
#include "workbench/version.h"

namespace wb::sweep {

namespace {

using Clock = std::chrono::steady_clock;

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitInterrupted = 130;
constexpr std::size_t kDefaultChunk = 4;


std::size_t machine_cores() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : n;
}

// A zombie (killed, not yet reaped by its new parent) still answers kill(pid, 0) but will
// never finish its file: dead for our purposes.
bool process_alive(pid_t pid) {
  if (kill(pid, 0) != 0 && errno != EPERM) return false;
  std::ifstream stat(fmt::format("/proc/{}/stat", pid));
  std::string line;
  if (!std::getline(stat, line)) return true;  // no /proc: trust kill()
  // "pid (comm) S ...": the state follows the last ')' (comm may hold parentheses).
  const std::size_t paren = line.rfind(')');
  if (paren == std::string::npos || paren + 2 >= line.size()) return true;
  const char state = line[paren + 2];
  return state != 'Z' && state != 'X';
}

// A temporary file of write_file_atomically whose writer was killed.
bool stale_temporary(const std::filesystem::path& path) {
  const std::optional<long> writer = partial_file_writer(path);
  return writer && !process_alive(static_cast<pid_t>(*writer));
}

// Removes the temporary files of killed writers from the results folder.
void remove_stale_temporaries(const std::filesystem::path& work_dir) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(work_dir / "results", ec)) {
    if (stale_temporary(entry.path())) std::filesystem::remove(entry.path(), ec);
  }
}

struct ImportCounts {
  std::size_t done = 0, failed = 0, unknown = 0, damaged = 0;
};

// Imports every result file of the work folder into the database and removes it (the
// database is then the record; a kill between the two only imports it again).
ImportCounts import_result_files(ResultsDb& db, const std::filesystem::path& work_dir, std::ostream& log) {
  ImportCounts counts;
  const std::filesystem::path dir = work_dir / "results";
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return counts;
  std::set<std::string> known;
  for (const StoredPoint& p : db.points()) known.insert(p.key);
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  for (const std::filesystem::path& file : files) {
    if (stale_temporary(file)) {
      std::filesystem::remove(file, ec);
      continue;
    }
    if (file.extension() != ".json") continue;
    PointResult result;
    try {
      result = read_point_result(file);
    } catch (const UserError& e) {
      log << fmt::format("warning: {} (left in place)\n", e.what());
      ++counts.damaged;
      continue;
    }
    if (known.count(result.key) == 0) {
      ++counts.unknown;
      continue;
    }
    db.store(result);
    std::filesystem::remove(file, ec);
    result.status == "done" ? ++counts.done : ++counts.failed;
  }
  return counts;
}

// A failed point's record, as written on this machine now.
PointResult failed_point(const std::string& key, int exit_code, std::string error, double seconds) {
  PointResult r;
  r.key = key;
  r.status = "failed";
  r.exit_code = exit_code;
  r.error = std::move(error);
  r.wall_seconds = seconds;
  r.host = host_name();
  r.finished_at = utc_now();
  r.build = build_id();
  return r;
}

PointResult failure_result(const std::string& key, const ProcessOutcome& outcome, double timeout_s) {
  PointResult r = failed_point(key, outcome.timed_out ? -1 : outcome.exit_code, "", outcome.seconds);
  const std::string line = error_line(outcome.output);
  if (outcome.timed_out) {
    r.error = fmt::format("timed out after {:.0f} s", timeout_s);
  } else if (outcome.exit_code > 128) {
    r.error = fmt::format("killed by signal {}{}", outcome.exit_code - 128, line.empty() ? "" : ": " + line);
  } else if (outcome.exit_code == 0) {
    r.error = "exited 0 without writing its result file";
    r.exit_code = 1;
  } else {
    r.error = line.empty() ? fmt::format("exit code {} and no output", outcome.exit_code) : line;
  }
  return r;
}

void write_log(const std::filesystem::path& path, const std::string& output) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  try {
    write_file_atomically(path, output);
  } catch (const UserError&) {
    // A log is a convenience; the failure itself is recorded in the database.
  }
}

// Quantizes each model the pending points need, once (cached in the work folder).
std::map<std::string, std::filesystem::path> quantize_models(const std::vector<const DesignPoint*>& pending,
                                                             const std::filesystem::path& work_dir, std::ostream& err) {
  const ModelCache cache(work_dir / "models");
  std::map<std::string, std::filesystem::path> entries;
  for (const DesignPoint* p : pending) {
    if (entries.count(p->quant_key) != 0) continue;
    const auto start = Clock::now();
    std::ostringstream log;
    const CachedModel cached = ensure_quantized(cache, p->quantize, p->input, p->model_sha256, log);
    if (cached.key != p->quant_key) throw std::logic_error("sweep: the quantization key changed under a point");
    err << fmt::format("model {} ({} scheme{}): {}\n", p->model, quant::scheme_name(p->quantize.quant.scheme),
                       p->quantize.structure_only ? ", timing only: no calibration" : "",
                       cached.hit ? "quantized model cached" : fmt::format("quantized in {:.1f} s", seconds_since(start)));
    entries[p->quant_key] = cached.entry;
  }
  return entries;
}

Manifest make_manifest(const SweepSpec& spec, const std::vector<const DesignPoint*>& pending,
                       const std::map<std::string, std::filesystem::path>& models, const std::filesystem::path& work_dir,
                       double timeout_s, const std::filesystem::path& executable) {
  Manifest m;
  m.sweep = spec.name;
  m.build = build_id();
  m.work_dir = std::filesystem::absolute(work_dir);
  m.executable = executable;
  m.timeout_s = timeout_s;
  for (const DesignPoint* p : pending) {
    ManifestPoint mp;
    mp.key = p->key;
    mp.position = p->position;
    mp.model = p->model;
    mp.model_path = std::filesystem::absolute(p->model_path);
    mp.model_sha256 = p->model_sha256;
    mp.qmodel = std::filesystem::absolute(models.at(p->quant_key));
    mp.config_path = std::filesystem::absolute(p->config_path);
    mp.overrides = p->overrides;
    mp.compile_opts = p->compile_opts;
    mp.mode = p->mode;
    m.points.push_back(std::move(mp));
  }
  return m;
}

std::filesystem::path new_manifest_path(const std::filesystem::path& work_dir) {
  const auto stamp = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  return std::filesystem::absolute(work_dir / "manifests" / fmt::format("{}-{}.jsonl", stamp, getpid()));
}

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

// ---- local executor ---------------------------------------------------------------------

int run_local(ResultsDb& db, const Manifest& manifest, const std::filesystem::path& manifest_path,
              const std::vector<const DesignPoint*>& pending, const SweepOptions& options, std::ostream& err) {
  std::vector<ProcessJob> jobs;
  for (std::size_t i = 0; i < manifest.points.size(); ++i) {
    jobs.push_back({{manifest.executable.string(), "sweep", "point", manifest_path.string(), std::to_string(i)},
                    manifest.timeout_s});
  }
  const std::size_t slots = options.jobs > 0 ? options.jobs : machine_cores();
  prepare_point_environment();
  err << fmt::format("running {} points, {} at a time (timeout {:.0f} s each)\n", jobs.size(), std::min(slots, jobs.size()),
                     manifest.timeout_s);
  Progress progress(err, options.terminal, jobs.size());
  ProcessPool pool(slots);
  std::size_t abandoned = 0;
  const bool completed = pool.run(
      jobs, [&](std::size_t) { progress.started(); },
      [&](std::size_t i, const ProcessOutcome& outcome) {
        const ManifestPoint& point = manifest.points[i];
        const std::filesystem::path result_file = manifest.result_path(point.key);
        std::error_code ec;
        const std::string& label = pending[i]->label;
        if (pool.interrupted() && outcome.exit_code > 128) {
          ++abandoned;  // ended by our interrupt: no result, so a rerun runs it
          return;
        }
        if (outcome.exit_code == 0 && !outcome.timed_out && std::filesystem::is_regular_file(result_file, ec)) {
          const PointResult result = read_point_result(result_file);
          db.store(result);
          std::filesystem::remove(result_file, ec);
          progress.finished(true, label, outcome.seconds, "");
          return;
        }
        const PointResult failure = failure_result(point.key, outcome, manifest.timeout_s);
        write_log(manifest.log_path(point.key), outcome.output);
        db.store(failure);
        std::filesystem::remove(result_file, ec);
        progress.finished(false, label, outcome.seconds, failure.error);
      },
      [&] { progress.tick(); });
  progress.close();
  const double seconds = progress.elapsed_seconds();
  err << fmt::format("ran {} points in {:.1f} s ({:.1f} points/min){}\n", progress.done() + progress.failed(), seconds,
                     progress.rate(), progress.failed() > 0 ? fmt::format("; logs of failed points in {}", (manifest.work_dir / "logs").string()) : "");
  if (!completed) {
    err << fmt::format("interrupted: the points finished so far are stored, {} stopped point(s) are not; run the same "
                       "command again to resume\n",
                       abandoned);
    return kExitInterrupted;
  }
  return kExitOk;
}

// ---- Slurm executor ---------------------------------------------------------------------

std::string require_slurm_tool(const std::string& tool) {
  const std::string path = find_on_path(tool);
  if (path.empty()) {
    throw UserError(fmt::format("--executor slurm: '{}' not found on PATH: this machine has no Slurm client (install "
                                "Slurm's client tools, e.g. Debian's slurm-client, or run the sweep locally: the "
                                "default executor)",
                                tool));
  }
  return path;
}

std::size_t max_array_size() {
  const ProcessOutcome show = run_command({"scontrol", "show", "config"}, 60);
  if (show.exit_code != 0) {
    throw UserError(fmt::format("--executor slurm: scontrol cannot reach the Slurm controller: {}", error_line(show.output)));
  }
  static const std::regex pattern(R"(MaxArraySize\s*=\s*([0-9]+))");
  std::smatch match;
  if (std::regex_search(show.output, match, pattern)) return std::stoul(match[1].str());
  return 1001;  // Slurm's default
}

// Array task ids of a job that squeue still lists (pending or running), with their state.
// Pending tasks of an array are listed as "123_[4-9%2]".
std::map<std::size_t, std::string> active_tasks(const std::string& job) {
  std::map<std::size_t, std::string> tasks;
  const ProcessOutcome q = run_command({"squeue", "-h", "-r", "-j", job, "-o", "%i %T"}, 60);
  if (q.exit_code != 0) return tasks;  // an unknown (finished long ago) job is an error to squeue
  std::istringstream lines(q.output);
  std::string line;
  static const std::regex task(R"(^([0-9]+)_([0-9]+) (\S+))");
  std::smatch match;
  while (std::getline(lines, line)) {
    if (std::regex_search(line, match, task)) tasks[std::stoul(match[2].str())] = match[3].str();
  }
  return tasks;
}

bool job_active(const std::string& job) {
  const ProcessOutcome q = run_command({"squeue", "-h", "-j", job, "-o", "%i"}, 60);
  return q.exit_code == 0 && q.output.find_first_not_of(" \n") != std::string::npos;
}

int run_slurm(ResultsDb& db, const SweepSpec& spec, std::vector<const DesignPoint*> pending,
              const std::filesystem::path& work_dir, double timeout_s, const SweepOptions& options, std::ostream& out,
              std::ostream& err);

}  // namespace

std::filesystem::path resolve_db(const std::filesystem::path& db_or_spec) {
  const std::string ext = db_or_spec.extension().string();
  if (ext == ".yaml" || ext == ".yml") {
    return default_db_path(load_sweep_spec(db_or_spec, default_cache_dir() / "workloads"));
  }
  return db_or_spec;
}

int run_sweep(const SweepOptions& options, std::ostream& out, std::ostream& err) {
  const SweepSpec spec = load_sweep_spec(options.spec, default_cache_dir() / "workloads");
  if (options.executor == Executor::Slurm) {
    for (const char* tool : {"sbatch", "squeue", "scontrol"}) require_slurm_tool(tool);
  }
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
    if (options.executor == Executor::Slurm) {
      status = run_slurm(db, spec, pending, work_dir, timeout_s, options, out, err);
    } else {
      const auto models = quantize_models(pending, work_dir, err);
      const Manifest manifest = make_manifest(spec, pending, models, work_dir, timeout_s, options.executable);
      const std::filesystem::path manifest_path = new_manifest_path(work_dir);
      write_manifest(manifest, manifest_path);
      status = run_local(db, manifest, manifest_path, pending, options, err);
    }
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
  const bool submitted_only = options.executor == Executor::Slurm && !options.slurm.wait;
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

namespace {

int run_slurm(ResultsDb& db, const SweepSpec& spec, std::vector<const DesignPoint*> pending,
              const std::filesystem::path& work_dir, double timeout_s, const SweepOptions& options, std::ostream& out,
              std::ostream& err) {
  const std::size_t max_array = max_array_size();
  // Points of jobs still queued or running are in flight: not submitted again.
  std::set<std::string> in_flight;
  std::vector<std::string> active_jobs;
  for (const ResultsDb::SlurmJob& job : db.slurm_jobs()) {
    if (!job_active(job.id)) continue;
    active_jobs.push_back(job.id);
    for (const ManifestPoint& p : read_manifest(job.manifest).points) in_flight.insert(p.key);
  }
  std::map<std::string, int> submissions;
  for (const StoredPoint& p : db.points()) submissions[p.key] = p.submissions;
  std::vector<const DesignPoint*> to_submit;
  std::size_t given_up = 0;
  for (const DesignPoint* p : pending) {
    if (in_flight.count(p->key) != 0) continue;
    if (submissions[p->key] >= options.slurm.max_submissions) {
      db.store(failed_point(p->key, 1,
                            fmt::format("no result after {} Slurm submissions (see {})", submissions[p->key],
                                        (work_dir / "logs").string()),
                            0));
      ++given_up;
      continue;
    }
    to_submit.push_back(p);
  }
  if (given_up > 0) err << fmt::format("{} point(s) reached the retry cap and are recorded as failed\n", given_up);
  if (!in_flight.empty()) {
    err << fmt::format("{} point(s) are in Slurm jobs still queued or running ({}): not submitted again\n",
                       in_flight.size(), fmt::join(active_jobs, ", "));
  }
  if (to_submit.empty()) return kExitOk;

  const auto models = quantize_models(to_submit, work_dir, err);
  const Manifest manifest = make_manifest(spec, to_submit, models, work_dir, timeout_s, options.executable);
  const std::filesystem::path manifest_path = new_manifest_path(work_dir);
  write_manifest(manifest, manifest_path);

  std::size_t chunk = options.slurm.chunk > 0 ? options.slurm.chunk : kDefaultChunk;
  std::size_t tasks = (to_submit.size() + chunk - 1) / chunk;
  if (tasks > max_array) {
    chunk = (to_submit.size() + max_array - 1) / max_array;
    tasks = (to_submit.size() + chunk - 1) / chunk;
    err << fmt::format("the cluster's MaxArraySize is {}: {} points per array task\n", max_array, chunk);
  }
  std::string array = fmt::format("0-{}", tasks - 1);
  if (options.slurm.max_concurrent > 0) array += fmt::format("%{}", options.slurm.max_concurrent);
  const std::string worker = fmt::format("exec '{}' sweep worker '{}' --chunk {}", manifest.executable.string(),
                                         manifest_path.string(), chunk);
  std::vector<std::string> sbatch = {"sbatch",
                                     "--parsable",
                                     "--job-name=wb-sweep-" + spec.name,
                                     "--array=" + array,
                                     "--output=" + (work_dir / "logs" / "slurm-%A_%a.out").string(),
                                     "--chdir=" + std::filesystem::absolute(work_dir).string()};
  if (!options.slurm.partition.empty()) sbatch.push_back("--partition=" + options.slurm.partition);
  if (!options.slurm.time_limit.empty()) sbatch.push_back("--time=" + options.slurm.time_limit);
  for (const std::string& arg : options.slurm.sbatch_args) sbatch.push_back(arg);
  sbatch.push_back("--wrap=" + worker);
  const ProcessOutcome submitted = run_command(sbatch, 120);
  if (submitted.exit_code != 0) {
    throw UserError(fmt::format("sbatch refused the job: {}", error_line(submitted.output)));
  }
  std::string job = submitted.output.substr(0, submitted.output.find_first_of(";\n"));
  // The job's manifest names its points, for status and resubmission.
  db.record_slurm_job(job, manifest_path, to_submit.size(), chunk);
  std::vector<std::string> keys;
  for (const DesignPoint* p : to_submit) keys.push_back(p->key);
  db.count_submission(keys);
  err << fmt::format("submitted Slurm job {}: {} array task(s) of up to {} point(s), {} points\n", job, tasks, chunk,
                     to_submit.size());
  if (!options.slurm.wait) {
    out << fmt::format("follow it with `workbench sweep status {0}`; import the results with `workbench sweep collect "
                       "{0}` (or submit with --wait)\n",
                       db.path().string());
    return kExitOk;
  }
  Progress progress(err, options.terminal, to_submit.size());
  std::map<std::string, std::string> labels;
  for (const DesignPoint* p : to_submit) labels[p->key] = p->label;
  std::set<std::string> seen;
  while (true) {
    const bool active = job_active(job);
    for (const ManifestPoint& p : manifest.points) {
      std::error_code ec;
      if (seen.count(p.key) == 0 && std::filesystem::is_regular_file(manifest.result_path(p.key), ec)) {
        seen.insert(p.key);
        try {
          const PointResult r = read_point_result(manifest.result_path(p.key));
          progress.finished(r.status == "done", labels[p.key], r.wall_seconds, r.error);
        } catch (const UserError&) {
          progress.finished(false, labels[p.key], 0, "unreadable result");
        }
      }
    }
    progress.tick();
    if (!active) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  progress.close();
  const ImportCounts counts = import_result_files(db, work_dir, err);
  err << fmt::format("job {} finished: imported {} done and {} failed point(s)\n", job, counts.done, counts.failed);
  return kExitOk;
}

}  // namespace

int run_worker(const std::filesystem::path& manifest_path, std::optional<std::size_t> task, std::size_t chunk,
               std::ostream& out) {
  const Manifest manifest = read_manifest(manifest_path);
  if (!task) {
    const char* id = std::getenv("SLURM_ARRAY_TASK_ID");
    if (id == nullptr) throw UserError("sweep worker: give --task N (outside a Slurm array job SLURM_ARRAY_TASK_ID is unset)");
    try {
      task = std::stoul(id);
    } catch (const std::exception&) {
      throw UserError(fmt::format("sweep worker: SLURM_ARRAY_TASK_ID '{}' is not a number", id));
    }
  }
  if (chunk == 0) throw UserError("sweep worker: --chunk must be at least 1");
  const std::size_t begin = *task * chunk;
  const std::size_t end = std::min(begin + chunk, manifest.points.size());
  if (begin >= manifest.points.size()) {
    throw UserError(fmt::format("sweep worker: task {} is past the manifest's {} points", *task, manifest.points.size()));
  }
  std::vector<ProcessJob> jobs;
  std::vector<std::size_t> indices;
  for (std::size_t i = begin; i < end; ++i) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(manifest.result_path(manifest.points[i].key), ec)) continue;  // requeued task
    jobs.push_back({{manifest.executable.string(), "sweep", "point", manifest_path.string(), std::to_string(i)},
                    manifest.timeout_s});
    indices.push_back(i);
  }
  prepare_point_environment();
  out << fmt::format("task {}: points {}..{} of {} ({} to run) on {}\n", *task, begin, end - 1, manifest.points.size(),
                     jobs.size(), host_name());
  ProcessPool pool(1);
  pool.run(
      jobs, nullptr,
      [&](std::size_t j, const ProcessOutcome& outcome) {
        const ManifestPoint& point = manifest.points[indices[j]];
        std::error_code ec;
        if (pool.interrupted() && outcome.exit_code > 128) {
          // The task was cancelled or reached its time limit: no result, so a resubmission
          // runs the point again.
          out << fmt::format("point {} ({}): stopped by the end of the task\n", indices[j], point.key);
          return;
        }
        if (outcome.exit_code == 0 && !outcome.timed_out &&
            std::filesystem::is_regular_file(manifest.result_path(point.key), ec)) {
          out << fmt::format("point {} ({}): done in {:.1f} s\n", indices[j], point.key, outcome.seconds);
          return;
        }
        const PointResult failure = failure_result(point.key, outcome, manifest.timeout_s);
        write_log(manifest.log_path(point.key), outcome.output);
        write_point_result(failure, manifest.result_path(point.key));
        out << fmt::format("point {} ({}): failed: {}\n", indices[j], point.key, failure.error);
      },
      nullptr);
  out.flush();
  return kExitOk;
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
  std::set<std::string> running, queued;
  std::vector<std::string> job_lines;
  const bool have_squeue = !find_on_path("squeue").empty();
  for (const ResultsDb::SlurmJob& job : db.slurm_jobs()) {
    if (!have_squeue) {
      job_lines.push_back(fmt::format("job {}: squeue not found on this machine", job.id));
      continue;
    }
    const auto tasks = active_tasks(job.id);
    if (tasks.empty() && !job_active(job.id)) {
      std::string state = "finished (no longer in squeue)";
      if (!find_on_path("sacct").empty()) {
        const ProcessOutcome sacct = run_command({"sacct", "-n", "-X", "-j", job.id, "-o", "State"}, 60);
        if (sacct.exit_code == 0 && sacct.output.find_first_not_of(" \n") != std::string::npos) {
          std::map<std::string, int> states;
          std::istringstream lines(sacct.output);
          std::string word;
          while (lines >> word) ++states[word];
          std::vector<std::string> parts;
          for (const auto& [name, count] : states) parts.push_back(fmt::format("{} {}", count, name));
          state = fmt::format("finished; sacct: {}", fmt::join(parts, ", "));
        }
      }
      job_lines.push_back(fmt::format("job {}: {} points; {}", job.id, job.points, state));
      continue;
    }
    const std::size_t chunk = std::max<std::size_t>(job.chunk, 1);
    const std::vector<ManifestPoint> manifest_points = read_manifest(job.manifest).points;
    std::size_t job_running = 0, job_queued = 0;
    for (std::size_t i = 0; i < manifest_points.size(); ++i) {
      const std::string& key = manifest_points[i].key;
      if (without_result.count(key) == 0) continue;
      // A task squeue lists as running is running its points in turn; a pending array is
      // listed as one range until Slurm splits it.
      const auto task = tasks.find(i / chunk);
      if (task != tasks.end() && task->second == "RUNNING") {
        running.insert(key);
        ++job_running;
      } else {
        queued.insert(key);
        ++job_queued;
      }
    }
    job_lines.push_back(fmt::format("job {}: {} points; {} task(s) in squeue; points running {}, queued {}", job.id,
                                    job.points, tasks.size(), job_running, job_queued));
  }
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
  for (const std::string& line : job_lines) out << "  " << line << "\n";
  return kExitOk;
}

}  // namespace wb::sweep
