#pragma once
// Runs commands, each in its own process, at most N at a time: the local executor's pool
// and the Slurm task's loop. A child's stdout and stderr are captured together; a child
// that outlives its timeout is killed; a child dies with this process (PR_SET_PDEATHSIG),
// so a sweep killed with kill -9 leaves nothing running. SIGINT/SIGTERM stop the pool:
// running children are ended and no new one starts.

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace wb::sweep {

struct ProcessJob {
  std::vector<std::string> argv;  // argv[0]: the executable's path
  double timeout_s = 0;           // 0: none
};

struct ProcessOutcome {
  int exit_code = 0;       // the exit status; 128 + N when killed by signal N
  bool timed_out = false;  // killed after timeout_s
  std::string output;      // stdout and stderr, the last kMaxOutput bytes
  double seconds = 0;
};

inline constexpr std::size_t kMaxOutput = 1 << 20;

class ProcessPool {
 public:
  using Started = std::function<void(std::size_t job)>;
  using Finished = std::function<void(std::size_t job, const ProcessOutcome& outcome)>;
  using Tick = std::function<void()>;

  explicit ProcessPool(std::size_t slots) : slots_(slots == 0 ? 1 : slots) {}

  // Runs every job (in order of the vector), calling `started` and `finished` on this thread,
  // and `tick` about five times a second. Returns false when interrupted (SIGINT, SIGTERM).
  // std::runtime_error when a process cannot be created.
  bool run(const std::vector<ProcessJob>& jobs, const Started& started, const Finished& finished, const Tick& tick);
  // Whether an interrupt arrived during run(): a job that then ends by a signal was ended by
  // the pool, and says nothing about the job itself.
  bool interrupted() const { return interrupted_; }

 private:
  std::size_t slots_;
  bool interrupted_ = false;
};

// Runs one command to completion (argv[0] found on PATH when it has no '/'); its outcome.
// std::runtime_error when it cannot be started.
ProcessOutcome run_command(std::vector<std::string> argv, double timeout_s = 0);

// The absolute path of a program on PATH, or "" when there is none.
std::string find_on_path(const std::string& program);

// The last line of a process's output that starts with "error:" (or "internal error:"),
// else its last non-empty line.
std::string error_line(const std::string& output);

// The environment of the point processes started from now on:
// * GLIBC_TUNABLES=glibc.malloc.hugetlb=1 (kept with any tunables already set): glibc backs
//   large allocations with transparent huge pages. A point's process allocates and fills
//   ~100 MB for ResNet-50 (the model's weights, the program, the simulated DDR), and on
//   virtual machines a first touch of a 4 KiB page is expensive: this halves a point's time
//   there (BENCHMARKS.md). It changes nothing but where the memory comes from.
// * OMP_NUM_THREADS=1 unless set: the points already run one per core, and OpenMP pools of
//   every core in each would oversubscribe them (the golden check of verify mode).
// A value the user set for either stands.
void prepare_point_environment();

// The absolute path of the running executable (/proc/self/exe).
std::string current_executable();

}  // namespace wb::sweep
