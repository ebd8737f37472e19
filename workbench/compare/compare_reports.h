#pragma once
// `workbench compare A.json B.json [C.json ...]` (docs/report.md): run reports joined per layer
// (layer_join.h), time and the main figures side by side with ratios to the first report, the
// totals, and the layers that moved most. Across targets, or clocks, time is in microseconds;
// between reports of one target and clock, in cycles.

#include <cstddef>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "workbench/report/report.h"

namespace wb::compare {

enum class TimeUnit { Cycles, Microseconds };

struct ReportSide {
  std::string label;  // "A", "B", ...
  std::filesystem::path path;
  report::RunReport report;
  double clock_mhz = 0;
};

// One joined row, figures per report (in the order of the sides).
struct RowFigures {
  std::string output;                          // the common tensor closing the row ("" the tail)
  std::vector<std::vector<std::string>> names;  // per report: its layers' names
  std::vector<std::vector<std::string>> types;  // per report: its layers' types
  std::vector<std::uint64_t> cycles, macs, bytes;
  std::vector<double> microseconds;
  std::vector<std::optional<double>> energy_uj;  // per report: its layers' energy (none in reports without it)
  // Per report: the row's energy-delay product, its energy in uJ x its time in ms (not the sum of
  // its layers' products).
  std::vector<std::optional<double>> energy_delay;
  // Per asked statistic (Comparison::stats), per report: the sum over its layers in the row (none
  // when no layer of the row has it).
  std::vector<std::vector<std::optional<std::uint64_t>>> stats;
};

struct Comparison {
  std::vector<ReportSide> sides;
  TimeUnit unit = TimeUnit::Cycles;
  std::vector<RowFigures> rows;
  std::vector<std::string> stats;  // the layer statistics asked for (--stat), in the order asked
};

// The layer statistics `--stat` takes for these reports: the counts, which add up over the
// layers of a row (the standard plain ones and each report's target's own), in declaration order.
std::vector<std::string> countable_layer_statistics(const std::vector<ReportSide>& sides);

// The side of the `index`th report (labelled A, B, ...) from its JSON; `source` (its file, or
// what the Python module calls it) names it in messages. UserError when it is no run report.
ReportSide side_of(const nlohmann::json& doc, std::size_t index, const std::filesystem::path& source);

// The unit when none is asked for: cycles when every report has one target and one clock,
// else microseconds. UserError when cycles are asked for across clocks.
TimeUnit choose_unit(const std::vector<ReportSide>& sides, std::optional<TimeUnit> asked);

// Joins the sides' layers and sums each row's figures, and the layer statistics `stats` (each one
// of countable_layer_statistics: UserError naming the choices otherwise). At least two sides.
Comparison compare(std::vector<ReportSide> sides, std::optional<TimeUnit> unit,
                   const std::vector<std::string>& stats = {});

// The row's name in tables: the first report's layer closing it, "(+k)" for k more of its
// layers folded in; another report's when the first has none in the row; for the tail row
// "(after the last common layer)".
std::string row_name(const RowFigures& row);

// A side's time in the comparison's unit: cycles, or microseconds.
double time_of(const Comparison& comparison, const RowFigures& row, std::size_t side);
// B's time over A's, both in microseconds (so also across clocks); nullopt when A's is 0.
std::optional<double> ratio(double a_us, double b_us);

// The legend, the joined table, the totals, and for every side after the first the `top`
// rows whose time moved most against the first (0: none).
void print_comparison(const Comparison& comparison, std::size_t top, std::ostream& os);
// One line per joined row: per side its layers, cycles, microseconds, MACs, MAC/cycle, bytes,
// energy, energy-delay product and the asked statistics, and its time ratio to the first side.
std::string comparison_csv(const Comparison& comparison);

struct CompareCommand {
  std::vector<std::filesystem::path> reports;
  std::optional<TimeUnit> unit;
  std::optional<std::filesystem::path> csv;
  std::size_t top = 5;
  std::vector<std::string> stats;  // --stat: more layer statistics, a column per report
};

// Loads the reports (UserError naming the file that is missing or not a run report), compares
// and prints; writes the CSV atomically when asked. Returns the exit code (0).
int run_compare(const CompareCommand& command, std::ostream& out);

}  // namespace wb::compare
