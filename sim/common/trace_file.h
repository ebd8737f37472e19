#pragma once
// Chrome/Perfetto trace files, as both simulators write them.

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

namespace wb::sim {

// Writes {"traceEvents": events, "displayTimeUnit": "ns"} atomically (a temporary file renamed
// into place); UserError naming the file when it cannot be written.
void write_trace_file(const std::filesystem::path& path, nlohmann::json events);

// Appends counter events ("C", pid 1) named `name` with one series `series`: the running sum of
// the (cycle, delta) changes, one event per distinct cycle, at us_per_cycle microseconds a cycle.
void add_counter_events(nlohmann::json& events, const char* name, const char* series,
                        std::vector<std::pair<std::uint64_t, std::int64_t>> changes, double us_per_cycle);

}  // namespace wb::sim
