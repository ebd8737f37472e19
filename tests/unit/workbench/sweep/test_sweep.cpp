// The sweep's bookkeeping around its executor (sweep.h, executor.h), with a fake executor
// that stores the results a test chooses: which points it is handed (not the stored ones;
// the failed ones again only with retry_failed), and what the summary and the exit code make
// of the results it stores, and of points it leaves without one.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "support/error.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/workbench/sweep/sweep_testing.h"
#include "workbench/sweep/executor.h"
#include "workbench/sweep/sweep.h"

namespace wb {
namespace {

using testing::ElementsAre;
using testing::HasSubstr;
using testing::IsEmpty;

// What the fake executor stores for a point: nothing, or a record of this status.
struct Outcome {
  std::string status = "done";  // "done" | "failed" | "" (no result)
  int exit_code = 0;
  std::string verdict = "not-verified";
};

class FakeExecutor final : public sweep::Executor {
 public:
  // By the point's array.rows; points not named are done.
  std::map<int, Outcome> outcomes;
  bool queue = false;  // results come later (as Slurm's without --wait)
  bool unavailable = false;
  // The array.rows of the points each run() was handed.
  std::vector<std::vector<int>> runs;

  void check_available() const override {
    if (unavailable) throw UserError("fake: not on this machine");
  }

  int run(const sweep::SweepRun& run, const std::vector<const sweep::DesignPoint*>& pending) override {
    runs.emplace_back();
    for (const sweep::DesignPoint* p : pending) {
      const int rows = std::stoi(p->params.at("array.rows").get<std::string>());
      runs.back().push_back(rows);
      const Outcome outcome = outcomes.count(rows) != 0 ? outcomes.at(rows) : Outcome{};
      if (!outcome.status.empty()) run.db.store(result(p->key, outcome));
    }
    return 0;
  }

  bool results_on_return() const override { return !queue; }

 private:
  static sweep::PointResult result(const std::string& key, const Outcome& outcome) {
    sweep::PointResult r;
    r.key = key;
    r.status = outcome.status;
    r.exit_code = outcome.exit_code;
    r.error = outcome.status == "failed" ? "error: it failed" : "";
    r.host = "fake";
    r.finished_at = "now";
    r.build = "fake";
    if (outcome.status == "done") {
      report::RunReport report;
      report.target = "xdnn";
      report.verdict = outcome.verdict;
      report.totals.cycles = 1000;
      r.report = report;
    }
    return r;
  }
};

struct Sweep {
  test::TempDir dir;
  sweep::SweepOptions options;
  std::string out, err;

  Sweep() {
    options.spec = dir / "fake.yaml";
    std::ofstream(options.spec) << fmt::format(
        "name: fake\nmodels: [{}]\nconfigs: [{}]\nmode: timing\naxes:\n  array.rows: [32, 64, 96]\n",
        test::tiny_model(), (test::source_dir() / "configs" / "v3_96.yaml").string());
    options.db = dir / "fake.db";
    options.executable = "/bin/false";  // the fake runs no process
  }

  int run(sweep::Executor& executor) {
    std::ostringstream out_stream, err_stream;
    const int code = sweep::run_sweep(options, executor, out_stream, err_stream);
    out = out_stream.str();
    err = err_stream.str();
    return code;
  }
};

TEST(Sweep, HandsTheExecutorOnlyThePointsNotStored) {
  Sweep sweep;
  FakeExecutor first;
  first.outcomes[64].status = "";  // its process ended without a result
  EXPECT_EQ(sweep.run(first), 1);
  EXPECT_THAT(first.runs, ElementsAre(ElementsAre(32, 64, 96)));
  EXPECT_THAT(sweep.err, HasSubstr("1 point(s) have no result"));
  EXPECT_THAT(sweep.out, HasSubstr("3 points: 2 done, 0 failed, 1 without a result"));

  FakeExecutor second;
  EXPECT_EQ(sweep.run(second), 0);
  EXPECT_THAT(second.runs, ElementsAre(ElementsAre(64)));
  EXPECT_THAT(sweep.err, HasSubstr("3 points, 2 already stored, 1 to run"));

  FakeExecutor third;
  EXPECT_EQ(sweep.run(third), 0);
  EXPECT_THAT(third.runs, IsEmpty());  // nothing pending: the executor is not called
  EXPECT_THAT(sweep.out, HasSubstr("3 points: 3 done, 0 failed\n"));
}

TEST(Sweep, AFailureIsRecordedAndRunAgainOnlyWithRetryFailed) {
  Sweep sweep;
  FakeExecutor first;
  first.outcomes[96] = {"failed", 139, ""};  // a crash
  EXPECT_EQ(sweep.run(first), 1);
  EXPECT_THAT(sweep.out, HasSubstr("3 points: 2 done, 1 failed"));

  FakeExecutor rerun;
  EXPECT_EQ(sweep.run(rerun), 1);  // the stored failure still decides
  EXPECT_THAT(rerun.runs, IsEmpty());

  FakeExecutor retry;
  sweep.options.retry_failed = true;
  EXPECT_EQ(sweep.run(retry), 0);
  EXPECT_THAT(retry.runs, ElementsAre(ElementsAre(96)));
  EXPECT_THAT(sweep.out, HasSubstr("3 points: 3 done, 0 failed"));
}

TEST(Sweep, APointThatDoesNotFitIsAResultAndAMismatchIsAFailure) {
  Sweep does_not_fit;
  FakeExecutor executor;
  executor.outcomes[32] = {"failed", 2, ""};  // exit 2: the network cannot be mapped there
  EXPECT_EQ(does_not_fit.run(executor), 0);

  Sweep mismatch;
  FakeExecutor wrong;
  wrong.outcomes[64].verdict = "mismatch";
  EXPECT_EQ(mismatch.run(wrong), 1);
  EXPECT_THAT(mismatch.out, HasSubstr("(1 not bit-exact)"));
}

TEST(Sweep, PointsHandedToAQueueAreNotMissingUntilTheyComeBack) {
  Sweep sweep;
  FakeExecutor queue;
  queue.queue = true;
  queue.outcomes[32].status = queue.outcomes[64].status = queue.outcomes[96].status = "";
  EXPECT_EQ(sweep.run(queue), 0);
  EXPECT_THAT(sweep.err, testing::Not(HasSubstr("have no result")));
  EXPECT_THAT(sweep.out, HasSubstr("3 without a result"));

  FakeExecutor again;  // what is still without a result is handed over again
  EXPECT_EQ(sweep.run(again), 0);
  EXPECT_THAT(again.runs, ElementsAre(ElementsAre(32, 64, 96)));
}

TEST(Sweep, AnExecutorThatCannotRunHereStopsTheSweepBeforeAnyFileIsWritten) {
  Sweep sweep;
  FakeExecutor executor;
  executor.unavailable = true;
  EXPECT_EQ(test::user_error_of([&] { sweep.run(executor); }), "fake: not on this machine");
  EXPECT_FALSE(std::filesystem::exists(*sweep.options.db));
  EXPECT_FALSE(std::filesystem::exists(sweep.dir / "fake.sweep"));
}

TEST(Sweep, ADryRunListsThePointsAndHandsOverNone) {
  Sweep sweep;
  sweep.options.dry_run = true;
  FakeExecutor executor;
  EXPECT_EQ(sweep.run(executor), 0);
  EXPECT_THAT(executor.runs, IsEmpty());
  EXPECT_THAT(sweep.out, HasSubstr("sweep fake: 3 points (timing mode)"));
  EXPECT_FALSE(std::filesystem::exists(*sweep.options.db));
}

}  // namespace
}  // namespace wb
