#pragma once
// `regress history` (a figure's trend over the recorded commits: a table per model and
// config, the commits where it changed, an SVG plot) and `regress bisect` (the first recorded
// commit whose figures differ from a good one's). Both read the history database only: they
// build nothing. Deterministic figures step, so a change is any difference from the commit
// before; no step detection is needed.

#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>

namespace wb::regress {

struct HistoryOptions {
  std::filesystem::path db;
  std::optional<std::string> model, config, layer;  // filters (exact names); layer: that layer's figure
  std::string metric = "cycles";
  std::optional<std::filesystem::path> plot;  // an .svg file
};

// 0; UserError when nothing recorded matches the filters (naming what there is).
int run_history(const HistoryOptions& options, std::ostream& out);

struct BisectOptions {
  std::filesystem::path db;
  std::string good, bad;  // commit prefixes ("+dirty" for a dirty tree's runs)
  std::string model, config;
  std::optional<std::string> layer, metric;  // narrow to one figure (default: every figure)
};

// 0 and the commit, when one between good (excluded) and bad (included) differs; 1 when none
// does. UserError when good was recorded after bad, or either has no run of the model/config.
int run_bisect(const BisectOptions& options, std::ostream& out);

}  // namespace wb::regress
