#include "sim/common/trace_file.h"

#include <algorithm>

#include <fmt/format.h>

#include <fstream>

#include "support/atomic_file.h"
#include "support/progress.h"

namespace wb::sim {

void write_trace_file(const std::filesystem::path& path, nlohmann::json events) {
  // Event by event rather than one dump: the same JSON, with progress on a 100 MB trace.
  ProgressPhase progress("trace", events.size(), "events");
  write_file_atomically_with(path, [&](std::ostream& out) {
    out << "{\"traceEvents\":[";
    bool first = true;
    for (const nlohmann::json& event : events) {
      if (!first) out << ',';
      first = false;
      out << event.dump();
      progress.step();
    }
    out << "],\"displayTimeUnit\":\"ns\"}\n";
  });
}

void add_counter_events(nlohmann::json& events, const char* name, const char* series,
                        std::vector<std::pair<std::uint64_t, std::int64_t>> changes, double us_per_cycle) {
  std::sort(changes.begin(), changes.end());
  std::int64_t value = 0;
  for (std::size_t k = 0; k < changes.size(); ++k) {
    value += changes[k].second;
    if (k + 1 < changes.size() && changes[k + 1].first == changes[k].first) continue;
    events.push_back({{"name", name},
                      {"ph", "C"},
                      {"pid", 1},
                      {"ts", static_cast<double>(changes[k].first) * us_per_cycle},
                      {"args", {{series, value}}}});
  }
}

}  // namespace wb::sim
