#pragma once
// How many threads the parallel phases (OpenMP: the reference and integer executors, the
// xDNN simulator's kernels) use: as many as the CPUs other processes leave idle, decided again
// at the start of each phase. libgomp's threads spin while they wait at a barrier; beside one
// busy process on a 2-core machine, two spinning threads fought it for one core and a run took
// 3x its idle time (BENCHMARKS.md, "A loaded machine"). A thread count fixed by the user
// (--threads, OMP_NUM_THREADS; sweep points run with 1) is never changed.

namespace wb {

// Unless fixed: sets OpenMP's thread count for the parallel regions that follow to the idle
// CPUs (at least 1, at most the CPUs this process may run on).
void fit_threads_to_idle_cpus();
// --threads N: this many from now on, whatever the load.
void fix_threads(int threads);

// The rule, apart from /proc: CPUs this process may use, runnable threads on the machine
// (/proc/loadavg's running count) and of this process; the threads to use.
int threads_for_load(int cpus, int running_on_machine, int running_here);

}  // namespace wb
