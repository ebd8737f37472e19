// `workbench run` and the quantized-model cache, end to end: a second run takes the model
// from the cache and reports the same figures; whatever decides the quantized model (the
// model file's contents, the scheme, the calibration inputs, count and method) misses it; a
// damaged or truncated entry is rebuilt, never used; processes filling one entry at once
// leave one whole entry; the size limit evicts the least recently used entries.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <vector>

#include "compiler/frontend/tensor_files.h"
#include "support/file_io.h"
#include "tests/support/cli_testing.h"
#include "tests/support/onnx_builder.h"
#include "tests/support/test_paths.h"
#include "workbench/model_cache.h"

namespace wb {
namespace {

using test::CommandResult;
using testing::HasSubstr;
using testing::Not;

constexpr const char* kHit = "from the model cache";

// The run quantized the model afresh: it says it quantized, not that the model came from the cache.
testing::Matcher<const std::string&> quantized_afresh() {
  return testing::AllOf(testing::ContainsRegex("quantized [^ ]+ with scheme [a-z0-9]+: [0-9]+ integer nodes, [0-9]+ tensors\n"),
                        Not(HasSubstr(kHit)));
}

class RunModelCache : public ::testing::Test {
 protected:
  // `workbench run` of `model` on v3_96 with the cache in this test's folder.
  CommandResult run(const std::filesystem::path& model, const std::string& extra = "",
                    const std::string& env = "") const {
    const std::string calib_count = extra.find("--calib-count") == std::string::npos ? "--calib-count 2" : "";
    return test::shell(fmt::format("WB_CACHE_DIR={} {} {} run --hw {}/configs/v3_96.yaml {} --json {} {} {}",
                                   cache_root_.path().string(), env, test::workbench_binary().string(),
                                   WB_TEST_SOURCE_DIR, model.string(), report_path().string(), calib_count, extra));
  }
  std::filesystem::path report_path() const { return scratch_ / "report.json"; }
  std::filesystem::path models_dir() const { return cache_root_ / "models"; }
  std::vector<std::filesystem::path> entries() const {
    std::vector<std::filesystem::path> found;
    if (!std::filesystem::exists(models_dir())) return found;
    for (const auto& e : std::filesystem::directory_iterator(models_dir())) found.push_back(e.path());
    return found;
  }
  // The figures a cache hit must not change.
  nlohmann::json figures() const {
    const nlohmann::json r = test::read_json(report_path());
    return {{"verdict", r["verdict"]}, {"cycles", r["totals"]["cycles"]}, {"layers", r["layers"].size()},
            {"model", r["model"]["sha256"]}};
  }

  test::TempDir cache_root_;
  test::TempDir scratch_;
};

TEST_F(RunModelCache, SecondRunHitsAndReportsTheSameFigures) {
  const std::filesystem::path model = test::workload("tiny_resnet.onnx");
  const CommandResult first = run(model);
  ASSERT_EQ(first.exit_code, 0) << first.out;
  EXPECT_THAT(first.out, quantized_afresh());
  ASSERT_EQ(entries().size(), 1u);
  const nlohmann::json before = figures();
  const CommandResult second = run(model);
  ASSERT_EQ(second.exit_code, 0) << second.out;
  EXPECT_THAT(second.out, HasSubstr(kHit));
  // Still a model calibrated on synthetic inputs: the warning stays.
  EXPECT_THAT(second.out, HasSubstr("warning: calibrating on 2 seeded synthetic"));
  EXPECT_EQ(figures(), before);
  // Timing-only runs have their own entry (no calibration) with the same cycles.
  const CommandResult timing = run(model, "--no-data");
  ASSERT_EQ(timing.exit_code, 0) << timing.out;
  EXPECT_EQ(entries().size(), 2u);
  EXPECT_EQ(figures()["cycles"], before["cycles"]);
  // --no-cache neither reads nor writes it.
  const CommandResult uncached = run(model, "--no-cache --calib-count 3");
  ASSERT_EQ(uncached.exit_code, 0) << uncached.out;
  EXPECT_THAT(uncached.out, quantized_afresh());
  EXPECT_EQ(entries().size(), 2u);
}

// `compile` takes the model from the same cache, and the folder it writes is the same byte for
// byte (quant.json's record of the calibration included) as one quantized afresh.
TEST_F(RunModelCache, CompileUsesItAndWritesTheSameFiles) {
  const std::filesystem::path model = test::workload("tiny_resnet.onnx");
  const auto compile = [&](const std::string& out, const std::string& extra) {
    return test::shell(fmt::format("WB_CACHE_DIR={} {} compile --hw {}/configs/gap8.yaml {} -o {} --calib-count 2 {}",
                                   cache_root_.path().string(), test::workbench_binary().string(), WB_TEST_SOURCE_DIR,
                                   model.string(), (scratch_ / out).string(), extra));
  };
  const CommandResult fresh = compile("fresh", "--no-cache");
  ASSERT_EQ(fresh.exit_code, 0) << fresh.out;
  EXPECT_TRUE(entries().empty());
  const CommandResult first = compile("first", "");
  ASSERT_EQ(first.exit_code, 0) << first.out;
  EXPECT_THAT(first.out, quantized_afresh());
  EXPECT_EQ(entries().size(), 1u);
  const CommandResult hit = compile("hit", "");
  ASSERT_EQ(hit.exit_code, 0) << hit.out;
  EXPECT_THAT(hit.out, HasSubstr(kHit));
  EXPECT_THAT(hit.out, HasSubstr("warning: calibrating on 2 seeded synthetic"));
  for (const char* file : {"quant.json", "model.qdq.onnx", "program.pulp", "tiling.txt"}) {
    EXPECT_EQ(read_file_bytes(scratch_ / "hit" / file), read_file_bytes(scratch_ / "fresh" / file)) << file;
  }
  EXPECT_THAT(read_file_bytes(scratch_ / "hit" / "quant.json"), HasSubstr("\"synthetic\": true"));
  // And the cached folder verifies.
  const CommandResult verified = test::workbench(
      fmt::format("verify --hw {}/configs/gap8.yaml {}", WB_TEST_SOURCE_DIR, (scratch_ / "hit").string()));
  EXPECT_EQ(verified.exit_code, 0) << verified.out;
}

TEST_F(RunModelCache, WhatDecidesTheModelMissesIt) {
  // The model is keyed by its contents, not its path.
  const std::filesystem::path model = scratch_ / "model.onnx";
  std::filesystem::copy_file(test::workload("tiny_resnet.onnx"), model);
  ASSERT_EQ(run(model).exit_code, 0);
  const nlohmann::json resnet = figures();
  std::filesystem::copy_file(test::workload("tiny_mobilenet_v2.onnx"), model,
                             std::filesystem::copy_options::overwrite_existing);
  const CommandResult changed_file = run(model);
  ASSERT_EQ(changed_file.exit_code, 0) << changed_file.out;
  EXPECT_THAT(changed_file.out, quantized_afresh());
  EXPECT_NE(figures()["model"], resnet["model"]);
  EXPECT_NE(figures()["layers"], resnet["layers"]);

  const test::TempDir calib;
  // Calibration inputs of the model's input shape (1x3x32x32).
  std::filesystem::copy_file(test::workload("tiny_resnet.input.npy"), calib / "a.npy");
  for (const std::string& change : std::vector<std::string>{"--scheme pow2", "--calib-method entropy", "--calib-count 3",
                                    fmt::format("--calib {}", calib.path().string())}) {
    const CommandResult r = run(model, change);
    ASSERT_EQ(r.exit_code, 0) << change << '\n' << r.out;
    EXPECT_THAT(r.out, quantized_afresh()) << change;
    EXPECT_THAT(run(model, change).out, HasSubstr(kHit)) << change;
  }
  // Other calibration inputs in the same folder.
  Tensor halved = read_tensor_file(calib / "a.npy");
  for (float& v : halved.span<float>()) v *= 0.5f;
  write_tensor_file(calib / "a.npy", halved);
  const CommandResult other_inputs = run(model, fmt::format("--calib {}", calib.path().string()));
  ASSERT_EQ(other_inputs.exit_code, 0) << other_inputs.out;
  EXPECT_THAT(other_inputs.out, quantized_afresh());
}

TEST_F(RunModelCache, DamagedAndTruncatedEntriesAreRebuiltNeverUsed) {
  const std::filesystem::path model = test::workload("tiny_resnet.onnx");
  ASSERT_EQ(run(model).exit_code, 0);
  const nlohmann::json before = figures();
  ASSERT_EQ(entries().size(), 1u);
  const std::filesystem::path entry = entries()[0];
  const std::string bytes = read_file_bytes(entry);
  const auto rewrite = [&](const std::string& content) {
    std::ofstream out(entry, std::ios::binary | std::ios::trunc);
    out << content;
  };
  std::string flipped = bytes;
  for (std::size_t i = bytes.size() / 2; i < bytes.size() / 2 + 16; ++i) flipped[i] = static_cast<char>(~flipped[i]);
  const std::vector<std::pair<std::string, std::string>> damage = {
      {flipped, "digest mismatch"}, {bytes.substr(0, bytes.size() / 3), "truncated"}, {"", "not a quantized-model"}};
  for (const auto& [content, why] : damage) {
    rewrite(content);
    const CommandResult r = run(model);
    ASSERT_EQ(r.exit_code, 0) << why << '\n' << r.out;
    EXPECT_THAT(r.out, HasSubstr(why));
    EXPECT_THAT(r.out, HasSubstr("quantizing again"));
    EXPECT_THAT(r.out, quantized_afresh());
    EXPECT_EQ(figures(), before) << why;
    EXPECT_EQ(read_file_bytes(entry), bytes) << why << ": the entry was not rebuilt as it was";
  }
}

TEST_F(RunModelCache, ProcessesFillingOneEntryAtOnceLeaveOneWholeEntry) {
  const std::filesystem::path model = test::workload("tiny_mobilenet_v2.onnx");
  std::vector<std::future<CommandResult>> runs;
  for (int i = 0; i < 4; ++i) {
    runs.push_back(std::async(std::launch::async, [&] {
      return test::shell(fmt::format("WB_CACHE_DIR={} {} run --hw {}/configs/v3_96.yaml {} --calib-count 2 --quiet "
                                     "--no-data --threads 1",
                                     cache_root_.path().string(), test::workbench_binary().string(), WB_TEST_SOURCE_DIR,
                                     model.string()));
    }));
  }
  for (auto& r : runs) {
    const CommandResult result = r.get();
    EXPECT_EQ(result.exit_code, 0) << result.out;
    EXPECT_THAT(result.out, Not(HasSubstr("model cache:")));
  }
  const auto found = entries();
  ASSERT_EQ(found.size(), 1u) << "temporary files left behind or entries under different keys";
  EXPECT_NO_THROW(load_quantized_model(found[0]));
  EXPECT_THAT(run(model, "--no-data").out, HasSubstr(kHit));
}

TEST_F(RunModelCache, TheSizeLimitEvictsTheLeastRecentlyUsedEntries) {
  const std::filesystem::path model = test::workload("tiny_resnet.onnx");
  ASSERT_EQ(run(model, "--calib-count 2").exit_code, 0);
  ASSERT_EQ(entries().size(), 1u);
  const std::filesystem::path oldest = entries()[0];
  const auto entry_bytes = std::filesystem::file_size(oldest);
  ASSERT_EQ(run(model, "--calib-count 3").exit_code, 0);
  // Room for two entries: the third evicts the oldest.
  const std::string limit = fmt::format("WB_MODEL_CACHE_LIMIT={}", 2 * entry_bytes + entry_bytes / 2);
  ASSERT_EQ(run(model, "--calib-count 4", limit).exit_code, 0);
  const auto found = entries();
  EXPECT_EQ(found.size(), 2u);
  EXPECT_FALSE(std::filesystem::exists(oldest));
  // A limit that is not a size is bad input, found before any work.
  const CommandResult bad = run(model, "--calib-count 5", "WB_MODEL_CACHE_LIMIT=lots");
  test::expect_error(bad, "WB_MODEL_CACHE_LIMIT=lots");
  EXPECT_THAT(bad.out, Not(HasSubstr("quantized")));
}

}  // namespace
}  // namespace wb
