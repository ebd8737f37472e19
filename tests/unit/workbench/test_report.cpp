// The run report (workbench/report.h): the JSON shape of DESIGN.md §4.5 and its round trip,
// the SCALE-Sim-compatible CSV, atomic writes, SHA-256 and the console table.

#include "workbench/report.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include "support/error.h"
#include "tests/support/onnx_builder.h"

namespace wb::report {
namespace {

using nlohmann::json;

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

RunReport sample_report() {
  RunReport r;
  r.tool_version = "0.1.0";
  r.tool_git = "2d8683c+dirty.0a1b";
  r.tool_commit = "2d8683c";
  r.tool_dirty = true;
  r.run = {"xdnn", "a=on,b=dory", std::string(16, 'c'), true, {"am_bytes=4MiB", "array.rows=56"},
           {{"source", "synthetic"}, {"method", "minmax"}, {"count", 16}, {"seed", 1}}};
  r.wall = {1.25, 0.5};
  r.model_path = "workloads/resnet18/model.onnx";
  r.model_sha256 = std::string(64, 'a');
  r.model_name = "resnet18";
  r.hw_path = "configs/v3_96.yaml";
  r.hw_sha256 = std::string(64, 'b');
  r.target = "xdnn";
  r.hw_resolved = {{"array", {{"rows", 96}, {"cols", 16}}}, {"clock_mhz", 700}};
  r.verdict = "bit-exact";
  r.totals.cycles = 1'234'567;
  r.totals.macs = 1'800'000'000;
  r.totals.ops = 3'600'500'000;
  r.totals.moveops = 42;
  r.totals.latency_ms = 1.7636671428571428;
  r.totals.mac_per_cycle = 1458.0;
  r.totals.utilization = 0.474609375;
  r.totals.host_ms = 12.5;
  r.totals.ddr_bytes = 98'765'432;
  r.totals.specific = {{"peak_am_bytes", 9000000}, {"am_allocator", "bestfit"}};

  LayerRow conv;
  conv.name = "/conv1/Conv";
  conv.type = "Conv+Relu";
  conv.output = "/conv1/Relu_output_0";
  conv.macs = 118'013'952;
  conv.ops = 236'027'904;
  conv.cycles = 100'000;
  conv.stall_cycles = 20'000;
  conv.bytes_in = 150'528;
  conv.bytes_out = 802'816;
  conv.tiles = 7;
  conv.unit = "array";
  conv.mac_per_cycle = 1180.13952;
  conv.utilization = 0.25;
  conv.us = 142.857;
  conv.specific = {{"ddr_weight_bytes", 9408}};
  LayerRow fc;
  fc.name = "fc, final";  // a comma: CSV must quote it
  fc.type = "Gemm";
  fc.macs = 512'000;
  fc.ops = 1'024'000;
  fc.cycles = 4'000;
  fc.stall_cycles = 0;
  fc.bytes_in = 512;
  fc.bytes_out = 1000;
  fc.tiles = 1;
  fc.unit = "host";
  fc.mac_per_cycle = 128;
  fc.utilization = 0.5;
  fc.specific = {{"mapping_efficiency", 0.625}, {"ddr_weight_bytes", 512000}};
  r.layers = {conv, fc};
  return r;
}

// ---- JSON -----------------------------------------------------------------------------------

TEST(RunReportJson, HasEveryKeyOfTheDesign) {
  const json j = to_json(sample_report());
  EXPECT_EQ(keys_of(j), (std::set<std::string>{"schema", "tool", "model", "hw", "run", "verdict", "mismatch", "totals",
                                               "layers", "units", "wall"}));
  EXPECT_EQ(j["schema"], kReportSchema);
  EXPECT_EQ(keys_of(j["tool"]), (std::set<std::string>{"version", "git", "commit", "dirty"}));
  EXPECT_EQ(keys_of(j["run"]), (std::set<std::string>{"scheme", "compile_options", "hw_fingerprint", "data",
                                                      "overrides", "calibration"}));
  EXPECT_EQ(keys_of(j["wall"]), (std::set<std::string>{"compile_seconds", "simulate_seconds"}));
  EXPECT_EQ(keys_of(j["model"]), (std::set<std::string>{"path", "sha256", "name"}));
  EXPECT_EQ(keys_of(j["hw"]), (std::set<std::string>{"path", "sha256", "target", "resolved"}));
  EXPECT_EQ(keys_of(j["totals"]),
            (std::set<std::string>{"cycles", "latency_ms", "macs", "ops", "mac_per_cycle", "utilization", "ddr_bytes",
                                   "moveops", "host_ms", "xdnn"}));
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
  EXPECT_EQ(j["totals"]["ddr_bytes"], 98'765'432u);
  EXPECT_EQ(j["layers"][0]["name"], "/conv1/Conv");
  EXPECT_EQ(j["layers"][0]["stall_cycles"], 20'000u);
  EXPECT_EQ(j["layers"][1]["xdnn"]["ddr_weight_bytes"], 512000);
  EXPECT_DOUBLE_EQ(j["layers"][1]["utilization"].get<double>(), 0.5);
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

TEST(RunReportJson, DdrOrL3BytesOnlyWhenSet) {
  RunReport r = sample_report();
  json j = to_json(r);
  EXPECT_TRUE(j["totals"].contains("ddr_bytes"));
  EXPECT_FALSE(j["totals"].contains("l3_bytes"));

  r.target = "pulp";
  r.totals.specific = json::object();  // the xDNN block's statistics are not PULP's
  for (LayerRow& row : r.layers) row.specific = json::object();
  r.totals.ddr_bytes.reset();
  r.totals.l3_bytes = 4096;
  j = to_json(r);
  EXPECT_FALSE(j["totals"].contains("ddr_bytes"));
  EXPECT_EQ(j["totals"]["l3_bytes"], 4096u);

  r.totals.l3_bytes.reset();
  j = to_json(r);
  EXPECT_FALSE(j["totals"].contains("ddr_bytes"));
  EXPECT_FALSE(j["totals"].contains("l3_bytes"));
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
  r.totals.ddr_bytes.reset();
  r.totals.l3_bytes = 777;
  r.totals.specific = {{"tiler", "cost"}, {"l3_bytes_in", 700}};
  r.layers[0].specific = {{"kernel", "conv"}, {"tile", "4x8x16 cin 32"}};
  r.layers[1].specific = {{"compute_cycles", 3000}};
  const RunReport back = from_json(json::parse(to_json(r).dump()));
  EXPECT_EQ(back, r);
  ASSERT_TRUE(back.mismatch.has_value());
  EXPECT_EQ(back.mismatch->actual, -100);
  EXPECT_FALSE(back.totals.ddr_bytes.has_value());
  EXPECT_EQ(back.totals.l3_bytes, 777u);
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

TEST(RunReportBound, BindingIsTheLargestAndNothingWithoutBounds) {
  Bound bound;
  EXPECT_TRUE(bound.empty());
  EXPECT_EQ(bound.binding(), "");
  EXPECT_EQ(bound.cycles(), 0u);
  bound.compute_cycles = 10;
  bound.memory = {{"cluster_dma_in", 12, 96}, {"udma", 11, 11}};
  EXPECT_EQ(bound.cycles(), 12u);
  EXPECT_EQ(bound.binding(), "cluster_dma_in");
  bound.compute_cycles = 12;  // a tie goes to compute
  EXPECT_EQ(bound.binding(), "compute");
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
  r.totals.specific["l3_bytes"] = 1;  // standard, reserved even when not set
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

// ---- CSV ------------------------------------------------------------------------------------

// RFC 4180 reader that also drops the space SCALE-Sim puts after each comma (Python's csv
// with skipinitialspace=True), to read back what write_csv wrote.
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  std::size_t i = 0;
  bool at_field_start = true;
  while (i < text.size()) {
    const char c = text[i];
    if (at_field_start && c == ' ') {
      ++i;
      continue;
    }
    if (at_field_start && c == '"') {
      ++i;
      while (i < text.size()) {
        if (text[i] == '"' && i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          i += 2;
        } else if (text[i] == '"') {
          ++i;
          break;
        } else {
          field += text[i++];
        }
      }
      at_field_start = false;
      continue;
    }
    at_field_start = false;
    if (c == ',') {
      row.push_back(field);
      field.clear();
      at_field_start = true;
    } else if (c == '\n') {
      row.push_back(field);
      field.clear();
      rows.push_back(row);
      row.clear();
      at_field_start = true;
    } else {
      field += c;
    }
    ++i;
  }
  return rows;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(RunReportCsv, StartsWithScaleSimComputeReportColumns) {
  const std::string csv = csv_text(sample_report());
  const auto lines = lines_of(csv);
  ASSERT_EQ(lines.size(), 3u) << csv;  // header + one line per layer, no totals line
  // SCALE-Sim v2 (scalesim/simulator.py) writes exactly this prefix, ", " separated.
  EXPECT_EQ(
      lines[0].rfind("LayerID, Total Cycles, Stall Cycles, Overall Util %, Mapping Efficiency %, Compute Util %, ", 0),
      0u)
      << lines[0];
  const auto rows = parse_csv(csv);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0],
            (std::vector<std::string>{"LayerID", "Total Cycles", "Stall Cycles", "Overall Util %",
                                      "Mapping Efficiency %", "Compute Util %", "name", "type", "macs", "ops",
                                      "mac_per_cycle", "bytes_in", "bytes_out", "tiles", "unit", "us", "ddr_weight_bytes",
                                      "mapping_efficiency"}));  // the target's own, in declaration order
  for (const auto& row : rows) EXPECT_EQ(row.size(), rows[0].size());
}

TEST(RunReportCsv, ValuesFollowScaleSimMeanings) {
  const auto rows = parse_csv(csv_text(sample_report()));
  ASSERT_EQ(rows.size(), 3u);
  const auto& conv = rows[1];
  EXPECT_EQ(conv[0], "0");                      // LayerID counts from 0 like SCALE-Sim
  EXPECT_EQ(conv[1], "100000");                 // Total Cycles
  EXPECT_EQ(conv[2], "20000");                  // Stall Cycles
  EXPECT_DOUBLE_EQ(std::stod(conv[3]), 25.0);   // Overall Util % = 100 x utilization
  EXPECT_DOUBLE_EQ(std::stod(conv[5]), 31.25);  // Compute Util %: stalls excluded, 25 x 100000/80000
  EXPECT_DOUBLE_EQ(std::stod(conv[4]), 31.25);  // Mapping Efficiency %: Compute Util % when unknown
  EXPECT_EQ(conv[6], "/conv1/Conv");
  EXPECT_EQ(conv[7], "Conv+Relu");
  EXPECT_EQ(conv[8], "118013952");
  EXPECT_EQ(conv[13], "7");
  EXPECT_EQ(conv[14], "array");  // where it ran
  EXPECT_EQ(conv[15], "142.857");  // us
  EXPECT_EQ(conv[16], "9408");
  EXPECT_EQ(conv[17], "");  // no mapping_efficiency in this layer

  const auto& fc = rows[2];
  EXPECT_EQ(fc[0], "1");
  EXPECT_DOUBLE_EQ(std::stod(fc[5]), 50.0);  // no stalls: compute util = overall util
  EXPECT_EQ(fc[6], "fc, final");
  EXPECT_EQ(fc[14], "host");
  EXPECT_EQ(fc[17], "0.625");
  EXPECT_DOUBLE_EQ(std::stod(fc[4]), 62.5);  // Mapping Efficiency %: the target's figure when it has one

  RunReport r = sample_report();
  r.layers[0].specific["mapping_efficiency"] = 0.75;
  const auto with_mapping = parse_csv(csv_text(r));
  EXPECT_DOUBLE_EQ(std::stod(with_mapping[1][4]), 75.0);
}

TEST(RunReportCsv, TimeCausesAreColumnsAfterTheUnit) {
  RunReport r = sample_report();
  r.layers[0].time = {{"array", 80'000}, {"weights_ddr", 15'000}, {"issue", 5'000}};
  const auto rows = parse_csv(csv_text(r));
  ASSERT_EQ(rows.size(), 3u);
  const std::vector<std::string> tail(rows[0].begin() + 14, rows[0].end());
  EXPECT_EQ(tail, (std::vector<std::string>{"unit", "us", "time_array", "time_weights_ddr", "time_issue",
                                            "ddr_weight_bytes", "mapping_efficiency"}));
  EXPECT_EQ(std::vector<std::string>(rows[1].begin() + 16, rows[1].begin() + 19),
            (std::vector<std::string>{"80000", "15000", "5000"}));
  EXPECT_EQ(std::vector<std::string>(rows[2].begin() + 16, rows[2].begin() + 19),
            (std::vector<std::string>{"", "", ""}));  // the fc has none
}

TEST(RunReportCsv, QuotesFieldsWithCommasAndQuotesPerRfc4180) {
  RunReport r = sample_report();
  r.layers[1].type = "Gemm \"x\"";
  const std::string csv = csv_text(r);
  // The quote opens the field right after the comma (RFC 4180), quotes inside are doubled.
  EXPECT_NE(csv.find(",\"fc, final\",\"Gemm \"\"x\"\"\", "), std::string::npos) << csv;
  EXPECT_EQ(csv.find("\"/conv1/Conv\""), std::string::npos) << csv;  // plain fields unquoted
  EXPECT_NE(csv.find(", 7, array, 142.857, 9408,\n"), std::string::npos) << csv;  // an empty last field: no stray space
  EXPECT_NE(csv.find("0, 100000, 20000, 25.0, 31.25, 31.25, /conv1/Conv, "), std::string::npos)
      << csv;  // floats as Python writes them
}

TEST(RunReportCsv, NoLayersIsJustTheHeader) {
  RunReport r = sample_report();
  r.layers.clear();
  const auto lines = lines_of(csv_text(r));
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].rfind("LayerID, Total Cycles", 0), 0u);
}

// ---- files ----------------------------------------------------------------------------------

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(RunReportFiles, WritesJsonAndCsvThatReadBack) {
  test::TempDir dir;
  const RunReport r = sample_report();
  write_json(r, dir / "run.json");
  write_csv(r, dir / "run.csv");
  EXPECT_EQ(from_json(json::parse(read_text(dir / "run.json"))), r);
  EXPECT_EQ(read_text(dir / "run.csv"), csv_text(r));
  // Nothing but the two files: the temporaries were renamed away.
  std::set<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
    names.insert(entry.path().filename().string());
  EXPECT_EQ(names, (std::set<std::string>{"run.json", "run.csv"}));
}

TEST(RunReportFiles, MissingFolderIsAUserErrorAndLeavesNoFile) {
  test::TempDir dir;
  const RunReport r = sample_report();
  EXPECT_THROW(write_json(r, dir / "missing" / "run.json"), UserError);
  EXPECT_THROW(write_csv(r, dir / "missing" / "run.csv"), UserError);
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

// ---- console --------------------------------------------------------------------------------

std::size_t code_points(const std::string& text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// The table: the lines before the first empty line.
std::vector<std::string> table_lines(const std::string& out) {
  std::vector<std::string> table;
  for (const std::string& line : lines_of(out)) {
    if (line.empty()) break;
    table.push_back(line);
  }
  return table;
}

TEST(RunReportTable, ShowsEveryLayerAndTheTotalsAligned) {
  RunReport r = sample_report();
  r.layers[0].name = "/layer4/layer4.1/downsample/downsample.0/Conv_with_a_much_longer_name";
  r.layers.push_back(r.layers[1]);
  r.layers.back().name = "\xc3\xa9t\xc3\xa9";  // "été": UTF-8 counts by code point
  std::ostringstream os;
  print_table(r, os);
  const std::string out = os.str();

  const auto table = table_lines(out);
  ASSERT_EQ(table.size(), 4u) << out;  // header + 3 layers
  for (const std::string& line : table) EXPECT_EQ(code_points(line), code_points(table[0])) << out;
  for (const char* title :
       {"name", "type", "MACs", "cycles", "us", "MAC/cycle", "util %", "stall", "DDR in", "DDR out", "tiles"}) {
    EXPECT_NE(table[0].find(title), std::string::npos) << title << "\n" << out;
  }
  // The long name is cut with an ellipsis; the others appear whole.
  EXPECT_EQ(out.find(r.layers[0].name), std::string::npos) << out;
  EXPECT_NE(out.find(r.layers[0].name.substr(0, 39) + "\xe2\x80\xa6  Conv+Relu"), std::string::npos) << out;
  EXPECT_NE(out.find("fc, final"), std::string::npos) << out;
  EXPECT_NE(out.find("\xc3\xa9t\xc3\xa9"), std::string::npos) << out;
  // Row values, grouped by thousands.
  EXPECT_NE(table[1].find("118,013,952"), std::string::npos) << out;
  EXPECT_NE(table[1].find("25.0"), std::string::npos) << out;
  EXPECT_NE(table[1].find("142.9"), std::string::npos) << out;  // microseconds beside the cycles

  for (const char* expected :
       {"cycles", "1,234,567", "latency", "1.764 ms", "1458.00", "47.5 %", "DDR bytes", "98,765,432", "moveops", "42",
        "host time", "12.5 ms", "peak_am_bytes", "9,000,000 bytes", "am_allocator", "bestfit", "verdict",
        "bit-exact"}) {
    EXPECT_NE(out.find(expected), std::string::npos) << expected << "\n" << out;
  }
  EXPECT_EQ(out.find("L3 bytes"), std::string::npos) << out;
}

TEST(RunReportTable, NamesTheCauseMostOfALayersTimeWentTo) {
  RunReport r = sample_report();
  std::ostringstream without;
  print_table(r, without);
  EXPECT_EQ(without.str().find("most time"), std::string::npos) << without.str();  // no causes, no column
  r.layers[0].time = {{"array", 15'000}, {"weights_ddr", 80'000}, {"issue", 5'000}};
  std::ostringstream os;
  print_table(r, os);
  const auto table = table_lines(os.str());
  ASSERT_EQ(table.size(), 3u) << os.str();
  EXPECT_NE(table[0].find("most time"), std::string::npos) << os.str();
  EXPECT_NE(table[1].find("weights_ddr 80%"), std::string::npos) << os.str();
  EXPECT_EQ(table[2][table[2].find_last_not_of(' ')], '-') << os.str();  // the fc has no causes
}

TEST(RunReportTable, ShowsWhatBindsEachLayerAndHowCloseItCame) {
  RunReport r = sample_report();
  std::ostringstream without;
  print_table(r, without);
  EXPECT_EQ(without.str().find("bound"), std::string::npos) << without.str();  // no bounds, no column or total
  r.layers[0].bound = {60'000, {{"ddr_channel", 75'000, 1'500'000}}};
  r.totals.bound = {900'000, {{"ddr_channel", 300'000, 98'765'432}}};
  std::ostringstream os;
  print_table(r, os);
  const auto table = table_lines(os.str());
  ASSERT_EQ(table.size(), 3u) << os.str();
  EXPECT_NE(table[0].find("bound, attained"), std::string::npos) << os.str();
  EXPECT_NE(table[1].find("ddr_channel 75%"), std::string::npos) << os.str();
  EXPECT_EQ(table[2][table[2].find_last_not_of(' ')], '-') << os.str();  // the fc has none
  EXPECT_NE(os.str().find("900,000 cycles (compute 900,000, ddr_channel 300,000); attained compute 73%"),
            std::string::npos)
      << os.str();
  const auto rows = parse_csv(csv_text(r));
  const auto column = [&](const std::string& name) {
    return static_cast<std::size_t>(std::find(rows[0].begin(), rows[0].end(), name) - rows[0].begin());
  };
  ASSERT_LT(column("bound"), rows[0].size());
  EXPECT_EQ(rows[1][column("bound_cycles")], "75000");
  EXPECT_EQ(rows[1][column("bound")], "ddr_channel");
  EXPECT_EQ(rows[2][column("bound_cycles")], "");
}

TEST(RunReportTable, ListsTheUnitsBetweenTheLayersAndTheTotals) {
  RunReport r = sample_report();
  std::ostringstream without;
  print_table(r, without);
  EXPECT_EQ(without.str().find("busy %"), std::string::npos) << without.str();
  r.units = {{"array", 900'000, 0.729, 640, 0, 12'000}, {"ddr_channel", 300'000, 0.243, 1'280, 98'765'432, 4'000}};
  std::ostringstream os;
  print_table(r, os);
  const std::string out = os.str();
  const auto units = out.find("busy %");
  ASSERT_NE(units, std::string::npos) << out;
  EXPECT_LT(out.find("/conv1/Conv"), units) << out;
  EXPECT_LT(units, out.find("latency")) << out;
  EXPECT_NE(out.find("72.9"), std::string::npos) << out;
  EXPECT_NE(out.find("98,765,432"), std::string::npos) << out;
}

TEST(RunReportTable, PulpShowsL3AndTheMismatch) {
  RunReport r = sample_report();
  r.target = "pulp";
  r.totals.ddr_bytes.reset();
  r.totals.l3_bytes = 123'456;
  r.verdict = "mismatch";
  r.mismatch = Mismatch{"/conv1/Conv", 17, 3, 4};
  std::ostringstream os;
  print_table(r, os);
  const std::string out = os.str();
  EXPECT_NE(table_lines(out)[0].find("L3 in"), std::string::npos) << out;
  EXPECT_NE(out.find("L3 bytes"), std::string::npos) << out;
  EXPECT_NE(out.find("123,456"), std::string::npos) << out;
  EXPECT_EQ(out.find("DDR"), std::string::npos) << out;
  EXPECT_NE(out.find("mismatch (layer /conv1/Conv, element 17: expected 3, got 4)"), std::string::npos) << out;
}

}  // namespace
}  // namespace wb::report
