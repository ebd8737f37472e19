#include "workbench/regress/compare.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <ostream>
#include <set>

#include "support/error.h"
#include "support/sha256.h"
#include "support/text.h"
#include "workbench/report/report.h"

namespace wb::regress {

namespace {

double parse_percent(const std::string& text, const std::string& item) {
  const auto bad = [&]() {
    return UserError(fmt::format("--threshold {}: give a percentage (\"1%\", \"0.5%\", \"0\"), optionally for one "
                                 "metric (\"cycles=2%\")",
                                 item));
  };
  if (text == "0") return 0;
  if (text.size() < 2 || text.back() != '%') throw bad();
  std::size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text.substr(0, text.size() - 1), &used);
  } catch (const std::exception&) {
    throw bad();
  }
  if (used != text.size() - 1 || !(value >= 0) || !std::isfinite(value)) throw bad();
  return value / 100;
}

// Runs of one side with equal inputs: the samples of one experiment.
struct Group {
  std::string key;
  std::vector<const RunRecord*> runs;
  const RunRecord& first() const { return *runs.front(); }
};

std::vector<Group> group_by_inputs(const std::vector<RunRecord>& runs) {
  std::vector<Group> groups;
  for (const RunRecord& run : runs) {
    const std::string key = inputs_key(run);
    auto it = std::find_if(groups.begin(), groups.end(), [&](const Group& g) { return g.key == key; });
    if (it == groups.end()) {
      groups.push_back({key, {}});
      it = groups.end() - 1;
    }
    it->runs.push_back(&run);
  }
  return groups;
}

// One build, equal inputs, different figures: the simulator or compiler is not deterministic.
void check_determinism(const std::vector<const RunRecord*>& runs, std::vector<std::string>& bugs) {
  for (std::size_t i = 0; i < runs.size(); ++i) {
    for (std::size_t j = i + 1; j < runs.size(); ++j) {
      const RunRecord& a = *runs[i];
      const RunRecord& b = *runs[j];
      if (a.build.empty() || a.build != b.build || same_figures(a, b)) continue;
      const std::string what = a.totals.count("cycles") != 0 && b.totals.count("cycles") != 0 &&
                                       a.totals.at("cycles") != b.totals.at("cycles")
                                   ? fmt::format("total cycles {} vs {}", grouped(a.totals.at("cycles")),
                                                 grouped(b.totals.at("cycles")))
                                   : "figures differ";
      bugs.push_back(fmt::format("determinism bug: {} with the same inputs (model, config, scheme, options) and the "
                                 "same build {} gave different figures: {} ({} vs {})",
                                 case_name(a), a.build, what, a.source, b.source));
    }
  }
}

std::vector<std::string> split_items(const std::string& text) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    if (comma > start) items.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return items;
}

// "a=on,b=x" -> "a=off,b=x" is noted as "a=on -> a=off": only the items that differ.
void note_input_change(std::vector<std::string>& notes, const char* what, const std::string& before,
                       const std::string& after) {
  if (before == after) return;
  std::vector<std::string> old_items = split_items(before), new_items = split_items(after), gone, added;
  for (const std::string& item : old_items) {
    if (std::find(new_items.begin(), new_items.end(), item) == new_items.end()) gone.push_back(item);
  }
  for (const std::string& item : new_items) {
    if (std::find(old_items.begin(), old_items.end(), item) == old_items.end()) added.push_back(item);
  }
  notes.push_back(fmt::format("{}: {} -> {}", what, gone.empty() ? "(none)" : fmt::format("{}", fmt::join(gone, ",")),
                              added.empty() ? "(none)" : fmt::format("{}", fmt::join(added, ","))));
}

// "<40 hex>+dirty.<fp>" -> "<12 hex>+dirty.<fp>".
std::string short_build(const std::string& build) {
  if (build.empty()) return "-";
  const std::size_t plus = build.find('+');
  const std::string hash = build.substr(0, plus);
  return hash.substr(0, 12) + (plus == std::string::npos ? "" : build.substr(plus));
}

void diff_figures(const std::string& layer, const Figures& before, const Figures& after, const CompareOptions& options,
                  std::vector<FigureChange>& out) {
  for (const auto& [metric, old_value] : before) {
    const auto it = after.find(metric);
    if (it == after.end() || it->second == old_value) continue;
    FigureChange change{layer, metric, old_value, it->second, false};
    change.regression = options.any_change_fails ||
                        (change.worse() && !is_breakdown_metric(metric) && !is_prediction_metric(metric) &&
                         change.relative() > options.thresholds.of(metric));
    out.push_back(change);
  }
}

std::vector<double> samples(const Group& group, double RunRecord::*field) {
  std::vector<double> values;
  for (const RunRecord* run : group.runs) values.push_back(run->*field);
  return values;
}

CaseComparison compare_case(const Group& base, const Group& current, const CompareOptions& options) {
  const RunRecord& a = base.first();
  const RunRecord& b = current.first();
  CaseComparison c;
  c.name = case_name(a);
  c.baseline_build = a.build;
  c.current_build = b.build;
  note_input_change(c.input_changes, "model file", a.model_sha256.substr(0, 12), b.model_sha256.substr(0, 12));
  note_input_change(c.input_changes, "hw config", a.hw_fingerprint, b.hw_fingerprint);
  note_input_change(c.input_changes, "scheme", a.scheme, b.scheme);
  note_input_change(c.input_changes, "compile options", a.compile_options, b.compile_options);
  note_input_change(c.input_changes, "mode", a.data ? "with data" : "timing only", b.data ? "with data" : "timing only");
  c.verdict_before = a.verdict;
  c.verdict_after = b.verdict;
  c.error_before = a.error;
  c.error_after = b.error;
  c.verdict_regressed = (a.verdict == "bit-exact" && b.verdict != "bit-exact") ||
                        (options.any_change_fails && (a.verdict != b.verdict || a.error != b.error));

  diff_figures("", a.totals, b.totals, options, c.totals);
  if (a.totals.count("cycles") != 0 && b.totals.count("cycles") != 0 && a.totals.at("cycles") > 0) {
    c.cycles_ratio = static_cast<double>(b.totals.at("cycles")) / static_cast<double>(a.totals.at("cycles"));
  }
  for (const LayerRecord& layer : a.layers) {
    const auto it = std::find_if(b.layers.begin(), b.layers.end(), [&](const LayerRecord& l) { return l.name == layer.name; });
    if (it == b.layers.end()) {
      c.layers_only_in_baseline.push_back(layer.name);
      continue;
    }
    diff_figures(layer.name, layer.figures, it->figures, options, c.layers);
  }
  for (const LayerRecord& layer : b.layers) {
    const bool known = std::any_of(a.layers.begin(), a.layers.end(), [&](const LayerRecord& l) { return l.name == layer.name; });
    if (!known) c.layers_only_in_current.push_back(layer.name);
  }
  c.layer_count = b.layers.size();
  // The failing figures first (what the reader must act on), then the informative ones (a
  // prediction, a part of a layer's cycles, a change within the threshold); worst first in each.
  const auto failing_then_worst = [](const FigureChange& l, const FigureChange& r) {
    if (l.regression != r.regression) return l.regression;
    return l.relative() > r.relative();
  };
  std::stable_sort(c.totals.begin(), c.totals.end(), [](const FigureChange& l, const FigureChange& r) {
    return l.regression && !r.regression;
  });
  std::stable_sort(c.layers.begin(), c.layers.end(), failing_then_worst);
  c.compile_speed = compare_speed(samples(base, &RunRecord::compile_seconds), samples(current, &RunRecord::compile_seconds),
                                  options.speed_factor, options.alpha);
  c.simulate_speed = compare_speed(samples(base, &RunRecord::simulate_seconds),
                                   samples(current, &RunRecord::simulate_seconds), options.speed_factor, options.alpha);
  return c;
}

std::string signed_delta(const FigureChange& change) {
  const std::uint64_t magnitude = change.worse() ? change.after - change.before : change.before - change.after;
  return fmt::format("{}{}", change.worse() ? '+' : '-', grouped(magnitude));
}

std::string percent(const FigureChange& change) {
  const double r = change.relative();
  if (std::isinf(r)) return "new";
  return fmt::format("{:+.2f}%", 100 * r);
}

void print_change(const FigureChange& change, std::size_t name_width, std::ostream& os) {
  const char* mark = change.regression                    ? (change.worse() ? "  WORSE" : "  CHANGED")
                     : is_prediction_metric(change.metric) ? "  (the compiler's prediction)"
                     : !change.worse()                     ? "  better"
                     : is_breakdown_metric(change.metric)  ? "  (part of the layer's cycles)"
                                                           : "  (within threshold)";
  os << fmt::format("    {:<{}}  {:<22} {:>15} -> {:<15} {:>14} {:>9}{}\n", change.layer.empty() ? "(total)" : change.layer,
                    name_width, change.metric, grouped(change.before), grouped(change.after),
                    signed_delta(change), percent(change), mark);
}

// The run's overall direction first, in words (a reader asks "faster or slower?"), then the
// geometric mean of the cases' total-cycles ratios it is read from.
std::string overall_speed(double geomean, bool any_cycles) {
  if (!any_cycles) return "no total cycles to compare";
  const std::string ratio = fmt::format("geomean total-cycles ratio {:.4f}", geomean);
  if (geomean == 1.0) return "cycles unchanged overall (" + ratio + ")";
  const bool faster = geomean < 1.0;
  return fmt::format("{} overall by {:.2f}% ({})", faster ? "faster" : "slower",
                     100 * (faster ? 1.0 - geomean : geomean - 1.0), ratio);
}

bool case_fails(const CaseComparison& c, const CompareOptions& options) {
  const auto regression = [](const FigureChange& f) { return f.regression; };
  if (c.verdict_regressed) return true;
  if (std::any_of(c.totals.begin(), c.totals.end(), regression)) return true;
  if (std::any_of(c.layers.begin(), c.layers.end(), regression)) return true;
  if (options.any_change_fails && (!c.layers_only_in_baseline.empty() || !c.layers_only_in_current.empty())) return true;
  if (options.gate_speed && (c.compile_speed.change == SpeedVerdict::Change::Slower ||
                             c.simulate_speed.change == SpeedVerdict::Change::Slower)) {
    return true;
  }
  return false;
}

}  // namespace

double Thresholds::of(std::string_view metric) const {
  const auto it = per_metric.find(metric);
  return it != per_metric.end() ? it->second : all;
}

void add_threshold(Thresholds& thresholds, const std::string& item) {
  const std::size_t eq = item.find('=');
  if (eq == std::string::npos) {
    thresholds.all = parse_percent(item, item);
    return;
  }
  const std::string metric = item.substr(0, eq);
  if (!is_total_metric(metric) && !is_layer_metric(metric)) {
    std::vector<std::string> names = total_metrics();
    for (const std::string& name : layer_metrics()) {
      if (!is_total_metric(name)) names.push_back(name);
    }
    throw UserError(fmt::format("--threshold {}: no metric '{}'; the metrics are {}", item, metric, fmt::join(names, ", ")));
  }
  thresholds.per_metric[metric] = parse_percent(item.substr(eq + 1), item);
}

double FigureChange::relative() const {
  if (before == 0) return after == 0 ? 0.0 : std::numeric_limits<double>::infinity();
  return (static_cast<double>(after) - static_cast<double>(before)) / static_cast<double>(before);
}

bool CaseComparison::changed() const {
  return !totals.empty() || !layers.empty() || !layers_only_in_baseline.empty() || !layers_only_in_current.empty() ||
         verdict_before != verdict_after || error_before != error_after;
}

Comparison compare_runs(const std::vector<RunRecord>& baseline, const std::vector<RunRecord>& current,
                        const CompareOptions& options) {
  const std::vector<Group> base_groups = group_by_inputs(baseline);
  const std::vector<Group> current_groups = group_by_inputs(current);
  Comparison result;

  // Pair equal inputs first, then what is left by model and config when that is unambiguous.
  std::vector<bool> base_used(base_groups.size(), false), current_used(current_groups.size(), false);
  std::vector<std::pair<std::size_t, std::size_t>> pairs;
  for (std::size_t i = 0; i < base_groups.size(); ++i) {
    for (std::size_t j = 0; j < current_groups.size(); ++j) {
      if (!current_used[j] && base_groups[i].key == current_groups[j].key) {
        pairs.emplace_back(i, j);
        base_used[i] = current_used[j] = true;
        break;
      }
    }
  }
  const auto unused_of_case = [](const std::vector<Group>& groups, const std::vector<bool>& used, const std::string& name) {
    std::vector<std::size_t> found;
    for (std::size_t k = 0; k < groups.size(); ++k) {
      if (!used[k] && case_name(groups[k].first()) == name) found.push_back(k);
    }
    return found;
  };
  for (std::size_t i = 0; i < base_groups.size(); ++i) {
    if (base_used[i]) continue;
    const std::string name = case_name(base_groups[i].first());
    const auto b = unused_of_case(base_groups, base_used, name);
    const auto c = unused_of_case(current_groups, current_used, name);
    if (b.size() == 1 && c.size() == 1) {
      pairs.emplace_back(b[0], c[0]);
      base_used[b[0]] = current_used[c[0]] = true;
    }
  }
  std::sort(pairs.begin(), pairs.end());
  if (pairs.empty()) {
    std::set<std::string> base_names, current_names;
    for (const RunRecord& r : baseline) base_names.insert(case_name(r));
    for (const RunRecord& r : current) current_names.insert(case_name(r));
    throw UserError(fmt::format("nothing to compare: the baseline has {} and the current side {}; compare runs of the "
                                "same model on the same config",
                                base_names.empty() ? "no run" : fmt::format("{}", fmt::join(base_names, ", ")),
                                current_names.empty() ? "no run" : fmt::format("{}", fmt::join(current_names, ", "))));
  }
  for (std::size_t i = 0; i < base_groups.size(); ++i) {
    if (!base_used[i]) result.only_in_baseline.push_back(case_name(base_groups[i].first()));
  }
  for (std::size_t j = 0; j < current_groups.size(); ++j) {
    if (!current_used[j]) result.only_in_current.push_back(case_name(current_groups[j].first()));
  }

  for (const auto& [i, j] : pairs) {
    const Group& base = base_groups[i];
    const Group& now = current_groups[j];
    std::vector<const RunRecord*> all = base.runs;
    if (base.key == now.key) all.insert(all.end(), now.runs.begin(), now.runs.end());
    check_determinism(all, result.determinism_bugs);
    if (base.key != now.key) check_determinism(now.runs, result.determinism_bugs);
    result.cases.push_back(compare_case(base, now, options));
  }
  for (std::size_t i = 0; i < base_groups.size(); ++i) {
    if (!base_used[i]) check_determinism(base_groups[i].runs, result.determinism_bugs);
  }
  for (std::size_t j = 0; j < current_groups.size(); ++j) {
    if (!current_used[j]) check_determinism(current_groups[j].runs, result.determinism_bugs);
  }
  return result;
}

void print_comparison(const Comparison& comparison, const CompareOptions& options, std::ostream& os) {
  std::vector<double> log_ratios;
  const FigureChange* worst = nullptr;
  const CaseComparison* worst_case = nullptr;
  std::size_t regressions = 0, improvements = 0, slower = 0;
  for (const CaseComparison& c : comparison.cases) {
    if (c.cycles_ratio) log_ratios.push_back(std::log(*c.cycles_ratio));
    for (const auto* list : {&c.totals, &c.layers}) {
      for (const FigureChange& f : *list) {
        if (f.regression) ++regressions;
        if (!f.worse()) ++improvements;
        // The worst failing figure; the worst of all only while none fails.
        const bool beats = worst == nullptr || (f.regression && !worst->regression) ||
                           (f.regression == worst->regression && f.relative() > worst->relative());
        if (beats) {
          worst = &f;
          worst_case = &c;
        }
      }
    }
    if (c.compile_speed.change == SpeedVerdict::Change::Slower) ++slower;
    if (c.simulate_speed.change == SpeedVerdict::Change::Slower) ++slower;

    const bool speed_news = c.compile_speed.change == SpeedVerdict::Change::Slower ||
                            c.compile_speed.change == SpeedVerdict::Change::Faster ||
                            c.simulate_speed.change == SpeedVerdict::Change::Slower ||
                            c.simulate_speed.change == SpeedVerdict::Change::Faster;
    if (!c.changed() && c.input_changes.empty() && !speed_news) continue;
    os << fmt::format("{}  (baseline {}, current {})\n", c.name, short_build(c.baseline_build),
                      short_build(c.current_build));
    for (const std::string& note : c.input_changes) os << "  inputs differ: " << note << '\n';
    if (c.verdict_before != c.verdict_after || c.error_before != c.error_after) {
      os << fmt::format("  verdict: {}{} -> {}{}{}\n", c.verdict_before,
                        c.error_before.empty() ? "" : " (" + c.error_before + ")", c.verdict_after,
                        c.error_after.empty() ? "" : " (" + c.error_after + ")", c.verdict_regressed ? "  FAILS" : "");
    }
    std::size_t width = 7;
    for (const FigureChange& f : c.layers) width = std::max(width, f.layer.size());
    width = std::min<std::size_t>(width, 48);
    for (const FigureChange& f : c.totals) print_change(f, width, os);
    if (!c.layers.empty()) {
      std::set<std::string> changed_layers;
      for (const FigureChange& f : c.layers) changed_layers.insert(f.layer);
      os << fmt::format("  layers changed: {} of {}, failing first, worst first\n", changed_layers.size(), c.layer_count);
      const std::size_t shown = options.max_layers == 0 ? c.layers.size() : std::min(options.max_layers, c.layers.size());
      for (std::size_t k = 0; k < shown; ++k) print_change(c.layers[k], width, os);
      if (shown < c.layers.size()) os << fmt::format("    ... {} more (--max-layers 0 shows all)\n", c.layers.size() - shown);
    }
    if (!c.layers_only_in_baseline.empty()) {
      os << fmt::format("  layers only in the baseline: {}\n", fmt::join(c.layers_only_in_baseline, ", "));
    }
    if (!c.layers_only_in_current.empty()) {
      os << fmt::format("  layers only in the current run: {}\n", fmt::join(c.layers_only_in_current, ", "));
    }
    if (speed_news) {
      os << fmt::format("  host time (noisy; {}): compile {}; simulate {}\n",
                        options.gate_speed ? "gated" : "warns only", c.compile_speed.describe(),
                        c.simulate_speed.describe());
    }
  }
  for (const std::string& name : comparison.only_in_baseline) os << "only in the baseline: " << name << '\n';
  for (const std::string& name : comparison.only_in_current) os << "only in the current runs: " << name << '\n';
  for (const std::string& bug : comparison.determinism_bugs) os << "error: " << bug << '\n';

  double geomean = 1;
  if (!log_ratios.empty()) {
    double sum = 0;
    for (double l : log_ratios) sum += l;
    geomean = std::exp(sum / static_cast<double>(log_ratios.size()));
  }
  std::string worst_text = "no figure got worse";
  if (worst != nullptr && worst->worse()) {
    worst_text = fmt::format("worst {}ratio {} ({} {} {})", worst->regression ? "failing " : "",
                             std::isinf(worst->relative()) ? std::string("inf (from 0)")
                                                           : fmt::format("{:.4f}", 1 + worst->relative()),
                             worst_case->name, worst->layer.empty() ? "(total)" : worst->layer, worst->metric);
  }
  std::size_t changes = 0;
  for (const CaseComparison& c : comparison.cases) changes += c.totals.size() + c.layers.size();
  os << fmt::format("summary: {} case(s) compared, {}, {}; {} figure(s) changed ({} "
                    "worse, {} better), {} failing{}{}{} -> {}\n",
                    comparison.cases.size(), overall_speed(geomean, !log_ratios.empty()), worst_text, changes, changes - improvements, improvements,
                    regressions, options.any_change_fails ? " (any change fails)" : " beyond the threshold",
                    slower > 0 ? fmt::format(", {} wall-clock slowdown(s)", slower) : "",
                    comparison.determinism_bugs.empty() ? "" : ", DETERMINISM BUG",
                    comparison_fails(comparison, options) ? "FAIL" : "ok");
}

bool comparison_fails(const Comparison& comparison, const CompareOptions& options) {
  if (!comparison.determinism_bugs.empty()) return true;
  if (options.any_change_fails && (!comparison.only_in_baseline.empty() || !comparison.only_in_current.empty())) {
    return true;
  }
  return std::any_of(comparison.cases.begin(), comparison.cases.end(),
                     [&](const CaseComparison& c) { return case_fails(c, options); });
}

}  // namespace wb::regress
