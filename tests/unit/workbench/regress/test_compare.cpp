// compare_runs / print_comparison / comparison_fails: what fails (worse beyond a threshold,
// a verdict leaving bit-exact, a determinism bug), what is only reported (improvements, a
// layer's cycle breakdown, runs on one side), and how runs are paired.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "support/error.h"
#include "tests/unit/workbench/regress/regress_testing.h"
#include "workbench/regress/compare.h"

namespace wb::regress {
namespace {

using testing::ElementsAre;
using testing::HasSubstr;
using testing::Not;
using namespace wb::regress::fixtures;

std::string printed(const Comparison& c, const CompareOptions& options) {
  std::ostringstream os;
  print_comparison(c, options, os);
  return os.str();
}

const FigureChange* find_change(const std::vector<FigureChange>& changes, const std::string& layer,
                                const std::string& metric) {
  const auto it = std::find_if(changes.begin(), changes.end(),
                               [&](const FigureChange& f) { return f.layer == layer && f.metric == metric; });
  return it == changes.end() ? nullptr : &*it;
}

CompareOptions with_threshold(const std::string& item) {
  CompareOptions options;
  add_threshold(options.thresholds, item);
  return options;
}

TEST(Compare, AWorseLayerFailsAndIsNamedWithItsDelta) {
  const RunRecord base = make_run("resnet50", "v3_96", {{"conv1", 100}, {"conv2", 200}}, "b1");
  const RunRecord now = make_run("resnet50", "v3_96", {{"conv1", 125}, {"conv2", 200}}, "b2");
  const CompareOptions options;
  const Comparison c = compare_runs({base}, {now}, options);
  ASSERT_EQ(c.cases.size(), 1u);
  EXPECT_EQ(c.cases[0].name, "resnet50 on v3_96");
  EXPECT_TRUE(c.determinism_bugs.empty());
  const FigureChange* layer = find_change(c.cases[0].layers, "conv1", "cycles");
  ASSERT_NE(layer, nullptr);
  EXPECT_EQ(layer->before, 100u);
  EXPECT_EQ(layer->after, 125u);
  EXPECT_DOUBLE_EQ(layer->relative(), 0.25);
  EXPECT_TRUE(layer->worse());
  EXPECT_TRUE(layer->regression);
  EXPECT_EQ(find_change(c.cases[0].layers, "conv2", "cycles"), nullptr);  // unchanged: not listed
  const FigureChange* total = find_change(c.cases[0].totals, "", "cycles");
  ASSERT_NE(total, nullptr);
  EXPECT_EQ(total->before, 300u);
  EXPECT_EQ(total->after, 325u);
  ASSERT_TRUE(c.cases[0].cycles_ratio.has_value());
  EXPECT_DOUBLE_EQ(*c.cases[0].cycles_ratio, 325.0 / 300);
  EXPECT_TRUE(comparison_fails(c, options));

  const std::string out = printed(c, options);
  EXPECT_THAT(out, HasSubstr("conv1"));
  EXPECT_THAT(out, HasSubstr("+25 "));
  EXPECT_THAT(out, HasSubstr("+25.00%"));
  EXPECT_THAT(out, HasSubstr("WORSE"));
  EXPECT_THAT(out, HasSubstr("-> FAIL"));
}

TEST(Compare, AnImprovementOnlyIsReportedAsBetterButDoesNotFail) {
  const RunRecord base = make_run("resnet50", "v3_96", {{"conv1", 100}, {"conv2", 200}}, "b1");
  const RunRecord now = make_run("resnet50", "v3_96", {{"conv1", 80}, {"conv2", 200}}, "b2");
  const CompareOptions options;
  const Comparison c = compare_runs({base}, {now}, options);
  const FigureChange* layer = find_change(c.cases.at(0).layers, "conv1", "cycles");
  ASSERT_NE(layer, nullptr);
  EXPECT_FALSE(layer->worse());
  EXPECT_FALSE(layer->regression);
  EXPECT_DOUBLE_EQ(layer->relative(), -0.20);
  EXPECT_FALSE(comparison_fails(c, options));
  const std::string out = printed(c, options);
  EXPECT_THAT(out, HasSubstr("better"));
  EXPECT_THAT(out, HasSubstr("-20 "));
  EXPECT_THAT(out, HasSubstr("-20.00%"));
  EXPECT_THAT(out, HasSubstr("no figure got worse"));
  EXPECT_THAT(out, HasSubstr("-> ok"));
  EXPECT_THAT(out, Not(HasSubstr("FAIL")));
}

TEST(Compare, WithAnyChangeFailsAnImprovementFails) {
  CompareOptions options;
  options.any_change_fails = true;
  const Comparison c = compare_runs({make_run("resnet50", "v3_96", {{"conv1", 100}}, "b1")},
                                    {make_run("resnet50", "v3_96", {{"conv1", 90}}, "b2")}, options);
  EXPECT_TRUE(comparison_fails(c, options));
  EXPECT_THAT(printed(c, options), HasSubstr("CHANGED"));
}

TEST(Compare, EqualRunsOfDifferentBuildsDoNotFailAndPrintOnlyTheSummary) {
  const CompareOptions options;
  const Comparison c = compare_runs({make_run("resnet50", "v3_96", {{"conv1", 100}}, "b1")},
                                    {make_run("resnet50", "v3_96", {{"conv1", 100}}, "b2")}, options);
  ASSERT_EQ(c.cases.size(), 1u);
  EXPECT_FALSE(c.cases[0].changed());
  EXPECT_FALSE(comparison_fails(c, options));
  const std::string out = printed(c, options);
  EXPECT_THAT(out, HasSubstr("geomean total-cycles ratio 1.0000"));
  EXPECT_THAT(out, Not(HasSubstr("resnet50 on v3_96")));  // no block for an unchanged case
}

TEST(Thresholds, ParsesAPercentageForEveryMetricOrForOne) {
  Thresholds t;
  add_threshold(t, "1%");
  EXPECT_DOUBLE_EQ(t.all, 0.01);
  add_threshold(t, "cycles=2%");
  EXPECT_DOUBLE_EQ(t.of("cycles"), 0.02);
  EXPECT_DOUBLE_EQ(t.of("macs"), 0.01);
  add_threshold(t, "bytes_in=0.5%");
  EXPECT_DOUBLE_EQ(t.of("bytes_in"), 0.005);
  add_threshold(t, "0");
  EXPECT_DOUBLE_EQ(t.all, 0.0);
  EXPECT_DOUBLE_EQ(t.of("cycles"), 0.02);
}

TEST(Thresholds, BadItemsAreUserErrorsNamingTheItem) {
  for (const std::string item : {"1", "x%", "%", "-1%", "1%%", "cycles=", "cycles=abc", "foo=1%"}) {
    Thresholds t;
    const std::string message = user_error([&] { add_threshold(t, item); });
    EXPECT_THAT(message, HasSubstr(fmt::format("--threshold {}", item))) << item;
  }
  Thresholds t;
  EXPECT_THAT(user_error([&] { add_threshold(t, "foo=1%"); }), HasSubstr("no metric 'foo'"));
}

TEST(Thresholds, AOnePointFivePercentIncreasePassesUnderTwoAndFailsUnderOnePercent) {
  const RunRecord base = make_run("resnet50", "v3_96", {{"conv1", 1000}}, "b1");
  const RunRecord now = make_run("resnet50", "v3_96", {{"conv1", 1015}}, "b2");
  const CompareOptions two = with_threshold("2%"), one = with_threshold("1%");
  const Comparison under_two = compare_runs({base}, {now}, two);
  EXPECT_FALSE(comparison_fails(under_two, two));
  EXPECT_THAT(printed(under_two, two), HasSubstr("(within threshold)"));
  const Comparison under_one = compare_runs({base}, {now}, one);
  EXPECT_TRUE(comparison_fails(under_one, one));
  const FigureChange* change = find_change(under_one.cases.at(0).layers, "conv1", "cycles");
  ASSERT_NE(change, nullptr);
  EXPECT_DOUBLE_EQ(change->relative(), 0.015);
  EXPECT_TRUE(change->regression);
}

TEST(Thresholds, AMetricsOwnThresholdOverridesTheDefault) {
  const RunRecord base = make_run("resnet50", "v3_96", {{"conv1", 1000}}, "b1");
  RunRecord now = make_run("resnet50", "v3_96", {{"conv1", 1000}}, "b2");
  now.layers[0].figures["cycles"] = 1015;  // cycles only: bytes unchanged
  now.totals["cycles"] = 1015;
  const CompareOptions strict;
  EXPECT_TRUE(comparison_fails(compare_runs({base}, {now}, strict), strict));
  const CompareOptions cycles_two = with_threshold("cycles=2%");
  EXPECT_FALSE(comparison_fails(compare_runs({base}, {now}, cycles_two), cycles_two));
  const CompareOptions macs_two = with_threshold("macs=2%");
  EXPECT_TRUE(comparison_fails(compare_runs({base}, {now}, macs_two), macs_two));
}

TEST(Compare, AGrowingStallBreakdownIsShownButFailsOnlyWithAnyChangeFails) {
  const RunRecord base = make_run("resnet50", "v3_96", {{"conv1", 100, 10}}, "b1");
  const RunRecord now = make_run("resnet50", "v3_96", {{"conv1", 100, 20}}, "b2");
  CompareOptions options;
  const Comparison c = compare_runs({base}, {now}, options);
  const FigureChange* stall = find_change(c.cases.at(0).layers, "conv1", "stall_cycles");
  ASSERT_NE(stall, nullptr);
  EXPECT_TRUE(stall->worse());
  EXPECT_FALSE(stall->regression);
  EXPECT_EQ(find_change(c.cases[0].layers, "conv1", "cycles"), nullptr);
  EXPECT_FALSE(comparison_fails(c, options));
  EXPECT_THAT(printed(c, options), HasSubstr("part of the layer's cycles"));

  options.any_change_fails = true;
  EXPECT_TRUE(comparison_fails(compare_runs({base}, {now}, options), options));
}

TEST(Compare, AFasterRunWhoseConflictCyclesGrewPassesAndSaysItGotFaster) {
  // The user's case: 22% faster in total, one layer's cores losing more cycles to bank
  // conflicts inside its shorter span (a part of its cycles, as the stalls are).
  RunRecord base = make_run("mobilenet", "gap8", {{"conv1", 1000}, {"conv2", 1000}}, "b1");
  RunRecord now = make_run("mobilenet", "gap8", {{"conv1", 560}, {"conv2", 1000}}, "b2");
  base.layers[0].figures["core_bank_conflict_cycles"] = 40;
  now.layers[0].figures["core_bank_conflict_cycles"] = 90;
  base.layers[1].figures["core_dma_conflict_cycles"] = 10;
  now.layers[1].figures["core_dma_conflict_cycles"] = 30;
  const CompareOptions options = with_threshold("cycles=1%");
  const Comparison c = compare_runs({base}, {now}, options);
  const FigureChange* conflicts = find_change(c.cases.at(0).layers, "conv1", "core_bank_conflict_cycles");
  ASSERT_NE(conflicts, nullptr);
  EXPECT_TRUE(conflicts->worse());
  EXPECT_FALSE(conflicts->regression);
  EXPECT_FALSE(comparison_fails(c, options));
  const std::string out = printed(c, options);
  EXPECT_THAT(out, HasSubstr("faster overall by 22.00% (geomean total-cycles ratio 0.7800)"));
  EXPECT_THAT(out, HasSubstr("-> ok"));
  // And the direction the other way.
  const Comparison back = compare_runs({now}, {base}, options);
  EXPECT_THAT(printed(back, options), HasSubstr("slower overall by 28.21%"));
}

TEST(Compare, AMovedPredictionIsShownButFailsOnlyWithAnyChangeFails) {
  // The compiler's prediction of conv1 went up by half, its simulated cycles did not move.
  RunRecord base = make_run("resnet50", "gap8", {{"conv1", 100}}, "b1");
  RunRecord now = make_run("resnet50", "gap8", {{"conv1", 100}}, "b2");
  base.layers[0].figures["predicted_cycles"] = 90;
  now.layers[0].figures["predicted_cycles"] = 135;
  CompareOptions options;
  const Comparison c = compare_runs({base}, {now}, options);
  const FigureChange* predicted = find_change(c.cases.at(0).layers, "conv1", "predicted_cycles");
  ASSERT_NE(predicted, nullptr);
  EXPECT_FALSE(predicted->regression);
  EXPECT_FALSE(comparison_fails(c, options));
  EXPECT_THAT(printed(c, options), HasSubstr("the compiler's prediction"));
  EXPECT_THAT(printed(c, options), Not(HasSubstr("WORSE")));
  options.any_change_fails = true;  // `regress check`: a baseline pins the prediction too
  EXPECT_TRUE(comparison_fails(compare_runs({base}, {now}, options), options));
}

TEST(Compare, AVerdictLeavingBitExactFails) {
  const RunRecord base = make_run("resnet50", "v3_96", {{"conv1", 100}}, "b1");
  RunRecord now = make_run("resnet50", "v3_96", {{"conv1", 100}}, "b2");
  now.verdict = "mismatch";
  const CompareOptions options;
  const Comparison c = compare_runs({base}, {now}, options);
  EXPECT_TRUE(c.cases.at(0).verdict_regressed);
  EXPECT_TRUE(comparison_fails(c, options));
  const std::string out = printed(c, options);
  EXPECT_THAT(out, HasSubstr("verdict: bit-exact -> mismatch"));
  EXPECT_THAT(out, HasSubstr("FAILS"));
}

TEST(Compare, AVerdictBecomingBitExactDoesNotFail) {
  RunRecord base = make_run("resnet50", "v3_96", {{"conv1", 100}}, "b1");
  base.verdict = "not-verified";
  const RunRecord now = make_run("resnet50", "v3_96", {{"conv1", 100}}, "b2");
  CompareOptions options;
  const Comparison c = compare_runs({base}, {now}, options);
  EXPECT_FALSE(c.cases.at(0).verdict_regressed);
  EXPECT_TRUE(c.cases[0].changed());
  EXPECT_FALSE(comparison_fails(c, options));
  options.any_change_fails = true;
  EXPECT_TRUE(comparison_fails(compare_runs({base}, {now}, options), options));
}

TEST(Compare, SameBuildAndInputsWithDifferentCyclesIsADeterminismBug) {
  const RunRecord base = make_run("resnet50", "v3_96", {{"conv1", 100}}, "same-build");
  const RunRecord now = make_run("resnet50", "v3_96", {{"conv1", 110}}, "same-build");
  const CompareOptions options = with_threshold("50%");  // the change itself is within threshold
  const Comparison c = compare_runs({base}, {now}, options);
  ASSERT_EQ(c.determinism_bugs.size(), 1u);
  EXPECT_THAT(c.determinism_bugs[0], HasSubstr("resnet50 on v3_96"));
  EXPECT_THAT(c.determinism_bugs[0], HasSubstr("same-build"));
  EXPECT_THAT(c.determinism_bugs[0], HasSubstr("total cycles 100 vs 110"));
  EXPECT_TRUE(comparison_fails(c, options));
  const std::string out = printed(c, options);
  EXPECT_THAT(out, HasSubstr("DETERMINISM BUG"));
  EXPECT_THAT(out, HasSubstr("-> FAIL"));
}

TEST(Compare, ADeterminismBugWithinOneSideIsFound) {
  const RunRecord base = make_run("resnet50", "v3_96", {{"conv1", 100}}, "b1");
  const RunRecord now1 = make_run("resnet50", "v3_96", {{"conv1", 100}}, "b2");
  const RunRecord now2 = make_run("resnet50", "v3_96", {{"conv1", 101}}, "b2");
  const CompareOptions options;
  const Comparison c = compare_runs({base}, {now1, now2}, options);
  EXPECT_EQ(c.determinism_bugs.size(), 1u);
  EXPECT_TRUE(comparison_fails(c, options));
}

// Both sides are checked for determinism, the current side's unpaired cases included.
TEST(Compare, ADeterminismBugInACaseOnlyInTheCurrentRunsIsFound) {
  const RunRecord base = make_run("resnet50", "v3_96", {{"conv1", 100}}, "b1");
  const RunRecord now = make_run("resnet50", "v3_96", {{"conv1", 100}}, "b2");
  const RunRecord new1 = make_run("mobilenet", "v3_96", {{"conv1", 100}}, "b2");
  const RunRecord new2 = make_run("mobilenet", "v3_96", {{"conv1", 110}}, "b2");
  const CompareOptions options;
  const Comparison c = compare_runs({base}, {now, new1, new2}, options);
  ASSERT_THAT(c.only_in_current, ElementsAre("mobilenet on v3_96"));
  ASSERT_EQ(c.determinism_bugs.size(), 1u);
  EXPECT_THAT(c.determinism_bugs[0], HasSubstr("mobilenet on v3_96"));
  EXPECT_TRUE(comparison_fails(c, options));
}

// The same in the baseline (checked): the mirror image of the test above.
TEST(Compare, ADeterminismBugInACaseOnlyInTheBaselineIsFound) {
  const RunRecord old1 = make_run("mobilenet", "v3_96", {{"conv1", 100}}, "b1");
  const RunRecord old2 = make_run("mobilenet", "v3_96", {{"conv1", 110}}, "b1");
  const CompareOptions options;
  const Comparison c = compare_runs({make_run("resnet50", "v3_96", {{"conv1", 100}}, "b1"), old1, old2},
                                    {make_run("resnet50", "v3_96", {{"conv1", 100}}, "b2")}, options);
  ASSERT_THAT(c.only_in_baseline, ElementsAre("mobilenet on v3_96"));
  ASSERT_EQ(c.determinism_bugs.size(), 1u);
  EXPECT_THAT(c.determinism_bugs[0], HasSubstr("mobilenet on v3_96"));
  EXPECT_TRUE(comparison_fails(c, options));
}

TEST(Compare, RepeatedEqualRunsOfOneBuildAreNoDeterminismBug) {
  const RunRecord run = make_run("resnet50", "v3_96", {{"conv1", 100}}, "b1");
  const Comparison c = compare_runs({run, run}, {run, run}, {});
  EXPECT_TRUE(c.determinism_bugs.empty());
  EXPECT_FALSE(comparison_fails(c, {}));
}

TEST(Compare, RunsOfDifferentModelsAreAUserErrorNamingBothSides) {
  const std::string message = user_error([] {
    compare_runs({make_run("resnet50", "v3_96", {{"conv1", 100}})}, {make_run("mobilenet", "v3_96", {{"conv1", 100}})},
                 {});
  });
  EXPECT_THAT(message, HasSubstr("nothing to compare"));
  EXPECT_THAT(message, HasSubstr("resnet50 on v3_96"));
  EXPECT_THAT(message, HasSubstr("mobilenet on v3_96"));
}

TEST(Compare, RunsOnlyInTheBaselineAreListedAndFailOnlyWithAnyChangeFails) {
  const RunRecord resnet = make_run("resnet50", "v3_96", {{"conv1", 100}}, "b1");
  const RunRecord mobilenet = make_run("mobilenet", "v3_96", {{"conv1", 50}}, "b1");
  CompareOptions options;
  const Comparison c = compare_runs({resnet, mobilenet}, {make_run("resnet50", "v3_96", {{"conv1", 100}}, "b2")}, options);
  EXPECT_THAT(c.only_in_baseline, ElementsAre("mobilenet on v3_96"));
  EXPECT_TRUE(c.only_in_current.empty());
  EXPECT_EQ(c.cases.size(), 1u);
  EXPECT_FALSE(comparison_fails(c, options));
  EXPECT_THAT(printed(c, options), HasSubstr("only in the baseline: mobilenet on v3_96"));
  options.any_change_fails = true;
  EXPECT_TRUE(comparison_fails(c, options));
}

TEST(Compare, RunsOnlyInTheCurrentSideAreListedAndFailOnlyWithAnyChangeFails) {
  const RunRecord resnet = make_run("resnet50", "v3_96", {{"conv1", 100}}, "b2");
  CompareOptions options;
  const Comparison c = compare_runs({make_run("resnet50", "v3_96", {{"conv1", 100}}, "b1")},
                                    {resnet, make_run("resnet50", "v3_64", {{"conv1", 130}}, "b2")}, options);
  EXPECT_THAT(c.only_in_current, ElementsAre("resnet50 on v3_64"));
  EXPECT_TRUE(c.only_in_baseline.empty());
  EXPECT_FALSE(comparison_fails(c, options));
  EXPECT_THAT(printed(c, options), HasSubstr("only in the current runs: resnet50 on v3_64"));
  options.any_change_fails = true;
  EXPECT_TRUE(comparison_fails(c, options));
}

TEST(Compare, RunsWithOtherCompileOptionsPairByModelAndConfigAndNoteTheChange) {
  const RunRecord base = make_run("resnet50", "v3_96", {{"conv1", 100}}, "b1");
  RunRecord now = make_run("resnet50", "v3_96", {{"conv1", 100}}, "b2");
  now.compile_options = "a=off";
  ASSERT_NE(inputs_key(base), inputs_key(now));
  const Comparison c = compare_runs({base}, {now}, {});
  ASSERT_EQ(c.cases.size(), 1u);
  EXPECT_TRUE(c.only_in_baseline.empty());
  EXPECT_TRUE(c.only_in_current.empty());
  EXPECT_THAT(c.cases[0].input_changes, ElementsAre("compile options: a=on -> a=off"));
  EXPECT_THAT(printed(c, {}), HasSubstr("inputs differ: compile options: a=on -> a=off"));
}

TEST(Compare, LayersOnOneSideAreListedAndFailOnlyWithAnyChangeFails) {
  const RunRecord base = make_run("resnet50", "v3_96", {{"conv1", 100}, {"conv3", 50}}, "b1");
  const RunRecord now = make_run("resnet50", "v3_96", {{"conv1", 100}, {"conv4", 40}}, "b2");
  CompareOptions options;
  const Comparison c = compare_runs({base}, {now}, options);
  EXPECT_THAT(c.cases.at(0).layers_only_in_baseline, ElementsAre("conv3"));
  EXPECT_THAT(c.cases[0].layers_only_in_current, ElementsAre("conv4"));
  EXPECT_FALSE(comparison_fails(c, options));  // total cycles 150 -> 140: better
  const std::string out = printed(c, options);
  EXPECT_THAT(out, HasSubstr("layers only in the baseline: conv3"));
  EXPECT_THAT(out, HasSubstr("layers only in the current run: conv4"));
  options.any_change_fails = true;
  EXPECT_TRUE(comparison_fails(compare_runs({base}, {now}, options), options));
}

TEST(Compare, ChangedLayersComeWorstFirstAndMaxLayersCutsThePrintout) {
  const RunRecord base = make_run("resnet50", "v3_96", {{"a", 100}, {"b", 100}, {"c", 100}}, "b1");
  const RunRecord now = make_run("resnet50", "v3_96", {{"a", 110}, {"b", 150}, {"c", 120}}, "b2");
  CompareOptions options;
  const Comparison c = compare_runs({base}, {now}, options);
  std::vector<std::string> cycle_order;
  for (const FigureChange& f : c.cases.at(0).layers) {
    if (f.metric == "cycles") cycle_order.push_back(f.layer);
  }
  EXPECT_THAT(cycle_order, ElementsAre("b", "c", "a"));  // +50%, +20%, +10%
  for (std::size_t i = 1; i < c.cases[0].layers.size(); ++i) {
    EXPECT_GE(c.cases[0].layers[i - 1].relative(), c.cases[0].layers[i].relative());
  }
  options.max_layers = 1;
  const std::string out = printed(c, options);
  EXPECT_THAT(out, HasSubstr("layers changed: 3 of 3"));
  EXPECT_THAT(out, HasSubstr(fmt::format("... {} more", c.cases[0].layers.size() - 1)));
  // worst ratio: layer b's 150 / 100
  EXPECT_THAT(out, HasSubstr("worst failing ratio 1.5000 (resnet50 on v3_96 b "));
}

// The summary names the worst figure that fails, not a larger informative change (a layer's
// stalls, part of its cycles), and the printout lists failing figures first.
TEST(Compare, TheWorstFailingFigureLeadsTheSummaryAndTheList) {
  const RunRecord base = make_run("resnet50", "v3_96", {{"a", 100, 10}, {"b", 100, 10}}, "b1");
  const RunRecord now = make_run("resnet50", "v3_96", {{"a", 110, 40}, {"b", 100, 10}}, "b2");
  CompareOptions options;
  const Comparison c = compare_runs({base}, {now}, options);
  const auto& layers = c.cases.at(0).layers;
  ASSERT_GE(layers.size(), 2u);
  EXPECT_TRUE(layers.front().regression);  // cycles and the bytes with them: +10%
  const auto first_informative = std::find_if(layers.begin(), layers.end(), [](const FigureChange& f) { return !f.regression; });
  ASSERT_NE(first_informative, layers.end());
  EXPECT_TRUE(std::none_of(first_informative, layers.end(), [](const FigureChange& f) { return f.regression; }));
  EXPECT_GT(first_informative->relative(), layers.front().relative());  // +300% stalls, informative
  const std::string out = printed(c, options);
  EXPECT_THAT(out, HasSubstr("worst failing ratio 1.1000 (resnet50 on v3_96 a "));
  EXPECT_LT(out.find("a        cycles"), out.find("stall_cycles")) << out;
  // With nothing failing, the worst change is named without "failing".
  options.thresholds.all = 0.5;
  EXPECT_THAT(printed(compare_runs({base}, {now}, options), options), HasSubstr("worst ratio 4.0000"));
}

TEST(Compare, TheSummaryGivesTheGeometricMeanOfTheTotalCyclesRatios) {
  const std::vector<RunRecord> base = {make_run("resnet50", "v3_96", {{"conv1", 100}}, "b1"),
                                       make_run("mobilenet", "v3_96", {{"conv1", 200}}, "b1")};
  const std::vector<RunRecord> now = {make_run("resnet50", "v3_96", {{"conv1", 121}}, "b2"),
                                      make_run("mobilenet", "v3_96", {{"conv1", 200}}, "b2")};
  const CompareOptions options;
  const Comparison c = compare_runs(base, now, options);
  ASSERT_EQ(c.cases.size(), 2u);
  const std::string out = printed(c, options);
  const double geomean = std::sqrt(121.0 / 100 * (200.0 / 200));
  EXPECT_THAT(out, HasSubstr(fmt::format("summary: 2 case(s) compared, slower overall by {:.2f}% (geomean total-cycles "
                                         "ratio {:.4f})",
                                         100 * (geomean - 1), geomean)));
  EXPECT_THAT(out, HasSubstr("geomean total-cycles ratio 1.1000"));
  EXPECT_THAT(out, HasSubstr("worst failing ratio 1.2100"));
  EXPECT_THAT(out, HasSubstr("-> FAIL"));
}

TEST(Compare, ASignificantWallClockSlowdownWarnsUnlessGated) {
  std::vector<RunRecord> base, now;
  for (int i = 0; i < 5; ++i) {
    RunRecord b = make_run("resnet50", "v3_96", {{"conv1", 100}}, "b1");
    b.simulate_seconds = 1.0 + 0.01 * i;
    base.push_back(b);
    RunRecord n = make_run("resnet50", "v3_96", {{"conv1", 100}}, "b2");
    n.simulate_seconds = 2.0 + 0.01 * i;
    now.push_back(n);
  }
  CompareOptions options;
  const Comparison c = compare_runs(base, now, options);
  ASSERT_EQ(c.cases.size(), 1u);
  EXPECT_TRUE(c.determinism_bugs.empty());
  EXPECT_EQ(c.cases[0].simulate_speed.change, SpeedVerdict::Change::Slower);
  EXPECT_EQ(c.cases[0].compile_speed.change, SpeedVerdict::Change::None);  // every compile took 1 s
  EXPECT_FALSE(comparison_fails(c, options));
  const std::string out = printed(c, options);
  EXPECT_THAT(out, HasSubstr("warns only"));
  EXPECT_THAT(out, HasSubstr("1 wall-clock slowdown(s)"));
  options.gate_speed = true;
  EXPECT_TRUE(comparison_fails(c, options));
}

TEST(FigureChange, RelativeIsInfiniteWhenGrowingFromZero) {
  const FigureChange from_zero{"", "cycles", 0, 5, false}, zero{"", "cycles", 0, 0, false},
      down{"", "cycles", 200, 150, false};
  EXPECT_TRUE(std::isinf(from_zero.relative()));
  EXPECT_DOUBLE_EQ(zero.relative(), 0.0);
  EXPECT_DOUBLE_EQ(down.relative(), -0.25);
}

}  // namespace
}  // namespace wb::regress
