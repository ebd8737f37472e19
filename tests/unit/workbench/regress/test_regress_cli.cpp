// `workbench regress` on bad input: one clear error line naming the file and what to do,
// exit 2, and nothing written. And the commands' help names every subcommand.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <fstream>

#include "tests/support/cli_testing.h"
#include "tests/support/test_paths.h"
#include "tests/unit/workbench/regress/regress_testing.h"
#include "workbench/report/report.h"
#include "workbench/report/report_json.h"

namespace wb::regress {
namespace {

using test::CommandResult;
using testing::HasSubstr;

std::string text_of(const std::filesystem::path& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class RegressCli : public testing::Test {
 protected:
  RegressCli() {
    report::RunReport r = fixtures::make_report(fixtures::commit_of('a'), "resnet50", "v3_96", {{"conv1", 100}, {"conv2", 200}});
    report::write_json(r, dir_ / "a.json");
    r.model_name = "mobilenet_v2";
    report::write_json(r, dir_ / "other_model.json");
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::string db() const { return "--db " + path("history.db"); }

  fixtures::TempDir dir_;
};

TEST_F(RegressCli, AReportOfAnotherSchemaIsExit2NamingTheFileAndNothingIsRecorded) {
  nlohmann::json j = test::read_json(path("a.json"));
  j["schema"] = 1;
  std::ofstream(path("old.json")) << j.dump();
  const CommandResult run = test::workbench(fmt::format("regress record {} {} {}", path("a.json"), path("old.json"), db()));
  test::expect_bad_input(run, "old.json");
  EXPECT_THAT(run.out, HasSubstr("schema 1"));
  EXPECT_FALSE(std::filesystem::exists(path("history.db"))) << "every file is read before anything is stored";
}

TEST_F(RegressCli, ATruncatedReportIsExit2) {
  const std::string whole = text_of(path("a.json"));
  std::ofstream(path("cut.json")) << whole.substr(0, whole.size() / 2);
  const CommandResult run = test::workbench(fmt::format("regress compare --baseline {} --current {} {}", path("a.json"),
                                                        path("cut.json"), db()));
  test::expect_bad_input(run, "cut.json");
  EXPECT_THAT(run.out, HasSubstr("not valid JSON"));
}

TEST_F(RegressCli, ABaselineWithADuplicateKeyIsExit2) {
  std::ofstream(path("dup.json")) << R"json({"baseline": 1, "matrix": [], "history": [], "rows": [
{"model":"m","config":"c","layer":"(total)","target":"xdnn","scheme":"xdnn","compile_options":"","hw_fingerprint":"f","model_sha256":"s","data":false,"verdict":"not-verified","cycles":1},
{"model":"m","config":"c","layer":"(total)","target":"xdnn","scheme":"xdnn","compile_options":"","hw_fingerprint":"f","model_sha256":"s","data":false,"verdict":"not-verified","cycles":2}
]})json";
  test::expect_bad_input(test::workbench(fmt::format("regress check {}", path("dup.json"))), "duplicate row");
  test::expect_bad_input(
      test::workbench(fmt::format("regress compare --baseline {} --current {} {}", path("dup.json"), path("a.json"), db())),
      "dup.json");
}

TEST_F(RegressCli, ComparingRunsOfDifferentModelsIsExit2NamingBoth) {
  const CommandResult run = test::workbench(fmt::format("regress compare --baseline {} --current {} {}", path("a.json"),
                                                        path("other_model.json"), db()));
  test::expect_bad_input(run, "nothing to compare");
  EXPECT_THAT(run.out, HasSubstr("resnet50 on v3_96"));
  EXPECT_THAT(run.out, HasSubstr("mobilenet_v2 on v3_96"));
}

TEST_F(RegressCli, BadThresholdsCommitsAndPlotsAreExit2) {
  test::expect_bad_input(test::workbench(fmt::format("regress compare --baseline {} --current {} --threshold 5 {}",
                                                     path("a.json"), path("a.json"), db())),
                         "--threshold 5");
  test::expect_bad_input(test::workbench(fmt::format("regress compare --baseline {} --current {} --threshold joules=1% {}",
                                                     path("a.json"), path("a.json"), db())),
                         "no metric 'joules'");
  ASSERT_EQ(test::workbench(fmt::format("regress record {} {}", path("a.json"), db())).exit_code, 0);
  test::expect_bad_input(test::workbench(fmt::format("regress compare --baseline 0123abc {}", db())), "0123abc");
  test::expect_bad_input(test::workbench(fmt::format("regress history --plot {} {}", path("trend.png"), db())), ".svg");
  EXPECT_FALSE(std::filesystem::exists(path("trend.png")));
  test::expect_bad_input(test::workbench(fmt::format("regress history --metric joules {}", db())), "joules");
  test::expect_bad_input(test::workbench(fmt::format("regress history {}", "--db " + path("none.db"))), "none.db");
}

TEST_F(RegressCli, UpdateBaselineWithoutAReasonIsRefusedAndWritesNothing) {
  const CommandResult run = test::workbench(fmt::format("regress update-baseline {}", path("new.json")));
  EXPECT_EQ(run.exit_code, 2) << run.out;
  EXPECT_THAT(run.out, HasSubstr("--reason"));
  EXPECT_FALSE(std::filesystem::exists(path("new.json")));
}

TEST(RegressCliHelp, ListsEverySubcommand) {
  const CommandResult help = test::workbench("regress --help");
  EXPECT_EQ(help.exit_code, 0);
  for (const char* command : {"record", "compare", "check", "update-baseline", "history", "bisect"}) {
    EXPECT_THAT(help.out, HasSubstr(command));
  }
}

}  // namespace
}  // namespace wb::regress
