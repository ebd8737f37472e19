#pragma once
// Compares two sets of runs (a baseline and a current one): pairs them by model and config,
// lists every figure that changed (run totals, then layers worst first) with absolute and
// relative deltas, flags verdicts that left bit-exact, and checks determinism (one build,
// equal inputs, different figures is a bug). Wall-clock seconds are compared statistically
// (wall_stats.h) and only warn unless gated. Used by `regress compare` and `regress check`.

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "workbench/regress/run_record.h"
#include "workbench/regress/wall_stats.h"

namespace wb::regress {

// How much a figure may grow before it is a regression, as a fraction (0.01 = 1%).
struct Thresholds {
  double all = 0;  // default 0: any increase
  std::map<std::string, double, std::less<>> per_metric;
  double of(std::string_view metric) const;
};
// "1%" (every metric) or "cycles=2%" (one metric; "0" is 0%). UserError naming the item
// for anything else, or a metric no report has.
void add_threshold(Thresholds& thresholds, const std::string& item);

struct CompareOptions {
  Thresholds thresholds;
  bool any_change_fails = false;  // regress check: an improvement (or any other change) fails too
  bool gate_speed = false;        // a significant wall-clock slowdown fails (else it warns)
  double speed_factor = 1.10;     // wall-clock ratio that counts as a change
  double alpha = 0.05;            // U test significance
  std::size_t max_layers = 0;     // changed layers printed per case (0: all)
};

struct FigureChange {
  std::string layer;  // "" : the run's total
  std::string metric;
  std::uint64_t before = 0, after = 0;
  bool regression = false;  // worse beyond the threshold (or, any_change_fails, changed at all)

  double relative() const;  // (after - before) / before; +inf when it grew from 0
  bool worse() const { return after > before; }
};

struct CaseComparison {
  std::string name;  // "resnet50 on v3_96"
  std::string baseline_build, current_build;
  std::vector<std::string> input_changes;  // "compile options: a=on -> a=off"
  std::vector<FigureChange> totals;        // the totals that changed
  std::vector<FigureChange> layers;        // the layer figures that changed, worst first
  std::size_t layer_count = 0;
  std::vector<std::string> layers_only_in_baseline, layers_only_in_current;
  std::string verdict_before, verdict_after, error_before, error_after;
  bool verdict_regressed = false;
  std::optional<double> cycles_ratio;  // current / baseline total cycles
  SpeedVerdict compile_speed, simulate_speed;

  bool changed() const;
};

struct Comparison {
  std::vector<CaseComparison> cases;
  std::vector<std::string> only_in_baseline, only_in_current;  // case names
  std::vector<std::string> determinism_bugs;
};

// UserError when no run of one side pairs with a run of the other (runs of different models
// or configs), naming what each side has.
Comparison compare_runs(const std::vector<RunRecord>& baseline, const std::vector<RunRecord>& current,
                        const CompareOptions& options);

// The changes (a case per block), then the one-line summary: geometric mean of the total
// cycles ratios, the worst ratio, the regressions.
void print_comparison(const Comparison& comparison, const CompareOptions& options, std::ostream& os);

// Whether it fails: a regression beyond a threshold, a verdict that left bit-exact, a
// determinism bug, with gate_speed a significant slowdown; with any_change_fails any change,
// including runs or layers only on one side.
bool comparison_fails(const Comparison& comparison, const CompareOptions& options);

}  // namespace wb::regress
