#include "sim/common/trace_file.h"

#include <fmt/format.h>

#include <fstream>

#include "isa/atomic_file.h"

namespace wb::sim {

void write_trace_file(const std::filesystem::path& path, nlohmann::json events) {
  const nlohmann::json trace = {{"traceEvents", std::move(events)}, {"displayTimeUnit", "ns"}};
  write_file_atomically_with(path, [&](std::ostream& out) { out << trace.dump() << '\n'; });
}

}  // namespace wb::sim
