#include "compiler/golden/integer_arithmetic.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace wb::golden {

std::int64_t checked_add(std::int64_t a, std::int64_t b, const char* what) {
  std::int64_t result = 0;
  if (__builtin_add_overflow(a, b, &result)) {
    throw std::logic_error(fmt::format("integer overflow: {} + {} leaves int64 ({})", a, b, what));
  }
  return result;
}

std::int64_t checked_mul(std::int64_t a, std::int64_t b, const char* what) {
  std::int64_t result = 0;
  if (__builtin_mul_overflow(a, b, &result)) {
    throw std::logic_error(fmt::format("integer overflow: {} * {} leaves int64 ({})", a, b, what));
  }
  return result;
}

std::int64_t rshift_round(std::int64_t v, int s) {
  if (s < -62 || s > 63) throw std::logic_error(fmt::format("rshift_round: shift {} outside [-62, 63]", s));
  if (s > 0) {
    const std::int64_t half = std::int64_t{1} << (s - 1);
    return checked_add(v, half, "rounding constant of rshift_round") >> s;  // arithmetic shift (C++20)
  }
  if (s == 0) return v;
  // v << -s as a multiplication, so that an overflow is caught instead of losing bits.
  return checked_mul(v, std::int64_t{1} << -s, "left shift of rshift_round");
}

std::int64_t requantize(std::int64_t v, const quant::Requant& r, std::size_t channel) {
  const std::size_t c = r.channels() == 1 ? 0 : channel;
  if (c >= r.multiplier.size() || c >= r.offset.size() || c >= r.shift.size()) {
    throw std::logic_error(
        fmt::format("requantize: channel {} but the requant has {} multipliers, {} offsets, {} shifts", channel,
                    r.multiplier.size(), r.offset.size(), r.shift.size()));
  }
  const std::int64_t scaled =
      checked_add(checked_mul(v, r.multiplier[c], "v * multiplier"), r.offset[c], "v * multiplier + offset");
  std::int64_t result = rshift_round(scaled, r.shift[c]);
  if (r.intermediate_bits == 16) {
    result = static_cast<std::int16_t>(result);  // keeps the low 16 bits (modular since C++20)
  } else if (r.intermediate_bits != 0) {
    throw std::logic_error(fmt::format("requantize: intermediate_bits {} (only 0 or 16)", r.intermediate_bits));
  }
  if (r.lo > r.hi) throw std::logic_error(fmt::format("requantize: clamp range [{}, {}] is empty", r.lo, r.hi));
  return std::clamp(result, r.lo, r.hi);
}

}  // namespace wb::golden
