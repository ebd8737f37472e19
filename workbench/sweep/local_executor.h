#pragma once
// The local executor (the default): the points run on this machine, each in its own
// process (`workbench sweep point`), a few at a time, with a progress display; each result
// is stored as its process ends, failures (exit code, signal, timeout) with their log.

#include <cstddef>

#include "workbench/sweep/executor.h"

namespace wb::sweep {

class LocalExecutor final : public Executor {
 public:
  // `jobs`: points at once (0: the machine's cores); `terminal`: progress redrawn in place.
  LocalExecutor(std::size_t jobs, bool terminal) : jobs_(jobs), terminal_(terminal) {}

  int run(const SweepRun& run, const std::vector<const DesignPoint*>& pending) override;
  bool results_on_return() const override { return true; }

 private:
  std::size_t jobs_;
  bool terminal_;
};

}  // namespace wb::sweep
