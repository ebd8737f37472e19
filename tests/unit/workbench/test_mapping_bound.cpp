// A layer whose shape fills little of the xDNN array (RegNet's grouped convs, 8 channels a
// group against 96 rows) is bound by `mapping`, not `compute`: the report, the console's
// `map %` column and the CSV say so; a dense conv beside it stays compute- or memory-bound,
// and PULP, without such a mapping, never reports it.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "support/file_io.h"
#include "tests/support/cli_testing.h"
#include "tests/support/onnx_builder.h"
#include "tests/support/test_paths.h"

namespace wb::mapping_bound_test {
namespace {

using testing::HasSubstr;

// 64 channels at 28x28: a dense 3x3 conv, then a grouped one of RegNet-Y-400MF's group width 8.
std::filesystem::path grouped_model(const test::TempDir& dir) {
  test::OnnxBuilder b;
  b.input("x", {1, 64, 28, 28}).output("y");
  b.initializer("w_dense", test::random_tensor({64, 64, 3, 3}, 1));
  b.initializer("w_grouped", test::random_tensor({64, 8, 3, 3}, 2));
  test::set_attr(b.node("Conv", {"x", "w_dense"}, {"a"}, "dense"), "pads", std::vector<std::int64_t>{1, 1, 1, 1});
  b.node("Relu", {"a"}, {"b"}, "relu_dense");
  onnx::NodeProto& grouped = b.node("Conv", {"b", "w_grouped"}, {"c"}, "grouped");
  test::set_attr(grouped, "pads", std::vector<std::int64_t>{1, 1, 1, 1});
  test::set_attr(grouped, "group", std::int64_t{8});
  b.node("Relu", {"c"}, {"y"}, "relu_grouped");
  const auto path = dir / "grouped.onnx";
  b.save(path);
  return path;
}

const nlohmann::json& layer_named(const nlohmann::json& report, const std::string& prefix) {
  for (const auto& layer : report["layers"]) {
    if (layer["name"].get<std::string>().rfind(prefix, 0) == 0) return layer;
  }
  throw std::runtime_error("no layer " + prefix);
}

TEST(MappingBound, AGroupedConvOnTheArrayIsMappingBound) {
  const test::TempDir dir;
  const auto model = grouped_model(dir);
  const test::CommandResult run = test::workbench(
      fmt::format("run {} --hw {} --calib-count 2 --json {} --csv {}", model.string(),
                  (test::source_dir() / "configs" / "v3_96.yaml").string(), (dir / "r.json").string(),
                  (dir / "r.csv").string()));
  ASSERT_EQ(run.exit_code, 0) << run.out;
  const nlohmann::json report = test::read_json(dir / "r.json");
  const nlohmann::json& grouped = layer_named(report, "grouped");
  const nlohmann::json& dense = layer_named(report, "dense");
  EXPECT_LT(grouped["xdnn"]["mapping_efficiency"].get<double>(), 0.1);
  EXPECT_EQ(grouped["bound"]["binding"], "mapping");
  EXPECT_GT(2 * grouped["bound"]["mapping_cycles"].get<std::uint64_t>(), grouped["bound"]["compute_cycles"].get<std::uint64_t>());
  EXPECT_NE(dense["bound"]["binding"], "mapping");
  EXPECT_GT(dense["xdnn"]["mapping_efficiency"].get<double>(), 0.6);
  // The console: the array's share per layer beside the bound.
  EXPECT_THAT(run.out, HasSubstr("map %"));
  EXPECT_THAT(run.out, testing::ContainsRegex("grouped.* [0-9] .*mapping [0-9]+%"));
  EXPECT_THAT(read_file_bytes(dir / "r.csv"), HasSubstr(",mapping,"));
  EXPECT_EQ(report["verdict"], "bit-exact");
}

TEST(MappingBound, PulpHasNoArrayMapping) {
  const test::TempDir dir;
  const auto model = grouped_model(dir);
  const test::CommandResult run = test::workbench(
      fmt::format("run {} --hw {} --calib-count 2 --no-data --json {}", model.string(),
                  (test::source_dir() / "configs" / "gap8.yaml").string(), (dir / "r.json").string()));
  ASSERT_EQ(run.exit_code, 0) << run.out;
  const nlohmann::json report = test::read_json(dir / "r.json");
  for (const auto& layer : report["layers"]) {
    if (layer.contains("bound")) EXPECT_NE(layer["bound"]["binding"], "mapping") << layer["name"];
  }
  EXPECT_THAT(run.out, testing::Not(HasSubstr("map %")));
}

}  // namespace
}  // namespace wb::mapping_bound_test
