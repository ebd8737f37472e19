#include "sim/common/requant.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace wb::sim {

namespace {

__extension__ typedef __int128 Int128;  // products of a 64-bit value and a 64-bit multiplier

std::int64_t rshift_round(Int128 v, int s) {
  Int128 r;
  if (s > 0) {
    r = (v + (static_cast<Int128>(1) << (s - 1))) >> s;
  } else {
    r = v << (-s);
  }
  if (r > std::numeric_limits<std::int64_t>::max() || r < std::numeric_limits<std::int64_t>::min()) {
    throw std::runtime_error("requantisation overflows 64 bits");
  }
  return static_cast<std::int64_t>(r);
}

template <class T>
T pick(const google::protobuf::RepeatedField<T>& values, std::size_t channel) {
  if (values.empty()) return T{0};
  return values.size() == 1 ? values.Get(0) : values.Get(static_cast<int>(channel));
}

}  // namespace

std::int32_t requantize(std::int64_t v, const isa::Requant& requant, std::size_t channel) {
  const Int128 scaled = static_cast<Int128>(v) * pick(requant.multiplier(), channel) + pick(requant.offset(), channel);
  std::int64_t r = rshift_round(scaled, pick(requant.shift(), channel));
  if (requant.intermediate_bits() == 16) r = static_cast<std::int16_t>(static_cast<std::uint16_t>(r & 0xffff));
  return static_cast<std::int32_t>(std::clamp(r, requant.lo(), requant.hi()));
}

std::string requant_problem(const isa::Requant& r, std::uint32_t channels) {
  const auto entries_ok = [&](int n, bool may_be_empty) {
    return n == 1 || n == static_cast<int>(channels) || (may_be_empty && n == 0);
  };
  // An empty offset is proto3's default: zero.
  if (!entries_ok(r.multiplier_size(), false) || !entries_ok(r.shift_size(), false) ||
      !entries_ok(r.offset_size(), true)) {
    return fmt::format("requant has {}/{}/{} multiplier/offset/shift entries for {} channels", r.multiplier_size(),
                       r.offset_size(), r.shift_size(), channels);
  }
  if (r.intermediate_bits() != 0 && r.intermediate_bits() != 16) {
    return fmt::format("requant intermediate_bits {} (0 or 16)", r.intermediate_bits());
  }
  // Bounds far beyond any compiler's figures (docs/quant.md: 16- and 32-bit multipliers), which
  // keep v * multiplier + offset, shifted left, inside requantize's 128-bit arithmetic.
  for (const int s : r.shift()) {
    if (s > 62 || s < -31) return fmt::format("requant shift {} outside [-31, 62]", s);
  }
  for (const std::int64_t m : r.multiplier()) {
    if (m > (std::int64_t{1} << 32) || m < -(std::int64_t{1} << 32)) {
      return fmt::format("requant multiplier {} outside [-2^32, 2^32]", m);
    }
  }
  for (const std::int64_t o : r.offset()) {
    if (o > (std::int64_t{1} << 62) || o < -(std::int64_t{1} << 62)) {
      return fmt::format("requant offset {} outside [-2^62, 2^62]", o);
    }
  }
  if (r.lo() > r.hi()) return "requant lo > hi";
  return {};
}

}  // namespace wb::sim
