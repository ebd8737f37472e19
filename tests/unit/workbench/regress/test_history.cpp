// The run history: recording reports (once each, determinism checked), `history` (the trend
// table, changes, the SVG plot, filters) and `bisect` over three recorded commits.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <sstream>

#include "tests/unit/workbench/regress/regress_testing.h"
#include "workbench/regress/commands.h"
#include "workbench/regress/history.h"
#include "workbench/regress/history_db.h"
#include "support/sqlite.h"
#include "workbench/report/report_json.h"

namespace wb::regress {
namespace {

using testing::HasSubstr;
using testing::Not;
using namespace wb::regress::fixtures;

// Three commits recorded in order a, b, c: conv1 100, 100, 150 cycles; conv2 200 throughout.
struct History : ::testing::Test {
  TempDir dir;
  std::filesystem::path db = dir / "history.db";
  const std::string a = commit_of('a'), b = commit_of('b'), c = commit_of('c');
  std::vector<std::filesystem::path> files;

  void SetUp() override {
    const std::uint64_t conv1[] = {100, 100, 150};
    const std::string commits[] = {a, b, c};
    for (int i = 0; i < 3; ++i) {
      const report::RunReport r = make_report(commits[i], "resnet50", "v3_96", {{"conv1", conv1[i]}, {"conv2", 200}},
                                              "the-build");
      files.push_back(dir / fmt::format("run{}.json", i));
      report::write_json(r, files.back());
    }
    std::ostringstream out;
    ASSERT_EQ(run_record(db, files, out), 0) << out.str();
    recorded = out.str();
  }

  std::string history(HistoryOptions options) {
    options.db = db;
    std::ostringstream out;
    EXPECT_EQ(run_history(options, out), 0);
    return out.str();
  }

  BisectOptions bisect(const std::string& good, const std::string& bad) const {
    BisectOptions o;
    o.db = db;
    o.good = good;
    o.bad = bad;
    o.model = "resnet50";
    o.config = "v3_96";
    return o;
  }

  std::string recorded;
};

std::string prefix(const std::string& commit) { return commit.substr(0, 12); }

TEST_F(History, RecordStoresEveryRunUnderItsCommitInRecordingOrder) {
  EXPECT_THAT(recorded, HasSubstr("recorded 3 run(s)"));
  const HistoryDb h(db, false);
  const std::vector<RecordedCommit> commits = h.commits();
  ASSERT_EQ(commits.size(), 3u);
  EXPECT_EQ(commits[0].commit, a);
  EXPECT_EQ(commits[1].commit, b);
  EXPECT_EQ(commits[2].commit, c);
  for (const RecordedCommit& rc : commits) {
    EXPECT_EQ(rc.runs, 1u);
    EXPECT_FALSE(rc.dirty);
    EXPECT_EQ(rc.label(), prefix(rc.commit));
  }
  const std::vector<RunRecord> runs = h.runs_of(commits[2]);
  ASSERT_EQ(runs.size(), 1u);
  const RunRecord expected = record_from_report(
      make_report(c, "resnet50", "v3_96", {{"conv1", 150}, {"conv2", 200}}, "the-build"), files[2].string());
  EXPECT_TRUE(same_figures(runs[0], expected));
  EXPECT_EQ(inputs_key(runs[0]), inputs_key(expected));
  EXPECT_EQ(runs[0].build, "the-build");
  EXPECT_EQ(runs[0].source, files[2].string());
  EXPECT_EQ(runs[0].simulate_seconds, expected.simulate_seconds);
}

TEST_F(History, RecordingTheSameFileTwiceStoresItOnce) {
  std::ostringstream out;
  EXPECT_EQ(run_record(db, {files[0]}, out), 0);
  EXPECT_THAT(out.str(), HasSubstr("recorded 0 run(s)"));
  EXPECT_THAT(out.str(), HasSubstr("1 recorded before"));
  EXPECT_EQ(HistoryDb(db, false).commits().at(0).runs, 1u);
}

TEST_F(History, TheTableListsTheCommitsInOrderAndWhereTheTotalChanged) {
  const std::string out = history({});
  EXPECT_THAT(out, HasSubstr("resnet50 on v3_96: total cycles"));
  const std::size_t at_a = out.find(prefix(a)), at_b = out.find(prefix(b)), at_c = out.find(prefix(c));
  ASSERT_NE(at_a, std::string::npos);
  ASSERT_NE(at_b, std::string::npos);
  ASSERT_NE(at_c, std::string::npos);
  EXPECT_LT(at_a, at_b);
  EXPECT_LT(at_b, at_c);
  EXPECT_THAT(out, HasSubstr(fmt::format("changed at: {}\n", prefix(c))));
  // 300 -> 350 total cycles.
  EXPECT_THAT(out, HasSubstr(fmt::format("+50 ({:+.2f}%)", 100.0 * 50 / 300)));
  EXPECT_THAT(out, HasSubstr("350"));
}

TEST_F(History, ALayerFilterFollowsThatLayersFigure) {
  HistoryOptions options;
  options.layer = "conv1";
  const std::string conv1 = history(options);
  EXPECT_THAT(conv1, HasSubstr("layer conv1 cycles"));
  EXPECT_THAT(conv1, HasSubstr("+50 (+50.00%)"));
  EXPECT_THAT(conv1, HasSubstr(fmt::format("changed at: {}", prefix(c))));
  options.layer = "conv2";
  EXPECT_THAT(history(options), HasSubstr("unchanged over the recorded commits"));
}

TEST_F(History, APlotPathWritesAnSvg) {
  HistoryOptions options;
  options.plot = dir / "trend.svg";
  const std::string out = history(options);
  ASSERT_TRUE(std::filesystem::is_regular_file(*options.plot));
  EXPECT_THAT(read_text(*options.plot), HasSubstr("<svg"));
  EXPECT_THAT(out, HasSubstr(fmt::format("wrote {}", options.plot->string())));
}

// Series of one case recorded with several option sets are named by the options that differ,
// however long the options are; an axis of one commit has the one whole tick.
TEST(HistorySeries, NamedByTheOptionsThatDifferAndOneCommitIsOneTick) {
  TempDir dir;
  const auto db = dir / "history.db";
  std::vector<std::filesystem::path> files;
  const std::string common = "am_allocator=bestfit,schedule_search=on,sibling_merge=on,weight_pingpong=on";
  for (const char* option : {"weight_prefetch=on", "weight_prefetch=off"}) {
    report::RunReport r = make_report(commit_of('a'), "resnet50", "v3_96", {{"conv1", 100}}, "the-build");
    r.run.compile_options = common + "," + option;
    files.push_back(dir / fmt::format("{}.json", files.size()));
    report::write_json(r, files.back());
  }
  std::ostringstream recorded;
  ASSERT_EQ(run_record(db, files, recorded), 0) << recorded.str();
  HistoryOptions options;
  options.db = db;
  options.plot = dir / "one.svg";
  std::ostringstream out;
  ASSERT_EQ(run_history(options, out), 0);
  EXPECT_THAT(out.str(), HasSubstr("resnet50 on v3_96 (weight_prefetch=on): total cycles"));
  EXPECT_THAT(out.str(), HasSubstr("resnet50 on v3_96 (weight_prefetch=off): total cycles"));
  const std::string svg = read_text(*options.plot);
  EXPECT_THAT(svg, HasSubstr("(weight_prefetch=off)"));
  EXPECT_THAT(svg, HasSubstr(">1</text>"));  // the commit's tick
  EXPECT_THAT(svg, Not(HasSubstr(">0.9</text>")));
  EXPECT_THAT(svg, Not(HasSubstr(">1.1</text>")));
}

TEST_F(History, APngPlotPathIsAUserError) {
  HistoryOptions options;
  options.db = db;
  options.plot = dir / "trend.png";
  std::ostringstream out;
  EXPECT_THAT(user_error([&] { run_history(options, out); }), HasSubstr(".svg"));
  EXPECT_FALSE(std::filesystem::exists(*options.plot));
}

TEST_F(History, FiltersMatchingNothingAreAUserErrorListingWhatIsRecorded) {
  HistoryOptions options;
  options.db = db;
  options.model = "vgg16";
  std::ostringstream out;
  const std::string by_model = user_error([&] { run_history(options, out); });
  EXPECT_THAT(by_model, HasSubstr("vgg16"));
  EXPECT_THAT(by_model, HasSubstr("recorded models: resnet50"));
  options.model.reset();
  options.config = "v9_1";
  const std::string by_config = user_error([&] { run_history(options, out); });
  EXPECT_THAT(by_config, HasSubstr("v9_1"));
  EXPECT_THAT(by_config, HasSubstr("configs: v3_96"));
  options.config.reset();
  options.metric = "speed";
  EXPECT_THAT(user_error([&] { run_history(options, out); }), HasSubstr("--metric speed"));
}

TEST_F(History, BisectNamesTheFirstCommitThatChanged) {
  std::ostringstream out;
  EXPECT_EQ(run_bisect(bisect(prefix(a), prefix(c)), out), 0);
  EXPECT_THAT(out.str(), HasSubstr(fmt::format("differ from {}'s: {}", prefix(a), prefix(c))));
  EXPECT_THAT(out.str(), HasSubstr("conv1"));
}

TEST_F(History, BisectWithShortPrefixesFindsTheSameCommit) {
  std::ostringstream out;
  EXPECT_EQ(run_bisect(bisect("aaaa", "cccc"), out), 0);
  EXPECT_THAT(out.str(), HasSubstr(fmt::format(": {} (recorded", prefix(c))));
}

TEST_F(History, BisectReturnsOneWhenNothingChangedBetweenGoodAndBad) {
  std::ostringstream out;
  EXPECT_EQ(run_bisect(bisect(prefix(a), prefix(b)), out), 1);
  EXPECT_THAT(out.str(), HasSubstr("every recorded commit"));
}

TEST_F(History, BisectNarrowedToAnUnchangedLayerFindsNothing) {
  BisectOptions o = bisect(prefix(a), prefix(c));
  o.layer = "conv2";
  std::ostringstream out;
  EXPECT_EQ(run_bisect(o, out), 1);
  o.layer = "conv1";
  EXPECT_EQ(run_bisect(o, out), 0);
}

TEST_F(History, BisectWithGoodRecordedAfterBadIsAUserError) {
  std::ostringstream out;
  const std::string message = user_error([&] { run_bisect(bisect(prefix(c), prefix(a)), out); });
  EXPECT_THAT(message, HasSubstr("was not recorded before"));
  EXPECT_THAT(user_error([&] { run_bisect(bisect(prefix(b), prefix(b)), out); }), HasSubstr("was not recorded before"));
}

TEST_F(History, BisectOfAnUnknownCommitOrModelIsAUserError) {
  std::ostringstream out;
  const std::string commit = user_error([&] { run_bisect(bisect("deadbeef", prefix(c)), out); });
  EXPECT_THAT(commit, HasSubstr("'deadbeef'"));
  EXPECT_THAT(commit, HasSubstr(fmt::format("recorded: {}, {}, {}", prefix(a), prefix(b), prefix(c))));
  BisectOptions o = bisect(prefix(a), prefix(c));
  o.model = "vgg16";
  EXPECT_THAT(user_error([&] { run_bisect(o, out); }), HasSubstr("no recorded run of vgg16 on v3_96"));
}

TEST_F(History, ReportsOfOneBuildWithEqualInputsButOtherCyclesAreADeterminismBug) {
  const report::RunReport again = make_report(c, "resnet50", "v3_96", {{"conv1", 151}, {"conv2", 200}}, "the-build");
  const std::filesystem::path file = dir / "again.json";
  report::write_json(again, file);
  std::ostringstream out;
  EXPECT_EQ(run_record(db, {file}, out), 1);
  EXPECT_THAT(out.str(), HasSubstr("determinism bug"));
  EXPECT_THAT(out.str(), HasSubstr("the-build"));
}

TEST_F(History, AnEqualRerunOfOneBuildIsNoDeterminismBug) {
  report::RunReport again = make_report(c, "resnet50", "v3_96", {{"conv1", 150}, {"conv2", 200}}, "the-build");
  again.wall.simulate_seconds = 7;  // another file (digest), same figures
  const std::filesystem::path file = dir / "again.json";
  report::write_json(again, file);
  std::ostringstream out;
  EXPECT_EQ(run_record(db, {file}, out), 0) << out.str();
  EXPECT_THAT(out.str(), Not(HasSubstr("determinism")));
  EXPECT_EQ(HistoryDb(db, false).commits().at(2).runs, 2u);
}

TEST(HistoryRecord, TwoReportsInOneRecordWithOneBuildAndDifferentCyclesAreADeterminismBug) {
  TempDir dir;
  std::vector<std::filesystem::path> files;
  for (std::uint64_t cycles : {100u, 120u}) {
    files.push_back(dir / fmt::format("run{}.json", cycles));
    report::write_json(make_report(commit_of('d'), "resnet50", "v3_96", {{"conv1", cycles}}, "one-build"), files.back());
  }
  std::ostringstream out;
  EXPECT_EQ(run_record(dir / "h.db", files, out), 1);
  EXPECT_THAT(out.str(), HasSubstr("determinism bug"));
}

TEST(HistoryRecord, NoFilesIsAUserError) {
  TempDir dir;
  std::ostringstream out;
  EXPECT_THAT(user_error([&] { run_record(dir / "h.db", {}, out); }), HasSubstr("record: give run reports"));
}

TEST(HistoryDbFile, ASqliteFileOfAnotherSchemaIsAUserErrorNamingIt) {
  TempDir dir;
  const std::filesystem::path path = dir / "other.db";
  {
    sqlite::Database other(path, true, "a test database");
    other.execute("CREATE TABLE points (key TEXT)");
  }
  const std::string message = user_error([&] { HistoryDb h(path, false); });
  EXPECT_THAT(message, HasSubstr(path.string()));
  EXPECT_THAT(message, HasSubstr("not a workbench run history"));
}

TEST(HistoryDbFile, ATextFileIsAUserErrorNamingIt) {
  TempDir dir;
  const std::filesystem::path path = dir / "notes.db";
  write_text(path, "these are my notes, not a database; they are long enough to fill a header or two.\n");
  const std::string message = user_error([&] { HistoryDb h(path, false); });
  EXPECT_THAT(message, HasSubstr(path.string() + ": not a SQLite database, so not a workbench run history"));
  EXPECT_THAT(message, Not(HasSubstr("file is not a database")));
}

TEST(HistoryDbFile, AMissingFileIsAUserErrorUnlessCreated) {
  TempDir dir;
  const std::filesystem::path path = dir / "sub" / "h.db";
  EXPECT_THAT(user_error([&] { HistoryDb h(path, false); }), HasSubstr("no such history database"));
  { HistoryDb h(path, true); }
  EXPECT_TRUE(std::filesystem::exists(path));
  EXPECT_TRUE(HistoryDb(path, false).commits().empty());
}

TEST(HistoryDbFile, RecordKeepsOneRunPerDigestAndFindsCommitsByPrefix) {
  TempDir dir;
  HistoryDb h(dir / "h.db", true);
  RunRecord clean = make_run("resnet50", "v3_96", {{"conv1", 100}});
  clean.commit = "ab12" + std::string(36, '0');
  RunRecord other = clean;
  other.commit = "ab34" + std::string(36, '0');
  RunRecord dirty = clean;
  dirty.dirty = true;
  EXPECT_TRUE(h.record(clean, "d1"));
  EXPECT_FALSE(h.record(clean, "d1"));
  EXPECT_TRUE(h.record(other, "d2"));
  EXPECT_TRUE(h.record(dirty, "d3"));
  ASSERT_EQ(h.commits().size(), 3u);
  EXPECT_EQ(h.find_commit("ab1").commit, clean.commit);
  EXPECT_FALSE(h.find_commit("ab1").dirty);
  const RecordedCommit d = h.find_commit("ab12+dirty");
  EXPECT_TRUE(d.dirty);
  EXPECT_EQ(d.label(), clean.commit.substr(0, 12) + "+dirty");
  EXPECT_THAT(user_error([&] { h.find_commit("ab"); }), HasSubstr("names 2 recorded commits"));
  EXPECT_THAT(user_error([&] { h.find_commit("ff"); }), HasSubstr("no run of commit 'ff'"));
  const std::vector<RunRecord> runs = h.runs_of(h.find_commit("ab1"));
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_TRUE(same_figures(runs[0], clean));
  EXPECT_EQ(runs[0].layers, clean.layers);
}

TEST(HistoryDbFile, ALayerWithoutFiguresIsKeptAndDoesNotSplitTheLayersAfterIt) {
  TempDir dir;
  HistoryDb h(dir / "h.db", true);
  RunRecord run = make_run("resnet50", "v3_96", {{"conv1", 100}, {"conv2", 200}});
  run.layers[0].figures.clear();
  ASSERT_TRUE(h.record(run, "d1"));
  const std::vector<RunRecord> runs = h.runs_of(h.commits().at(0));
  ASSERT_EQ(runs.size(), 1u);
  std::vector<std::string> names;
  for (const LayerRecord& l : runs[0].layers) names.push_back(l.name);
  EXPECT_THAT(names, testing::ElementsAre("conv1", "conv2"));
  ASSERT_EQ(runs[0].layers.size(), 2u);
  EXPECT_EQ(runs[0].layers[1].figures, run.layers[1].figures);
}

}  // namespace
}  // namespace wb::regress
