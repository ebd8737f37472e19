#pragma once
// The standard statistics kept as plain fields of a row (report.h), each bound to its field
// once: the JSON writer and reader, the CSV and `regress`'s figures iterate these instead of
// naming fields, so a new plain statistic is its declaration (report_stats.cpp) and one row here.
// The rest are objects (`time`, `bound`, `energy`) or figures derived from them, each written by
// code of its own; they are listed here too, so a test can hold every declaration to one of the
// two lists.

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "workbench/report/report.h"
#include "workbench/report/report_stats.h"

namespace wb::report {

template <class Row>
struct PlainField {
  std::string_view name;
  std::variant<std::string Row::*, std::uint64_t Row::*, double Row::*> field;
  // Whether every report of the current schema has it; false: added within the schema, and a
  // report without it reads as the field's default.
  bool always_written = true;
};

// In declaration order (report_stats.cpp).
const std::vector<PlainField<LayerRow>>& layer_fields();
const std::vector<PlainField<Totals>>& totals_fields();

// The standard statistics at `scope` that are no plain field: written by code of their own.
const std::vector<std::string_view>& composite_statistics(StatScope scope);

// A plain field's value: a name as a JSON string, a count as an unsigned integer, a real as a
// number.
template <class Row>
nlohmann::json field_json(const PlainField<Row>& plain, const Row& row) {
  return std::visit([&](auto member) { return nlohmann::json(row.*member); }, plain.field);
}

// A count's value (nullopt for a name or a real): what `regress` records.
template <class Row>
std::optional<std::uint64_t> field_count(const PlainField<Row>& plain, const Row& row) {
  if (const auto* member = std::get_if<std::uint64_t Row::*>(&plain.field)) return row.**member;
  return std::nullopt;
}

}  // namespace wb::report
