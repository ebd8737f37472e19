// The progress display: silent for short phases, a line redrawn in place on a terminal (erased
// at the end), plain throttled lines otherwise; and ProgressPhase's reporting to a sink.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <sstream>
#include <thread>
#include <vector>

#include "support/progress.h"
#include "workbench/console_progress.h"

namespace wb {
namespace {

using testing::HasSubstr;
using namespace std::chrono_literals;

// A clock the test moves by hand.
struct FakeClock {
  ConsoleProgress::Clock::time_point now{};
  std::function<ConsoleProgress::Clock::time_point()> function() {
    return [this] { return now; };
  }
};

TEST(ConsoleProgress, APhaseShorterThanASecondShowsNothing) {
  for (const bool terminal : {false, true}) {
    std::ostringstream os;
    FakeClock clock;
    ConsoleProgress progress(os, terminal, clock.function());
    progress.begin("calibration", 16, "inputs");
    for (int i = 1; i <= 16; ++i) {
      clock.now += 50ms;
      progress.advance(static_cast<std::uint64_t>(i));
    }
    progress.end();
    EXPECT_EQ(os.str(), "") << terminal;
  }
}

TEST(ConsoleProgress, PlainLinesAreThrottledAndSayWhenThePhaseEnds) {
  std::ostringstream os;
  FakeClock clock;
  ConsoleProgress progress(os, false, clock.function());
  progress.begin("simulation", 100, "layers");
  for (int i = 1; i <= 100; ++i) {
    clock.now += 100ms;  // 10 s in all: a line after 1 s, then one per 5 s
    progress.advance(static_cast<std::uint64_t>(i));
  }
  progress.end();
  const std::string text = os.str();
  EXPECT_THAT(text, HasSubstr("simulation: 10/100 layers, 0:01, about 0:09 left\n"));
  EXPECT_THAT(text, HasSubstr("simulation: 60/100 layers, 0:06, about 0:04 left\n"));
  EXPECT_THAT(text, HasSubstr("simulation: done, 100 layers in 0:10\n"));
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 3) << text;
  EXPECT_EQ(text.find('\r'), std::string::npos);
}

TEST(ConsoleProgress, ATerminalGetsOneLineRedrawnWithABarAndErasedAtTheEnd) {
  std::ostringstream os;
  FakeClock clock;
  ConsoleProgress progress(os, true, clock.function());
  progress.begin("golden check", 4, "nodes");
  clock.now += 2s;
  progress.advance(1);
  EXPECT_EQ(os.str(), "\r\033[Kgolden check [######..................] 1/4 nodes, 0:02, about 0:06 left");
  progress.advance(2);  // within 0.1 s of the last draw: not redrawn
  EXPECT_EQ(os.str().find("2/4"), std::string::npos);
  progress.end();
  EXPECT_TRUE(os.str().ends_with("\r\033[K")) << os.str();
  EXPECT_EQ(os.str().find('\n'), std::string::npos);
}

TEST(ConsoleProgress, TimingsWaitForTheEndAndEraseABarFirst) {
  std::ostringstream plain;
  ConsoleProgress lines(plain, false);
  lines.timing("calibration", 1.5);
  lines.timing("simulation", 0.04);
  EXPECT_EQ(plain.str(), "");  // an error would have to come first
  lines.print_timings();
  EXPECT_EQ(plain.str(), "timing: calibration 1.50 s\ntiming: simulation 0.04 s\n");
  lines.print_timings();  // printed once
  EXPECT_EQ(plain.str(), "timing: calibration 1.50 s\ntiming: simulation 0.04 s\n");

  std::ostringstream os;
  FakeClock clock;
  ConsoleProgress bar(os, true, clock.function());
  bar.begin("calibration", 16, "inputs");
  clock.now += 2s;
  bar.advance(4);  // shown after a second
  ASSERT_NE(os.str().find("calibration"), std::string::npos) << os.str();
  bar.timing("calibration", 2.5);
  bar.print_timings();
  EXPECT_TRUE(os.str().ends_with("\r\033[Ktiming: calibration 2.50 s\n")) << os.str();
}

TEST(ConsoleProgress, AnErrorDiscardsTheTimings) {
  std::ostringstream os;
  ConsoleProgress lines(os, false);
  lines.timing("calibration", 1.5);
  lines.discard_timings();
  lines.print_timings();
  EXPECT_EQ(os.str(), "");
}

TEST(ProgressPhase, TimingsGoToTheSinkOrNowhere) {
  report_timing("nothing", 1.0);  // no sink: nothing happens
  struct Sink final : ProgressSink {
    std::vector<std::string> seen;
    void begin(std::string_view, std::uint64_t, std::string_view) override {}
    void advance(std::uint64_t) override {}
    void end() override {}
    void timing(std::string_view what, double seconds) override { seen.push_back(fmt::format("{} {}", what, seconds)); }
  } sink;
  set_progress_sink(&sink);
  report_timing("golden check", 0.5);
  set_progress_sink(nullptr);
  EXPECT_EQ(sink.seen, (std::vector<std::string>{"golden check 0.5"}));
}

// Records what a phase reports.
struct RecordingSink final : ProgressSink {
  std::vector<std::string> calls;
  std::uint64_t last = 0;
  void begin(std::string_view phase, std::uint64_t total, std::string_view unit) override {
    calls.push_back(fmt::format("begin {} {} {}", phase, total, unit));
  }
  void advance(std::uint64_t done) override { last = std::max(last, done); }
  void end() override { calls.push_back("end"); }
  void timing(std::string_view what, double seconds) override { calls.push_back(fmt::format("timing {} {}", what, seconds)); }
};

TEST(ProgressPhase, ReportsToTheSinkInstalledWhenItStartsFromAnyThread) {
  { ProgressPhase unseen("nothing", 3, "things"); unseen.step(); }  // no sink: nothing to see
  RecordingSink sink;
  set_progress_sink(&sink);
  {
    ProgressPhase phase("trace", 4000, "events");
    std::vector<std::thread> workers;
    for (int t = 0; t < 4; ++t) {
      workers.emplace_back([&] {
        for (int i = 0; i < 1000; ++i) phase.step();
      });
    }
    for (auto& w : workers) w.join();
    phase.finish();
    phase.finish();  // once
  }
  set_progress_sink(nullptr);
  EXPECT_EQ(sink.calls, (std::vector<std::string>{"begin trace 4000 events", "end"}));
  EXPECT_EQ(sink.last, 4000u);
}

// The bar and the time left that the command line's phases and a sweep's points both draw.
TEST(ProgressBar, FillsInProportionAndNeverOverflows) {
  EXPECT_EQ(progress_bar(0, 8), "[" + std::string(24, '.') + "]");
  EXPECT_EQ(progress_bar(2, 8), "[" + std::string(6, '#') + std::string(18, '.') + "]");
  EXPECT_EQ(progress_bar(8, 8), "[" + std::string(24, '#') + "]");
  EXPECT_EQ(progress_bar(9, 8), progress_bar(8, 8));
  EXPECT_EQ(progress_bar(0, 0), progress_bar(0, 1)) << "nothing to do draws an empty bar";
}

TEST(ProgressBar, TimeLeftFollowsThePaceSoFar) {
  EXPECT_EQ(seconds_left(10.0, 0, 4), std::nullopt) << "no pace before the first";
  EXPECT_DOUBLE_EQ(seconds_left(10.0, 1, 4).value(), 30.0);
  EXPECT_DOUBLE_EQ(seconds_left(10.0, 2, 4).value(), 10.0);
  EXPECT_EQ(seconds_left(10.0, 4, 4), std::nullopt) << "nothing left";
}

}  // namespace
}  // namespace wb
