#include "support/text.h"

namespace wb {

namespace {

// Commas between groups of three digits, after the sign.
std::string with_separators(const std::string& digits) {
  const std::size_t first = !digits.empty() && digits[0] == '-' ? 1 : 0;
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > first && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

}  // namespace

std::string grouped(std::int64_t value) { return with_separators(std::to_string(value)); }
std::string grouped(std::uint64_t value) { return with_separators(std::to_string(value)); }

}  // namespace wb
