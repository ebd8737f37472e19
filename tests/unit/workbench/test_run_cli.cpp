// `workbench run / compile / sim / verify` on xDNN configs, end to end on the checked-in
// tiny models: bit-exactness, the report files, --no-data timing, spills, and bad input.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "tests/support/cli_testing.h"
#include "tests/support/report_checks.h"
#include "tests/support/onnx_builder.h"
#include "workbench/report/report_json.h"

namespace wb {
namespace {

using test::CommandResult;
using test::expect_error;
using test::read_json;
using test::workbench;
using test::workload;
using testing::HasSubstr;
using testing::Not;

// `workbench run` arguments for the model file `path` on configs/<hw>.yaml, two calibration
// inputs, no table.
std::string run_file_args(const std::string& path, const std::string& hw, const std::string& extra) {
  return fmt::format("run --hw {}/configs/{}.yaml {} --calib-count 2 --quiet {}", WB_TEST_SOURCE_DIR, hw, path, extra);
}

CommandResult run_file(const std::string& path, const std::string& hw, const std::string& extra) {
  return workbench(run_file_args(path, hw, extra));
}

std::string run_args(const std::string& model, const std::string& hw, const std::string& extra = "") {
  return run_file_args(workload(model), hw, extra);
}

class RunCli : public ::testing::TestWithParam<std::string> {};

TEST_P(RunCli, TinyModelsAreBitExactAndTheReportHasItsShape) {
  for (const std::string model : {"tiny_resnet.onnx", "tiny_mobilenet_v2.onnx"}) {
    const test::TempDir dir;
    const CommandResult run = workbench(run_args(model, GetParam(), fmt::format("--json {} --csv {} --trace {}",
                                                                             (dir / "r.json").string(),
                                                                             (dir / "r.csv").string(),
                                                                             (dir / "t.json").string())));
    ASSERT_EQ(run.exit_code, 0) << run.out;
    const auto report = read_json(dir / "r.json");
    EXPECT_EQ(report["verdict"], "bit-exact") << model;
    EXPECT_TRUE(report["mismatch"].is_null());
    EXPECT_EQ(report["hw"]["target"], "xdnn");
    test::expect_bounds_hold(report::from_json(report));
    const auto& totals = report["totals"];
    EXPECT_GT(totals["cycles"].get<std::uint64_t>(), 0u);
    EXPECT_GT(totals["mac_per_cycle"].get<double>(), 0.0);
    EXPECT_LE(totals["utilization"].get<double>(), 1.0);
    EXPECT_GT(totals["xdnn"]["layers_verified"].get<int>(), 3);
    EXPECT_FALSE(totals.contains("predicted_cycles"));  // the xDNN compiler predicts nothing
    std::uint64_t cycles = 0, macs = 0;
    for (const auto& layer : report["layers"]) {
      cycles += layer["cycles"].get<std::uint64_t>();
      macs += layer["macs"].get<std::uint64_t>();
      EXPECT_LE(layer["utilization"].get<double>(), 1.0) << layer["name"];
      std::uint64_t causes = 0;
      for (const auto& [cause, c] : layer["time"].items()) causes += c.get<std::uint64_t>();
      EXPECT_EQ(causes, layer["cycles"].get<std::uint64_t>()) << layer["name"];
      EXPECT_GE(layer["xdnn"]["mapping_efficiency"].get<double>(), 0.0) << layer["name"];
      EXPECT_LE(layer["xdnn"]["mapping_efficiency"].get<double>(), 1.0) << layer["name"];
      EXPECT_FALSE(layer.contains("prediction_error_pct")) << layer["name"];
    }
    // Every unit's busy share lies in [0, 1]; the array did the layers' array work.
    ASSERT_FALSE(report["units"].empty());
    for (const auto& unit : report["units"]) {
      EXPECT_GE(unit["busy"].get<double>(), 0.0) << unit["name"];
      EXPECT_LE(unit["busy"].get<double>(), 1.0) << unit["name"];
    }
    std::uint64_t array_busy = 0;
    for (const auto& layer : report["layers"]) array_busy += layer["xdnn"]["array_busy_cycles"].get<std::uint64_t>();
    EXPECT_EQ(report["units"][0]["name"], "array");
    EXPECT_EQ(report["units"][0]["busy_cycles"].get<std::uint64_t>(), array_busy);
    EXPECT_EQ(report["units"].back()["name"], "ddr_channel");
    EXPECT_EQ(report["units"].back()["bytes"].get<std::uint64_t>(), totals["offchip_bytes"].get<std::uint64_t>());
    // Layers show their own spans; the totals say how much of them overlapped. What is left
    // of the spans lies inside the run (waits for another layer's work belong to that layer).
    EXPECT_LE(cycles - totals["xdnn"]["overlapped_cycles"].get<std::uint64_t>(), totals["cycles"].get<std::uint64_t>());
    EXPECT_GT(cycles - totals["xdnn"]["overlapped_cycles"].get<std::uint64_t>(), totals["cycles"].get<std::uint64_t>() / 2);
    EXPECT_EQ(macs, totals["macs"].get<std::uint64_t>());
    // The CSV has one line per layer after the header; the trace is JSON with events.
    std::ifstream csv(dir / "r.csv");
    std::string header;
    std::getline(csv, header);
    EXPECT_EQ(header.rfind("LayerID,Total Cycles,Stall Cycles", 0), 0u) << header;
    EXPECT_EQ(header.find("predicted_cycles"), std::string::npos) << header;
    const auto trace = read_json(dir / "t.json");
    EXPECT_FALSE(trace["traceEvents"].empty());
  }
}

TEST_P(RunCli, NoDataGivesTheSameCycles) {
  const test::TempDir dir;
  const std::string json_a = (dir / "a.json").string(), json_b = (dir / "b.json").string();
  ASSERT_EQ(workbench(run_args("tiny_resnet.onnx", GetParam(), "--json " + json_a)).exit_code, 0);
  const CommandResult timing = workbench(run_args("tiny_resnet.onnx", GetParam(), "--no-data --json " + json_b));
  ASSERT_EQ(timing.exit_code, 0) << timing.out;
  const auto a = read_json(json_a);
  const auto b = read_json(json_b);
  EXPECT_EQ(b["verdict"], "not-verified");
  EXPECT_EQ(a["totals"]["cycles"], b["totals"]["cycles"]);
  ASSERT_EQ(a["layers"].size(), b["layers"].size());
  for (std::size_t i = 0; i < a["layers"].size(); ++i) EXPECT_EQ(a["layers"][i]["cycles"], b["layers"][i]["cycles"]);
}

// --quiet drops the per-layer table, the steps' summaries and the progress display, never the
// totals or the verdict.
TEST_P(RunCli, QuietKeepsTheTotalsAndTheVerdict) {
  const CommandResult full = workbench(fmt::format("run --hw {}/configs/{}.yaml {} --calib-count 2", WB_TEST_SOURCE_DIR,
                                                   GetParam(), workload("tiny_resnet.onnx")));
  const CommandResult quiet = workbench(run_args("tiny_resnet.onnx", GetParam()));
  ASSERT_EQ(quiet.exit_code, 0) << quiet.out;
  EXPECT_THAT(full.out, HasSubstr("MAC/cycle  util %"));
  EXPECT_THAT(quiet.out, testing::Not(HasSubstr("MAC/cycle  util %")));
  EXPECT_THAT(quiet.out, testing::StartsWith("cycles    "));  // the totals block, nothing before it
  EXPECT_THAT(quiet.out, testing::ContainsRegex("verdict +bit-exact"));
  EXPECT_THAT(full.out, HasSubstr("golden check: bit-exact"));
  for (const char* summary : {"quantized ", "compiled ", "golden check", "simulated ", "timing:"}) {
    EXPECT_THAT(quiet.out, testing::Not(HasSubstr(summary))) << quiet.out;
  }
}

INSTANTIATE_TEST_SUITE_P(Configs, RunCli, ::testing::Values("v3_96", "v2_28"));

TEST(CompileSimVerifyCli, SeparateStagesAgreeWithRun) {
  const test::TempDir dir;
  const std::string hw = fmt::format("{}/configs/v3_96.yaml", WB_TEST_SOURCE_DIR);
  const std::string out = (dir / "c").string();
  const CommandResult compile = workbench(fmt::format("compile --hw {} --set am_bytes=8MiB {} --calib-count 2 -o {}",
                                                      hw, workload("tiny_resnet.onnx"), out));
  ASSERT_EQ(compile.exit_code, 0) << compile.out;
  for (const char* file : {"program.xdnn", "program.cmd", "compile.json", "quant.json", "model.qdq.onnx"}) {
    EXPECT_TRUE(std::filesystem::exists(dir / "c" / file)) << file;
  }
  const auto compiled = read_json(dir / "c" / "compile.json");
  EXPECT_GT(compiled["ops"].get<std::uint64_t>(), 0u);
  EXPECT_TRUE(compiled["unsupported"].empty());
  const CommandResult verify =
      workbench(fmt::format("verify --hw {} --set am_bytes=8MiB {} --quiet --json {}", hw, out, (dir / "v.json").string()));
  ASSERT_EQ(verify.exit_code, 0) << verify.out;
  EXPECT_EQ(read_json(dir / "v.json")["verdict"], "bit-exact");
  const CommandResult sim = workbench(fmt::format("sim --hw {} --set am_bytes=8MiB {}/program.xdnn --quiet --json {}",
                                                  hw, out, (dir / "s.json").string()));
  ASSERT_EQ(sim.exit_code, 0) << sim.out;
  const auto s = read_json(dir / "s.json");
  EXPECT_EQ(s["verdict"], "not-verified");
  EXPECT_EQ(s["totals"]["cycles"], read_json(dir / "v.json")["totals"]["cycles"]);
  // Provenance: the program carries what it was compiled with into every report made from it.
  for (const char* report : {"s.json", "v.json"}) {
    const auto run = read_json(dir / report)["run"];
    EXPECT_EQ(run["overrides"], nlohmann::json::array({"am_bytes=8MiB"})) << report;
    EXPECT_EQ(run["calibration"], nlohmann::json({{"source", "synthetic"}, {"method", "max"}, {"count", 2}, {"seed", 1}}))
        << report;
    EXPECT_THAT(run["compile_options"].get<std::string>(), testing::HasSubstr("schedule_search=on")) << report;
  }
}

TEST(CompileSimVerifyCli, ProgramsForAnotherConfigOrCorruptedAreRefused) {
  const test::TempDir dir;
  const std::string v3 = fmt::format("{}/configs/v3_96.yaml", WB_TEST_SOURCE_DIR);
  const std::string v2 = fmt::format("{}/configs/v2_28.yaml", WB_TEST_SOURCE_DIR);
  const std::string out = (dir / "c").string();
  ASSERT_EQ(workbench(fmt::format("compile --hw {} {} --calib-count 2 -o {}", v3, workload("tiny_resnet.onnx"), out))
                .exit_code,
            0);
  test::expect_bad_input(workbench(fmt::format("sim --hw {} {}/program.xdnn", v2, out)),
                         "compiled for hardware 'v3_96'");
  test::expect_bad_input(workbench(fmt::format("sim --hw {} --set am_bytes=8MiB {}/program.xdnn", v3, out)),
                         "compile it again for this config");
  {
    std::ofstream corrupt(dir / "bad.xdnn", std::ios::binary);
    corrupt << "this is not a program";
  }
  test::expect_bad_input(workbench(fmt::format("sim --hw {} {}", v3, (dir / "bad.xdnn").string())),
                         "not an xDNN program");
  // Truncated: a real program cut in half.
  const auto full = std::filesystem::file_size(dir / "c" / "program.xdnn");
  std::filesystem::copy_file(dir / "c" / "program.xdnn", dir / "cut.xdnn");
  std::filesystem::resize_file(dir / "cut.xdnn", full / 2);
  test::expect_bad_input(workbench(fmt::format("sim --hw {} {}", v3, (dir / "cut.xdnn").string())),
                         "not an xDNN program");
  test::expect_bad_input(workbench(fmt::format("sim --hw {} {}", v3, (dir / "missing.xdnn").string())),
                         "missing.xdnn: no such file");
}

// A conv the array cannot run (13x13x64 = 10816 > max_filter_elements 9792) runs on the host
// model, as ML Suite ran what the overlay could not (DESIGN.md §4.6): bit-exact, its row says
// so, its time is the host's, and `inspect --hw` shows why without running it.
TEST(RunCliHost, AKernelBeyondTheFilterLimitRunsOnTheHost) {
  const test::TempDir dir;
  test::OnnxBuilder b;
  b.input("x", {1, 64, 20, 20}).output("y");
  b.initializer("w", test::random_tensor({8, 64, 13, 13}, 1));
  b.node("Conv", {"x", "w"}, {"y"}, "big_kernel");
  b.save(dir / "big.onnx");
  const CommandResult run = workbench(fmt::format("run --hw {}/configs/v3_96.yaml {} --calib-count 1 --json {} --csv {}",
                                                  WB_TEST_SOURCE_DIR, (dir / "big.onnx").string(),
                                                  (dir / "r.json").string(), (dir / "r.csv").string()));
  ASSERT_EQ(run.exit_code, 0) << run.out;
  const auto report = read_json(dir / "r.json");
  EXPECT_EQ(report["verdict"], "bit-exact");
  ASSERT_EQ(report["layers"].size(), 1u);
  const auto& layer = report["layers"][0];
  EXPECT_EQ(layer["unit"], "host");
  EXPECT_GT(layer["xdnn"]["host_cycles"].get<std::uint64_t>(), 0u);
  EXPECT_LE(layer["xdnn"]["host_cycles"].get<std::uint64_t>(), layer["cycles"].get<std::uint64_t>());
  // 2 ops per MAC at host_gops = 5 GOP/s, plus 51,200 input and 2,048 output bytes over the
  // 12 GB/s link: 2.2151 ms + 4.4 us.
  const double expected_ms = 2.0 * layer["macs"].get<double>() / 5e9 * 1e3 + (64.0 * 20 * 20 + 8 * 8 * 8) / 12e9 * 1e3;
  EXPECT_NEAR(report["totals"]["host_ms"].get<double>(), expected_ms, 0.001);
  EXPECT_THAT(run.out, testing::ContainsRegex("big_kernel +conv +host"));

  const CommandResult inspect = workbench(fmt::format("inspect {} --hw {}/configs/v3_96.yaml --json {}",
                                                      (dir / "big.onnx").string(), WB_TEST_SOURCE_DIR,
                                                      (dir / "i.json").string()));
  ASSERT_EQ(inspect.exit_code, 0) << inspect.out;
  EXPECT_THAT(inspect.out, HasSubstr("its filter 13x13x64 = 10816 elements exceeds the array's limit of 9792"));
  EXPECT_THAT(inspect.out, HasSubstr("layers  1 (1 host)"));
  EXPECT_THAT(inspect.out, Not(HasSubstr("simulated")));
  const auto partition = read_json(dir / "i.json")["partition"];
  EXPECT_EQ(partition["config"], "v3_96");
  EXPECT_EQ(partition["layers"][0]["unit"], "host");
  // The same layer is an ordinary conv on the cores of a PULP cluster.
  const CommandResult pulp = workbench(
      fmt::format("inspect {} --hw {}/configs/gap8.yaml", (dir / "big.onnx").string(), WB_TEST_SOURCE_DIR));
  ASSERT_EQ(pulp.exit_code, 0) << pulp.out;
  EXPECT_THAT(pulp.out, testing::ContainsRegex("big_kernel +conv +cores"));
  // The --hw options need --hw.
  const CommandResult no_hw = workbench(fmt::format("inspect {} --set am_bytes=1MiB", (dir / "big.onnx").string()));
  EXPECT_EQ(no_hw.exit_code, 2);
  EXPECT_THAT(no_hw.out, HasSubstr("--set requires --hw"));
}

// x [200 channels] feeds two 1x1 convs; one branch has a second conv, so x stays live (not
// touched) while it runs: the peak footprint exceeds every single layer's need.
std::filesystem::path skip_model(const test::TempDir& dir) {
  test::OnnxBuilder b;
  b.input("x", {1, 200, 8, 8}).output("y");
  b.initializer("w1", test::random_tensor({8, 200, 1, 1}, 1));
  b.initializer("w2", test::random_tensor({8, 8, 3, 3}, 2));
  b.initializer("w3", test::random_tensor({8, 200, 1, 1}, 3));
  b.node("Conv", {"x", "w1"}, {"a"}, "conv1");
  test::set_attr(b.node("Conv", {"a", "w2"}, {"b"}, "conv2"), "pads", std::vector<std::int64_t>{1, 1, 1, 1});
  b.node("Conv", {"x", "w3"}, {"c"}, "conv3");
  b.node("Add", {"b", "c"}, {"y"}, "add");
  const auto path = dir / "skip.onnx";
  b.save(path);
  return path;
}

// Below the peak footprint the allocator spills; below the largest layer's own buffers the
// layers run in row stripes; below one row stripe nothing compiles. Bit-exact all the way.
TEST(RunCliSpill, ShrinkingAmSpillsThenTilesAndStaysBitExactUntilNothingFits) {
  const test::TempDir dir;
  const std::string model = skip_model(dir).string();
  const auto run = [&](const std::string& extra) { return run_file(model, "v3_96", extra); };
  const std::string big = (dir / "big.json").string();
  ASSERT_EQ(run("--json " + big).exit_code, 0);
  const auto roomy = read_json(big);
  EXPECT_EQ(roomy["verdict"], "bit-exact");
  EXPECT_EQ(roomy["totals"]["xdnn"]["ddr_spill_bytes"], 0);
  EXPECT_EQ(roomy["totals"]["xdnn"]["row_tiled_layers"], 0);
  const std::uint64_t peak = roomy["totals"]["xdnn"]["peak_am_bytes"].get<std::uint64_t>();
  EXPECT_LE(peak, roomy["totals"]["xdnn"]["am_bytes"].get<std::uint64_t>());
  const std::string exact = (dir / "exact.json").string();
  ASSERT_EQ(run(fmt::format("--set am_bytes={} --json {}", peak, exact)).exit_code, 0);
  EXPECT_EQ(read_json(exact)["totals"]["xdnn"]["ddr_spill_bytes"], 0);

  // Too small for one row stripe: exit 2, naming the layer and the smallest AM that works.
  const CommandResult tiny = run("--set am_bytes=1KiB");
  expect_error(tiny, "the smallest AM that compiles this network is");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(tiny.out, m, std::regex("layer '([^']+)' needs .* is ([0-9]+) bytes"))) << tiny.out;
  const std::uint64_t smallest = std::stoull(m[2]);
  ASSERT_LT(smallest, peak);
  EXPECT_EQ(run(fmt::format("--set am_bytes={}", smallest - 1)).exit_code, 2);

  // From the peak down to that smallest AM, in steps of 2 KiB: first spills (every layer's
  // buffers still fit), then row stripes (of the network input here: its stripes are input
  // traffic, not spills); always bit-exact, never faster than with room.
  std::vector<std::uint64_t> sizes;
  for (std::uint64_t am = peak - 1; am > smallest; am = am > 2048 ? am - 2048 : 0) sizes.push_back(am);
  sizes.push_back(smallest);
  bool spilled = false, tiled = false;
  for (const std::uint64_t am : sizes) {
    const std::string json = (dir / fmt::format("am{}.json", am)).string();
    const CommandResult r = run(fmt::format("--set am_bytes={} --json {}", am, json));
    ASSERT_EQ(r.exit_code, 0) << am << ": " << r.out;
    const auto report = read_json(json);
    EXPECT_EQ(report["verdict"], "bit-exact") << am;
    EXPECT_GT(report["totals"]["cycles"].get<std::uint64_t>(), roomy["totals"]["cycles"].get<std::uint64_t>()) << am;
    const bool stripes = report["totals"]["xdnn"]["row_tiled_layers"].get<int>() > 0;
    if (stripes) {
      EXPECT_GT(report["totals"]["xdnn"]["ddr_resident_buffers"].get<int>(), 0) << am;
    } else {
      EXPECT_EQ(report["totals"]["xdnn"]["am_allocator"], "spill") << am;
      EXPECT_GT(report["totals"]["xdnn"]["ddr_spill_bytes"].get<std::uint64_t>(), 0u) << am;
      EXPECT_FALSE(tiled) << am << ": spills without stripes below an AM that needed stripes";
    }
    spilled = spilled || !stripes;
    tiled = tiled || stripes;
  }
  EXPECT_TRUE(spilled);
  EXPECT_TRUE(tiled);
}

// Every instruction kind a stripe runs: x [16 x 32 x 32] -> conv 3x3 "c1" (a, 32 channels)
// -> 1x1 and 3x3 branches concatenated by placement (cat) -> add a + cat -> max pool 3x3
// stride 2 pad 1 (p, 16 x 16) -> conv 3x3 with a pipelined 2x2 max pool -> y [32 x 8 x 8].
std::filesystem::path stripes_model(const test::TempDir& dir) {
  test::OnnxBuilder b;
  b.input("x", {1, 16, 32, 32}).output("y");
  b.initializer("w1", test::random_tensor({32, 16, 3, 3}, 1));
  b.initializer("w2", test::random_tensor({16, 32, 1, 1}, 2));
  b.initializer("w3", test::random_tensor({16, 32, 3, 3}, 3));
  b.initializer("w4", test::random_tensor({32, 32, 3, 3}, 4));
  const std::vector<std::int64_t> pad1{1, 1, 1, 1};
  test::set_attr(b.node("Conv", {"x", "w1"}, {"a"}, "c1"), "pads", pad1);
  b.node("Conv", {"a", "w2"}, {"b1"}, "branch1");
  test::set_attr(b.node("Conv", {"a", "w3"}, {"b2"}, "branch3"), "pads", pad1);
  test::set_attr(b.node("Concat", {"b1", "b2"}, {"cat"}, "cat"), "axis", std::int64_t{1});
  b.node("Add", {"a", "cat"}, {"s"}, "add");
  auto& pool = b.node("MaxPool", {"s"}, {"p"}, "pool");
  test::set_attr(pool, "kernel_shape", std::vector<std::int64_t>{3, 3});
  test::set_attr(pool, "strides", std::vector<std::int64_t>{2, 2});
  test::set_attr(pool, "pads", pad1);
  test::set_attr(b.node("Conv", {"p", "w4"}, {"c"}, "c4"), "pads", pad1);
  auto& last = b.node("MaxPool", {"c"}, {"y"}, "pool4");
  test::set_attr(last, "kernel_shape", std::vector<std::int64_t>{2, 2});
  test::set_attr(last, "strides", std::vector<std::int64_t>{2, 2});
  const auto path = dir / "stripes.onnx";
  b.save(path);
  return path;
}

TEST(RunCliRowTiling, ConvsPoolsAddsAndConcatMembersInStripesAreBitExact) {
  const test::TempDir dir;
  const std::string model = stripes_model(dir).string();
  const auto run = [&](const std::string& extra) { return run_file(model, "v2_28", extra); };
  const CommandResult tiny = run("--set am_bytes=1KiB");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(tiny.out, m, std::regex("--set am_bytes=([0-9]+)"))) << tiny.out;
  const std::uint64_t smallest = std::stoull(m[1]);
  std::uint64_t previous_cycles = 0;
  // From one-row stripes up to no stripes at all: bit-exact, and no slower with more AM.
  for (const std::uint64_t am : {smallest, smallest * 2, std::uint64_t{4} << 20}) {
    const std::string json = (dir / fmt::format("am{}.json", am)).string();
    const CommandResult r = run(fmt::format("--set am_bytes={} --json {}", am, json));
    ASSERT_EQ(r.exit_code, 0) << am << ": " << r.out;
    const auto report = read_json(json);
    EXPECT_EQ(report["verdict"], "bit-exact") << am;
    EXPECT_EQ(report["totals"]["xdnn"]["layers_verified"], 6) << am;
    const int tiled = report["totals"]["xdnn"]["row_tiled_layers"].get<int>();
    if (am == smallest) {
      EXPECT_EQ(tiled, 6) << "every layer touches a buffer kept in DDR at the smallest AM";
    }
    if (am == (std::uint64_t{4} << 20)) {
      EXPECT_EQ(tiled, 0);
    }
    const std::uint64_t cycles = report["totals"]["cycles"].get<std::uint64_t>();
    if (previous_cycles != 0) {
      EXPECT_LE(cycles, previous_cycles) << am;
    }
    previous_cycles = cycles;
  }
}

// A swish between two convs (x * sigmoid(x): a Lut and a Mul on the host model): below the
// AM its buffers need, they stay in DDR, where the host reads and writes them anyway, and
// the convs stream their rows. On v3_96 the second conv's 32-channel input is replicated
// across the AM word: it goes to DDR with all its copies.
TEST(RunCliRowTiling, HostLayersReadAndWriteBuffersKeptInDdr) {
  const test::TempDir dir;
  test::OnnxBuilder b;
  b.input("x", {1, 16, 32, 32}).output("y");
  b.initializer("w1", test::random_tensor({32, 16, 3, 3}, 1));
  b.initializer("w2", test::random_tensor({32, 32, 3, 3}, 2));
  const std::vector<std::int64_t> pad1{1, 1, 1, 1};
  test::set_attr(b.node("Conv", {"x", "w1"}, {"a"}, "c1"), "pads", pad1);
  b.node("Sigmoid", {"a"}, {"g"}, "gate");
  b.node("Mul", {"a", "g"}, {"m"}, "swish");
  test::set_attr(b.node("Conv", {"m", "w2"}, {"y"}, "c2"), "pads", pad1);
  const auto model = dir / "swish.onnx";
  b.save(model);
  for (const std::string hw : {"v2_28", "v3_96"}) {
    const auto run = [&](const std::string& extra) { return run_file(model.string(), hw, extra); };
    const std::string roomy_json = (dir / "roomy.json").string(), small_json = (dir / "small.json").string();
    ASSERT_EQ(run("--json " + roomy_json).exit_code, 0) << hw;
    const CommandResult small = run("--set am_bytes=96KiB --json " + small_json);
    ASSERT_EQ(small.exit_code, 0) << hw << ": " << small.out;
    const auto roomy = read_json(roomy_json), tiled = read_json(small_json);
    EXPECT_EQ(roomy["totals"]["xdnn"]["row_tiled_layers"], 0) << hw;
    EXPECT_EQ(tiled["verdict"], "bit-exact") << hw;
    EXPECT_EQ(tiled["totals"]["xdnn"]["layers_verified"], roomy["totals"]["xdnn"]["layers_verified"]) << hw;
    EXPECT_EQ(tiled["totals"]["xdnn"]["row_tiled_layers"], 2) << hw;  // the convs; the host layers run whole from DDR
    EXPECT_GE(tiled["totals"]["xdnn"]["ddr_resident_buffers"].get<int>(), 2) << hw;
  }
}

// A bilinear upsampling (torch's F.interpolate, as segmentation heads end): on xDNN's host model
// and on PULP's cores, bit-exact on both (PULP also in L1 tiles and with its output in L3).
TEST(RunCliResize, BilinearUpsamplingRunsOnXdnnHostAndOnPulpsCores) {
  const test::TempDir dir;
  test::OnnxBuilder b;
  b.input("x", {1, 8, 16, 16}).output("y");
  b.initializer("w1", test::random_tensor({16, 8, 3, 3}, 1)).initializer("w2", test::random_tensor({4, 16, 1, 1}, 2));
  b.initializer("scales", Tensor::from_vector<float>({4}, {1, 1, 4, 4}));
  test::set_attr(b.node("Conv", {"x", "w1"}, {"a"}, "c1"), "pads", std::vector<std::int64_t>{1, 1, 1, 1});
  b.node("Conv", {"a", "w2"}, {"logits"}, "c2");
  auto& resize = b.node("Resize", {"logits", "", "scales"}, {"y"}, "/Resize");
  test::set_attr(resize, "mode", std::string("linear"));
  test::set_attr(resize, "coordinate_transformation_mode", std::string("pytorch_half_pixel"));
  const auto model = dir / "upsample.onnx";
  b.save(model);
  const std::string json = (dir / "v3_96.json").string();
  const CommandResult run = run_file(model.string(), "v3_96", "--json " + json);
  ASSERT_EQ(run.exit_code, 0) << run.out;
  const auto report = read_json(json);
  EXPECT_EQ(report["verdict"], "bit-exact");
  ASSERT_EQ(report["layers"].back()["name"], "/Resize");
  EXPECT_EQ(report["layers"].back()["unit"], "host");
  EXPECT_GT(report["totals"]["host_ms"].get<double>(), 0.0);
  for (const std::string sets : {"", "--set l1_tile_budget_bytes=4KiB --set l2_bytes=24KiB"}) {
    const std::string pulp_json = (dir / "gap8.json").string();
    const CommandResult pulp = run_file(model.string(), "gap8", sets + " --json " + pulp_json);
    ASSERT_EQ(pulp.exit_code, 0) << sets << ": " << pulp.out;
    const auto on_pulp = read_json(pulp_json);
    EXPECT_EQ(on_pulp["verdict"], "bit-exact") << sets;
    ASSERT_EQ(on_pulp["layers"].back()["name"], "/Resize") << sets;
    EXPECT_EQ(on_pulp["layers"].back()["unit"], "cores") << sets;
    EXPECT_EQ(on_pulp["layers"].back()["type"], "resize") << sets;
  }
}

// A GELU as torch exports it between two convs: one table, run on xDNN's host model and on
// PULP's cores, bit-exact on both.
TEST(RunCliGelu, TorchsGeluExportIsATableOnBothTargets) {
  const test::TempDir dir;
  test::OnnxBuilder b;
  b.input("x", {1, 8, 16, 16}).output("y");
  b.initializer("w1", test::random_tensor({16, 8, 3, 3}, 1)).initializer("w2", test::random_tensor({16, 16, 1, 1}, 2));
  b.initializer("root2", Tensor::scalar<float>(1.4142135f)).initializer("one", Tensor::scalar<float>(1.0f));
  b.initializer("half", Tensor::scalar<float>(0.5f));
  test::set_attr(b.node("Conv", {"x", "w1"}, {"a"}, "c1"), "pads", std::vector<std::int64_t>{1, 1, 1, 1});
  b.node("Div", {"a", "root2"}, {"s"}, "/mlp/act/Div");
  b.node("Erf", {"s"}, {"e"}, "/mlp/act/Erf");
  b.node("Add", {"e", "one"}, {"e1"}, "/mlp/act/Add");
  b.node("Mul", {"a", "e1"}, {"p"}, "/mlp/act/Mul");
  b.node("Mul", {"p", "half"}, {"g"}, "/mlp/act/Mul_1");
  b.node("Conv", {"g", "w2"}, {"y"}, "c2");
  const auto model = dir / "gelu.onnx";
  b.save(model);
  for (const std::string hw : {"v3_96", "gap8"}) {
    const std::string json = (dir / (hw + ".json")).string();
    const CommandResult run = run_file(model.string(), hw, "--json " + json);
    ASSERT_EQ(run.exit_code, 0) << hw << ": " << run.out;
    const auto report = read_json(json);
    EXPECT_EQ(report["verdict"], "bit-exact") << hw;
    bool found = false;
    for (const auto& layer : report["layers"]) {
      if (layer["name"] != "/mlp/act/Gelu") continue;
      found = true;
      EXPECT_EQ(layer["unit"], hw == "gap8" ? "cores" : "host") << hw;
    }
    EXPECT_TRUE(found) << hw << ": no layer named /mlp/act/Gelu";
  }
}

}  // namespace
}  // namespace wb
