// The results database: one record per point however often a result is stored, per-layer
// rows replaced with it, and files that are not ours refused by name.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <fstream>

#include "tests/support/onnx_builder.h"
#include "tests/unit/workbench/sweep/sweep_testing.h"
#include "workbench/sweep/points.h"
#include "workbench/sweep/results_db.h"
#include "support/sqlite.h"

namespace wb {
namespace {

using test::user_error_of;
using testing::HasSubstr;
using testing::Not;

struct Fixture {
  test::TempDir dir;
  sweep::SweepSpec spec = test::parse_spec(fmt::format("configs: [../v3_96.yaml]\nmodels: [{}]\naxes:\n  array.rows: [32, 64]\n",
                                                       test::tiny_model()));
  std::vector<sweep::DesignPoint> points = [this] {
    std::map<std::filesystem::path, std::string> digests;
    return sweep::expand_points(spec, digests);
  }();
};

sweep::PointResult done_result(const std::string& key, std::uint64_t cycles, std::size_t layers) {
  sweep::PointResult r;
  r.key = key;
  r.status = "done";
  r.host = "h";
  r.finished_at = "now";
  r.build = "b";
  report::RunReport report;
  report.target = "xdnn";
  report.verdict = "bit-exact";
  report.totals.cycles = cycles;
  report.totals.latency_ms = 1.5;
  report.totals.offchip_bytes = 99;
  report.hw_resolved = {{"resolved", {{"clock_mhz", 700.0}}}};
  for (std::size_t i = 0; i < layers; ++i) {
    report::LayerRow row;
    row.name = fmt::format("layer{}", i);
    row.type = "conv";
    row.unit = "array";
    row.output = fmt::format("t{}", i);
    row.cycles = cycles / layers;
    row.specific = {{"start_cycle", i}};
    report.layers.push_back(row);
  }
  r.report = report;
  return r;
}

// The fixture's database with point 0's result stored, as written before `columns` of the
// layers table existed.
std::filesystem::path database_without(const Fixture& f, const std::vector<std::string>& columns) {
  const auto path = f.dir / "r.db";
  {
    sweep::ResultsDb db(path, true);
    db.record_sweep(f.spec, f.dir / "work");
    db.add_points(f.points);
    db.store(done_result(f.points[0].key, 1000, 2));
  }
  sqlite::Database raw(path, false, "a test database");
  for (const std::string& column : columns) raw.execute("ALTER TABLE layers DROP COLUMN " + column);
  return path;
}

TEST(ResultsDb, StoresOneRecordPerPointAndReplacesItsLayers) {
  Fixture f;
  const auto path = f.dir / "r.db";
  {
    sweep::ResultsDb db(path, true);
    db.record_sweep(f.spec, f.dir / "work");
    db.add_points(f.points);
    db.add_points(f.points);  // again: nothing doubled
    db.store(done_result(f.points[0].key, 1000, 3));
    db.store(done_result(f.points[0].key, 2000, 2));  // a rerun's result replaces the first
  }
  const sweep::ResultsDb db(path, false);
  EXPECT_EQ(db.meta("name"), "test");
  EXPECT_THAT(db.axes(), testing::ElementsAre("array.rows"));
  const auto points = db.points();
  ASSERT_EQ(points.size(), 2u);
  EXPECT_EQ(points[0].status, "done");
  EXPECT_EQ(points[0].cycles, 2000u);
  EXPECT_EQ(points[0].memory_bytes, 99u);
  EXPECT_EQ(points[0].clock_mhz, 700.0);
  EXPECT_EQ(points[0].params["array.rows"], "32");
  EXPECT_EQ(points[0].hw_values["array.rows"], 32.0);
  EXPECT_EQ(points[1].status, "");  // pending
  const auto layers = db.layers(f.points[0].key);
  ASSERT_EQ(layers.size(), 2u);
  EXPECT_EQ(layers[1].name, "layer1");
  EXPECT_EQ(layers[1].specific["start_cycle"], 1);
  EXPECT_EQ(layers[1].unit, "array");
  EXPECT_EQ(layers[1].output, "t1");
  EXPECT_EQ(db.statuses().size(), 1u);
}

TEST(ResultsDb, ADatabaseWrittenBeforeLayersHadPlacesGainsThemAtItsNextWrite) {
  Fixture f;
  const auto path = database_without(f, {"unit", "output"});
  {
    const sweep::ResultsDb old(path, false);
    const auto layers = old.layers(f.points[0].key);
    ASSERT_EQ(layers.size(), 2u);
    EXPECT_EQ(layers[0].name, "layer0");
    EXPECT_EQ(layers[0].output, "");  // read as unknown
  }
  sweep::ResultsDb db(path, false);
  db.store(done_result(f.points[1].key, 3000, 3));
  EXPECT_EQ(db.layers(f.points[1].key)[2].output, "t2");
  EXPECT_EQ(db.layers(f.points[0].key)[1].output, "");
}

TEST(ResultsDb, KeepsEachLayersEnergyInItsTargetsOrderAndAnOldDatabaseGainsTheColumn) {
  Fixture f;
  const auto path = database_without(f, {"energy"});  // point 0 stored without energy
  sweep::ResultsDb db(path, false);
  EXPECT_TRUE(db.layers(f.points[0].key)[0].energy.empty());
  sweep::PointResult with_energy = done_result(f.points[1].key, 3000, 3);
  // Not in alphabetical order: the xDNN back end lists `array` before `am` and `static` last.
  with_energy.report->layers[1].energy = {{"array", 5.5}, {"am", 2.25}, {"static", 7}};
  db.store(with_energy);
  const auto layers = db.layers(f.points[1].key);
  EXPECT_TRUE(layers[0].energy.empty());
  EXPECT_EQ(layers[1].energy, (report::Energy{{"array", 5.5}, {"am", 2.25}, {"static", 7}}));
}

// Each layer's time causes (in its target's order) and bound come back as stored; a database
// written before they were kept reads them as none and gains the column at its next write.
TEST(ResultsDb, KeepsEachLayersTimeCausesAndBoundAndAnOldDatabaseGainsTheColumn) {
  Fixture f;
  const auto path = database_without(f, {"analysis"});
  sweep::ResultsDb db(path, false);
  EXPECT_TRUE(db.layers(f.points[0].key)[0].time.empty());
  sweep::PointResult analysed = done_result(f.points[1].key, 3000, 3);
  report::LayerRow& grouped = analysed.report->layers[1];
  grouped.time = {{"array", 700}, {"weights_ddr", 200}, {"issue", 100}};  // the xDNN back end's order
  grouped.bound = {900, {{"ddr_channel", 300, 4096}}};
  grouped.bound.mapping_cycles = 800;
  grouped.specific["mapping_efficiency"] = 0.04;
  db.store(analysed);
  const auto layers = db.layers(f.points[1].key);
  EXPECT_EQ(layers[1].time, grouped.time);
  EXPECT_EQ(layers[1].bound, grouped.bound);
  EXPECT_EQ(layers[1].bound.binding(), "mapping");
  EXPECT_EQ(layers[1].unit, "array");
  EXPECT_DOUBLE_EQ(layers[1].specific.at("mapping_efficiency").get<double>(), 0.04);
  EXPECT_TRUE(layers[0].bound.empty());
}

// The axes' values typed, for SQL users: the text the spec wrote and the resolved number.
TEST(ResultsDb, ThePointAxesViewGivesEachAxisValueTyped) {
  Fixture f;  // array.rows: [32, 64] on v3_96
  const auto path = f.dir / "r.db";
  {
    sweep::ResultsDb db(path, true);
    db.record_sweep(f.spec, f.dir / "work");
    db.add_points(f.points);
  }
  sqlite::Database raw(path, false, "a test database");
  sqlite::Statement q = raw.prepare("SELECT axis, text, value, typeof(value) FROM point_axes ORDER BY position");
  ASSERT_TRUE(q.step());
  EXPECT_EQ(q.text(0), "array.rows");
  EXPECT_EQ(q.text(1), "32");
  EXPECT_EQ(q.integer(2), 32);
  EXPECT_EQ(q.text(3), "integer");
  ASSERT_TRUE(q.step());
  EXPECT_EQ(q.integer(2), 64);
  EXPECT_FALSE(q.step());
}

// A PULP result whose layers were predicted at half their simulated cycles (an error of
// +100 %), the run at the layers' predictions added up.
sweep::PointResult predicted_result(const std::string& key, std::uint64_t cycles, std::size_t layers) {
  sweep::PointResult r = done_result(key, cycles, layers);
  r.report->target = "pulp";
  std::uint64_t total = 0;
  for (report::LayerRow& row : r.report->layers) {
    row.unit = "cores";
    row.predicted_cycles = row.cycles / 2;  // simulated twice the prediction: +100 %
    total += *row.predicted_cycles;
  }
  r.report->totals.predicted_cycles = total;
  return r;
}

TEST(ResultsDb, StoresThePredictionPerPointAndPerLayer) {
  Fixture f;
  const auto path = f.dir / "r.db";
  {
    sweep::ResultsDb db(path, true);
    db.record_sweep(f.spec, f.dir / "work");
    db.add_points(f.points);
    db.store(done_result(f.points[0].key, 1000, 2));       // xDNN: no predictor
    db.store(predicted_result(f.points[1].key, 3000, 3));  // layers of 1,000 against 500 predicted
  }
  sqlite::Database raw(path, false, "a test database");
  auto point = raw.prepare("SELECT predicted_cycles, prediction_error_pct FROM results WHERE key = ?");
  point.bind(1, f.points[1].key);
  ASSERT_TRUE(point.step());
  EXPECT_EQ(point.integer(0), 1500);  // 3 x 500
  EXPECT_DOUBLE_EQ(point.real(1), 100.0);  // (3000 - 1500) / 1500
  auto layer = raw.prepare("SELECT predicted_cycles, prediction_error_pct FROM layers WHERE key = ? AND position = 2");
  layer.bind(1, f.points[1].key);
  ASSERT_TRUE(layer.step());
  EXPECT_EQ(layer.integer(0), 500);
  EXPECT_DOUBLE_EQ(layer.real(1), 100.0);
  auto none = raw.prepare("SELECT count(*) FROM layers WHERE key = ? AND predicted_cycles IS NULL "
                          "AND prediction_error_pct IS NULL");
  none.bind(1, f.points[0].key);
  ASSERT_TRUE(none.step());
  EXPECT_EQ(none.integer(0), 2);  // both xDNN layers: NULL, not 0

  const sweep::ResultsDb db(path, false);
  const auto points = db.points();
  EXPECT_FALSE(points[0].predicted_cycles.has_value());
  EXPECT_EQ(points[1].predicted_cycles, 1500u);
  EXPECT_EQ(db.layers(f.points[1].key)[0].predicted_cycles, 500u);
  EXPECT_FALSE(db.layers(f.points[0].key)[0].predicted_cycles.has_value());
  const auto report = db.run_report(f.points[1].key);
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->totals.predicted_cycles, 1500u);
}

TEST(ResultsDb, ADatabaseWrittenBeforePredictionsReadsWithoutThemAndGainsTheColumns) {
  Fixture f;
  const auto path = f.dir / "r.db";
  {
    sweep::ResultsDb db(path, true);
    db.record_sweep(f.spec, f.dir / "work");
    db.add_points(f.points);
    db.store(predicted_result(f.points[0].key, 1000, 2));
  }
  // As a database of schema-4 reports was: no prediction columns, PULP layer blocks naming the
  // tiler's figure `predicted_cycles`.
  {
    sqlite::Database raw(path, false, "a test database");
    for (const char* table : {"results", "layers"}) {
      raw.execute(fmt::format("ALTER TABLE {} DROP COLUMN predicted_cycles", table));
      raw.execute(fmt::format("ALTER TABLE {} DROP COLUMN prediction_error_pct", table));
    }
    raw.execute("UPDATE results SET report = json_set(report, '$.schema', 4)");
    raw.execute("UPDATE layers SET extra = '{\"predicted_cycles\": 480}'");
  }
  {
    const sweep::ResultsDb old(path, false);
    EXPECT_FALSE(old.points()[0].predicted_cycles.has_value());
    const auto layers = old.layers(f.points[0].key);
    ASSERT_EQ(layers.size(), 2u);
    EXPECT_FALSE(layers[0].predicted_cycles.has_value());
    EXPECT_EQ(layers[0].specific, (nlohmann::json{{"tiler_cycles", 480}}));
  }
  sweep::ResultsDb db(path, false);
  db.store(predicted_result(f.points[1].key, 3000, 3));
  EXPECT_EQ(db.points()[1].predicted_cycles, 1500u);
  EXPECT_FALSE(db.points()[0].predicted_cycles.has_value());
}

TEST(ResultsDb, AFailureIsARecordToo) {
  Fixture f;
  sweep::ResultsDb db(f.dir / "r.db", true);
  db.add_points(f.points);
  sweep::PointResult failed;
  failed.key = f.points[1].key;
  failed.status = "failed";
  failed.exit_code = 2;
  failed.error = "error: does not fit";
  db.store(failed);
  const auto points = db.points();
  EXPECT_EQ(points[1].status, "failed");
  EXPECT_EQ(points[1].exit_code, 2);
  EXPECT_EQ(points[1].error, "error: does not fit");
  EXPECT_TRUE(db.layers(failed.key).empty());
  // A result of a point the database does not have is refused.
  failed.key = "nope";
  EXPECT_THAT(test::user_error_of([&] { db.store(failed); }), HasSubstr("which this sweep does not have"));
}

TEST(ResultsDb, RefusesWhatIsNotOneOfOurs) {
  const test::TempDir dir;
  EXPECT_THAT(test::user_error_of([&] { sweep::ResultsDb(dir / "none.db", false); }), HasSubstr("no such results database"));
  {
    std::ofstream(dir / "text.db") << "this is not a database at all, just some text that is long enough";
  }
  // Said in our words, never SQLite's "file is not a database".
  const std::string not_sqlite = test::user_error_of([&] { sweep::ResultsDb(dir / "text.db", false); });
  EXPECT_THAT(not_sqlite, HasSubstr("text.db: not a SQLite database, so not a sweep's results database"));
  EXPECT_THAT(not_sqlite, Not(HasSubstr("file is not a database")));
  std::filesystem::create_directory(dir / "folder.db");
  EXPECT_THAT(test::user_error_of([&] { sweep::ResultsDb(dir / "folder.db", false); }),
              HasSubstr("folder.db: a directory, not a sweep's results database"));
  {
    sqlite::Database other(dir / "other.db", true, "a test database");
    other.execute("CREATE TABLE things (x INTEGER)");
  }
  EXPECT_THAT(test::user_error_of([&] { sweep::ResultsDb(dir / "other.db", false); }),
              HasSubstr("not a sweep results database of schema version 1"));
  {
    sweep::ResultsDb db(dir / "old.db", true);
  }
  {
    sqlite::Database raw(dir / "old.db", false, "a test database");
    raw.execute("UPDATE meta SET value = '0' WHERE key = 'schema_version'");
  }
  EXPECT_THAT(test::user_error_of([&] { sweep::ResultsDb(dir / "old.db", false); }), HasSubstr("found '0'"));
}

TEST(ResultsDb, TheWorkFolderSitsBesideTheDatabase) {
  EXPECT_EQ(sweep::work_dir_for("out/x.db"), std::filesystem::path("out/x.sweep"));
  EXPECT_EQ(sweep::work_dir_for("results"), std::filesystem::path("results.sweep"));
}

TEST(PointResult, RoundTripsThroughItsFile) {
  const test::TempDir dir;
  const sweep::PointResult r = done_result("k", 500, 2);
  sweep::write_point_result(r, dir / "k.json");
  const sweep::PointResult back = sweep::read_point_result(dir / "k.json");
  EXPECT_EQ(back.key, "k");
  EXPECT_EQ(back.status, "done");
  ASSERT_TRUE(back.report.has_value());
  EXPECT_EQ(back.report->totals.cycles, 500u);
  EXPECT_EQ(back.report->layers.size(), 2u);
  {
    std::ofstream(dir / "bad.json") << R"({"point_result": 9})";
  }
  EXPECT_THAT(test::user_error_of([&] { sweep::read_point_result(dir / "bad.json"); }), HasSubstr("another format version"));
  {
    std::ofstream(dir / "cut.json") << R"({"point_result": 1, "key": )";
  }
  EXPECT_THAT(test::user_error_of([&] { sweep::read_point_result(dir / "cut.json"); }), HasSubstr("not a sweep point result"));
}

}  // namespace
}  // namespace wb
