#include "sim/common/trace_file.h"

#include <fmt/format.h>

#include <fstream>

#include "isa/atomic_file.h"
#include "isa/progress.h"

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

}  // namespace wb::sim
