#pragma once
// What every run report must satisfy on every network (docs/report.md): each layer's time
// causes add up to its cycles, its utilization is at most 1, and no layer (nor the run) is
// faster than its bound; and a failing bit-exact check's message.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "workbench/report/report.h"

namespace wb::test {

// Checks each layer; returns the layers' cycles added up.
inline std::uint64_t expect_layer_time_adds_up(const report::RunReport& report) {
  std::uint64_t cycles = 0;
  for (const auto& layer : report.layers) {
    cycles += layer.cycles;
    std::uint64_t causes = 0;
    for (const auto& [cause, c] : layer.time) causes += c;
    EXPECT_FALSE(layer.time.empty()) << layer.name;
    EXPECT_EQ(causes, layer.cycles) << layer.name;
    EXPECT_LE(layer.utilization, 1.0) << layer.name;
  }
  return cycles;
}

// Every layer's cycles and the run's are at least their bound (compute and every memory level),
// and the bounds are there.
inline void expect_bounds_hold(const report::RunReport& report) {
  EXPECT_FALSE(report.totals.bound.empty());
  EXPECT_GE(report.totals.cycles, report.totals.bound.cycles()) << "the run, bound by " << report.totals.bound.binding();
  EXPECT_GT(report.totals.bound.compute_cycles, 0u);
  for (const auto& layer : report.layers) {
    EXPECT_GE(layer.cycles, layer.bound.cycles()) << layer.name << ", bound by " << layer.bound.binding();
    EXPECT_FALSE(layer.bound.memory.empty()) << layer.name;
    if (layer.macs > 0) {
      EXPECT_GT(layer.bound.compute_cycles, 0u) << layer.name;
    }
  }
}

// The first mismatch of a run that is not bit-exact, for a failing check's message; empty
// when there is none.
inline std::string mismatch_text(const report::RunReport& report) {
  if (!report.mismatch) return {};
  return fmt::format("first mismatch: layer {} element {}: {} vs {}", report.mismatch->layer, report.mismatch->index,
                     report.mismatch->expected, report.mismatch->actual);
}

}  // namespace wb::test
