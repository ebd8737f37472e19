// The shipped sweep specs end to end on the exported networks: each runs locally, its HTML
// report renders in headless Chromium with every plot; and a sweep killed with kill -9 in
// the middle resumes to exactly one record per point.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <set>
#include <thread>

#include "tests/support/browser_testing.h"
#include "tests/support/cli_testing.h"
#include "tests/support/onnx_builder.h"
#include "support/error.h"
#include "tests/support/test_paths.h"
#include "workbench/sweep/results_db.h"

extern char** environ;

namespace wb {
namespace {

using test::CommandResult;
using testing::HasSubstr;

std::filesystem::path shipped(const std::string& name) {
  return test::source_dir() / "configs" / "sweeps" / (name + ".yaml");
}

// Processes whose command line mentions `needle` (a sweep's work folder).
std::vector<pid_t> processes_mentioning(const std::string& needle) {
  std::vector<pid_t> found;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "cmdline", std::ios::binary);
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (cmdline.find(needle) != std::string::npos) found.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return found;
}

TEST(SweepIntegration, KillNineInTheMiddleThenARerunGivesExactlyOneRecordPerPoint) {
  const test::TempDir dir;
  const std::string db = (dir / "dsp_am.db").string();
  const std::string binary = test::workbench_binary().string();
  std::vector<std::string> args = {binary, "sweep", shipped("xdnn_dsp_am").string(), "--db", db, "-j", "2"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, (dir / "first.log").c_str(), O_WRONLY | O_CREAT, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);

  // Wait until some points are stored, then kill the sweep's parent outright.
  std::size_t stored_at_kill = 0, total = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(3);
  while (std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, WNOHANG), 0) << "the sweep ended before it could be killed:\n"
                                                  << std::ifstream(dir / "first.log").rdbuf();
    if (!std::filesystem::exists(db)) continue;
    try {
      const sweep::ResultsDb results(db, false);
      total = results.points().size();
      stored_at_kill = results.statuses().size();
    } catch (const UserError&) {
      continue;  // created but not yet initialised
    }
    if (stored_at_kill >= 2) break;
  }
  ASSERT_GE(stored_at_kill, 2u) << "no results within 3 minutes";
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status));
  const std::string work_dir = (dir / "dsp_am.sweep").string();
  // The points' processes die with their parent (PR_SET_PDEATHSIG).
  for (int i = 0; i < 100 && !processes_mentioning(work_dir).empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(processes_mentioning(work_dir).empty()) << "point processes outlived the killed sweep";
  ASSERT_GT(total, stored_at_kill) << "killed after the last point: not in the middle";

  const CommandResult rerun = test::workbench(fmt::format("sweep {} --db {} -j 2", shipped("xdnn_dsp_am").string(), db));
  ASSERT_EQ(rerun.exit_code, 0) << rerun.out;
  std::smatch match;
  ASSERT_TRUE(std::regex_search(rerun.out, match, std::regex(R"((\d+) points, (\d+) already stored, (\d+) to run)")))
      << rerun.out;
  EXPECT_EQ(std::stoul(match[1].str()), total);
  EXPECT_GE(std::stoul(match[2].str()), stored_at_kill);  // nothing stored was run again
  EXPECT_EQ(std::stoul(match[2].str()) + std::stoul(match[3].str()), total);

  const sweep::ResultsDb results(db, false);
  const auto points = results.points();
  EXPECT_EQ(points.size(), total);
  std::set<std::string> keys;
  for (const auto& p : points) {
    EXPECT_TRUE(keys.insert(p.key).second);
    EXPECT_FALSE(p.status.empty()) << p.key << " has no result";
    if (p.status == "done") {
      EXPECT_GT(p.cycles, 0u);
    }
    if (p.status == "failed") {
      EXPECT_EQ(p.exit_code, 2) << p.error;  // AM too small: an answer
    }
  }
  EXPECT_EQ(results.statuses().size(), total);
  sqlite::Database raw(db, false, "a test database");
  auto count = raw.prepare("SELECT count(*), count(DISTINCT key) FROM results");
  ASSERT_TRUE(count.step());
  EXPECT_EQ(count.integer(0), static_cast<std::int64_t>(total));
  EXPECT_EQ(count.integer(1), static_cast<std::int64_t>(total));
  // Nothing left half-written in the sweep's folder.
  for (const auto& entry : std::filesystem::directory_iterator(dir / "dsp_am.sweep" / "results")) {
    ADD_FAILURE() << "left behind: " << entry.path();
  }
}

struct ShippedSpec {
  const char* name;
  std::size_t min_points;
  std::vector<std::string> sections;  // what its report must show
  std::vector<std::string> absent = {};  // and what it must not
};

class ShippedSweeps : public ::testing::TestWithParam<ShippedSpec> {};

TEST_P(ShippedSweeps, RunLocallyAndTheirReportsRenderWithEveryPlot) {
  const ShippedSpec& spec = GetParam();
  const test::TempDir dir;
  const std::string db = (dir / "results.db").string();
  const CommandResult run = test::workbench(fmt::format("sweep {} --db {} -j 2", shipped(spec.name).string(), db));
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_THAT(run.out, HasSubstr("/min)"));  // the progress summary
  const sweep::ResultsDb results(db, false);
  const auto points = results.points();
  EXPECT_GE(points.size(), spec.min_points);
  std::size_t done = 0;
  for (const auto& p : points) {
    done += p.status == "done";
    if (p.mode == "verify" && p.status == "done") {
      EXPECT_EQ(p.verdict, "bit-exact") << p.key;
    }
  }
  EXPECT_GE(done, spec.min_points * 3 / 4) << run.out;

  const CommandResult report = test::workbench(fmt::format("report {} -o {}", db, (dir / "report").string()));
  ASSERT_EQ(report.exit_code, 0) << report.out;
  const auto html = dir / "report" / "index.html";
  std::ifstream in(html);
  const std::string page((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const std::string& section : spec.sections) EXPECT_THAT(page, HasSubstr(section)) << spec.name;
  for (const std::string& text : spec.absent) EXPECT_THAT(page, testing::Not(HasSubstr(text))) << spec.name;
  std::size_t image_count = 0;
  for (auto at = page.find("<img class=\"plot\""); at != std::string::npos; at = page.find("<img class=\"plot\"", at + 1)) {
    ++image_count;
  }
  EXPECT_GE(image_count, 2u);

  // In a real browser: every plot image loaded (the page's own check), and the screenshot is
  // a page, not a blank.
  const std::string dom = test::rendered_dom(html);
  EXPECT_THAT(dom, HasSubstr(fmt::format("data-plots-loaded=\"{0}/{0}\"", image_count))) << spec.name;
  const auto png = dir / "page.png";
  test::screenshot(html, png, 1280, 2000);
  const test::ImageStats stats = test::png_stats(png);
  EXPECT_EQ(stats.width, 1280);
  EXPECT_GT(stats.non_white_fraction, 0.03) << "a blank page";
  EXPECT_GT(stats.colours, 20u) << "no plots or text";
}

INSTANTIATE_TEST_SUITE_P(
    Specs, ShippedSweeps,
    // PULP predicts: the points table and the scatter of each chosen point show it; xDNN does not.
    ::testing::Values(ShippedSpec{"xdnn_dsp_am", 9, {"Pareto frontiers", "DSP count", "Per-layer breakdown",
                                                      "energy per inference (uJ) vs latency (ms)"},
                                  {"predicted cycles", "Predicted against simulated"}},
                      ShippedSpec{"pulp_l1_cores", 12, {"Pareto frontiers", "L1 tile budget", "MAC/cycle",
                                                        "energy per inference (uJ) vs latency (ms), by cores",
                                                        "energy-delay product (uJ x ms) vs cluster cores",
                                                        "<th>predicted cycles</th>", "Predicted against simulated",
                                                        "predicted vs simulated: "}},
                      // The L1 size alone: the tile budget follows it (gap8.yaml's relative budget).
                      ShippedSpec{"pulp_l1_size", 4, {"Pareto frontiers", "latency (ms) vs L1 size (KiB)",
                                                      "energy per inference (uJ) vs L1 size (KiB)"}},
                      ShippedSpec{"two_targets", 2, {"One network, two targets", "bit-exact", "microseconds"}},
                      // xDNN's two modes, and the Dedicated Block's height (its 4 rows bind the stream).
                      ShippedSpec{"xdnn_modes", 8, {"Pareto frontiers", "DSPs (main array + Dedicated Block)",
                                                    "mode=throughput"}},
                      // One large PE against several small ones on a card, frames/s maximised.
                      ShippedSpec{"xdnn_cards", 12, {"Pareto frontiers", "DSPs on the card", "frames/s of the card",
                                                     "mode=throughput"}},
                      ShippedSpec{"ablation", 8, {"Compiler optimisations: ablation", "weight_pingpong=off",
                                                   "weight_prefetch=off"}}),
    [](const ::testing::TestParamInfo<ShippedSpec>& param) { return std::string(param.param.name); });

}  // namespace
}  // namespace wb
