#pragma once
// `workbench sweep show DB`: the points as a table, sortable by any column, filtered by
// column values; `workbench sweep export DB --csv OUT`: one row per point (one column per
// axis and per total), and optionally one row per point and layer.

#include <cstddef>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace wb::sweep {

struct ShowOptions {
  std::filesystem::path db;
  std::string sort = "position";     // a column name: position, model, config, an axis, cycles, latency_ms, ...
  bool descending = false;
  std::vector<std::string> where;    // COLUMN=VALUE or COLUMN!=VALUE, all must hold
  bool failed_only = false;
  std::size_t limit = 0;             // 0: every row
  std::vector<std::string> columns;  // totals of the run reports shown after the standard columns (card_fps, ...)
};
int run_show(const ShowOptions& options, std::ostream& out);

struct ExportOptions {
  std::filesystem::path db;
  std::filesystem::path csv;
  std::optional<std::filesystem::path> layers_csv;
};
int run_export(const ExportOptions& options, std::ostream& out);

}  // namespace wb::sweep
