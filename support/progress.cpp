#include "support/progress.h"

namespace wb {

namespace {
std::atomic<ProgressSink*> g_sink{nullptr};
}  // namespace

void set_progress_sink(ProgressSink* sink) { g_sink.store(sink); }
ProgressSink* progress_sink() { return g_sink.load(); }

void report_timing(std::string_view what, double seconds) {
  if (ProgressSink* sink = progress_sink()) sink->timing(what, seconds);
}

ProgressPhase::ProgressPhase(std::string_view phase, std::uint64_t total, std::string_view unit)
    : sink_(progress_sink()) {
  if (sink_ != nullptr) sink_->begin(phase, total, unit);
}

ProgressPhase::~ProgressPhase() { finish(); }

void ProgressPhase::finish() {
  if (sink_ != nullptr) sink_->end();
  sink_ = nullptr;
}

void ProgressPhase::step(std::uint64_t count) {
  const std::uint64_t done = done_.fetch_add(count) + count;
  if (sink_ != nullptr) sink_->advance(done);
}

}  // namespace wb
