#pragma once
// The run report's per-layer rows as CSV, the first columns SCALE-Sim v2's COMPUTE_REPORT.csv
// (so its scripts read ours; report_csv.cpp says column by column how they map).

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "workbench/report/report.h"

namespace wb::report {

// The CSV text write_csv writes: one header line, one line per layer, no totals line.
std::string csv_text(const RunReport& report);
// Writes atomically; UserError if the folder does not exist or is not writable, and then no
// file is left behind.
void write_csv(const RunReport& report, const std::filesystem::path& path);

// One CSV field as RFC 4180 wants it: quoted (quotes doubled) when it holds a comma, quote,
// line break or leading/trailing blank; as it is otherwise.
std::string csv_field(std::string_view field);
// Python's str(float) form SCALE-Sim writes: shortest round trip, "25.0" rather than "25".
std::string csv_number(double value);
// A statistic's value as a field: text as it is, reals as csv_number, null as "", integers
// and anything else as JSON text.
std::string csv_value(const nlohmann::json& value);

}  // namespace wb::report
