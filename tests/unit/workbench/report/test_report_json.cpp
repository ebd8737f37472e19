// The run report as JSON (workbench/report/report_json.h): the shape of DESIGN.md §4.5, its round
// trip, the declared statistics and the older schemas it reads.

#include "workbench/report/report_json.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include "support/error.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/workbench/report/report_testing.h"
#include "workbench/report/report_csv.h"

namespace wb::report {
namespace {

using nlohmann::json;
using fixtures::lines_of;
using fixtures::parse_csv;
using fixtures::sample_report;

std::set<std::string> keys_of(const json& object) {
  std::set<std::string> keys;
  for (const auto& [key, value] : object.items()) keys.insert(key);
  return keys;
}

// What from_json says of `j`, "(no UserError)" when it reads it.
std::string user_error_of(const json& j) {
  try {
    from_json(j, "old.json");
  } catch (const UserError& e) {
    return e.what();
  }
  return "(no UserError)";
}

// ---- JSON -----------------------------------------------------------------------------------

TEST(RunReportJson, HasEveryKeyOfTheDesign) {
  const json j = to_json(sample_report());
  EXPECT_EQ(keys_of(j), (std::set<std::string>{"schema", "tool", "model", "hw", "run", "verdict", "mismatch", "totals",
                                               "layers", "units", "wall"}));
  EXPECT_EQ(j["schema"], kReportSchema);
  EXPECT_EQ(keys_of(j["tool"]), (std::set<std::string>{"version", "git", "commit", "dirty"}));
  EXPECT_EQ(keys_of(j["run"]), (std::set<std::string>{"scheme", "compile_options", "hw_fingerprint", "data",
                                                      "overrides", "calibration", "inputs"}));
  EXPECT_EQ(keys_of(j["wall"]), (std::set<std::string>{"compile_seconds", "simulate_seconds"}));
  EXPECT_EQ(keys_of(j["model"]), (std::set<std::string>{"path", "sha256", "name"}));
  EXPECT_EQ(keys_of(j["hw"]), (std::set<std::string>{"path", "sha256", "target", "resolved"}));
  EXPECT_EQ(keys_of(j["totals"]),
            (std::set<std::string>{"cycles", "latency_ms", "macs", "ops", "mac_per_cycle", "utilization",
                                   "offchip_level", "offchip_bytes", "moveops", "host_ms", "xdnn"}));
  EXPECT_EQ(j["totals"]["xdnn"], (json{{"peak_am_bytes", 9000000}, {"am_allocator", "bestfit"}}));
  ASSERT_TRUE(j["layers"].is_array());
  ASSERT_EQ(j["layers"].size(), 2u);
  EXPECT_EQ(keys_of(j["layers"][0]),
            (std::set<std::string>{"name", "type", "unit", "output", "macs", "ops", "cycles", "mac_per_cycle", "utilization",
                                   "stall_cycles", "bytes_in", "bytes_out", "tiles", "time", "us", "xdnn"}));
  EXPECT_EQ(j["hw"]["target"], "xdnn");
  EXPECT_EQ(j["hw"]["resolved"]["array"]["rows"], 96);
  EXPECT_EQ(j["verdict"], "bit-exact");
  EXPECT_EQ(j["totals"]["cycles"], 1'234'567u);
  EXPECT_EQ(j["totals"]["offchip_bytes"], 98'765'432u);
  EXPECT_EQ(j["totals"]["offchip_level"], "DDR");
  EXPECT_EQ(j["layers"][0]["name"], "/conv1/Conv");
  EXPECT_EQ(j["layers"][0]["stall_cycles"], 20'000u);
  EXPECT_EQ(j["layers"][1]["xdnn"]["ddr_weight_bytes"], 512000);
  EXPECT_DOUBLE_EQ(j["layers"][1]["utilization"].get<double>(), 0.5);
}

TEST(RunReportJson, ThePredictionSitsBesideTheSimulatedCyclesWithItsError) {
  const json j = to_json(fixtures::sample_pulp_report());
  // Layer 0: simulated 1,200 against 1,000 predicted, (1200 - 1000) / 1000 = +20 %; layer 1:
  // 900 against 1,000, -10 %; the run: 2,100 against 2,000, +5 %.
  EXPECT_EQ(j["layers"][0]["predicted_cycles"], 1'000u);
  EXPECT_DOUBLE_EQ(j["layers"][0]["prediction_error_pct"].get<double>(), 20.0);
  EXPECT_DOUBLE_EQ(j["layers"][1]["prediction_error_pct"].get<double>(), -10.0);
  EXPECT_EQ(j["totals"]["predicted_cycles"], 2'000u);
  EXPECT_DOUBLE_EQ(j["totals"]["prediction_error_pct"].get<double>(), 5.0);
  EXPECT_EQ(j["layers"][0]["pulp"]["tiler_cycles"], 990);
  EXPECT_EQ(from_json(j), fixtures::sample_pulp_report());
  // A target without a predictor writes neither key (sample_report is xDNN's).
  const json xdnn = to_json(sample_report());
  EXPECT_FALSE(xdnn["totals"].contains("predicted_cycles"));
  EXPECT_FALSE(xdnn["layers"][0].contains("prediction_error_pct"));
  // The error is derived: read back, it follows the cycles, whatever the file says.
  json edited = j;
  edited["layers"][0]["prediction_error_pct"] = 99.0;
  EXPECT_EQ(from_json(edited), fixtures::sample_pulp_report());
  // A prediction of 0 cycles has no error (null), and reads back.
  RunReport zero = fixtures::sample_pulp_report();
  zero.layers[1].predicted_cycles = 0;
  EXPECT_TRUE(to_json(zero)["layers"][1]["prediction_error_pct"].is_null());
  EXPECT_EQ(from_json(to_json(zero)), zero);
  edited["layers"][1]["predicted_cycles"] = "many";
  EXPECT_NE(user_error_of(edited).find("layers[1].predicted_cycles"), std::string::npos) << user_error_of(edited);
}

TEST(RunReportJson, ASchema4ReportReadsWithItsTilersFigureRenamed) {
  // Schema 4 had no prediction and named the PULP tiler's figure `predicted_cycles` in the block.
  json old = to_json(fixtures::sample_pulp_report());
  old["schema"] = 4;
  for (json* object : {&old["totals"], &old["layers"][0], &old["layers"][1]}) {
    object->erase("predicted_cycles");
    object->erase("prediction_error_pct");
  }
  for (json& layer : old["layers"]) {
    layer["pulp"]["predicted_cycles"] = layer["pulp"]["tiler_cycles"];
    layer["pulp"].erase("tiler_cycles");
  }
  const RunReport back = from_json(old);
  EXPECT_FALSE(back.totals.predicted_cycles.has_value());
  EXPECT_FALSE(back.layers[0].predicted_cycles.has_value());
  EXPECT_EQ(back.layers[0].specific, fixtures::sample_pulp_report().layers[0].specific);
  // In a schema-5 report the block's `predicted_cycles` is no statistic of PULP's.
  old["schema"] = kReportSchema;
  EXPECT_NE(user_error_of(old).find("layers[0].pulp.predicted_cycles"), std::string::npos) << user_error_of(old);
}

TEST(RunReportJson, MismatchIsNullOrAnObject) {
  RunReport r = sample_report();
  json j = to_json(r);
  ASSERT_TRUE(j.contains("mismatch"));
  EXPECT_TRUE(j["mismatch"].is_null());

  r.verdict = "mismatch";
  r.mismatch = Mismatch{"/layer2/Conv", 1234, -7, 12};
  j = to_json(r);
  ASSERT_TRUE(j["mismatch"].is_object());
  EXPECT_EQ(keys_of(j["mismatch"]), (std::set<std::string>{"layer", "index", "expected", "actual"}));
  EXPECT_EQ(j["mismatch"]["layer"], "/layer2/Conv");
  EXPECT_EQ(j["mismatch"]["index"], 1234);
  EXPECT_EQ(j["mismatch"]["expected"], -7);
  EXPECT_EQ(j["mismatch"]["actual"], 12);
}

TEST(RunReportJson, TheOffChipLevelIsTheTargets) {
  RunReport r = sample_report();
  EXPECT_EQ(to_json(r)["totals"]["offchip_level"], "DDR");
  r.target = "pulp";
  r.totals.specific = json::object();  // the xDNN block's statistics are not PULP's
  for (LayerRow& row : r.layers) row.specific = json::object();
  r.totals.offchip_bytes = 4096;
  const json j = to_json(r);
  EXPECT_EQ(j["totals"]["offchip_level"], "L3");
  EXPECT_EQ(j["totals"]["offchip_bytes"], 4096u);
  // Read back, the level is the target's, whatever the file says.
  json edited = j;
  edited["totals"]["offchip_level"] = "DDR";
  EXPECT_EQ(offchip_level(from_json(edited)), "L3");
  edited["totals"].erase("offchip_level");
  EXPECT_NE(user_error_of(edited).find("missing key 'totals.offchip_level'"), std::string::npos) << user_error_of(edited);
}

TEST(RunReportJson, ASchema3ReportReadsWithItsOffChipBytesRenamed) {
  // Schema 3 named the traffic after the level: totals.ddr_bytes (xDNN), totals.l3_bytes (PULP).
  json old = to_json(sample_report());
  old["schema"] = 3;
  old["totals"]["ddr_bytes"] = old["totals"]["offchip_bytes"];
  old["totals"].erase("offchip_bytes");
  old["totals"].erase("offchip_level");
  EXPECT_EQ(from_json(old), sample_report());
  old["totals"]["l3_bytes"] = 5;  // both: the report is not one our writer made
  old["totals"].erase("ddr_bytes");
  old["hw"]["target"] = "pulp";
  old["totals"].erase("xdnn");
  for (json& layer : old["layers"]) layer.erase("xdnn");
  EXPECT_EQ(from_json(old).totals.offchip_bytes, 5u);
}

TEST(RunReportJson, AReportWithoutUnitsReadsAsUnknownPlaces) {
  // Schema-2 reports written before layers said where they ran.
  json j = to_json(sample_report());
  for (json& layer : j["layers"]) layer.erase("unit");
  const RunReport back = from_json(j);
  EXPECT_EQ(back.layers[0].unit, "");
  EXPECT_EQ(back.layers[1].name, "fc, final");
  // A unit of the wrong type is still refused, naming the key.
  j["layers"][1]["unit"] = 3;
  EXPECT_THROW(from_json(j), UserError);
}

TEST(RunReportJson, AReportWithoutOutputsReadsAsUnnamedTensors) {
  // Schema-2 reports written before layers named the tensor they write (workbench compare
  // then cannot join on them).
  json j = to_json(sample_report());
  EXPECT_EQ(j["layers"][0]["output"], "/conv1/Relu_output_0");
  for (json& layer : j["layers"]) layer.erase("output");
  const RunReport back = from_json(j);
  EXPECT_EQ(back.layers[0].output, "");
  EXPECT_FALSE(back.layers[0].specific.contains("output"));
  j["layers"][0]["output"] = 7;
  EXPECT_THROW(from_json(j), UserError);
}

TEST(RunReportJson, RoundTripsThroughJsonAndText) {
  RunReport r = sample_report();
  EXPECT_EQ(from_json(to_json(r)), r);
  EXPECT_EQ(from_json(json::parse(to_json(r).dump(2))), r);

  r.verdict = "mismatch";
  r.mismatch = Mismatch{"fc", 3, 100, -100};
  r.target = "pulp";
  r.totals.offchip_bytes = 777;
  r.totals.specific = {{"tiler", "cost"}, {"l3_bytes_in", 700}};
  r.layers[0].specific = {{"kernel", "conv"}, {"tile", "4x8x16 cin 32"}};
  r.layers[1].specific = {{"compute_cycles", 3000}};
  const RunReport back = from_json(json::parse(to_json(r).dump()));
  EXPECT_EQ(back, r);
  ASSERT_TRUE(back.mismatch.has_value());
  EXPECT_EQ(back.mismatch->actual, -100);
  EXPECT_EQ(back.totals.offchip_bytes, 777u);
  EXPECT_EQ(back.layers[0].specific["tile"], "4x8x16 cin 32");
  EXPECT_EQ(back.totals.specific["l3_bytes_in"], 700);

  // The comparison itself sees differences (so the equalities above mean something).
  RunReport changed = r;
  changed.layers[0].specific["kernel"] = "pointwise";
  EXPECT_NE(changed, r);
}

TEST(RunReportJson, TimeCausesRoundTripInTheirDeclaredOrder) {
  RunReport r = sample_report();
  r.layers[0].time = {{"array", 80'000}, {"weights_ddr", 15'000}, {"issue", 5'000}};
  const json j = to_json(r);
  EXPECT_EQ(j["layers"][0]["time"], (json{{"array", 80'000}, {"weights_ddr", 15'000}, {"issue", 5'000}}));
  EXPECT_EQ(j["layers"][1]["time"], json::object());  // a layer without causes
  // JSON objects have no order; the causes come back in the order reports declare.
  const RunReport back = from_json(json::parse(j.dump()));
  EXPECT_EQ(back, r);
  EXPECT_EQ(back.layers[0].time.front().first, "array");
  EXPECT_EQ(back.layers[0].time.back().first, "issue");
  EXPECT_TRUE(back.layers[1].time.empty());

  json bad = j;
  bad["layers"][0]["time"]["array"] = "lots";
  EXPECT_NE(user_error_of(bad).find("'layers[0].time.array' must be a non-negative integer"), std::string::npos)
      << user_error_of(bad);
  bad["layers"][0]["time"] = 3;
  EXPECT_NE(user_error_of(bad).find("'layers[0].time' must be an object"), std::string::npos) << user_error_of(bad);
}

TEST(RunReportJson, BoundsRoundTripWithWhatBindsAndOlderReportsHaveNone) {
  RunReport r = sample_report();
  r.layers[0].bound = {60'000, {{"ddr_channel", 75'000, 1'500'000}}};
  r.totals.bound = {900'000, {{"ddr_channel", 300'000, 98'765'432}}};
  const json j = to_json(r);
  const json& bound = j["layers"][0]["bound"];
  EXPECT_EQ(keys_of(bound), (std::set<std::string>{"compute_cycles", "memory", "cycles", "binding", "attained"}));
  EXPECT_EQ(bound["memory"]["ddr_channel"], (json{{"cycles", 75'000}, {"bytes", 1'500'000}}));
  EXPECT_EQ(bound["cycles"], 75'000);
  EXPECT_EQ(bound["binding"], "ddr_channel");  // the larger of compute and every level
  EXPECT_DOUBLE_EQ(bound["attained"].get<double>(), 0.75);  // of the layer's 100,000 cycles
  EXPECT_EQ(j["totals"]["bound"]["binding"], "compute");
  EXPECT_FALSE(j["layers"][1].contains("bound"));  // a layer without bounds
  EXPECT_EQ(from_json(json::parse(j.dump())), r);
  json old = j;
  old["layers"][0].erase("bound");
  old["totals"].erase("bound");
  const RunReport back = from_json(old);
  EXPECT_TRUE(back.layers[0].bound.empty());
  EXPECT_TRUE(back.totals.bound.empty());
  old["layers"][0]["bound"] = {{"compute_cycles", 1}, {"memory", {{"udma", {{"cycles", -1}, {"bytes", 0}}}}}};
  EXPECT_NE(user_error_of(old).find("'layers[0].bound.memory.udma.cycles' must be a non-negative integer"),
            std::string::npos)
      << user_error_of(old);
}

TEST(RunReportJson, MappingCyclesRoundTripWhenThereAreAny) {
  RunReport r = sample_report();
  r.layers[0].bound = {60'000, {{"ddr_channel", 10'000, 1'500'000}}};
  r.layers[0].bound.mapping_cycles = 45'000;
  const json j = to_json(r);
  EXPECT_EQ(j["layers"][0]["bound"]["mapping_cycles"], 45'000);
  EXPECT_EQ(j["layers"][0]["bound"]["binding"], "mapping");
  EXPECT_EQ(from_json(json::parse(j.dump())), r);
  json bad = j;
  bad["layers"][0]["bound"]["mapping_cycles"] = "many";
  EXPECT_NE(user_error_of(bad).find("'layers[0].bound.mapping_cycles' must be a non-negative integer"), std::string::npos)
      << user_error_of(bad);
}

TEST(RunReportJson, UnitsRoundTripAndOlderReportsHaveNone) {
  RunReport r = sample_report();
  r.units = {{"array", 900'000, 0.729, 640, 0, 12'000}, {"ddr_channel", 300'000, 0.243, 1'280, 98'765'432, 4'000}};
  const json j = to_json(r);
  ASSERT_EQ(j["units"].size(), 2u);
  EXPECT_EQ(keys_of(j["units"][0]),
            (std::set<std::string>{"name", "busy_cycles", "busy", "operations", "bytes", "stall_cycles"}));
  EXPECT_EQ(from_json(json::parse(j.dump())), r);
  json old = j;
  old.erase("units");
  EXPECT_TRUE(from_json(old).units.empty());
  old["units"] = json::object();
  EXPECT_THROW(from_json(old), UserError);
  old["units"] = json::array({json{{"name", "array"}}});
  EXPECT_NE(user_error_of(old).find("units[0].busy_cycles"), std::string::npos) << user_error_of(old);
}

TEST(RunReportJson, NonFiniteRatiosBecomeNullAndReadBackAsNaN) {
  RunReport r = sample_report();
  r.layers[1].mac_per_cycle = std::numeric_limits<double>::quiet_NaN();  // e.g. a 0-cycle layer
  const json j = json::parse(to_json(r).dump());
  EXPECT_TRUE(j["layers"][1]["mac_per_cycle"].is_null());
  EXPECT_TRUE(std::isnan(from_json(j).layers[1].mac_per_cycle));
}

TEST(RunReportJson, FromJsonNamesTheMissingOrBadKey) {
  const json good = to_json(sample_report());

  json j = good;
  j.erase("totals");
  std::string message = user_error_of(j);
  EXPECT_NE(message.find("old.json"), std::string::npos) << message;
  EXPECT_NE(message.find("missing key 'totals'"), std::string::npos) << message;

  j = good;
  j["layers"][1].erase("cycles");
  message = user_error_of(j);
  EXPECT_NE(message.find("'layers[1].cycles'"), std::string::npos) << message;

  j = good;
  j["model"].erase("sha256");
  message = user_error_of(j);
  EXPECT_NE(message.find("'model.sha256'"), std::string::npos) << message;

  j = good;
  j["totals"]["cycles"] = "many";
  message = user_error_of(j);
  EXPECT_NE(message.find("'totals.cycles'"), std::string::npos) << message;
  EXPECT_NE(message.find("non-negative integer"), std::string::npos) << message;

  j = good;
  j["totals"]["macs"] = -1;
  EXPECT_NE(user_error_of(j).find("'totals.macs'"), std::string::npos);

  j = good;
  j["verdict"] = "close enough";
  message = user_error_of(j);
  EXPECT_NE(message.find("'verdict'"), std::string::npos) << message;
  EXPECT_NE(message.find("bit-exact"), std::string::npos) << message;

  j = good;
  j["hw"]["target"] = "tpu";
  EXPECT_NE(user_error_of(j).find("'hw.target'"), std::string::npos);

  j = good;
  j["mismatch"] = {{"layer", "x"}, {"index", 1}, {"expected", 2}};
  EXPECT_NE(user_error_of(j).find("'mismatch.actual'"), std::string::npos);

  j = good;
  j["run"]["data"] = "yes";
  EXPECT_NE(user_error_of(j).find("'run.data' must be true or false"), std::string::npos);

  EXPECT_NE(user_error_of(json::array()).find("JSON object"), std::string::npos);
  EXPECT_EQ(user_error_of(good), "(no UserError)");
}

TEST(RunReportJson, AReportOfAnotherSchemaIsRefusedNamingBoth) {
  json j = to_json(sample_report());
  j["schema"] = kReportSchema + 1;
  std::string message = user_error_of(j);
  EXPECT_NE(message.find("old.json"), std::string::npos) << message;
  EXPECT_NE(message.find(fmt::format("schema {}", kReportSchema + 1)), std::string::npos) << message;
  EXPECT_NE(message.find(fmt::format("reads schema {}", kReportSchema)), std::string::npos) << message;

  j.erase("schema");  // what builds before schema 2 wrote
  message = user_error_of(j);
  EXPECT_NE(message.find("no 'schema' key"), std::string::npos) << message;
  EXPECT_NE(message.find("run it again"), std::string::npos) << message;
}

TEST(RunReportJson, ABackEndMayWriteOnlyItsDeclaredStatistics) {
  // A standard key, an undeclared one, another target's, a value of another kind: each is a
  // back end's bug, refused before anything is written.
  for (const std::string key : {"cycles", "note", "kernel"}) {  // standard, undeclared, PULP's
    RunReport r = sample_report();
    r.layers[0].specific[key] = 1;
    EXPECT_THROW(to_json(r), std::logic_error) << key;
    EXPECT_THROW(csv_text(r), std::logic_error) << key;
  }
  for (const json& value : {json("lots"), json(-1), json(0.5)}) {  // declared, of another kind
    RunReport r = sample_report();
    r.layers[0].specific["ddr_weight_bytes"] = value;
    EXPECT_THROW(to_json(r), std::logic_error) << value;
  }
  RunReport r = sample_report();
  r.totals.specific["offchip_bytes"] = 1;  // standard, not the block's
  EXPECT_THROW(to_json(r), std::logic_error);
  r = sample_report();
  r.totals.specific["tiler"] = "cost";  // PULP's
  EXPECT_THROW(to_json(r), std::logic_error);
}

TEST(RunReportJson, ReadingRefusesUndeclaredFieldsNamingThem) {
  const json good = to_json(sample_report());
  json bad = good;
  bad["layers"][1]["note"] = "hi";  // neither standard nor the block
  EXPECT_NE(user_error_of(bad).find("'layers[1].note' is not a field of xdnn reports"), std::string::npos)
      << user_error_of(bad);
  bad = good;
  bad["totals"]["xdnn"]["tiler"] = "cost";  // PULP's, in the xDNN block
  EXPECT_NE(user_error_of(bad).find("'totals.xdnn.tiler' is not a statistic of xdnn reports"), std::string::npos)
      << user_error_of(bad);
  bad = good;
  bad["layers"][0]["xdnn"]["ddr_weight_bytes"] = "lots";
  EXPECT_NE(user_error_of(bad).find("'layers[0].xdnn.ddr_weight_bytes' must be a non-negative integer"),
            std::string::npos)
      << user_error_of(bad);
  bad = good;
  bad["layers"][0]["xdnn"] = 3;
  EXPECT_NE(user_error_of(bad).find("'layers[0].xdnn' must be an object"), std::string::npos) << user_error_of(bad);
}

}  // namespace
}  // namespace wb::report
