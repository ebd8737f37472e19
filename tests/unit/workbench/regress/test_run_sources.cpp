// Reading runs from files: a run report (figures mapped per layer and in total), a sweep
// point result, a baseline; anything else refused with a message naming the file.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "support/sha256.h"
#include "tests/unit/workbench/regress/regress_testing.h"
#include "workbench/regress/baseline.h"
#include "workbench/regress/metrics.h"
#include "workbench/regress/run_sources.h"
#include "workbench/report/report_json.h"
#include "workbench/sweep/point_result.h"

namespace wb::regress {
namespace {

using testing::ElementsAre;
using testing::HasSubstr;
using namespace wb::regress::fixtures;

report::RunReport sample_report() {
  report::RunReport r = make_report(commit_of('e'), "resnet50", "v3_96", {{"conv1", 100, 9}, {"conv2", 200}}, "e-build");
  r.tool_dirty = true;
  r.totals.offchip_bytes = 4096;
  r.totals.specific = {{"ddr_weight_bytes", 1024}, {"valid_schedules", 5}};    // tracked, untracked
  r.layers[0].specific = {{"ddr_weight_bytes", 512}, {"host_cycles", 7}};  // tracked, untracked
  r.wall = {0.25, 1.5};
  return r;
}

struct Sources : ::testing::Test {
  TempDir dir;
  std::filesystem::path file = dir / "run.json";
};

TEST_F(Sources, ARunReportGivesOneRunWithItsFiguresMapped) {
  const report::RunReport r = sample_report();
  report::write_json(r, file);
  const std::vector<RunRecord> runs = load_runs(file);
  ASSERT_EQ(runs.size(), 1u);
  const RunRecord& run = runs[0];
  EXPECT_EQ(run.source, file.string());
  EXPECT_EQ(run.digest, sha256_file(file));
  EXPECT_EQ(run.commit, r.tool_commit);
  EXPECT_TRUE(run.dirty);
  EXPECT_EQ(run.build, "e-build");
  EXPECT_EQ(run.model, "resnet50");
  EXPECT_EQ(run.config, "v3_96");
  EXPECT_EQ(run.target, "xdnn");
  EXPECT_EQ(run.model_sha256, r.model_sha256);
  EXPECT_EQ(run.hw_fingerprint, r.run.hw_fingerprint);
  EXPECT_EQ(run.scheme, r.run.scheme);
  EXPECT_EQ(run.compile_options, r.run.compile_options);
  EXPECT_EQ(run.data, r.run.data);
  EXPECT_EQ(run.verdict, "bit-exact");
  EXPECT_EQ(run.compile_seconds, 0.25);
  EXPECT_EQ(run.simulate_seconds, 1.5);
  EXPECT_EQ(case_name(run), "resnet50 on v3_96");

  // Totals: the standard figures, the optional traffic, the extras that are metrics.
  const Figures totals = {{"cycles", 300}, {"macs", 2000}, {"ops", 0}, {"moveops", 0}, {"offchip_bytes", 4096},
                          {"ddr_weight_bytes", 1024}};
  EXPECT_EQ(run.totals, totals);
  ASSERT_EQ(run.layers.size(), 2u);
  EXPECT_EQ(run.layers[0].name, "conv1");
  EXPECT_EQ(run.layers[0].type, "conv");
  const Figures conv1 = {{"cycles", 100}, {"stall_cycles", 9},     {"macs", 1000},
                         {"bytes_in", 1000}, {"bytes_out", 500}, {"ddr_weight_bytes", 512}};
  EXPECT_EQ(run.layers[0].figures, conv1);
  EXPECT_EQ(run.layers[1].name, "conv2");
  EXPECT_EQ(run.layers[1].figures.at("cycles"), 200u);
  EXPECT_EQ(run.layers[1].figures.at("bytes_in"), 2000u);
  EXPECT_EQ(run.layers[1].figures.count("ddr_weight_bytes"), 0u);
}

TEST_F(Sources, AReportOfAnotherSchemaIsAUserErrorNamingSchema) {
  nlohmann::json doc = report::to_json(sample_report());
  doc["schema"] = report::kReportSchema + 1;
  write_text(file, doc.dump());
  const std::string message = user_error([&] { load_runs(file); });
  EXPECT_THAT(message, HasSubstr(file.string()));
  EXPECT_THAT(message, HasSubstr("schema"));
}

TEST_F(Sources, AReportWithoutSchemaIsAUserErrorNamingSchema) {
  nlohmann::json doc = report::to_json(sample_report());
  doc.erase("schema");
  write_text(file, doc.dump());
  EXPECT_THAT(user_error([&] { load_runs(file); }), HasSubstr("schema"));
}

TEST_F(Sources, TruncatedJsonIsAUserErrorSayingNotValidJson) {
  const std::string text = report::to_json(sample_report()).dump(2);
  write_text(file, text.substr(0, text.size() / 2));
  const std::string message = user_error([&] { load_runs(file); });
  EXPECT_THAT(message, HasSubstr(file.string()));
  EXPECT_THAT(message, HasSubstr("not valid JSON"));
}

TEST_F(Sources, AMissingFileIsAUserErrorNamingIt) {
  const std::string message = user_error([&] { load_runs(dir / "absent.json"); });
  EXPECT_THAT(message, HasSubstr((dir / "absent.json").string()));
  EXPECT_THAT(message, HasSubstr("no such file"));
  EXPECT_THAT(user_error([&] { load_runs(dir.path()); }), HasSubstr("no such file"));  // a folder
}

TEST_F(Sources, ABaselineGivesItsRuns) {
  Baseline b;
  b.runs = {make_run("resnet50", "v3_96", {{"conv1", 100}}), make_run("mobilenet", "v3_64", {{"dw", 7}, {"pw", 8}})};
  const std::filesystem::path path = dir / "baseline.json";
  write_baseline(b, path);
  const std::vector<RunRecord> runs = load_runs(path);
  ASSERT_EQ(runs.size(), 2u);
  for (std::size_t i = 0; i < runs.size(); ++i) {
    EXPECT_EQ(case_name(runs[i]), case_name(b.runs[i]));
    EXPECT_TRUE(same_figures(runs[i], b.runs[i])) << i;
  }
}

TEST_F(Sources, ADoneSweepPointResultGivesItsRun) {
  sweep::PointResult point;
  point.key = "k1";
  point.status = "done";
  point.build = "e-build";
  point.report = sample_report();
  sweep::write_point_result(point, file);
  const std::vector<RunRecord> runs = load_runs(file);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].model, "resnet50");
  EXPECT_EQ(runs[0].totals.at("cycles"), 300u);
  EXPECT_EQ(runs[0].digest, sha256_file(file));
}

TEST_F(Sources, AFailedSweepPointResultIsAUserErrorWithItsError) {
  sweep::PointResult point;
  point.key = "k1";
  point.status = "failed";
  point.exit_code = 2;
  point.error = "error: the model does not fit";
  sweep::write_point_result(point, file);
  const std::string message = user_error([&] { load_runs(file); });
  EXPECT_THAT(message, HasSubstr(file.string()));
  EXPECT_THAT(message, HasSubstr("the model does not fit"));
}

// A baseline is told by its top-level keys, not by the words "baseline" and "rows" in the
// text (an xdnn report has array.rows; a config may be named "baseline").
TEST_F(Sources, AReportOfAConfigNamedBaselineIsAReport) {
  report::RunReport r = make_report(commit_of('e'), "resnet50", "baseline", {{"conv1", 100}});
  r.hw_resolved = {{"name", "baseline"}, {"array", {{"rows", 96}, {"cols", 16}}}};
  report::write_json(r, file);
  EXPECT_FALSE(is_baseline_document(read_text(file)));
  std::vector<RunRecord> runs;
  EXPECT_EQ(user_error([&] { runs = load_runs(file); }), "");
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].config, "baseline");
}

TEST(RunRecordNames, ShortCommitAndInputsKey) {
  EXPECT_EQ(short_commit(commit_of('f'), false), std::string(12, 'f'));
  EXPECT_EQ(short_commit(commit_of('f'), true), std::string(12, 'f') + "+dirty");
  EXPECT_EQ(short_commit("", false), "(no git)");
  const RunRecord run = make_run("resnet50", "v3_96", {{"conv1", 1}});
  for (auto change : {+[](RunRecord& r) { r.scheme = "pow2"; }, +[](RunRecord& r) { r.compile_options = "a=off"; },
                      +[](RunRecord& r) { r.data = false; }, +[](RunRecord& r) { r.hw_fingerprint = "other"; },
                      +[](RunRecord& r) { r.model_sha256 = "other"; }}) {
    RunRecord other = run;
    change(other);
    EXPECT_NE(inputs_key(other), inputs_key(run));
    EXPECT_EQ(case_name(other), case_name(run));
  }
  RunRecord rebuilt = run;
  rebuilt.build = "another";
  rebuilt.compile_seconds = 99;
  EXPECT_EQ(inputs_key(rebuilt), inputs_key(run));
  EXPECT_TRUE(same_figures(rebuilt, run));
}

}  // namespace
}  // namespace wb::regress

namespace wb::regress::energy_figures_test {
namespace {

// Energy is a tracked figure like cycles (docs/energy.md): a report's energy, whole pJ, is in
// its run's and its layers' figures; a report without energy has none.
TEST(RegressFigures, EnergyIsRecordedInWholePicojoulesWhereTheReportHasIt) {
  report::RunReport report;
  report.target = "pulp";
  report.totals.energy = {{"cores", 1000.4}, {"static", 2000.4}};
  report::LayerRow layer;
  layer.name = "conv";
  layer.energy = {{"cores", 10.6}};
  report.layers = {layer};
  EXPECT_EQ(total_figures(report).at("energy_pj"), 3001u);
  EXPECT_EQ(layer_figures(report.layers[0]).at("energy_pj"), 11u);
  report.totals.energy.clear();
  EXPECT_EQ(total_figures(report).count("energy_pj"), 0u);
  EXPECT_TRUE(is_total_metric("energy_pj"));
  EXPECT_TRUE(is_layer_metric("energy_pj"));
}

}  // namespace
}  // namespace wb::regress::energy_figures_test
