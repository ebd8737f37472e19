#include "workbench/regress/history.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <ostream>
#include <set>
#include <sstream>

#include "support/atomic_file.h"
#include "support/error.h"
#include "support/text.h"
#include "workbench/regress/compare.h"
#include "workbench/regress/history_db.h"
#include "workbench/sweep_report/svg_chart.h"

namespace wb::regress {

namespace {

std::optional<std::uint64_t> figure_of(const RunRecord& run, const std::optional<std::string>& layer,
                                       const std::string& metric) {
  const Figures* figures = &run.totals;
  if (layer) {
    figures = nullptr;
    for (const LayerRecord& l : run.layers) {
      if (l.name == *layer) figures = &l.figures;
    }
    if (figures == nullptr) return std::nullopt;
  }
  const auto it = figures->find(metric);
  if (it == figures->end()) return std::nullopt;
  return it->second;
}

bool matches(const RunRecord& run, const std::optional<std::string>& model, const std::optional<std::string>& config) {
  return (!model || run.model == *model) && (!config || run.config == *config);
}

struct Point {
  std::size_t commit = 0;  // index into the commits
  std::uint64_t value = 0;
};

std::string change_text(std::uint64_t before, std::uint64_t after) {
  const FigureChange change{"", "", before, after, false};
  const double r = change.relative();
  const std::string magnitude = grouped(after > before ? after - before : before - after);
  return fmt::format("{}{} ({})", after > before ? "+" : "-", magnitude,
                     std::isinf(r) ? std::string("from 0") : fmt::format("{:+.2f}%", 100 * r));
}

std::vector<std::string> option_items(const std::string& options) {
  std::vector<std::string> items;
  std::stringstream split(options);
  for (std::string item; std::getline(split, item, ',');) {
    if (!item.empty()) items.push_back(item);
  }
  return items;
}

// A series' name among the option sets a case was recorded with: its items that not every
// set has ("tiler=cost"; "tiler=cost,weight_prefetch=off"), so a legend tells them apart
// however long the options are.
std::string options_that_differ(const std::string& options, const std::set<std::string>& all) {
  std::vector<std::string> differ;
  for (const std::string& item : option_items(options)) {
    const bool everywhere = std::all_of(all.begin(), all.end(), [&](const std::string& other) {
      const std::vector<std::string> items = option_items(other);
      return std::find(items.begin(), items.end(), item) != items.end();
    });
    if (!everywhere) differ.push_back(item);
  }
  return differ.empty() ? std::string("the options every run has") : fmt::format("{}", fmt::join(differ, ","));
}

void check_metric(const std::string& metric) {
  if (!is_total_metric(metric) && !is_layer_metric(metric)) {
    throw UserError(fmt::format("--metric {}: not a metric; the run totals have {}; layers have {}", metric,
                                fmt::join(total_metrics(), ", "), fmt::join(layer_metrics(), ", ")));
  }
}

}  // namespace

int run_history(const HistoryOptions& options, std::ostream& out) {
  check_metric(options.metric);
  if (options.plot && options.plot->extension() != ".svg") {
    throw UserError(fmt::format("--plot {}: the plot is SVG; give a file name ending in .svg", options.plot->string()));
  }
  const HistoryDb db(options.db, false);
  const std::vector<RecordedCommit> commits = db.commits();
  // A series per model, config and compile options (a sweep over options records several).
  std::vector<std::vector<RunRecord>> runs_by_commit;
  std::map<std::string, std::set<std::string>> options_of_case;
  std::set<std::string> models, configs;
  for (const RecordedCommit& commit : commits) {
    runs_by_commit.push_back(db.runs_of(commit));
    for (const RunRecord& run : runs_by_commit.back()) {
      models.insert(run.model);
      configs.insert(run.config);
      if (matches(run, options.model, options.config)) options_of_case[case_name(run)].insert(run.compile_options);
    }
  }
  const auto series_name = [&](const RunRecord& run) {
    const std::set<std::string>& all = options_of_case[case_name(run)];
    return all.size() > 1 ? fmt::format("{} ({})", case_name(run), options_that_differ(run.compile_options, all))
                          : case_name(run);
  };
  std::map<std::string, std::vector<Point>> series;  // name -> points in commit order
  for (std::size_t i = 0; i < commits.size(); ++i) {
    std::set<std::string> seen;  // the first run of a series per commit
    for (const RunRecord& run : runs_by_commit[i]) {
      if (!matches(run, options.model, options.config) || !seen.insert(series_name(run)).second) continue;
      if (const auto value = figure_of(run, options.layer, options.metric)) series[series_name(run)].push_back({i, *value});
    }
  }
  if (series.empty()) {
    throw UserError(fmt::format("{}: no recorded run has {}{}{}{}; recorded models: {}; configs: {}", options.db.string(),
                                options.layer ? "layer " + *options.layer + " with " : "", options.metric,
                                options.model ? " for model " + *options.model : "",
                                options.config ? " on config " + *options.config : "", fmt::join(models, ", "),
                                fmt::join(configs, ", ")));
  }
  const std::string figure = fmt::format("{}{}", options.layer ? "layer " + *options.layer + " " : "total ", options.metric);
  sweep::XYChart chart;
  chart.title = fmt::format("{} over the recorded commits", figure);
  chart.x.label = "recorded commit (#, in recording order)";
  chart.x.integers = true;  // commits are counted: one commit is one tick, not a fraction of one
  chart.y.label = options.metric;
  std::size_t colour = 0;
  for (const auto& [name, points] : series) {
    out << fmt::format("{}: {}\n", name, figure);
    out << fmt::format("  {:>3}  {:<20}  {:<20}  {:>15}  {}\n", "#", "commit", "first recorded", options.metric, "change");
    std::vector<std::string> changed_at;
    sweep::ChartSeries line{name, {}, sweep::palette(colour), true, false, true, 4, false};
    sweep::ChartSeries steps{"", {}, sweep::palette(colour), false, false, true, 6, true};
    ++colour;
    for (std::size_t k = 0; k < points.size(); ++k) {
      const RecordedCommit& c = commits[points[k].commit];
      std::string change;
      if (k > 0 && points[k].value != points[k - 1].value) {
        change = change_text(points[k - 1].value, points[k].value) + "  <- changed";
        changed_at.push_back(c.label());
        steps.points.push_back({static_cast<double>(points[k].commit + 1), static_cast<double>(points[k].value), c.label()});
      }
      out << fmt::format("  {:>3}  {:<20}  {:<20}  {:>15}  {}\n", points[k].commit + 1, c.label(), c.first_recorded,
                         grouped(points[k].value), change);
      line.points.push_back({static_cast<double>(points[k].commit + 1), static_cast<double>(points[k].value),
                             fmt::format("{}: {}", c.label(), grouped(points[k].value))});
    }
    out << (changed_at.empty() ? std::string("  unchanged over the recorded commits\n")
                               : fmt::format("  changed at: {}\n", fmt::join(changed_at, ", ")));
    chart.series.push_back(std::move(line));
    if (!steps.points.empty()) chart.series.push_back(std::move(steps));
  }
  if (options.plot) {
    chart.y.log = series.size() > 1;  // runs of different models are orders of magnitude apart
    write_file_atomically(*options.plot, sweep::xy_chart_svg(chart));
    out << fmt::format("wrote {}\n", options.plot->string());
  }
  return 0;
}

int run_bisect(const BisectOptions& options, std::ostream& out) {
  if (options.metric) check_metric(*options.metric);
  const HistoryDb db(options.db, false);
  const std::vector<RecordedCommit> commits = db.commits();
  const RecordedCommit good = db.find_commit(options.good);
  const RecordedCommit bad = db.find_commit(options.bad);
  const auto index_of = [&](const RecordedCommit& c) {
    for (std::size_t i = 0; i < commits.size(); ++i) {
      if (commits[i].commit == c.commit && commits[i].dirty == c.dirty) return i;
    }
    return commits.size();
  };
  const std::size_t from = index_of(good), to = index_of(bad);
  if (from >= to) {
    throw UserError(fmt::format("bisect: {} was not recorded before {}; give the older commit as --good",
                                good.label(), bad.label()));
  }
  const auto run_of = [&](const RecordedCommit& c) -> std::optional<RunRecord> {
    for (RunRecord& run : db.runs_of(c)) {
      if (run.model == options.model && run.config == options.config) return run;
    }
    return std::nullopt;
  };
  const auto narrowed = [&](RunRecord run) {
    if (!options.layer && !options.metric) return run;
    const std::string metric = options.metric.value_or("cycles");
    RunRecord only = run;
    only.layers.clear();
    only.totals.clear();
    if (const auto value = figure_of(run, options.layer, metric)) {
      if (options.layer) {
        only.layers.push_back({*options.layer, "", {{metric, *value}}});
      } else {
        only.totals[metric] = *value;
      }
    }
    only.verdict = only.error = "";
    return only;
  };
  const auto reference = run_of(good);
  if (!reference) {
    throw UserError(fmt::format("bisect: {} has no recorded run of {} on {}", good.label(), options.model, options.config));
  }
  if (!run_of(bad)) {
    throw UserError(fmt::format("bisect: {} has no recorded run of {} on {}", bad.label(), options.model, options.config));
  }
  CompareOptions compare;
  compare.any_change_fails = true;
  compare.max_layers = 10;
  std::vector<std::string> skipped;
  for (std::size_t i = from + 1; i <= to; ++i) {
    const auto candidate = run_of(commits[i]);
    if (!candidate) {
      skipped.push_back(commits[i].label());
      continue;
    }
    const Comparison comparison = compare_runs({narrowed(*reference)}, {narrowed(*candidate)}, compare);
    if (comparison.cases.front().changed()) {
      out << fmt::format("first recorded commit whose figures of {} on {} differ from {}'s: {} (recorded {})\n",
                         options.model, options.config, good.label(), commits[i].label(), commits[i].first_recorded);
      if (!skipped.empty()) out << fmt::format("(no run recorded for: {})\n", fmt::join(skipped, ", "));
      print_comparison(comparison, compare, out);
      return 0;
    }
  }
  out << fmt::format("every recorded commit from {} to {} has {}'s figures of {} on {}\n", good.label(), bad.label(),
                     good.label(), options.model, options.config);
  return 1;
}

}  // namespace wb::regress
