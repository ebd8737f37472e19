#include "workbench/sweep/progress.h"

#include <fmt/format.h>

#include <optional>
#include <ostream>

namespace wb::sweep {

Progress::Progress(std::ostream& os, bool terminal, std::size_t total)
    : os_(os), terminal_(terminal), total_(total), start_(std::chrono::steady_clock::now()) {}

double Progress::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

double Progress::rate() const {
  const double elapsed = elapsed_seconds();
  return elapsed > 0 ? 60.0 * static_cast<double>(done_ + failed_) / elapsed : 0.0;
}

void Progress::started() {
  ++running_;
  if (terminal_) draw();
}

void Progress::finished(bool ok, const std::string& label, double seconds, const std::string& error) {
  if (running_ > 0) --running_;
  ok ? ++done_ : ++failed_;
  const std::size_t finished = done_ + failed_;
  if (terminal_) {
    if (!ok) {
      os_ << "\r\033[K" << fmt::format("failed: {} ({:.1f} s): {}\n", label, seconds, error);
      drawn_ = false;
    }
    draw();
    return;
  }
  const int width = static_cast<int>(std::to_string(total_).size());
  os_ << fmt::format("[{:>{}}/{}] {} {} ({:.1f} s){}\n", finished, width, total_, ok ? "done  " : "FAILED", label,
                     seconds, ok ? "" : ": " + error);
  os_.flush();
}

void Progress::tick() {
  if (terminal_) draw();
}

void Progress::draw() {
  const std::size_t finished = done_ + failed_;
  const std::optional<double> left = seconds_left(elapsed_seconds(), finished, total_);
  const std::string eta = left ? format_duration(*left) : finished >= total_ ? "0:00" : "--:--";
  os_ << "\r\033[K"
      << fmt::format("{} {}/{} done, {} failed, {} running, {} remaining | {:.1f} points/min | ETA {}",
                     progress_bar(finished, total_), done_, total_, failed_, running_, total_ - finished, rate(), eta);
  os_.flush();
  drawn_ = true;
}

void Progress::close() {
  if (terminal_ && drawn_) os_ << '\n';
  os_.flush();
}

}  // namespace wb::sweep
