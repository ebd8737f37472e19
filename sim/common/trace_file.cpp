#include "sim/common/trace_file.h"

#include <fmt/format.h>

#include <fstream>

#include "isa/error.h"

namespace wb::sim {

void write_trace_file(const std::filesystem::path& path, nlohmann::json events) {
  const nlohmann::json trace = {{"traceEvents", std::move(events)}, {"displayTimeUnit", "ns"}};
  std::filesystem::path temporary = path;
  temporary += ".partial";
  {
    std::ofstream out(temporary);
    if (!out) throw UserError(fmt::format("{}: cannot write the trace (does the folder exist?)", path.string()));
    out << trace.dump() << '\n';
    if (!out) {
      out.close();
      std::error_code ignored;
      std::filesystem::remove(temporary, ignored);
      throw UserError(fmt::format("{}: write failed", path.string()));
    }
  }
  std::filesystem::rename(temporary, path);
}

}  // namespace wb::sim
