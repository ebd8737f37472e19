#include "workbench/sweep/slurm_executor.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <ostream>
#include <regex>
#include <sstream>
#include <thread>

#include "support/error.h"
#include "workbench/sweep/process_pool.h"
#include "workbench/sweep/progress.h"
#include "workbench/sweep/result_files.h"

namespace wb::sweep {

namespace {

constexpr std::size_t kDefaultChunk = 4;

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

// "finished; sacct: 2 COMPLETED, 1 FAILED", or without sacct's answer "finished (no longer in squeue)".
std::string finished_job_state(const std::string& job) {
  std::string state = "finished (no longer in squeue)";
  if (find_on_path("sacct").empty()) return state;
  const ProcessOutcome sacct = run_command({"sacct", "-n", "-X", "-j", job, "-o", "State"}, 60);
  if (sacct.exit_code == 0 && sacct.output.find_first_not_of(" \n") != std::string::npos) {
    std::map<std::string, int> states;
    std::istringstream lines(sacct.output);
    std::string word;
    while (lines >> word) ++states[word];
    std::vector<std::string> parts;
    for (const auto& [name, count] : states) parts.push_back(fmt::format("{} {}", count, name));
    state = fmt::format("finished; sacct: {}", fmt::join(parts, ", "));
  }
  return state;
}

}  // namespace

void SlurmExecutor::check_available() const {
  for (const char* tool : {"sbatch", "squeue", "scontrol"}) require_slurm_tool(tool);
}

int SlurmExecutor::run(const SweepRun& run, const std::vector<const DesignPoint*>& pending) {
  const std::size_t max_array = max_array_size();
  // Points of jobs still queued or running are in flight: not submitted again.
  std::set<std::string> in_flight;
  std::vector<std::string> active_jobs;
  for (const ResultsDb::SlurmJob& job : run.db.slurm_jobs()) {
    if (!job_active(job.id)) continue;
    active_jobs.push_back(job.id);
    for (const ManifestPoint& p : read_manifest(job.manifest).points) in_flight.insert(p.key);
  }
  std::map<std::string, int> submissions;
  for (const StoredPoint& p : run.db.points()) submissions[p.key] = p.submissions;
  std::vector<const DesignPoint*> to_submit;
  std::size_t given_up = 0;
  for (const DesignPoint* p : pending) {
    if (in_flight.count(p->key) != 0) continue;
    if (submissions[p->key] >= options_.max_submissions) {
      run.db.store(failed_point(p->key, 1,
                                fmt::format("no result after {} Slurm submissions (see {})", submissions[p->key],
                                            (run.work_dir / "logs").string()),
                                0));
      ++given_up;
      continue;
    }
    to_submit.push_back(p);
  }
  if (given_up > 0) run.err << fmt::format("{} point(s) reached the retry cap and are recorded as failed\n", given_up);
  if (!in_flight.empty()) {
    run.err << fmt::format("{} point(s) are in Slurm jobs still queued or running ({}): not submitted again\n",
                           in_flight.size(), fmt::join(active_jobs, ", "));
  }
  if (to_submit.empty()) return 0;

  const ManifestFile file = write_points_manifest(run, to_submit);
  const Manifest& manifest = file.manifest;
  std::size_t chunk = options_.chunk > 0 ? options_.chunk : kDefaultChunk;
  std::size_t tasks = (to_submit.size() + chunk - 1) / chunk;
  if (tasks > max_array) {
    chunk = (to_submit.size() + max_array - 1) / max_array;
    tasks = (to_submit.size() + chunk - 1) / chunk;
    run.err << fmt::format("the cluster's MaxArraySize is {}: {} points per array task\n", max_array, chunk);
  }
  std::string array = fmt::format("0-{}", tasks - 1);
  if (options_.max_concurrent > 0) array += fmt::format("%{}", options_.max_concurrent);
  const std::string worker = fmt::format("exec '{}' sweep worker '{}' --chunk {}", manifest.executable.string(),
                                         file.path.string(), chunk);
  std::vector<std::string> sbatch = {"sbatch",
                                     "--parsable",
                                     "--job-name=wb-sweep-" + run.spec.name,
                                     "--array=" + array,
                                     "--output=" + (run.work_dir / "logs" / "slurm-%A_%a.out").string(),
                                     "--chdir=" + std::filesystem::absolute(run.work_dir).string()};
  if (!options_.partition.empty()) sbatch.push_back("--partition=" + options_.partition);
  if (!options_.time_limit.empty()) sbatch.push_back("--time=" + options_.time_limit);
  for (const std::string& arg : options_.sbatch_args) sbatch.push_back(arg);
  sbatch.push_back("--wrap=" + worker);
  const ProcessOutcome submitted = run_command(sbatch, 120);
  if (submitted.exit_code != 0) {
    throw UserError(fmt::format("sbatch refused the job: {}", error_line(submitted.output)));
  }
  std::string job = submitted.output.substr(0, submitted.output.find_first_of(";\n"));
  // The job's manifest names its points, for status and resubmission.
  run.db.record_slurm_job(job, file.path, to_submit.size(), chunk);
  std::vector<std::string> keys;
  for (const DesignPoint* p : to_submit) keys.push_back(p->key);
  run.db.count_submission(keys);
  run.err << fmt::format("submitted Slurm job {}: {} array task(s) of up to {} point(s), {} points\n", job, tasks, chunk,
                         to_submit.size());
  if (!options_.wait) {
    run.out << fmt::format("follow it with `workbench sweep status {0}`; import the results with `workbench sweep "
                           "collect {0}` (or submit with --wait)\n",
                           run.db.path().string());
    return 0;
  }
  Progress progress(run.err, terminal_, to_submit.size());
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
  const ImportCounts counts = import_result_files(run.db, run.work_dir, run.err);
  run.err << fmt::format("job {} finished: imported {} done and {} failed point(s)\n", job, counts.done, counts.failed);
  return 0;
}

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
  return 0;
}

SlurmQueue slurm_queue(const ResultsDb& db, const std::set<std::string>& without_result) {
  SlurmQueue queue;
  const bool have_squeue = !find_on_path("squeue").empty();
  for (const ResultsDb::SlurmJob& job : db.slurm_jobs()) {
    if (!have_squeue) {
      queue.job_lines.push_back(fmt::format("job {}: squeue not found on this machine", job.id));
      continue;
    }
    const auto tasks = active_tasks(job.id);
    if (tasks.empty() && !job_active(job.id)) {
      queue.job_lines.push_back(fmt::format("job {}: {} points; {}", job.id, job.points, finished_job_state(job.id)));
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
        queue.running.insert(key);
        ++job_running;
      } else {
        queue.queued.insert(key);
        ++job_queued;
      }
    }
    queue.job_lines.push_back(fmt::format("job {}: {} points; {} task(s) in squeue; points running {}, queued {}",
                                          job.id, job.points, tasks.size(), job_running, job_queued));
  }
  return queue;
}

}  // namespace wb::sweep
