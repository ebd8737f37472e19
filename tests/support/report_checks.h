#pragma once
// What every run report must satisfy on every network (docs/report.md): each layer's time
// causes add up to its cycles, and its utilization is at most 1.

#include <gtest/gtest.h>

#include <cstdint>

#include "workbench/report.h"

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

}  // namespace wb::test
