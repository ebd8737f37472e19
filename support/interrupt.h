#pragma once
// Stopping long work from outside the call that runs it: Ctrl-C in the Python module
// (docs/python.md), where the interpreter must survive and the run must end. Whoever catches
// the signal requests it; the long phases poll between their steps, on the thread that runs
// them (calibration per input, the golden check per node, each simulator per layer or
// instruction, a sweep between its points' checks), and end with Interrupted. The command line
// does not use it: there SIGINT ends the process (support/atomic_file.h removes partial files).

#include <stdexcept>

namespace wb {

class Interrupted : public std::runtime_error {
 public:
  Interrupted();
};

// Async-signal-safe: a lock-free atomic store.
void request_interrupt() noexcept;
void clear_interrupt() noexcept;
bool interrupt_requested() noexcept;
// Throws Interrupted when one was requested (the request stays until cleared).
void throw_if_interrupted();

}  // namespace wb
