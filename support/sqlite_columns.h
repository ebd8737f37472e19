#pragma once
// A record's columns declared once: each SQL column's name beside the member it holds, in
// order, so one list spells a statement's column names and placeholders, binds a record and
// reads a row back (regress's runs, a sweep's points and results). Integers, reals, text and
// booleans (stored 0 or 1).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "support/sqlite.h"

namespace wb::sqlite {

template <class Record>
class Columns {
 public:
  using Member = std::variant<std::string Record::*, std::int64_t Record::*, std::uint64_t Record::*, int Record::*,
                              bool Record::*, double Record::*>;
  struct Column {
    std::string name;
    Member member;
  };

  explicit Columns(std::vector<Column> columns) : columns_(std::move(columns)) {}

  std::size_t size() const { return columns_.size(); }

  // "a, b, c", each name after `prefix` (a table alias: "p.").
  std::string names(std::string_view prefix = "") const {
    std::string text;
    for (const Column& c : columns_) {
      if (!text.empty()) text += ", ";
      text.append(prefix).append(c.name);
    }
    return text;
  }

  // "?, ?, ?".
  std::string placeholders() const {
    std::string text;
    for (std::size_t i = 0; i < columns_.size(); ++i) text += i == 0 ? "?" : ", ?";
    return text;
  }

  // Binds the record's values to parameters first, first + 1, ... (1-based); the next index.
  int bind(Statement& statement, const Record& record, int first) const {
    int index = first;
    for (const Column& c : columns_) {
      std::visit(
          [&](auto member) {
            using T = std::remove_cvref_t<decltype(record.*member)>;
            if constexpr (std::is_same_v<T, std::string>) {
              statement.bind(index, std::string_view(record.*member));
            } else if constexpr (std::is_same_v<T, double>) {
              statement.bind(index, record.*member);
            } else if constexpr (std::is_same_v<T, bool>) {
              statement.bind(index, std::int64_t{record.*member ? 1 : 0});
            } else {
              statement.bind(index, static_cast<std::int64_t>(record.*member));
            }
          },
          c.member);
      ++index;
    }
    return index;
  }

  // Reads columns first, first + 1, ... (0-based) of the current row into the record; the next.
  int read(const Statement& statement, Record& record, int first) const {
    int column = first;
    for (const Column& c : columns_) {
      std::visit(
          [&](auto member) {
            using T = std::remove_cvref_t<decltype(record.*member)>;
            if constexpr (std::is_same_v<T, std::string>) {
              record.*member = statement.text(column);
            } else if constexpr (std::is_same_v<T, double>) {
              record.*member = statement.real(column);
            } else if constexpr (std::is_same_v<T, bool>) {
              record.*member = statement.integer(column) != 0;
            } else {
              record.*member = static_cast<T>(statement.integer(column));
            }
          },
          c.member);
      ++column;
    }
    return column;
  }

 private:
  std::vector<Column> columns_;
};

}  // namespace wb::sqlite
