#pragma once
// `workbench report DB -o DIR`: a sweep's results as one self-contained HTML page (no
// network needed to view it): the table of points; the Pareto frontiers of the sweep's
// objectives; for a sweep over both targets, the same network on each side by side per layer
// (time in microseconds, since the clocks differ); for a sweep over compile options, the
// ablation table; per-layer breakdowns of chosen points and, where the target predicts, their
// layers' predicted against simulated cycles; the failed points; and what
// produced it all (spec, build). Plots are SVG drawn here, embedded as data URIs and also
// written beside the page.

#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

#include "workbench/sweep/results_db.h"

namespace wb::sweep {

struct ReportOptions {
  std::filesystem::path db;
  std::filesystem::path out_dir;
  // Points whose per-layer breakdown to draw, by position ("3") or key prefix; default: the
  // fastest point of each model on each config.
  std::vector<std::string> points;
};

// Writes DIR/index.html and DIR/<plot>.svg (each atomically). UserError for a database that
// is not a sweep's, an unknown point, or a folder that cannot be written.
int run_report(const ReportOptions& options, std::ostream& out);

struct ReportPage {
  std::string html;
  std::vector<std::pair<std::string, std::string>> plots;  // file name, SVG
};
ReportPage build_report_page(const ResultsDb& db, const std::vector<std::string>& requested_points);

}  // namespace wb::sweep
