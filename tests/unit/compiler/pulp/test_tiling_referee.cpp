// tiler=cost/energy with a tiling referee (compiler/pulp/tiling_referee.h): which candidates it
// is asked to measure, and that its measurement, not the predictor's ranking, decides.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "compiler/pulp/compile.h"
#include "tests/unit/compiler/pulp/program_checks.h"
#include "tests/unit/compiler/pulp/pulp_testing.h"

namespace wb::pulp {
namespace {

// A referee that scores candidates by a rule the test sets and remembers what it was asked.
class ScriptedReferee : public TilingReferee {
 public:
  using Score = std::function<TilingMeasurement(std::size_t position, std::size_t count)>;
  explicit ScriptedReferee(Score score) : score_(std::move(score)) {}

  std::vector<TilingMeasurement> measure(const std::vector<TilingTrial>& trials, const HwConfig&,
                                         std::uint64_t) const override {
    std::vector<isa::pulp::Layer> candidates;
    for (const TilingTrial& trial : trials) candidates.push_back(trial.layer);
    asked.push_back(candidates);
    befores.push_back(trials.front().before);
    std::vector<TilingMeasurement> result;
    for (std::size_t k = 0; k < candidates.size(); ++k) result.push_back(score_(k, candidates.size()));
    if (drop_one && !result.empty()) result.pop_back();
    return result;
  }

  // Whole networks (fusion=on): each layer scored by its position among them.
  std::vector<TilingMeasurement> measure_network(const isa::pulp::Network& network, const HwConfig&) const override {
    std::vector<TilingMeasurement> result;
    for (int k = 0; k < network.layers_size(); ++k) {
      result.push_back(score_(static_cast<std::size_t>(k), static_cast<std::size_t>(network.layers_size())));
    }
    return result;
  }

  mutable std::vector<std::vector<isa::pulp::Layer>> asked;
  mutable std::vector<std::optional<isa::pulp::Layer>> befores;  // each call's first trial's
  bool drop_one = false;

 private:
  Score score_;
};

// Eight KiB of L1: the small CNN's layers have several tilings to choose from.
HwConfig tight_l1() { return test::pulp_config({"l1_tile_budget_bytes=8KiB"}); }

bool same_tile(const isa::pulp::Tiling& a, const isa::pulp::Tiling& b) {
  return a.tile_c_out() == b.tile_c_out() && a.tile_h_out() == b.tile_h_out() && a.tile_w_out() == b.tile_w_out() &&
         a.tile_c_in() == b.tile_c_in() && a.parallel() == b.parallel() && a.depthwise_plane() == b.depthwise_plane();
}

const isa::pulp::Layer& layer_named(const isa::pulp::Network& network, const std::string& name) {
  for (const auto& layer : network.layers()) {
    if (layer.name() == name) return layer;
  }
  throw std::out_of_range(name);
}

TEST(TilingReferee, TheMeasuredFastestWinsEvenWhereThePredictorRanksItLast) {
  // The referee measures the last candidate it is given (the worst predicted) fastest.
  const ScriptedReferee referee([](std::size_t k, std::size_t n) { return TilingMeasurement{1000 * (n - k), 1.0}; });
  const CompileOptions cost = parse_compile_options({"tiler=cost"});
  const CompileResult r = compile_pulp(test::small_pulp_cnn_qgraph(), tight_l1(), cost, &referee);
  const CompileResult dory = compile_pulp(test::small_pulp_cnn_qgraph(), tight_l1(), {});
  ASSERT_FALSE(referee.asked.empty());
  std::size_t overruled = 0, measured = 0;
  for (const auto& candidates : referee.asked) {
    ASSERT_GE(candidates.size(), 1u);
    measured += candidates.size();
    // DORY's tiling first, then at most measured_tilings others, each a different tiling.
    EXPECT_LE(candidates.size(), 1 + cost.measured_tilings);
    const std::string& name = candidates.front().name();
    EXPECT_TRUE(same_tile(candidates.front().tiling(), layer_named(dory.network, name).tiling())) << name;
    for (std::size_t a = 0; a < candidates.size(); ++a) {
      for (std::size_t b = a + 1; b < candidates.size(); ++b) {
        EXPECT_FALSE(same_tile(candidates[a].tiling(), candidates[b].tiling()))
            << name << " " << a << " " << b << "\n" << candidates[a].tiling().DebugString() << "\n" << candidates[b].tiling().DebugString();
      }
    }
    EXPECT_TRUE(same_tile(layer_named(r.network, name).tiling(), candidates.back().tiling())) << name;
    if (candidates.size() > 1) ++overruled;
  }
  EXPECT_GT(overruled, 0u);
  EXPECT_EQ(r.report.at("tilings_measured").get<std::uint64_t>(), measured);
  // Each candidate runs after the layer the network runs before it (none before the first).
  for (std::size_t call = 0; call < referee.asked.size(); ++call) {
    const std::string& name = referee.asked[call].front().name();
    int at = 0;
    while (r.network.layers(at).name() != name) ++at;
    if (at == 0) {
      EXPECT_FALSE(referee.befores[call].has_value()) << name;
    } else {
      ASSERT_TRUE(referee.befores[call].has_value()) << name;
      EXPECT_EQ(referee.befores[call]->name(), r.network.layers(at - 1).name());
    }
  }
  EXPECT_GT(r.report.at("layers_overruling_predictor").get<std::uint64_t>(), 0u);
}

TEST(TilingReferee, MeasuredTilingsSetsHowManyBesideDorysAreMeasured) {
  std::vector<std::size_t> largest;
  for (const std::string k : {"1", "4"}) {
    const ScriptedReferee referee([](std::size_t position, std::size_t) { return TilingMeasurement{100 + position, 1.0}; });
    compile_pulp(test::small_pulp_cnn_qgraph(), tight_l1(), parse_compile_options({"tiler=cost", "measured_tilings=" + k}),
                 &referee);
    std::size_t most = 0;
    for (const auto& candidates : referee.asked) most = std::max(most, candidates.size());
    largest.push_back(most);
  }
  EXPECT_EQ(largest[0], 2u);
  EXPECT_GT(largest[1], 2u);
  EXPECT_LE(largest[1], 5u);
}

TEST(TilingReferee, OffWithoutARefereeOrUnderDoryThePredictorDecidesAlone) {
  const ScriptedReferee referee([](std::size_t k, std::size_t n) { return TilingMeasurement{1000 * (n - k), 1.0}; });
  const CompileResult unmeasured = compile_pulp(test::small_pulp_cnn_qgraph(), tight_l1(),
                                                parse_compile_options({"tiler=cost", "tile_choice=predicted"}), &referee);
  const CompileResult alone = compile_pulp(test::small_pulp_cnn_qgraph(), tight_l1(), parse_compile_options({"tiler=cost"}));
  compile_pulp(test::small_pulp_cnn_qgraph(), tight_l1(), parse_compile_options({"tiler=dory"}), &referee);
  EXPECT_TRUE(referee.asked.empty());
  ASSERT_EQ(unmeasured.network.layers_size(), alone.network.layers_size());
  for (int l = 0; l < alone.network.layers_size(); ++l) {
    EXPECT_TRUE(same_tile(unmeasured.network.layers(l).tiling(), alone.network.layers(l).tiling())) << l;
  }
  EXPECT_EQ(unmeasured.report.at("tilings_measured").get<std::uint64_t>(), 0u);
}

TEST(TilingReferee, TheEnergyObjectiveComparesMeasuredEnergyNotCycles) {
  // Cycles rank the first candidate fastest, energy the last cheapest.
  const ScriptedReferee referee(
      [](std::size_t k, std::size_t n) { return TilingMeasurement{100 + k, static_cast<double>(n - k)}; });
  const CompileResult r =
      compile_pulp(test::small_pulp_cnn_qgraph(), tight_l1(), parse_compile_options({"tiler=energy"}), &referee);
  ASSERT_FALSE(referee.asked.empty());
  for (const auto& candidates : referee.asked) {
    EXPECT_TRUE(same_tile(layer_named(r.network, candidates.front().name()).tiling(), candidates.back().tiling()))
        << candidates.front().name();
  }
}

// A layer whose weights L2 holds only in double-buffered chunks (small_pulp_cnn's last conv,
// 32 x 16 x 3 x 3, in 7 KiB of L2), from an L3 slow enough (0.1 byte a cycle) that a chunk's load
// is a large part of the layer: tiler=cost offers chunks of fewer output channels than DORY's,
// and the measurement decides between them. This referee measures the trial with the most L3
// chunks fastest.
class MostL3ChunksFastest : public TilingReferee {
 public:
  std::vector<TilingMeasurement> measure(const std::vector<TilingTrial>& trials, const HwConfig&,
                                         std::uint64_t) const override {
    std::vector<TilingMeasurement> result;
    asked.emplace_back(trials.front().layer.name(), std::vector<std::uint32_t>{});
    for (const TilingTrial& trial : trials) {
      const std::uint32_t chunks = trial.layer.tiling().l3_chunks();
      asked.back().second.push_back(chunks);
      result.push_back(TilingMeasurement{1000000u / chunks, 1.0});
    }
    return result;
  }
  std::vector<TilingMeasurement> measure_network(const isa::pulp::Network&, const HwConfig&) const override {
    return {};
  }
  mutable std::vector<std::pair<std::string, std::vector<std::uint32_t>>> asked;  // each call's L3 chunks
};

TEST(TilingReferee, SmallerChunksOfL3WeightsThanDorysAreMeasuredAndTheFastestWins) {
  const HwConfig config = test::pulp_config({"l1_tile_budget_bytes=8KiB", "l2_bytes=7KiB", "l3_bytes_per_cycle=0.1"});
  const MostL3ChunksFastest referee;
  const CompileResult r = compile_pulp(test::small_pulp_cnn_qgraph(), config,
                                       parse_compile_options({"tiler=cost", "measured_tilings=64"}), &referee);
  check_program(r.network, config.pulp());
  const CompileResult dory = compile_pulp(test::small_pulp_cnn_qgraph(), config, {});
  const std::uint32_t dory_chunks = layer_named(dory.network, "conv3").tiling().l3_chunks();
  ASSERT_GT(dory_chunks, 1u) << "conv3's weights come in chunks";
  bool offered = false;
  for (const auto& [name, chunks] : referee.asked) {
    const std::uint32_t most = *std::max_element(chunks.begin(), chunks.end());
    EXPECT_EQ(layer_named(r.network, name).tiling().l3_chunks(), most) << name;
    if (name == "conv3") offered = most > dory_chunks;
  }
  EXPECT_TRUE(offered) << "smaller weight chunks than DORY's were measured";
  EXPECT_GT(layer_named(r.network, "conv3").tiling().l3_chunks(), dory_chunks);
}

TEST(TilingReferee, ARefereeThatSkipsACandidateIsABug) {
  ScriptedReferee referee([](std::size_t, std::size_t) { return TilingMeasurement{1, 1.0}; });
  referee.drop_one = true;
  EXPECT_THROW(compile_pulp(test::small_pulp_cnn_qgraph(), tight_l1(), parse_compile_options({"tiler=cost"}), &referee),
               std::logic_error);
}

}  // namespace
}  // namespace wb::pulp
