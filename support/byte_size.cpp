#include "support/byte_size.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <limits>

namespace wb {
namespace {

struct Unit {
  std::string_view name;
  std::int64_t bytes;
};
// Largest first, binary before decimal: format_byte_size picks the first that divides.
constexpr std::array<Unit, 7> kUnits = {{{"GiB", std::int64_t{1} << 30},
                                         {"GB", 1000000000},
                                         {"MiB", std::int64_t{1} << 20},
                                         {"MB", 1000000},
                                         {"KiB", 1024},
                                         {"kB", 1000},
                                         {"B", 1}}};

}  // namespace

std::optional<std::int64_t> parse_byte_size(std::string_view text, std::string* why) {
  const auto fail = [why](std::string message) -> std::optional<std::int64_t> {
    if (why != nullptr) *why = std::move(message);
    return std::nullopt;
  };
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (text.empty()) return fail("empty");
  if (text.front() == '-') return fail("negative");
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  std::size_t i = 0;
  std::int64_t whole = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    const int digit = text[i] - '0';
    if (whole > (kMax - digit) / 10) return fail("too large");
    whole = whole * 10 + digit;
  }
  if (i == 0) return fail("does not start with a number");
  std::int64_t fraction = 0;
  std::int64_t fraction_scale = 1;
  if (i < text.size() && text[i] == '.') {
    const std::size_t start = ++i;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
      if (i - start == 6) return fail("more than 6 decimals");
      fraction = fraction * 10 + (text[i] - '0');
      fraction_scale *= 10;
    }
    if (i == start) return fail("no digits after the decimal point");
  }
  while (i < text.size() && text[i] == ' ') ++i;
  const std::string_view unit_name = text.substr(i);
  std::int64_t unit = 1;
  if (!unit_name.empty()) {
    const auto it = std::find_if(kUnits.begin(), kUnits.end(), [&](const Unit& u) { return u.name == unit_name; });
    if (it == kUnits.end()) {
      return fail(fmt::format("unknown unit '{}'; units are B, kB (1000), KiB (1024), MB, MiB, GB, GiB", unit_name));
    }
    unit = it->bytes;
  }
  if (whole > kMax / unit) return fail("too large");
  // fraction < 1e6 and unit <= 2^30, so the product fits.
  if ((fraction * unit) % fraction_scale != 0) return fail("not a whole number of bytes");
  const std::int64_t fraction_bytes = fraction * unit / fraction_scale;
  if (whole * unit > kMax - fraction_bytes) return fail("too large");
  return whole * unit + fraction_bytes;
}

std::string format_byte_size(std::int64_t bytes) {
  if (bytes == 0) return "0 bytes";
  for (const Unit& u : kUnits) {
    if (u.bytes > 1 && bytes % u.bytes == 0) return fmt::format("{} {}", bytes / u.bytes, u.name);
  }
  return fmt::format("{} bytes", bytes);
}

}  // namespace wb
