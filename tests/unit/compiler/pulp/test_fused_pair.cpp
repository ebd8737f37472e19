// Depth-first fusion of a depthwise layer with the pointwise layer after it (fusion=on|all):
// which pairs may fuse, the fused layer as emitted (the intermediate never leaves L1), and the
// choice between the network fused and apart by what the referee measures.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/pulp/compile.h"
#include "compiler/pulp/fused_pair.h"
#include "compiler/pulp/layer_mapping.h"
#include "isa/pulp_program.h"
#include "support/error.h"
#include "tests/unit/compiler/pulp/pulp_testing.h"

namespace wb::pulp {
namespace {

// A referee that answers with the predictor's figures, a fused layer's scaled by `fused_factor`:
// what the cluster would say if fused layers ran that much slower (or faster) than predicted.
class ScaledReferee : public TilingReferee {
 public:
  explicit ScaledReferee(double fused_factor) : fused_factor_(fused_factor) {}

  std::vector<TilingMeasurement> measure(const std::vector<TilingTrial>& trials, const HwConfig&,
                                         std::uint64_t) const override {
    std::vector<TilingMeasurement> result;
    for (const TilingTrial& trial : trials) result.push_back(figure(trial.layer));
    return result;
  }

  std::vector<TilingMeasurement> measure_network(const isa::pulp::Network& network, const HwConfig&) const override {
    ++networks;
    std::vector<TilingMeasurement> result;
    for (const auto& layer : network.layers()) result.push_back(figure(layer));
    return result;
  }

  mutable int networks = 0;

 private:
  TilingMeasurement figure(const isa::pulp::Layer& layer) const {
    const double cycles = static_cast<double>(layer.tiling().predicted_cycles());
    const double scaled = layer.type() == "depthwise+pointwise" ? cycles * fused_factor_ : cycles;
    return {static_cast<std::uint64_t>(scaled), scaled};
  }

  double fused_factor_;
};

CompileOptions fusing(Fusion fusion, bool measured = false) {
  CompileOptions options;
  options.tiler = TilerObjective::Cost;
  options.fusion = fusion;
  options.measure_tilings = measured;
  return options;
}

std::vector<const isa::pulp::Layer*> fused_layers(const isa::pulp::Network& network) {
  std::vector<const isa::pulp::Layer*> fused;
  for (const auto& layer : network.layers()) {
    if (layer.type() == "depthwise+pointwise") fused.push_back(&layer);
  }
  return fused;
}

std::size_t index_of(const LayerMapping& mapping, isa::pulp::KernelKind kind) {
  for (std::size_t i = 0; i < mapping.layers.size(); ++i) {
    if (mapping.layers[i].kind == kind) return i;
  }
  return mapping.layers.size();
}

TEST(FusedPair, ADepthwiseReadOnlyByThePointwiseAfterItMayFuseAndNoOtherPair) {
  // small_pulp_cnn: conv -> depthwise -> pointwise -> add (with the conv) -> ...
  const quant::QGraph& graph = test::small_pulp_cnn_qgraph();
  const LayerMapping mapping = map_layers(graph);
  const std::size_t dw = index_of(mapping, isa::pulp::KERNEL_DEPTHWISE);
  ASSERT_LT(dw + 1, mapping.layers.size());
  for (std::size_t i = 0; i < mapping.layers.size(); ++i) EXPECT_EQ(fusable_pair(graph, mapping, i), i == dw) << i;
  // se_pulp_cnn's depthwise feeds a HardSwish, not a pointwise layer.
  const quant::QGraph& se = test::se_pulp_cnn_qgraph();
  const LayerMapping se_mapping = map_layers(se);
  for (std::size_t i = 0; i < se_mapping.layers.size(); ++i) EXPECT_FALSE(fusable_pair(se, se_mapping, i)) << i;
  // A depthwise output the network also returns must reach L2: not fusable.
  quant::QGraph returned = graph;
  returned.outputs.push_back(mapping.layers[dw].output);
  EXPECT_FALSE(fusable_pair(returned, map_layers(returned), dw));
}

TEST(FusedPair, FusionAllRunsThePairAsOneLayerWhoseIntermediateNeverLeavesL1) {
  const quant::QGraph& graph = test::small_pulp_cnn_qgraph();
  const HwConfig config = test::pulp_config();
  const LayerMapping mapping = map_layers(graph);
  const std::size_t dw = index_of(mapping, isa::pulp::KERNEL_DEPTHWISE);
  const CompileResult apart = compile_pulp(graph, config, fusing(Fusion::Off));
  const CompileResult fused = compile_pulp(graph, config, fusing(Fusion::All));
  ASSERT_EQ(fused.network.layers_size() + 1, apart.network.layers_size());
  const auto layers = fused_layers(fused.network);
  ASSERT_EQ(layers.size(), 1u);
  const isa::pulp::Layer& layer = *layers.front();
  EXPECT_EQ(layer.name(), mapping.layers[dw].name + "+" + mapping.layers[dw + 1].name);
  EXPECT_EQ(layer.macs(), mapping.layers[dw].macs + mapping.layers[dw + 1].macs);
  EXPECT_EQ(layer.output(), graph.tensor(mapping.layers[dw + 1].output).name);
  EXPECT_LE(layer.tiling().l1_total_bytes(), static_cast<std::uint64_t>(config.pulp().l1_tile_budget_bytes));
  // Per row tile a depthwise call that writes nothing back, then pointwise calls that write
  // back their tiles: together the pointwise output, once.
  std::uint64_t written = 0;
  bool depthwise_first = true;
  std::size_t depthwise_steps = 0;
  for (int k = 0; k < layer.steps_size(); ++k) {
    const isa::pulp::Step& step = layer.steps(k);
    ASSERT_TRUE(step.has_compute());
    if (step.compute().kind() == isa::pulp::KERNEL_DEPTHWISE) {
      ++depthwise_steps;
      EXPECT_EQ(step.write_back_size(), 0) << k;
      // The pointwise calls of this row tile read what it writes, in L1.
      ASSERT_LT(k + 1, layer.steps_size());
      EXPECT_EQ(layer.steps(k + 1).compute().input(), step.compute().output()) << k;
    } else {
      EXPECT_EQ(step.compute().kind(), isa::pulp::KERNEL_POINTWISE) << k;
      depthwise_first = depthwise_first && depthwise_steps > 0;
      for (const auto& copy : step.write_back()) written += isa::pulp::copy_bytes(copy);
    }
    // No copy reads or writes the intermediate in L2: the only L2 addresses are the
    // depthwise input, the weights and the pointwise output.
    for (const auto& copy : step.load()) EXPECT_EQ(copy.destination_memory(), isa::pulp::MEMORY_L1);
    for (const auto& copy : step.prefetch()) EXPECT_EQ(copy.destination_memory(), isa::pulp::MEMORY_L1);
  }
  EXPECT_TRUE(depthwise_first);
  EXPECT_EQ(depthwise_steps, layer.tiling().tile_h_out() == 0
                                 ? 0u
                                 : (static_cast<std::size_t>(layer.output_shape(2)) + layer.tiling().tile_h_out() - 1) /
                                       layer.tiling().tile_h_out());
  const auto& out = graph.tensor(mapping.layers[dw + 1].output);
  EXPECT_EQ(written, static_cast<std::uint64_t>(out.shape[1] * out.shape[2] * out.shape[3]));
  EXPECT_EQ(isa::pulp::output_signed(layer), out.is_signed);
  EXPECT_EQ(fused.report["fused_pairs"], 1);
  EXPECT_EQ(fused.report["fusion_candidates"], 1);
  // The program says it was compiled fused.
  EXPECT_THAT(fused.network.header().compile_options(), testing::HasSubstr("fusion=all"));
}

TEST(FusedPair, FusionOnKeepsThePairFusedOnlyWhereTheRefereeMeasuresItFaster) {
  const quant::QGraph& graph = test::small_pulp_cnn_qgraph();
  const HwConfig config = test::pulp_config();
  const CompileResult apart = compile_pulp(graph, config, fusing(Fusion::Off, true), nullptr);
  for (const double factor : {0.5, 2.0}) {
    const ScaledReferee referee(factor);
    const CompileResult r = compile_pulp(graph, config, fusing(Fusion::On, true), &referee);
    EXPECT_EQ(fused_layers(r.network).size(), factor < 1 ? 1u : 0u) << factor;
    EXPECT_EQ(r.report["fusion_candidates"], 1) << factor;
    EXPECT_EQ(r.report["fused_pairs"], factor < 1 ? 1 : 0) << factor;
    EXPECT_GE(referee.networks, 2) << "the network apart and fused, each measured whole";
    if (factor > 1) {
      // Apart, the plan is the one fusion=off makes.
      ASSERT_EQ(r.network.layers_size(), apart.network.layers_size());
      for (int k = 0; k < r.network.layers_size(); ++k) {
        EXPECT_EQ(r.network.layers(k).SerializeAsString(), apart.network.layers(k).SerializeAsString()) << k;
      }
    }
  }
}

// A referee that measures fused layers fastest the later they come among the trials it is given
// (the predictor's worst of them fastest) and every other layer as predicted; it keeps what it
// was asked to measure.
class LastFusedFastestReferee : public TilingReferee {
 public:
  std::vector<TilingMeasurement> measure(const std::vector<TilingTrial>& trials, const HwConfig&,
                                         std::uint64_t) const override {
    std::vector<TilingMeasurement> result;
    const bool fused = trials.front().layer.type() == "depthwise+pointwise";
    if (fused) asked.push_back(trials);
    for (std::size_t k = 0; k < trials.size(); ++k) {
      const auto predicted = trials[k].layer.tiling().predicted_cycles();
      const std::uint64_t cycles = fused ? 1000 * (trials.size() - k) : predicted;
      result.push_back({cycles, static_cast<double>(cycles)});
    }
    return result;
  }

  std::vector<TilingMeasurement> measure_network(const isa::pulp::Network& network, const HwConfig&) const override {
    std::vector<TilingMeasurement> result;
    for (const auto& layer : network.layers()) {
      const auto cycles = layer.tiling().predicted_cycles();
      result.push_back({cycles, static_cast<double>(cycles)});
    }
    return result;
  }

  mutable std::vector<std::vector<TilingTrial>> asked;  // each fused pair's trials
};

TEST(FusedPair, TheRefereeMeasuresTheBestPredictedFusedTilingsAndTheFastestMeasuredWins) {
  const quant::QGraph& graph = test::small_pulp_cnn_qgraph();
  const HwConfig config = test::pulp_config();
  const CompileOptions options = fusing(Fusion::All, true);
  const CompileResult predicted = compile_pulp(graph, config, options, nullptr);
  const LastFusedFastestReferee referee;
  const CompileResult measured = compile_pulp(graph, config, options, &referee);
  ASSERT_EQ(fused_layers(predicted.network).size(), 1u);
  ASSERT_EQ(fused_layers(measured.network).size(), 1u);
  // The measured plan is made once with the predictor alone (to find the pairs that fit), then
  // with the referee: one set of fused trials, the predictor's best first.
  ASSERT_EQ(referee.asked.size(), 1u);
  const std::vector<TilingTrial>& trials = referee.asked.front();
  ASSERT_EQ(trials.size(), 1 + options.measured_tilings);
  const isa::pulp::Tiling& best_predicted = fused_layers(predicted.network).front()->tiling();
  EXPECT_EQ(trials.front().layer.tiling().SerializeAsString(), best_predicted.SerializeAsString());
  for (std::size_t k = 1; k < trials.size(); ++k) {
    EXPECT_GE(trials[k].layer.tiling().predicted_cycles(), trials[k - 1].layer.tiling().predicted_cycles()) << k;
    // Each trial runs after the layer before the pair, as the network runs it.
    ASSERT_TRUE(trials[k].before.has_value()) << k;
    EXPECT_EQ(trials[k].before->name(), trials.front().before->name());
  }
  // The last measured (the referee's fastest) is the one compiled.
  const isa::pulp::Tiling& chosen = fused_layers(measured.network).front()->tiling();
  EXPECT_EQ(chosen.SerializeAsString(), trials.back().layer.tiling().SerializeAsString());
  EXPECT_NE(chosen.SerializeAsString(), best_predicted.SerializeAsString());
  EXPECT_GE(measured.report["tilings_measured"].get<std::uint64_t>(), trials.size());
  EXPECT_GE(measured.report["layers_overruling_predictor"].get<std::uint64_t>(), 1u);
}

TEST(FusedPair, APairTheL1CannotHoldFusedRunsApartUnderFusionAll) {
  // 2,200 bytes of L1 (3 KiB fuse it): no row of the depthwise input (twice), the intermediate
  // and the pointwise tiles fits, so the pair runs apart, as planned without fusion.
  const HwConfig config = test::pulp_config({"l1_tile_budget_bytes=2200"});
  const quant::QGraph& graph = test::small_pulp_cnn_qgraph();
  const CompileResult r = compile_pulp(graph, config, fusing(Fusion::All));
  EXPECT_TRUE(fused_layers(r.network).empty());
  EXPECT_EQ(r.report["fusion_candidates"], 1);
  EXPECT_EQ(r.report["fused_pairs"], 0);
  EXPECT_EQ(r.network.layers_size(), compile_pulp(graph, config, fusing(Fusion::Off)).network.layers_size());
}

}  // namespace
}  // namespace wb::pulp
