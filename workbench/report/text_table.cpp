#include "workbench/report/text_table.h"

#include <algorithm>
#include <ostream>

namespace wb {

std::string padded(const std::string& text, std::size_t width, bool right_align) {
  const std::size_t have = display_width(text);
  const std::string fill(have < width ? width - have : 0, ' ');
  return right_align ? fill + text : text + fill;
}

std::size_t display_width(std::string_view text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string truncated(std::string_view text, std::size_t width) {
  if (display_width(text) <= width) return std::string(text);
  std::size_t kept = 0, end = 0;
  while (end < text.size()) {
    std::size_t next = end + 1;
    while (next < text.size() && (static_cast<unsigned char>(text[next]) & 0xC0) == 0x80) ++next;
    if (kept + 1 > width - 1) break;
    ++kept;
    end = next;
  }
  return std::string(text.substr(0, end)) + "\u2026";
}

void print_columns(const std::vector<TextColumn>& columns, std::ostream& os) {
  std::vector<std::size_t> widths;
  std::size_t rows = 0;
  for (const TextColumn& column : columns) {
    std::size_t width = display_width(column.title);
    for (const std::string& cell : column.cells) width = std::max(width, display_width(cell));
    widths.push_back(width);
    rows = std::max(rows, column.cells.size());
  }
  const auto print_line = [&](auto&& cell_of) {
    std::string line;
    for (std::size_t c = 0; c < columns.size(); ++c) {
      if (c > 0) line += "  ";
      line += padded(cell_of(c), widths[c], columns[c].right_align);
    }
    os << line << '\n';
  };
  print_line([&](std::size_t c) { return columns[c].title; });
  for (std::size_t r = 0; r < rows; ++r) {
    print_line([&](std::size_t c) { return r < columns[c].cells.size() ? columns[c].cells[r] : std::string(); });
  }
}

}  // namespace wb
