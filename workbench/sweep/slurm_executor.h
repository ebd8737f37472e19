#pragma once
// The Slurm executor (`--executor slurm`, docs/sweeps.md): the points go to an `sbatch
// --array` job in chunks, each array task running its share with `sweep worker`; the tasks
// write one result file per point (never the database), which `sweep collect` (or --wait)
// imports. Points of jobs still queued or running are not submitted again, and a point
// without a result after max_submissions submissions is recorded as failed.

#include <cstddef>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "workbench/sweep/executor.h"

namespace wb::sweep {

class SlurmExecutor final : public Executor {
 public:
  // `terminal`: the progress of --wait redrawn in place.
  SlurmExecutor(SlurmOptions options, bool terminal) : options_(std::move(options)), terminal_(terminal) {}

  // sbatch, squeue and scontrol on PATH.
  void check_available() const override;
  int run(const SweepRun& run, const std::vector<const DesignPoint*>& pending) override;
  bool results_on_return() const override { return options_.wait; }

 private:
  SlurmOptions options_;
  bool terminal_;
};

// `sweep worker MANIFEST`: a Slurm array task's share of a manifest (task from
// SLURM_ARRAY_TASK_ID unless given), each point in its own process; failures are written as
// result files too.
int run_worker(const std::filesystem::path& manifest, std::optional<std::size_t> task, std::size_t chunk,
               std::ostream& out);

// The Slurm part of `sweep status`: a line per job the database recorded (its tasks in
// squeue, or its final state from sacct), and which of the points `without_result` its
// tasks are running or still hold queued.
struct SlurmQueue {
  std::set<std::string> running, queued;
  std::vector<std::string> job_lines;
};
SlurmQueue slurm_queue(const ResultsDb& db, const std::set<std::string>& without_result);

}  // namespace wb::sweep
