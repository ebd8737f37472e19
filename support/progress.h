#pragma once
// Progress of the phases that can take seconds (calibration, simulation, golden check, trace
// writing), reported by the code doing the work and shown by whoever installed a sink: the
// command line draws it on stderr (workbench/console_progress.h); without a sink (tests,
// libraries, --quiet) reporting costs an atomic add.

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

namespace wb {

class ProgressSink {
 public:
  virtual ~ProgressSink() = default;
  // A phase starts: its name ("calibration"), how many `unit`s ("inputs") it will do.
  virtual void begin(std::string_view phase, std::uint64_t total, std::string_view unit) = 0;
  // `done` of the total are done; called from any thread, often: the sink throttles.
  virtual void advance(std::uint64_t done) = 0;
  virtual void end() = 0;
  // A step's host wall-clock time ("simulation", 0.04 s): noise, so kept off the results.
  virtual void timing(std::string_view what, double seconds) = 0;
};

// The process's sink (nullptr: progress is not shown, the default).
void set_progress_sink(ProgressSink* sink);
ProgressSink* progress_sink();

// Reports a step's wall-clock time to the sink, if one is installed.
void report_timing(std::string_view what, double seconds);

// One phase, reported to the sink installed when it starts: begin now, end when destroyed.
class ProgressPhase {
 public:
  ProgressPhase(std::string_view phase, std::uint64_t total, std::string_view unit);
  ~ProgressPhase();
  ProgressPhase(const ProgressPhase&) = delete;
  ProgressPhase& operator=(const ProgressPhase&) = delete;

  void step(std::uint64_t count = 1);  // thread-safe
  void finish();                       // ends the phase before destruction (once)

 private:
  ProgressSink* sink_;
  std::atomic<std::uint64_t> done_{0};
};

}  // namespace wb
