#pragma once
// Pareto frontiers of two objectives: x (a cost: DSPs, bytes of memory, cores) is always
// minimised; y (the result) is minimised, or maximised for rates (MAC/cycle, utilization,
// frames/s, tokens/s).
// A point is on the frontier when no other point is at least as good on both and better on
// one.

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "workbench/sweep/results_db.h"

namespace wb::sweep {

// Indices into `points` of the frontier, by increasing x. Non-finite values are ignored.
std::vector<std::size_t> pareto_frontier(const std::vector<std::pair<double, double>>& points, bool maximize_y);

// A result figure of a done point by name: latency_ms, cycles, mac_per_cycle, utilization,
// memory_bytes, moveops, or any numeric total of its run report (ddr_spill_bytes, ...).
std::optional<double> result_metric(const StoredPoint& point, const std::string& name);
// Whether more is better (MAC/cycle, utilization, a statistic per second): those are maximised.
bool higher_is_better(const std::string& metric);
// "latency (ms)", "MAC/cycle", ... for axis labels.
std::string metric_label(const std::string& metric);

}  // namespace wb::sweep
