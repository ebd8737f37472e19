// Expanding a spec into design points: the order, grid and zip, constraints, the ablation,
// every point checked up front, and keys that change exactly when the result could.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <set>

#include "tests/unit/workbench/sweep/sweep_testing.h"
#include "workbench/sweep/points.h"

namespace wb {
namespace {

using test::user_error_of;
using test::parse_spec;
using test::tiny_model;
using testing::ElementsAre;
using testing::HasSubstr;

std::vector<sweep::DesignPoint> expand(const std::string& yaml) {
  std::map<std::filesystem::path, std::string> digests;
  return sweep::expand_points(parse_spec(yaml), digests);
}

std::string header(const std::string& configs = "../v3_96.yaml") {
  return fmt::format("configs: [{}]\nmodels: [{}]\n", configs, tiny_model());
}

std::vector<std::string> labels(const std::vector<sweep::DesignPoint>& points) {
  std::vector<std::string> out;
  for (const auto& p : points) out.push_back(p.label);
  return out;
}

TEST(SweepPoints, GridVariesTheFirstAxisSlowest) {
  const auto points = expand(header() + "axes:\n  array.rows: [32, 64]\n  am_bytes: [2MiB, 4MiB]\n");
  EXPECT_THAT(labels(points), ElementsAre("tiny_resnet v3_96 array.rows=32 am_bytes=2MiB",
                                          "tiny_resnet v3_96 array.rows=32 am_bytes=4MiB",
                                          "tiny_resnet v3_96 array.rows=64 am_bytes=2MiB",
                                          "tiny_resnet v3_96 array.rows=64 am_bytes=4MiB"));
  for (std::size_t i = 0; i < points.size(); ++i) EXPECT_EQ(points[i].position, static_cast<int>(i));
  EXPECT_EQ(points[3].hw.xdnn().array.rows, 64);
  EXPECT_EQ(points[3].hw.xdnn().am_bytes, 4 << 20);
  EXPECT_THAT(points[3].overrides, ElementsAre("array.rows=64", "am_bytes=4MiB"));
}

TEST(SweepPoints, ZipTakesTheIthValuesTogetherAndNeedsOneLength) {
  const auto points = expand(header() + "combine: zip\naxes:\n  array.rows: [32, 64]\n  am_bytes: [2MiB, 4MiB]\n");
  EXPECT_THAT(labels(points), ElementsAre("tiny_resnet v3_96 array.rows=32 am_bytes=2MiB",
                                          "tiny_resnet v3_96 array.rows=64 am_bytes=4MiB"));
  EXPECT_THAT(test::user_error_of([&] { expand(header() + "combine: zip\naxes:\n  array.rows: [32]\n  am_bytes: [2MiB, 4MiB]\n"); }),
              HasSubstr("zip needs axes of one length"));
}

TEST(SweepPoints, ConstraintsDropPointsOverTheResolvedConfig) {
  // array.cols is not an axis: the constraint sees the resolved config's every key.
  const auto points = expand(header() + "axes:\n  array.rows: [32, 64, 96]\nconstraints:\n  - array.rows * array.cols <= 1024\n");
  EXPECT_EQ(points.size(), 2u);
  EXPECT_THAT(test::user_error_of([&] { expand(header() + "axes:\n  array.rows: [32]\nconstraints:\n  - array.rows > 1000\n"); }),
              HasSubstr("every point was dropped"));
  EXPECT_THAT(test::user_error_of([&] { expand(header() + "constraints:\n  - cores > 2\n"); }),
              testing::AllOf(HasSubstr("test.yaml:4: constraints"), HasSubstr("no base config has")));
  EXPECT_THAT(test::user_error_of([&] { expand(header() + "constraints:\n  - array.rows >\n"); }), HasSubstr("does not parse"));
}

TEST(SweepPoints, AConstraintAppliesToTheTargetsThatHaveItsKeys) {
  const auto points = expand(header("../v3_96.yaml, ../gap8.yaml") + "constraints:\n  - array.rows < 64\n");
  ASSERT_EQ(points.size(), 1u);  // v3_96 (96 rows) dropped, gap8 kept
  EXPECT_EQ(points[0].config, "gap8");
}

TEST(SweepPoints, AValueItsTargetDoesNotTakeIsAnErrorAtLoadTime) {
  EXPECT_THAT(test::user_error_of([&] { expand(header() + "axes:\n  cores: [1, 2]\n"); }),
              testing::AllOf(HasSubstr("test.yaml:4: axes.cores: '1' for v3_96.yaml"), HasSubstr("target pulp")));
  EXPECT_THAT(test::user_error_of([&] { expand(header() + "axes:\n  array.rows: [32,\n    0]\n"); }),
              HasSubstr("test.yaml:5: axes.array.rows: '0'"));
  EXPECT_THAT(test::user_error_of([&] { expand(header() + "axes:\n  compile_opt: [tiler=cost]\n"); }),
              testing::AllOf(HasSubstr("test.yaml:4: axes.compile_opt: 'tiler=cost'"), HasSubstr("not a xdnn compiler option")));
  // Two values that resolve to the same design.
  EXPECT_THAT(test::user_error_of([&] { expand(header() + "axes:\n  compile_opt: [default, weight_pingpong=on]\n"); }),
              HasSubstr("two points are the same design"));
}

TEST(SweepPoints, TheAblationIsEachTargetsOwn) {
  const auto points = expand(header("../v3_96.yaml, ../gap8.yaml") + "axes:\n  compile_opt: ablation\n");
  std::vector<std::string> xdnn, pulp;
  for (const auto& p : points) (p.config == "v3_96" ? xdnn : pulp).push_back(p.params["compile_opt"].get<std::string>());
  EXPECT_THAT(xdnn, ElementsAre("default", "schedule_search=off", "replication=off", "pool_pipelining=off",
                                "weight_pingpong=off", "concat_placement=off", "input_streaming=off",
                                "weight_staging=off", "sibling_merge=off"));
  EXPECT_THAT(pulp, ElementsAre("default", "weight_prefetch=off"));
  EXPECT_THAT(points[1].compile_options, HasSubstr("schedule_search=off,replication=on"));
}

TEST(SweepPoints, KeysChangeExactlyWhenTheResultCould) {
  const auto base = expand(header() + "axes:\n  am_bytes: [4MiB]\n");
  const auto again = expand(header() + "axes:\n  am_bytes: [4MiB]\n");
  EXPECT_EQ(base[0].key, again[0].key);  // deterministic
  // The same design written differently: 4MiB = 4194304; an option at its default.
  EXPECT_EQ(base[0].key, expand(header() + "axes:\n  am_bytes: [4194304]\n")[0].key);
  EXPECT_EQ(expand(header())[0].key, expand(header() + "axes:\n  compile_opt: [weight_pingpong=on]\n")[0].key);
  std::set<std::string> keys = {base[0].key};
  for (const std::string& other :
       {header() + "axes:\n  am_bytes: [8MiB]\n", header() + "mode: verify\naxes:\n  am_bytes: [4MiB]\n",
        header() + "axes:\n  am_bytes: [4MiB]\n  compile_opt: [weight_pingpong=off]\n",
        header() + "quantization: {scheme: pow2}\naxes:\n  am_bytes: [4MiB]\n",
        fmt::format("configs: [../v3_96.yaml]\nmodels: [{}]\naxes:\n  am_bytes: [4MiB]\n", tiny_model("tiny_mobilenet_v2"))}) {
    EXPECT_TRUE(keys.insert(expand(other)[0].key).second) << other;
  }
}

TEST(SweepPoints, NumericKeysAreWhatConstraintsSee) {
  const auto values = sweep::numeric_keys(expand(header())[0].hw);
  EXPECT_EQ(values.at("array.rows"), 96);
  EXPECT_EQ(values.at("clock_mhz"), 700);
  EXPECT_EQ(values.at("depthwise"), 1.0);
  EXPECT_EQ(values.count("name"), 0u);
}

}  // namespace
}  // namespace wb

namespace wb {
namespace {

TEST(SweepPoints, AConstraintDropsCombinationsTheConfigsOwnChecksWouldRefuse) {
  // gap8: l1_tile_budget_bytes may not exceed l1_bytes. The combination (budget 60 KiB, L1
  // 48 KiB) is refused by the config, unless a constraint drops it first.
  const std::string axes = "axes:\n  l1_bytes: [48KiB, 64KiB]\n  l1_tile_budget_bytes: [32KiB, 60KiB]\n";
  EXPECT_THAT(test::user_error_of([&] { expand(header("../gap8.yaml") + axes); }),
              testing::AllOf(HasSubstr("is larger than l1_bytes"), HasSubstr("add a constraint that drops it")));
  const auto points = expand(header("../gap8.yaml") + axes + "constraints:\n  - l1_tile_budget_bytes <= l1_bytes\n");
  EXPECT_EQ(points.size(), 3u);
}

}  // namespace
}  // namespace wb

namespace wb {
namespace {

// An L1 axis alone: gap8.yaml's budget is relative to l1_bytes, so each point tiles into its
// own L1 less the stacks; a value below the stacks is refused with its line, the budget named.
TEST(SweepPoints, AnL1AxisAloneMovesTheRelativeBudget) {
  const auto points = expand(header("../gap8.yaml") + "axes:\n  l1_bytes: [32KiB, 64KiB, 128KiB]\n");
  ASSERT_EQ(points.size(), 3u);
  EXPECT_EQ(points[0].hw.pulp().l1_tile_budget_bytes, 32768 - 28836);
  EXPECT_EQ(points[1].hw.pulp().l1_tile_budget_bytes, 36700);
  EXPECT_EQ(points[2].hw.pulp().l1_tile_budget_bytes, 131072 - 28836);
  EXPECT_THAT(user_error_of([&] { expand(header("../gap8.yaml") + "axes:\n  l1_bytes: [16KiB, 64KiB]\n"); }),
              testing::AllOf(HasSubstr("l1_bytes: '16KiB' for gap8.yaml"), HasSubstr("l1_tile_budget_bytes"),
                             HasSubstr("not a size")));
}

// A plain budget axis beside an L1 axis: each value alone passes (no rule between keys then),
// and constraints see the point's resolved keys, relative budgets included.
TEST(SweepPoints, ConstraintsSeeRelativeBudgetsResolved) {
  const std::string axes =
      "axes:\n  l1_bytes: [48KiB, 96KiB]\n  l1_tile_budget_bytes: [l1_bytes - 28836, 40KiB]\n";
  const auto points = expand(header("../gap8.yaml") + axes + "constraints:\n  - l1_tile_budget_bytes <= l1_bytes - 28836\n");
  ASSERT_EQ(points.size(), 3u);  // 40 KiB fits 96 KiB less the stacks only
  EXPECT_EQ(points[0].hw.pulp().l1_tile_budget_bytes, 49152 - 28836);
  EXPECT_EQ(points[2].hw.pulp().l1_tile_budget_bytes, 40960);
  EXPECT_EQ(points[2].hw.pulp().l1_bytes, 98304);
}

}  // namespace
}  // namespace wb
