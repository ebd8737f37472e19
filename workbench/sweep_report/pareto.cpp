#include "workbench/sweep_report/pareto.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "workbench/report/report_stats.h"
#include "workbench/backends/target.h"

namespace wb::sweep {

std::vector<std::size_t> pareto_frontier(const std::vector<std::pair<double, double>>& points, bool maximize_y) {
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (std::isfinite(points[i].first) && std::isfinite(points[i].second)) order.push_back(i);
  }
  const auto better = [&](double a, double b) { return maximize_y ? a > b : a < b; };
  // By x, and at equal x the best y first: it alone can be on the frontier there.
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (points[a].first != points[b].first) return points[a].first < points[b].first;
    return better(points[a].second, points[b].second);
  });
  std::vector<std::size_t> frontier;
  for (const std::size_t i : order) {
    if (frontier.empty() || better(points[i].second, points[frontier.back()].second)) {
      if (!frontier.empty() && points[frontier.back()].first == points[i].first) continue;
      frontier.push_back(i);
    }
  }
  return frontier;
}

std::optional<double> result_metric(const StoredPoint& p, const std::string& name) {
  if (p.status != "done") return std::nullopt;
  if (name == "latency_ms") return p.latency_ms;
  if (name == "cycles") return static_cast<double>(p.cycles);
  if (name == "mac_per_cycle") return p.mac_per_cycle;
  if (name == "utilization") return p.utilization;
  if (name == "memory_bytes") return static_cast<double>(p.memory_bytes);
  if (name == "moveops") return static_cast<double>(p.moveops);
  const nlohmann::json* total = stored_total(p, name);
  if (total == nullptr || !total->is_number()) return std::nullopt;
  return total->get<double>();
}

bool higher_is_better(const std::string& metric) {
  if (metric == "mac_per_cycle" || metric == "utilization") return true;
  // A rate per second (frames/s, tokens/s), standard or a target's.
  const auto per_second = [](const report::StatDecl* stat) { return stat != nullptr && stat->unit.ends_with("/s"); };
  for (const report::StatDecl& stat : report::standard_statistics()) {
    if (stat.name == metric && per_second(&stat)) return true;
  }
  for (const Target target : all_targets()) {
    if (per_second(report::target_statistic(target_name(target), report::StatScope::Run, metric))) return true;
  }
  return false;
}

std::string metric_label(const std::string& metric) {
  static const std::map<std::string, std::string> labels = {
      {"latency_ms", "latency (ms)"},
      {"cycles", "cycles"},
      {"mac_per_cycle", "MAC/cycle"},
      {"utilization", "utilization (fraction of peak)"},
      {"memory_bytes", offchip_levels_label(" or ", true) + " bytes"},
      {"moveops", "intermediate activation bytes"},
      {"energy_uj", "energy per inference (uJ)"},
      {"energy_delay", "energy-delay product (uJ x ms)"},
      {"fps_per_pe", "frames/s per PE"},
      {"card_fps", "frames/s of the card"},
      {"pj_per_mac", "energy per MAC (pJ)"},
      {"power_mw", "average power (mW)"}};
  const auto it = labels.find(metric);
  return it == labels.end() ? metric : it->second;
}

}  // namespace wb::sweep
