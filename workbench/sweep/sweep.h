#pragma once
// `workbench sweep`: runs a sweep spec's design points (docs/sweeps.md) with an executor
// (executor.h: a local process pool or a Slurm job array), storing one result per point in
// the sweep's SQLite database; and the commands around it (point, collect, status; the
// Slurm task's `worker` is in slurm_executor.h). Each returns the process's exit code: 0
// every point has a result and none is a mismatch or a crash; 1 some point was not
// bit-exact, crashed or timed out; UserError (exit 2) for bad input.

#include <cstddef>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace wb::sweep {

class Executor;

// Which executor runs the points (`--executor`).
enum class ExecutorKind { Local, Slurm };

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
  ExecutorKind executor = ExecutorKind::Local;
  std::optional<double> timeout_s;  // per point; default: the spec's timeout_s
  bool retry_failed = false;        // run failed points again
  bool dry_run = false;             // list the points, run nothing
  SlurmOptions slurm;
  std::filesystem::path executable;  // this binary (the points run it)
  bool terminal = false;             // progress redrawn in place
};

// The points of the spec not stored yet (and with retry_failed the failed ones) run with
// the executor options.executor names.
int run_sweep(const SweepOptions& options, std::ostream& out, std::ostream& err);
// The same with a given executor (which options.executor, jobs, slurm and terminal configure
// in the overload above).
int run_sweep(const SweepOptions& options, Executor& executor, std::ostream& out, std::ostream& err);

// `sweep point MANIFEST INDEX`: one point in this process.
int run_point_command(const std::filesystem::path& manifest, std::size_t index, std::ostream& out);

// `sweep collect DB`: imports the result files the sweep's folder holds.
int run_collect(const std::filesystem::path& db_or_spec, std::ostream& out);

// `sweep status DB`: points done / failed / pending / running, and the Slurm jobs.
int run_status(const std::filesystem::path& db_or_spec, std::ostream& out);

// A database path from a database or a spec argument (a spec: its default database).
std::filesystem::path resolve_db(const std::filesystem::path& db_or_spec);

}  // namespace wb::sweep
