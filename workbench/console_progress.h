#pragma once
// The command line's progress display (support/progress.h's sink) on stderr: a phase that runs
// longer than a second shows, on a terminal, one line redrawn in place (a bar, the count and
// the ETA) and erased when the phase ends; otherwise a plain line every few seconds and one
// when it ends, so logs and CI show where the time went. Short phases show nothing. Each
// step's wall-clock time is printed once the command has succeeded.

#include <chrono>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "support/progress.h"

namespace wb {

class ConsoleProgress final : public ProgressSink {
 public:
  using Clock = std::chrono::steady_clock;
  // `terminal`: redraw in place (else plain lines); `now`: the clock (tests pass their own).
  ConsoleProgress(std::ostream& os, bool terminal, std::function<Clock::time_point()> now = Clock::now);

  void begin(std::string_view phase, std::uint64_t total, std::string_view unit) override;
  void advance(std::uint64_t done) override;
  void end() override;
  // Kept until print_timings(): an error's line stays the first thing on stderr.
  void timing(std::string_view what, double seconds) override;
  // "timing: simulation 0.04 s", one line per step kept, then forgets them.
  void print_timings();
  // A command that ends in an error shows only the error.
  void discard_timings();

 private:
  double elapsed() const;
  std::string status() const;  // "12/53 layers, 0:03, about 0:09 left"

  std::ostream& os_;
  bool terminal_;
  std::function<Clock::time_point()> now_;
  std::mutex mutex_;
  std::string phase_, unit_;
  std::uint64_t total_ = 0, done_ = 0;
  Clock::time_point start_, last_draw_;
  bool shown_ = false;
  std::vector<std::string> timings_;
};

// Whether stderr is a terminal (and TERM is not "dumb").
bool stderr_is_terminal();

// "1:05", "12:00:03".
std::string format_duration(double seconds);
// `done` of `total` as a bar of 24 characters, "[######..................]" (the command line's
// phases and a sweep's points draw the same bar).
std::string progress_bar(std::uint64_t done, std::uint64_t total);
// How long the remaining `total - done` take at the pace so far; nullopt before the first is done
// and once the last is.
std::optional<double> seconds_left(double elapsed_seconds, std::uint64_t done, std::uint64_t total);

}  // namespace wb
