#include "workbench/sweep_report/roofline.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <ostream>

#include "support/atomic_file.h"
#include "support/file_io.h"
#include "workbench/sweep_report/svg_chart.h"

namespace wb::sweep {

namespace {

const report::MemoryBound* level_of(const report::Bound& bound, const std::string& level) {
  const auto it = std::find_if(bound.memory.begin(), bound.memory.end(),
                               [&](const report::MemoryBound& m) { return m.level == level; });
  return it == bound.memory.end() ? nullptr : &*it;
}

// The roof: bandwidth x intensity up to the ridge, the peak after it, over [lo, hi].
ChartSeries roof(double peak, double bytes_per_cycle, double lo, double hi) {
  ChartSeries series;
  series.name = fmt::format("roof: {:.4g} MAC/cycle, {:.3g} B/cycle", peak, bytes_per_cycle);
  series.color = "#555555";
  series.line = true;
  series.markers = false;
  const double ridge = peak / bytes_per_cycle;
  series.points.push_back({lo, std::min(peak, bytes_per_cycle * lo), ""});
  if (ridge > lo && ridge < hi) series.points.push_back({ridge, peak, ""});
  series.points.push_back({hi, std::min(peak, bytes_per_cycle * hi), ""});
  return series;
}

// "; 1.25 uJ, 48.2 pJ/MAC" (nothing without energy).
std::string energy_text(const report::Energy& energy, std::uint64_t macs) {
  if (energy.empty()) return "";
  return fmt::format("; {:.3g} uJ, {:.1f} pJ/MAC", report::energy_pj(energy) * 1e-6, report::pj_per_mac(energy, macs));
}

}  // namespace

std::optional<std::string> energy_chart(const report::RunReport& report) {
  // Each layer's cost per MAC against its MAC/cycle: a layer that keeps the hardware busy
  // spreads the static power over more MACs; one that moves more bytes per MAC sits higher.
  std::map<std::string, ChartSeries> by_unit;
  for (const report::LayerRow& row : report.layers) {
    if (row.energy.empty() || row.macs == 0 || row.cycles == 0) continue;
    ChartSeries& series = by_unit[row.unit.empty() ? "layers" : row.unit];
    if (series.name.empty()) {
      series.name = fmt::format("layers on {}", row.unit.empty() ? "the target" : row.unit);
      series.color = palette(by_unit.size() - 1);
    }
    std::string parts;
    for (const auto& [component, pj] : row.energy) parts += fmt::format(", {} {:.0f}%", component, 100.0 * pj / report::energy_pj(row.energy));
    series.points.push_back({row.mac_per_cycle, report::pj_per_mac(row.energy, row.macs),
                             fmt::format("{} ({}): {:.1f} MAC/cycle{}{}", row.name, row.type, row.mac_per_cycle,
                                         energy_text(row.energy, row.macs), parts)});
  }
  if (by_unit.empty()) return std::nullopt;
  XYChart xy;
  xy.title = fmt::format("{} on {}: energy per MAC by layer ({:.1f} pJ/MAC over the run)", report.model_name,
                         report.hw_path.empty() ? report.target : std::filesystem::path(report.hw_path).stem().string(),
                         report::pj_per_mac(report.totals.energy, report.totals.macs));
  xy.x = {"MAC/cycle", true};
  xy.y = {"pJ per MAC", true};
  for (auto& [unit, series] : by_unit) xy.series.push_back(std::move(series));
  return xy_chart_svg(xy);
}

std::vector<RooflineChart> roofline_charts(const report::RunReport& report) {
  std::vector<RooflineChart> charts;
  const report::Totals& totals = report.totals;
  // The peak the utilization is measured against.
  if (totals.bound.empty() || totals.utilization <= 0 || totals.mac_per_cycle <= 0) return charts;
  const double peak = totals.mac_per_cycle / totals.utilization;
  for (const report::MemoryBound& network_level : totals.bound.memory) {
    if (network_level.cycles == 0 || network_level.bytes == 0) continue;
    const double bandwidth = static_cast<double>(network_level.bytes) / static_cast<double>(network_level.cycles);
    ChartSeries compute_bound{"compute-bound layers", {}, palette(0)};
    ChartSeries memory_bound{fmt::format("{}-bound layers", network_level.level), {}, palette(1)};
    ChartSeries other_bound{"bound by another memory level", {}, palette(2)};
    // Below the compute roof by their shape: most of their compute bound is empty MAC slots.
    ChartSeries mapping_bound{"mapping-bound layers (shape fills little of the array)", {}, palette(4)};
    double lo = 1e300, hi = 0;
    const auto add = [&](ChartSeries& series, double macs, double bytes, double cycles, const std::string& label) {
      const double x = macs / bytes, y = macs / cycles;
      series.points.push_back({x, y, label});
      lo = std::min(lo, x);
      hi = std::max(hi, x);
    };
    RooflineChart chart;
    chart.level = network_level.level;
    for (const report::LayerRow& row : report.layers) {
      const report::MemoryBound* level = level_of(row.bound, network_level.level);
      if (row.macs == 0 || row.cycles == 0 || level == nullptr || level->bytes == 0) continue;
      const std::string binding = row.bound.binding();
      ChartSeries& series = binding == "compute"               ? compute_bound
                            : binding == "mapping"           ? mapping_bound
                            : binding == network_level.level ? memory_bound
                                                             : other_bound;
      add(series, static_cast<double>(row.macs),
          static_cast<double>(level->bytes), static_cast<double>(row.cycles),
          fmt::format("{} ({}): {:.1f} MAC/cycle, {} bound, attained {:.0f}%{}", row.name, row.type, row.mac_per_cycle,
                      binding, 100.0 * static_cast<double>(row.bound.cycles()) / static_cast<double>(row.cycles),
                      energy_text(row.energy, row.macs)));
      ++chart.layers_plotted;
    }
    if (chart.layers_plotted == 0) continue;
    ChartSeries network{"the whole run", {}, palette(3)};
    network.marker_radius = 7;
    add(network, static_cast<double>(totals.macs), static_cast<double>(network_level.bytes),
        static_cast<double>(totals.cycles),
        fmt::format("{}: {:.1f} MAC/cycle{}", report.model_name, totals.mac_per_cycle, energy_text(totals.energy, totals.macs)));
    XYChart xy;
    xy.title = fmt::format("{} on {}: roofline over {} ({} layers with MACs)", report.model_name,
                           report.hw_path.empty() ? report.target : std::filesystem::path(report.hw_path).stem().string(),
                           network_level.level, chart.layers_plotted);
    xy.x = {fmt::format("operational intensity (MACs per byte over {})", network_level.level), true};
    xy.y = {"MAC/cycle", true};
    xy.series.push_back(roof(peak, bandwidth, lo / 2, hi * 2));
    if (!compute_bound.points.empty()) xy.series.push_back(std::move(compute_bound));
    if (!mapping_bound.points.empty()) xy.series.push_back(std::move(mapping_bound));
    if (!memory_bound.points.empty()) xy.series.push_back(std::move(memory_bound));
    if (!other_bound.points.empty()) xy.series.push_back(std::move(other_bound));
    xy.series.push_back(std::move(network));
    chart.svg = xy_chart_svg(xy);
    charts.push_back(std::move(chart));
  }
  return charts;
}

std::vector<std::filesystem::path> write_roofline_plots(const report::RunReport& report,
                                                        const std::filesystem::path& dir) {
  const std::vector<RooflineChart> charts = roofline_charts(report);
  std::vector<std::filesystem::path> written;
  if (charts.empty()) return written;
  create_output_folder(dir, "--plot");
  for (const RooflineChart& chart : charts) {
    written.push_back(dir / fmt::format("roofline_{}.svg", chart.level));
    write_file_atomically(written.back(), chart.svg);
  }
  if (const std::optional<std::string> energy = energy_chart(report)) {
    written.push_back(dir / "energy.svg");
    write_file_atomically(written.back(), *energy);
  }
  return written;
}

void plot_run_roofline(const report::RunReport& report, const std::filesystem::path& dir, std::ostream& out,
                       std::ostream& err) {
  if (dir.empty()) return;
  const std::vector<std::filesystem::path> written = write_roofline_plots(report, dir);
  if (written.empty()) err << "warning: --plot: no layer with MACs and memory traffic to plot\n";
  for (const std::filesystem::path& file : written) out << fmt::format("wrote {}\n", file.string());
}

}  // namespace wb::sweep
