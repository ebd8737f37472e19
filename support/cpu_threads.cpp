#include "support/cpu_threads.h"

#include <omp.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace wb {

namespace {

std::atomic<bool> fixed_by_user{std::getenv("OMP_NUM_THREADS") != nullptr};

int usable_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return std::max(omp_get_num_procs(), 1);
  return std::max(CPU_COUNT(&set), 1);
}

// /proc/loadavg: "0.52 0.40 0.33 3/412 12345": the 3 runnable now. -1 when unreadable.
int running_on_machine() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c, running;
  if (!(in >> a >> b >> c >> running)) return -1;
  try {
    return std::stoi(running.substr(0, running.find('/')));
  } catch (const std::exception&) {
    return -1;
  }
}

// This process's threads in state R (its OpenMP workers still spinning count, and the caller).
int running_here() {
  int running = 0;
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", ec)) {
    std::ifstream stat(task.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    // "pid (comm) S ...": the state follows the command's closing parenthesis.
    const auto close = line.rfind(')');
    if (close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'R') ++running;
  }
  return std::max(running, 1);
}

}  // namespace

int threads_for_load(int cpus, int machine, int here) {
  const int others = std::max(machine - here, 0);
  return std::clamp(cpus - others, 1, std::max(cpus, 1));
}

void fit_threads_to_idle_cpus() {
  if (fixed_by_user.load(std::memory_order_relaxed)) return;
  const int machine = running_on_machine();
  const int cpus = usable_cpus();
  omp_set_num_threads(machine < 0 ? cpus : threads_for_load(cpus, machine, running_here()));
}

void fix_threads(int threads) {
  fixed_by_user.store(true, std::memory_order_relaxed);
  omp_set_num_threads(std::max(threads, 1));
}

}  // namespace wb
