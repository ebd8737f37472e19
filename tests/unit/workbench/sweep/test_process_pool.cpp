// The process pool: at most N at once, output captured, exit codes and signals, timeouts.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>

#include "workbench/sweep/process_pool.h"

namespace wb {
namespace {

using sweep::ProcessJob;
using sweep::ProcessOutcome;
using sweep::ProcessPool;
using testing::HasSubstr;

ProcessJob shell(const std::string& script, double timeout = 0) { return {{"/bin/sh", "-c", script}, timeout}; }

TEST(ProcessPool, RunsEveryJobAtMostNAtATime) {
  std::vector<ProcessJob> jobs;
  for (int i = 0; i < 6; ++i) jobs.push_back(shell("sleep 0.5; echo job " + std::to_string(i)));
  std::size_t running = 0, most = 0;
  std::vector<ProcessOutcome> outcomes(jobs.size());
  const auto start = std::chrono::steady_clock::now();
  const bool completed = ProcessPool(3).run(
      jobs,
      [&](std::size_t) {
        ++running;
        most = std::max(most, running);
      },
      [&](std::size_t i, const ProcessOutcome& o) {
        --running;
        outcomes[i] = o;
      },
      nullptr);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_TRUE(completed);
  EXPECT_EQ(most, 3u);
  EXPECT_LT(seconds, 2.5);  // two waves of 0.5 s, not six
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    EXPECT_EQ(outcomes[i].exit_code, 0);
    EXPECT_EQ(outcomes[i].output, "job " + std::to_string(i) + "\n");
  }
}

TEST(ProcessPool, ReportsExitCodesSignalsAndTimeouts) {
  std::vector<ProcessOutcome> outcomes(4);
  ProcessPool(4).run({shell("echo out; echo 'error: bad input' >&2; exit 2"), shell("kill -9 $$"),
                      shell("sleep 5", 0.3), {{"/nonexistent/program"}, 0}},
                     nullptr, [&](std::size_t i, const ProcessOutcome& o) { outcomes[i] = o; }, nullptr);
  EXPECT_EQ(outcomes[0].exit_code, 2);
  EXPECT_THAT(outcomes[0].output, HasSubstr("out\n"));
  EXPECT_EQ(sweep::error_line(outcomes[0].output), "error: bad input");
  EXPECT_EQ(outcomes[1].exit_code, 128 + 9);
  EXPECT_TRUE(outcomes[2].timed_out);
  EXPECT_LT(outcomes[2].seconds, 2.0);
  EXPECT_EQ(outcomes[3].exit_code, 127);
  EXPECT_THAT(outcomes[3].output, HasSubstr("cannot execute"));
}

TEST(ProcessPool, RunCommandAndPathLookup) {
  const ProcessOutcome o = sweep::run_command({"sh", "-c", "echo hi"});
  EXPECT_EQ(o.exit_code, 0);
  EXPECT_EQ(o.output, "hi\n");
  EXPECT_EQ(sweep::find_on_path("sh").empty(), false);
  EXPECT_EQ(sweep::find_on_path("no-such-program-anywhere"), "");
  EXPECT_THROW(sweep::run_command({"no-such-program-anywhere"}), std::runtime_error);
}

TEST(ProcessPool, ErrorLineFallsBackToTheLastLine) {
  EXPECT_EQ(sweep::error_line("a\nb\n\n"), "b");
  EXPECT_EQ(sweep::error_line("x\ninternal error: boom\ny\n"), "internal error: boom");
  EXPECT_EQ(sweep::error_line(""), "");
}

}  // namespace
}  // namespace wb
