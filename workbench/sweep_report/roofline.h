#pragma once
// A run's roofline (`--plot DIR`, docs/report.md "Bounds"): per memory level the run's layers
// crossed, a log-log chart of MAC/cycle against operational intensity (MACs per byte that
// crossed the level within the layer's span), under the roofs of the target's peak MAC/cycle
// and the level's bandwidth. Drawn with the sweep report's SVG charts: no plotting library.

#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "workbench/report/report.h"

namespace wb::sweep {

struct RooflineChart {
  std::string level;  // the memory level, as in the report's bounds ("ddr_channel")
  std::string svg;
  std::size_t layers_plotted = 0;
};

// One chart per memory level of the run's bounds; none when the report has no bounds or no
// layer with MACs.
std::vector<RooflineChart> roofline_charts(const report::RunReport& report);

// Each layer's pJ/MAC against its MAC/cycle, one series per unit (docs/energy.md); none when
// the report has no energy.
std::optional<std::string> energy_chart(const report::RunReport& report);

// Writes roofline_<level>.svg (and energy.svg, with energy) into `dir` (created when missing; UserError when it cannot be)
// and returns the files written.
std::vector<std::filesystem::path> write_roofline_plots(const report::RunReport& report,
                                                        const std::filesystem::path& dir);

// `--plot DIR` of run, sim and verify: write_roofline_plots with each file named on `out`, a
// warning on `err` when no layer has MACs and memory traffic; nothing when `dir` is empty.
void plot_run_roofline(const report::RunReport& report, const std::filesystem::path& dir, std::ostream& out,
                       std::ostream& err);

}  // namespace wb::sweep
