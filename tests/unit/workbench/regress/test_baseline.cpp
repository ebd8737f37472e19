// The checked-in baseline: written one row per (model, config, layer) line, read back equal,
// and every malformed file refused with a message naming it.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <sstream>

#include "tests/unit/workbench/regress/regress_testing.h"
#include "workbench/regress/baseline.h"
#include "workbench/report/report_json.h"

namespace wb::regress {
namespace {

using testing::HasSubstr;
using namespace wb::regress::fixtures;

Baseline sample_baseline() {
  Baseline b;
  b.matrix = {"sweeps/standard.yaml", "pulp.yaml"};
  b.history = {{"2026-01-02", "abc123", "initial"}, {"2026-02-03", "def456", "faster conv \"tiling\""}};
  RunRecord resnet = make_run("resnet50", "v3_96", {{"conv1", 100, 7}, {"conv2", 200}});
  resnet.layers[0].figures["ddr_weight_bytes"] = 4096;
  resnet.totals["offchip_bytes"] = 123456;
  RunRecord mobilenet = make_run("mobilenet", "v3_64", {{"dw1", 40}});
  mobilenet.verdict = "mismatch";
  mobilenet.error = "layer dw1 differs";
  mobilenet.data = false;
  b.runs = {resnet, mobilenet};
  return b;
}

// The first line of `text` holding `needle`.
std::string line_with(const std::string& text, const std::string& needle) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.find(needle) != std::string::npos) return line;
  }
  return "";
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

struct BaselineFile : ::testing::Test {
  TempDir dir;
  std::filesystem::path path = dir / "baseline.json";
  std::string text = baseline_text(sample_baseline());

  // The UserError of reading `content` from the file.
  std::string error_reading(const std::string& content) {
    write_text(path, content);
    return user_error([&] { read_baseline(path); });
  }
};

TEST_F(BaselineFile, WriteThenReadGivesTheSameRunsHistoryAndMatrix) {
  const Baseline written = sample_baseline();
  write_baseline(written, path);
  EXPECT_EQ(read_text(path), text);
  const Baseline read = read_baseline(path);
  EXPECT_EQ(read.matrix, written.matrix);
  ASSERT_EQ(read.history.size(), written.history.size());
  for (std::size_t i = 0; i < read.history.size(); ++i) {
    EXPECT_EQ(read.history[i].date, written.history[i].date);
    EXPECT_EQ(read.history[i].build, written.history[i].build);
    EXPECT_EQ(read.history[i].reason, written.history[i].reason);
  }
  ASSERT_EQ(read.runs.size(), written.runs.size());
  for (std::size_t i = 0; i < read.runs.size(); ++i) {
    const RunRecord &r = read.runs[i], &w = written.runs[i];
    EXPECT_EQ(r.model, w.model);
    EXPECT_EQ(r.config, w.config);
    EXPECT_EQ(r.target, w.target);
    EXPECT_EQ(r.scheme, w.scheme);
    EXPECT_EQ(r.compile_options, w.compile_options);
    EXPECT_EQ(r.hw_fingerprint, w.hw_fingerprint);
    EXPECT_EQ(r.model_sha256, w.model_sha256);
    EXPECT_EQ(r.data, w.data);
    EXPECT_EQ(r.verdict, w.verdict);
    EXPECT_EQ(r.error, w.error);
    EXPECT_EQ(r.totals, w.totals);
    EXPECT_EQ(r.layers, w.layers);
    EXPECT_TRUE(same_figures(r, w));
    EXPECT_EQ(inputs_key(r), inputs_key(w));
    EXPECT_EQ(r.source, path.string());
  }
  // Nothing but the file is left in the folder (written through a renamed temporary).
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), std::filesystem::directory_iterator()), 1);
}

TEST_F(BaselineFile, TheTextHasOneLinePerModelConfigAndLayer) {
  std::size_t rows = 0;
  for (const RunRecord& run : sample_baseline().runs) rows += 1 + run.layers.size();  // the total row and the layers
  std::istringstream lines(text);
  std::string line;
  std::size_t row_lines = 0;
  while (std::getline(lines, line)) {
    const auto keys = [&](const std::string& key) {
      std::size_t n = 0;
      for (std::size_t at = line.find(key); at != std::string::npos; at = line.find(key, at + 1)) ++n;
      return n;
    };
    if (keys("\"layer\"") == 0) continue;
    ++row_lines;
    EXPECT_EQ(keys("\"layer\""), 1u) << line;
    EXPECT_EQ(keys("\"model\""), 1u) << line;
  }
  EXPECT_EQ(row_lines, rows);
  EXPECT_THAT(line_with(text, "\"(total)\""), HasSubstr("\"model\":\"resnet50\""));
  EXPECT_THAT(line_with(text, "\"conv2\""), HasSubstr("\"cycles\":200"));
  EXPECT_TRUE(is_baseline_document(nlohmann::json::parse(text)));
}

TEST_F(BaselineFile, AMissingFileIsAUserErrorNamingIt) {
  EXPECT_THAT(user_error([&] { read_baseline(dir / "none.json"); }), HasSubstr((dir / "none.json").string()));
}

TEST_F(BaselineFile, TruncatedJsonIsAUserErrorNamingTheFile) {
  const std::string message = error_reading(text.substr(0, text.size() / 2));
  EXPECT_THAT(message, HasSubstr(path.string()));
  EXPECT_THAT(message, HasSubstr("not valid JSON"));
}

TEST_F(BaselineFile, AnotherVersionIsAUserErrorNamingIt) {
  const std::string message = error_reading(replaced(text, fmt::format("\"baseline\": {}", kBaselineVersion), "\"baseline\": 99"));
  EXPECT_THAT(message, HasSubstr(path.string()));
  EXPECT_THAT(message, HasSubstr("baseline format 99"));
}

TEST_F(BaselineFile, ADocumentWithoutTheVersionKeyIsNotABaseline) {
  const std::string message = error_reading("{\"rows\": []}");
  EXPECT_THAT(message, HasSubstr(path.string()));
  EXPECT_THAT(message, HasSubstr("not a regression baseline"));
}

TEST_F(BaselineFile, ADuplicateRowIsAUserErrorSayingDuplicate) {
  Baseline b = sample_baseline();
  b.runs[0].layers.push_back(b.runs[0].layers[0]);  // conv1 twice
  const std::string message = error_reading(baseline_text(b));
  EXPECT_THAT(message, HasSubstr(path.string()));
  EXPECT_THAT(message, HasSubstr("duplicate"));
  EXPECT_THAT(message, HasSubstr("conv1"));
}

TEST_F(BaselineFile, ADuplicateKeyInOneObjectIsAUserError) {
  const std::string row = line_with(text, "\"conv2\"");
  const std::string message = error_reading(replaced(text, row, replaced(row, "\"cycles\":200", "\"cycles\":200,\"cycles\":200")));
  EXPECT_THAT(message, HasSubstr(path.string()));
  EXPECT_THAT(message, HasSubstr("\"cycles\" appears twice"));
}

TEST_F(BaselineFile, ALayerRowWithoutItsTotalRowIsAUserError) {
  const std::string total = line_with(text, "\"layer\":\"(total)\"");
  ASSERT_THAT(total, HasSubstr("resnet50"));
  const std::string message = error_reading(replaced(text, total + "\n", ""));
  EXPECT_THAT(message, HasSubstr(path.string()));
  EXPECT_THAT(message, HasSubstr("without its \"(total)\" row"));
}

TEST_F(BaselineFile, AKeyThatIsNoMetricIsAUserErrorNamingIt) {
  const std::string row = line_with(text, "\"conv2\"");
  const std::string message = error_reading(replaced(text, row, replaced(row, "\"cycles\":200", "\"cycles\":200,\"speed\":3")));
  EXPECT_THAT(message, HasSubstr(path.string()));
  EXPECT_THAT(message, HasSubstr("\"speed\" is not a metric"));
}

TEST_F(BaselineFile, ANegativeFigureIsAUserError) {
  const std::string row = line_with(text, "\"conv2\"");
  const std::string message = error_reading(replaced(text, row, replaced(row, "\"cycles\":200", "\"cycles\":-200")));
  EXPECT_THAT(message, HasSubstr(path.string()));
  EXPECT_THAT(message, HasSubstr("\"cycles\" must be a non-negative integer"));
}

TEST_F(BaselineFile, ARowWithoutItsModelIsAUserError) {
  const std::string row = line_with(text, "\"conv2\"");
  const std::string message = error_reading(replaced(text, row, replaced(row, "\"model\":\"resnet50\",", "")));
  EXPECT_THAT(message, HasSubstr(path.string()));
  EXPECT_THAT(message, HasSubstr("needs \"model\""));
}

TEST_F(BaselineFile, TwoRunsOfOneModelAndConfigAreRefusedAndNothingIsWritten) {
  Baseline b;
  const RunRecord timing = make_run("resnet50", "v3_96", {{"conv1", 100}});
  RunRecord other = make_run("resnet50", "v3_96", {{"conv1", 90}});
  other.compile_options = "a=off";
  ASSERT_NE(inputs_key(timing), inputs_key(other));
  b.runs = {timing, other};
  const std::string message = user_error([&] { write_baseline(b, path); });
  EXPECT_THAT(message, HasSubstr("two runs of resnet50 on v3_96"));
  EXPECT_THAT(message, HasSubstr("a=off"));
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST_F(BaselineFile, ALayerRowWithoutCyclesIsRefused) {
  Baseline b = sample_baseline();
  write_baseline(b, path);
  const std::string written = read_text(path);
  const std::string row_start = "{\"model\":\"resnet50\",\"config\":\"v3_96\",\"layer\":\"conv1\"";
  const std::size_t at = written.find(row_start);
  ASSERT_NE(at, std::string::npos) << written;
  const std::size_t end = written.find('\n', at);
  std::string row = written.substr(at, end - at);
  const bool comma = row.back() == ',';
  const std::string bare = row_start + ",\"type\":\"conv\"}" + (comma ? "," : "");
  write_text(path, written.substr(0, at) + bare + written.substr(end));
  EXPECT_THAT(user_error([&] { read_baseline(path); }), HasSubstr("has no \"cycles\""));
}

TEST(IsBaselineDocument, TellsABaselineFromARunReport) {
  EXPECT_TRUE(is_baseline_document(nlohmann::json::parse(baseline_text(sample_baseline()))));
  EXPECT_FALSE(is_baseline_document(report::to_json(make_report(commit_of('a'), "m", "c", {{"l", 1}}))));
}

}  // namespace
}  // namespace wb::regress
