#pragma once
// Host wall-clock time of a step (compile_seconds, simulate_seconds, the progress display's
// timings): noise, reported but never a figure of the model.

#include <chrono>

namespace wb {

using SteadyClock = std::chrono::steady_clock;

// Seconds from `start` until now.
inline double seconds_since(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

}  // namespace wb
