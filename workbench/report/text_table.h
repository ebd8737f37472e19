#pragma once
// Console tables: columns padded to their widest cell, counted in code points so UTF-8 names
// stay aligned. The run report's per-layer table and `workbench compare` print with it.

#include <cstddef>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

namespace wb {

struct TextColumn {
  std::string title;
  bool right_align = false;
  std::vector<std::string> cells;  // one per row
};

// The title line, then one line per row; two blanks between columns.
void print_columns(const std::vector<TextColumn>& columns, std::ostream& os);
// Appends one row: cells[c] to columns[c] (as many as there are cells).
template <typename Cells>
void append_row(std::vector<TextColumn>& columns, const Cells& cells) {
  std::size_t c = 0;
  for (const auto& cell : cells) columns.at(c++).cells.push_back(cell);
}

std::size_t display_width(std::string_view text);
// `text` filled with blanks to `width` code points, on the left when right-aligned.
std::string padded(const std::string& text, std::size_t width, bool right_align);
// `text` cut to `width` code points, the last one an ellipsis, when it is longer.
std::string truncated(std::string_view text, std::size_t width);

}  // namespace wb
