#pragma once
// How a sweep's pending points run: an Executor, the local process pool (local_executor.h)
// or a Slurm job array (slurm_executor.h), chosen by make_executor. The sweep (sweep.h)
// keeps the bookkeeping around it: which points are pending (a rerun skips the stored
// ones), the database they are stored in, the summary and the exit code.

#include <filesystem>
#include <iosfwd>
#include <memory>
#include <vector>

#include "workbench/sweep/manifest.h"
#include "workbench/sweep/points.h"
#include "workbench/sweep/results_db.h"
#include "workbench/sweep/spec.h"
#include "workbench/sweep/sweep.h"

namespace wb::sweep {

// What Executor::run returns when SIGINT or SIGTERM stopped it.
inline constexpr int kExitInterrupted = 130;

// The sweep an executor runs points of.
struct SweepRun {
  const SweepSpec& spec;
  ResultsDb& db;                     // the parent's: the only writer of the database
  std::filesystem::path work_dir;    // absolute: models/, manifests/, results/, logs/
  double timeout_s = 0;              // per point
  std::filesystem::path executable;  // the workbench binary the points run
  std::ostream& out;                 // the command's output
  std::ostream& err;                 // progress and notes
};

class Executor {
 public:
  virtual ~Executor() = default;

  // UserError when this machine cannot run points this way; called before any work.
  virtual void check_available() const {}

  // Runs or submits `pending` (not empty), storing in run.db the results it has when it
  // returns. 0, or kExitInterrupted when interrupted (the results so far are stored).
  // UserError when the points cannot be handed over (a refused submission).
  virtual int run(const SweepRun& run, const std::vector<const DesignPoint*>& pending) = 0;

  // Whether run() returns with a result stored for every point it was given (a point left
  // without one is then an error of the sweep); false when it hands them to a queue whose
  // results `sweep collect` imports later.
  virtual bool results_on_return() const = 0;
};

// The executor options.executor names, with its options.
std::unique_ptr<Executor> make_executor(const SweepOptions& options);

// What an executor hands its processes: quantizes the points' models once (cached in the
// work folder), then writes the manifest of the points in a new file of the work folder.
struct ManifestFile {
  Manifest manifest;
  std::filesystem::path path;
};
ManifestFile write_points_manifest(const SweepRun& run, const std::vector<const DesignPoint*>& points);

}  // namespace wb::sweep
