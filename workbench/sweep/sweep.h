#pragma once
// `workbench sweep`: runs a sweep spec's design points (docs/sweeps.md) on a local process
// pool or a Slurm job array, storing one result per point in the sweep's SQLite database;
// and the commands around it (worker, point, collect, status). Each returns the process's
// exit code: 0 every point has a result and none is a mismatch or a crash; 1 some point
// was not bit-exact, crashed or timed out; UserError (exit 2) for bad input.

#include <cstddef>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace wb::sweep {

enum class Executor { Local, Slurm };

struct SlurmOptions {
  std::size_t chunk = 0;           // points per array task; 0: 4, or more to fit MaxArraySize
  std::size_t max_concurrent = 0;  // the array's %N throttle; 0: none
  std::string partition, time_limit;
  std::vector<std::string> sbatch_args;  // passed to sbatch as they are
  int max_submissions = 3;               // a point without a result after this many is failed
  bool wait = false;                     // wait for the job, then collect
};

struct SweepOptions {
  std::filesystem::path spec;
  std::optional<std::filesystem::path> db;  // default: <spec name>.db in the working folder
  std::size_t jobs = 0;                     // local processes at once; 0: the machine's cores
  Executor executor = Executor::Local;
  std::optional<double> timeout_s;  // per point; default: the spec's timeout_s
  bool retry_failed = false;        // run failed points again
  bool dry_run = false;             // list the points, run nothing
  SlurmOptions slurm;
  std::filesystem::path executable;  // this binary (the points run it)
  bool terminal = false;             // progress redrawn in place
};

int run_sweep(const SweepOptions& options, std::ostream& out, std::ostream& err);

// `sweep worker MANIFEST`: a Slurm array task's share of a manifest (task from
// SLURM_ARRAY_TASK_ID unless given), each point in its own process; failures are written as
// result files too.
int run_worker(const std::filesystem::path& manifest, std::optional<std::size_t> task, std::size_t chunk,
               std::ostream& out);

// `sweep point MANIFEST INDEX`: one point in this process.
int run_point_command(const std::filesystem::path& manifest, std::size_t index, std::ostream& out);

// `sweep collect DB`: imports the result files the sweep's folder holds.
int run_collect(const std::filesystem::path& db_or_spec, std::ostream& out);

// `sweep status DB`: points done / failed / pending / running, and the Slurm jobs.
int run_status(const std::filesystem::path& db_or_spec, std::ostream& out);

// A database path from a database or a spec argument (a spec: its default database).
std::filesystem::path resolve_db(const std::filesystem::path& db_or_spec);

}  // namespace wb::sweep
