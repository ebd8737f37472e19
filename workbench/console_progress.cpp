#include "workbench/console_progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <ostream>
#include <utility>

namespace wb {

namespace {

// A phase shorter than this shows nothing: most runs of small models stay silent.
constexpr double kShowAfterSeconds = 1.0;
constexpr double kRedrawSeconds = 0.1;      // terminal
constexpr double kPlainLineSeconds = 5.0;   // not a terminal
constexpr std::uint64_t kBarWidth = 24;

}  // namespace

bool stderr_is_terminal() {
  const char* term = std::getenv("TERM");
  return isatty(STDERR_FILENO) != 0 && (term == nullptr || std::strcmp(term, "dumb") != 0);
}

std::string format_duration(double seconds) {
  const auto total = static_cast<long long>(std::llround(std::max(0.0, seconds)));
  const long long h = total / 3600, m = (total / 60) % 60, s = total % 60;
  return h > 0 ? fmt::format("{}:{:02}:{:02}", h, m, s) : fmt::format("{}:{:02}", m, s);
}

std::string progress_bar(std::uint64_t done, std::uint64_t total) {
  const auto filled = static_cast<std::size_t>(total > 0 ? kBarWidth * std::min(done, total) / total : 0);
  return "[" + std::string(filled, '#') + std::string(static_cast<std::size_t>(kBarWidth) - filled, '.') + "]";
}

std::optional<double> seconds_left(double elapsed_seconds, std::uint64_t done, std::uint64_t total) {
  if (done == 0 || done >= total) return std::nullopt;
  return elapsed_seconds / static_cast<double>(done) * static_cast<double>(total - done);
}

ConsoleProgress::ConsoleProgress(std::ostream& os, bool terminal, std::function<Clock::time_point()> now)
    : os_(os), terminal_(terminal), now_(std::move(now)) {}

double ConsoleProgress::elapsed() const { return std::chrono::duration<double>(now_() - start_).count(); }

std::string ConsoleProgress::status() const {
  const double seconds = elapsed();
  std::string text = fmt::format("{}/{} {}, {}", done_, total_, unit_, format_duration(seconds));
  if (const std::optional<double> left = seconds_left(seconds, done_, total_)) {
    text += fmt::format(", about {} left", format_duration(*left));
  }
  return text;
}

void ConsoleProgress::begin(std::string_view phase, std::uint64_t total, std::string_view unit) {
  const std::lock_guard lock(mutex_);
  phase_ = phase;
  unit_ = unit;
  total_ = total;
  done_ = 0;
  start_ = last_draw_ = now_();
  shown_ = false;
}

void ConsoleProgress::advance(std::uint64_t done) {
  // Workers report from any thread; one that finds the display busy skips its redraw.
  const std::unique_lock lock(mutex_, std::try_to_lock);
  if (!lock.owns_lock()) return;
  done_ = std::max(done_, std::min(done, total_));
  if (elapsed() < kShowAfterSeconds) return;
  const double since_draw = std::chrono::duration<double>(now_() - last_draw_).count();
  if (shown_ && since_draw < (terminal_ ? kRedrawSeconds : kPlainLineSeconds)) return;
  last_draw_ = now_();
  shown_ = true;
  if (terminal_) {
    os_ << fmt::format("\r\033[K{} {} {}", phase_, progress_bar(done_, total_), status()) << std::flush;
  } else {
    os_ << fmt::format("{}: {}\n", phase_, status()) << std::flush;
  }
}

void ConsoleProgress::end() {
  const std::lock_guard lock(mutex_);
  if (!shown_) return;
  if (terminal_) {
    os_ << "\r\033[K" << std::flush;  // the timing line says how long it took
  } else {
    os_ << fmt::format("{}: done, {} {} in {}\n", phase_, done_, unit_, format_duration(elapsed())) << std::flush;
  }
  shown_ = false;
}

void ConsoleProgress::timing(std::string_view what, double seconds) {
  const std::lock_guard lock(mutex_);
  timings_.push_back(fmt::format("timing: {} {:.2f} s\n", what, seconds));
}

void ConsoleProgress::print_timings() {
  const std::lock_guard lock(mutex_);
  if (terminal_ && shown_) os_ << "\r\033[K";
  shown_ = false;
  for (const std::string& line : timings_) os_ << line;
  os_ << std::flush;
  timings_.clear();
}

void ConsoleProgress::discard_timings() {
  const std::lock_guard lock(mutex_);
  timings_.clear();
}

}  // namespace wb
