#include "workbench/sweep/local_executor.h"

#include <fmt/format.h>

#include <algorithm>
#include <ostream>
#include <string>
#include <thread>

#include "workbench/sweep/process_pool.h"
#include "workbench/sweep/progress.h"
#include "workbench/sweep/result_files.h"

namespace wb::sweep {

namespace {

std::size_t machine_cores() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : n;
}

}  // namespace

int LocalExecutor::run(const SweepRun& run, const std::vector<const DesignPoint*>& pending) {
  const ManifestFile file = write_points_manifest(run, pending);
  const Manifest& manifest = file.manifest;
  std::vector<ProcessJob> jobs;
  for (std::size_t i = 0; i < manifest.points.size(); ++i) {
    jobs.push_back({{manifest.executable.string(), "sweep", "point", file.path.string(), std::to_string(i)},
                    manifest.timeout_s});
  }
  const std::size_t slots = jobs_ > 0 ? jobs_ : machine_cores();
  prepare_point_environment();
  run.err << fmt::format("running {} points, {} at a time (timeout {:.0f} s each)\n", jobs.size(),
                         std::min(slots, jobs.size()), manifest.timeout_s);
  Progress progress(run.err, terminal_, jobs.size());
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
          run.db.store(result);
          std::filesystem::remove(result_file, ec);
          progress.finished(true, label, outcome.seconds, "");
          return;
        }
        const PointResult failure = failure_result(point.key, outcome, manifest.timeout_s);
        write_log(manifest.log_path(point.key), outcome.output);
        run.db.store(failure);
        std::filesystem::remove(result_file, ec);
        progress.finished(false, label, outcome.seconds, failure.error);
      },
      [&] { progress.tick(); });
  progress.close();
  const double seconds = progress.elapsed_seconds();
  run.err << fmt::format("ran {} points in {:.1f} s ({:.1f} points/min){}\n", progress.done() + progress.failed(),
                         seconds, progress.rate(),
                         progress.failed() > 0
                             ? fmt::format("; logs of failed points in {}", (manifest.work_dir / "logs").string())
                             : "");
  if (!completed) {
    run.err << fmt::format("interrupted: the points finished so far are stored, {} stopped point(s) are not; run the "
                           "same command again to resume\n",
                           abandoned);
    return kExitInterrupted;
  }
  return 0;
}

}  // namespace wb::sweep
