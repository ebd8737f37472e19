#pragma once
// Chrome/Perfetto trace files, as both simulators write them.

#include <filesystem>
#include <nlohmann/json.hpp>

namespace wb::sim {

// Writes {"traceEvents": events, "displayTimeUnit": "ns"} atomically (a temporary file renamed
// into place); UserError naming the file when it cannot be written.
void write_trace_file(const std::filesystem::path& path, nlohmann::json events);

}  // namespace wb::sim
