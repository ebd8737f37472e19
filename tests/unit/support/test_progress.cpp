#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/progress.h"

namespace wb {
namespace {

// Records what the phases report.
class RecordingSink : public ProgressSink {
 public:
  void begin(std::string_view phase, std::uint64_t total, std::string_view unit) override {
    events.push_back("begin " + std::string(phase) + " " + std::to_string(total) + " " + std::string(unit));
  }
  void advance(std::uint64_t done) override { events.push_back("advance " + std::to_string(done)); }
  void end() override { events.push_back("end"); }
  void timing(std::string_view what, double seconds) override {
    events.push_back("timing " + std::string(what) + " " + std::to_string(static_cast<int>(seconds)));
  }
  std::vector<std::string> events;
};

// Installs a sink for one test and removes it afterwards.
struct SinkInstalled {
  explicit SinkInstalled(ProgressSink* sink) { set_progress_sink(sink); }
  ~SinkInstalled() { set_progress_sink(nullptr); }
};

TEST(Progress, APhaseReportsBeginStepsAndOneEnd) {
  RecordingSink sink;
  const SinkInstalled installed(&sink);
  {
    ProgressPhase phase("calibration", 3, "inputs");
    phase.step();
    phase.step(2);
    phase.finish();
  }  // destroyed after finish(): no second end
  report_timing("simulation", 2.0);
  EXPECT_EQ(sink.events, (std::vector<std::string>{"begin calibration 3 inputs", "advance 1", "advance 3", "end",
                                                    "timing simulation 2"}));
}

TEST(Progress, APhaseKeepsTheSinkItStartedWith) {
  RecordingSink first, second;
  set_progress_sink(&first);
  {
    ProgressPhase phase("trace", 1, "files");
    set_progress_sink(&second);
    phase.step();
  }
  set_progress_sink(nullptr);
  EXPECT_EQ(first.events, (std::vector<std::string>{"begin trace 1 files", "advance 1", "end"}));
  EXPECT_TRUE(second.events.empty());
}

}  // namespace
}  // namespace wb
