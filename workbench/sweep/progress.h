#pragma once
// A sweep's progress on stderr: on a terminal, one line redrawn in place (a bar, done,
// failed, running and remaining points, the rate and the ETA); otherwise one plain line per
// finished point and a summary, so logs and CI show what happened.

#include <chrono>
#include <cstddef>
#include <iosfwd>
#include <string>

#include "workbench/console_progress.h"

namespace wb::sweep {

class Progress {
 public:
  // `total`: points this run will run; `terminal`: redraw in place (else plain lines).
  Progress(std::ostream& os, bool terminal, std::size_t total);

  void started();
  // A point ended: ok or failed, its label ("resnet50 v3_96 array.rows=56"), its time, and
  // for a failure the reason.
  void finished(bool ok, const std::string& label, double seconds, const std::string& error);
  void tick();  // redraw (terminal only)
  void close();  // the final line

  std::size_t done() const { return done_; }
  std::size_t failed() const { return failed_; }
  double elapsed_seconds() const;
  // Points per minute so far.
  double rate() const;

 private:
  void draw();

  std::ostream& os_;
  bool terminal_;
  std::size_t total_, done_ = 0, failed_ = 0, running_ = 0;
  std::chrono::steady_clock::time_point start_;
  bool drawn_ = false;
};

// The console helpers the run commands share (workbench/console_progress.h).
using wb::format_duration;
using wb::stderr_is_terminal;

}  // namespace wb::sweep
