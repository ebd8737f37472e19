// Throughput mode on xDNN (compile option mode=throughput, docs/xdnn.md "Throughput mode"): the
// first convolution on the Dedicated Block, handed over through the image queue in DDR, end to
// end on a checked-in tiny model.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <fstream>
#include <sstream>
#include <string>

#include "tests/support/cli_testing.h"
#include "tests/support/report_checks.h"
#include "tests/support/temp_dir.h"
#include "workbench/report/report_json.h"

namespace wb {
namespace {

using test::CommandResult;
using test::read_json;
using test::workbench;
using test::workload;
using testing::HasSubstr;

std::string throughput_run(const std::string& mode, const std::string& extra) {
  return fmt::format("run --hw {}/configs/v3_96.yaml {} --input {} --calib-count 2 --quiet --compile-opt mode={} {}",
                     WB_TEST_SOURCE_DIR, workload("tiny_resnet.onnx"), workload("tiny_resnet.input.npy"), mode, extra);
}

std::string program_text_of(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(XdnnThroughputCli, TheFirstConvolutionRunsOnTheDedicatedBlockAndTheRunStaysBitExact) {
  const test::TempDir dir;
  const CommandResult latency = workbench(throughput_run("latency", fmt::format("--json {}", (dir / "l.json").string())));
  ASSERT_EQ(latency.exit_code, 0) << latency.out;
  const CommandResult throughput =
      workbench(throughput_run("throughput", fmt::format("--images 1 --json {}", (dir / "t.json").string())));
  ASSERT_EQ(throughput.exit_code, 0) << throughput.out;
  const auto l = read_json(dir / "l.json");
  const auto t = read_json(dir / "t.json");
  EXPECT_EQ(t["verdict"], "bit-exact");
  // Which block ran each layer: the first on the Dedicated Block, no other.
  ASSERT_EQ(l["layers"].size(), t["layers"].size());
  EXPECT_EQ(t["layers"][0]["unit"], "dedicated");
  EXPECT_EQ(t["layers"][0]["name"], l["layers"][0]["name"]);
  for (std::size_t i = 1; i < t["layers"].size(); ++i) EXPECT_NE(t["layers"][i]["unit"], "dedicated") << i;
  for (const auto& layer : l["layers"]) EXPECT_NE(layer["unit"], "dedicated");
  const auto unit_names = [](const nlohmann::json& report) {
    std::set<std::string> names;
    for (const auto& u : report["units"]) names.insert(u["name"].get<std::string>());
    return names;
  };
  EXPECT_TRUE(unit_names(t).count("dedicated_array"));
  EXPECT_FALSE(unit_names(l).count("dedicated_array"));
  // The handover through DDR: the first layer writes its output there and reads it back.
  EXPECT_GT(t["layers"][0]["bytes_out"].get<std::uint64_t>(), l["layers"][0]["bytes_out"].get<std::uint64_t>());
  // One image: the Main Block waits for the Dedicated Block and the handover, so it is not faster.
  EXPECT_GE(t["totals"]["cycles"].get<std::uint64_t>(), l["totals"]["cycles"].get<std::uint64_t>());
}

// A stream of images: in latency mode one image after another from an idle PE, so each takes
// what one image alone takes; in throughput mode the Dedicated Block runs ahead, every image's
// outputs are checked, and the report is per image in the steady state.
TEST(XdnnThroughputCli, AStreamOfImagesIsBitExactOnEveryImageAndReportedPerImage) {
  const test::TempDir dir;
  const auto run = [&](const std::string& mode, const std::string& images, const std::string& name) {
    const CommandResult result = workbench(throughput_run(mode, fmt::format("{} --json {}", images, (dir / name).string())));
    EXPECT_EQ(result.exit_code, 0) << result.out;
    return read_json(dir / name);
  };
  const auto one = run("latency", "", "one.json");
  const auto three = run("latency", "--images 3", "three.json");
  const auto stream = run("throughput", "--images 4", "stream.json");
  EXPECT_EQ(one["totals"]["xdnn"]["images"], 1);
  EXPECT_EQ(three["totals"]["xdnn"]["images"], 3);
  EXPECT_EQ(stream["totals"]["xdnn"]["images"], 4);
  for (const auto* r : {&three, &stream}) {
    EXPECT_EQ((*r)["verdict"], "bit-exact");
    // The bounds are one image's too: no unit's work, no channel's bytes beyond its time.
    test::expect_bounds_hold(report::from_json(*r));
  }
  const auto cycles = [](const nlohmann::json& r) { return r["totals"]["cycles"].get<std::uint64_t>(); };
  const auto stream_cycles = [](const nlohmann::json& r) { return r["totals"]["xdnn"]["stream_cycles"].get<std::uint64_t>(); };
  EXPECT_EQ(cycles(three), cycles(one));
  EXPECT_EQ(stream_cycles(three), 3 * cycles(one));
  EXPECT_DOUBLE_EQ(three["totals"]["xdnn"]["fps_per_pe"].get<double>(), one["totals"]["xdnn"]["fps_per_pe"].get<double>());
  // Throughput mode: images overlap (the stream takes less than its images one after another),
  // and an image in the steady state waits in the queue, so its latency exceeds the time per image.
  EXPECT_LT(stream_cycles(stream), 4 * (stream["totals"]["xdnn"]["first_image_latency_ms"].get<double>() * 700e3));
  EXPECT_GT(stream["totals"]["xdnn"]["image_latency_ms"].get<double>(), stream["totals"]["latency_ms"].get<double>());
  EXPECT_NEAR(stream["totals"]["xdnn"]["fps_per_pe"].get<double>(), 700e6 / static_cast<double>(cycles(stream)), 1e-6);
}

// A stem read by one conv instruction: the Main Block streams the handover from its DDR slot (no
// gather), every image bit-exact, the stem's output still checked (read from the image's slot).
TEST(XdnnThroughputCli, AHandoverReadByOneConvIsStreamedFromItsSlot) {
  const test::TempDir dir;
  const auto args = [&](const std::string& mode, const std::string& json) {
    return fmt::format("run --hw {}/configs/v3_96.yaml {} --input {} --calib-count 2 --quiet --compile-opt mode={} "
                       "--images 3 --json {}",
                       WB_TEST_SOURCE_DIR, workload("tiny_mobilenet_v2.onnx"), workload("tiny_mobilenet_v2.input.npy"),
                       mode, (dir / json).string());
  };
  ASSERT_EQ(workbench(args("latency", "l.json")).exit_code, 0);
  const CommandResult run = workbench(args("throughput", "t.json"));
  ASSERT_EQ(run.exit_code, 0) << run.out;
  const auto l = read_json(dir / "l.json");
  const auto t = read_json(dir / "t.json");
  EXPECT_EQ(t["verdict"], "bit-exact");
  EXPECT_EQ(t["totals"]["xdnn"]["layers_verified"], l["totals"]["xdnn"]["layers_verified"]);
  const CommandResult compiled = workbench(fmt::format(
      "compile --hw {}/configs/v3_96.yaml {} --calib-count 2 --compile-opt mode=throughput -o {}", WB_TEST_SOURCE_DIR,
      workload("tiny_mobilenet_v2.onnx"), (dir / "c").string()));
  ASSERT_EQ(compiled.exit_code, 0) << compiled.out;
  EXPECT_EQ(read_json(dir / "c" / "compile.json")["handover"], "streamed");
  EXPECT_THAT(program_text_of(dir / "c" / "program.cmd"), testing::Not(HasSubstr("XNGather")));
}

TEST(XdnnThroughputCli, ThePulpModelRunsOneImage) {
  const CommandResult run = workbench(fmt::format("run --hw {}/configs/gap8.yaml {} --no-data --quiet --images 2",
                                                  WB_TEST_SOURCE_DIR, workload("tiny_resnet.onnx")));
  EXPECT_NE(run.exit_code, 0);
  EXPECT_THAT(run.out, HasSubstr("--images 2: the PULP cluster model runs one image"));
}

TEST(XdnnThroughputCli, TheProgramMarksTheBlocksAndTheImageQueue) {
  const test::TempDir dir;
  const CommandResult compiled = workbench(fmt::format(
      "compile --hw {}/configs/v3_96.yaml {} --calib-count 2 --compile-opt mode=throughput -o {}", WB_TEST_SOURCE_DIR,
      workload("tiny_resnet.onnx"), dir.path().string()));
  ASSERT_EQ(compiled.exit_code, 0) << compiled.out;
  const std::string cmd = program_text_of(dir / "program.cmd");
  EXPECT_THAT(cmd, HasSubstr("mode=throughput"));
  EXPECT_THAT(cmd, HasSubstr("# throughput mode: image queue DDR@"));
  EXPECT_THAT(cmd, HasSubstr("out_from_image_queue block=dedicated"));
  // The Main Block's gather of the handover waits for the Dedicated Block.
  std::istringstream lines(cmd);
  std::size_t handovers = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.find("source_from_image_queue") == std::string::npos) continue;
    ++handovers;
    EXPECT_THAT(line, HasSubstr("XNGather"));  // the pixels spread over AM words, as ML Suite's mb_input
    EXPECT_THAT(line, HasSubstr("dedicated"));
  }
  EXPECT_EQ(handovers, 1u);
  const auto report = read_json(dir / "compile.json");
  EXPECT_EQ(report["mode"], "throughput");
  EXPECT_EQ(report["handover"], "gathered");  // more than one instruction reads its stem's output
  EXPECT_GT(report["handover_bytes"].get<std::uint64_t>(), 0u);
}

TEST(XdnnThroughputCli, ANetworkWhoseInputIsNotStreamedIsRefusedWithTheReason) {
  const CommandResult run = workbench(throughput_run("throughput", "--compile-opt input_streaming=off"));
  EXPECT_NE(run.exit_code, 0);
  EXPECT_THAT(run.out, HasSubstr("mode=throughput"));
  EXPECT_THAT(run.out, HasSubstr("input_streaming=on"));
  EXPECT_THAT(run.out, HasSubstr("mode=latency"));
}

}  // namespace
}  // namespace wb
