#include "sim/pulp/kernels/layernorm.h"

#include <fmt/format.h>

#include <cstring>
#include <limits>
#include <vector>

#include "sim/common/layernorm.h"
#include "support/error.h"

namespace wb::sim::pulp {

namespace {

using isa::pulp::KernelCall;

constexpr int kMinShift = 33;  // the rounding constant 2^(shift - 1) lies in the high word
constexpr int kMaxShift = 61;
constexpr std::uint64_t kMaxEpsCeil = std::uint64_t{1} << 62;
constexpr std::int64_t kMaxBeta = std::int64_t{1} << 61;
constexpr std::uint32_t kMaxRmsChannels = 65536;  // 255^2 n below 2^32

std::int32_t i32_at(const std::uint8_t* p) {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return static_cast<std::int32_t>(v);
}

std::int64_t i64_at(const std::uint8_t* p) {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return static_cast<std::int64_t>(v);
}

}  // namespace

std::uint64_t layernorm_table_bytes(const KernelCall& c) { return kLayerNormTableBytesPerChannel * c.c_out(); }

std::string layernorm_call_problem(const KernelCall& c) {
  if (c.parallel() != isa::pulp::PARALLEL_HO) {
    return "layernorm with a parallel other than ho (each core its output rows: a pixel's channels depend on each "
           "other)";
  }
  // V <= n^3 (hi - lo)^2 / 4 < 2^62 for every row of 8-bit values when n^3 * 255^2 < 2^64; an
  // RMSNorm's V = sum x^2 <= 255^2 n fits pass 1's 32-bit word for n up to 65536.
  if (c.layernorm_rms() && c.c_out() > kMaxRmsChannels) {
    return fmt::format("rmsnorm over {} channels (at most {}: the sum of squares is a 32-bit word)", c.c_out(),
                       kMaxRmsChannels);
  }
  std::uint64_t product = 1;
  const std::uint64_t n_factor = c.layernorm_rms() ? 1 : c.c_out();  // an RMSNorm's V has one factor n
  for (const std::uint64_t f : {std::uint64_t{c.c_out()}, n_factor, n_factor, std::uint64_t{255}, std::uint64_t{255}}) {
    if (product > std::numeric_limits<std::uint64_t>::max() / f) {
      return fmt::format("layernorm over {} channels (n^3 * 255^2 must stay below 2^64: the sum of squares is "
                         "64-bit)",
                         c.c_out());
    }
    product *= f;
  }
  if (c.layernorm_shift() < kMinShift || c.layernorm_shift() > kMaxShift) {
    return fmt::format("layernorm_shift {} outside {}..{}", c.layernorm_shift(), kMinShift, kMaxShift);
  }
  if (c.layernorm_eps_mantissa() >= (std::uint64_t{1} << 53)) {
    return fmt::format("layernorm_eps_mantissa {} not below 2^53", c.layernorm_eps_mantissa());
  }
  if (c.layernorm_eps_exponent() < -1100 || c.layernorm_eps_exponent() > 1100) {
    return fmt::format("layernorm_eps_exponent {} outside -1100..1100", c.layernorm_eps_exponent());
  }
  const std::uint64_t ceiling = sim::epsilon_ceiling(c.layernorm_eps_mantissa(), c.layernorm_eps_exponent());
  if (ceiling > kMaxEpsCeil) {
    return fmt::format("layernorm epsilon {} * 2^{} above 2^62", c.layernorm_eps_mantissa(),
                       c.layernorm_eps_exponent());
  }
  if (c.layernorm_eps_ceil() != ceiling) {
    return fmt::format("layernorm_eps_ceil {} is not ceil({} * 2^{}) = {}", c.layernorm_eps_ceil(),
                       c.layernorm_eps_mantissa(), c.layernorm_eps_exponent(), ceiling);
  }
  return {};
}

void run_layernorm(const KernelCall& c, std::span<std::uint8_t> l1) {
  const std::uint32_t n = c.c_out();
  const std::uint8_t* table = l1.data() + c.weights();
  std::vector<std::int64_t> gamma(n);
  std::vector<std::int64_t> beta(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    gamma[i] = i32_at(table + 4 * std::uint64_t{i});
    beta[i] = i64_at(table + 4 * std::uint64_t{n} + 8 * std::uint64_t{i});
    if (gamma[i] == std::numeric_limits<std::int32_t>::min()) {
      throw UserError(fmt::format("layernorm: gamma multiplier of channel {} is -2^31 (|gamma| < 2^31 expected)", i));
    }
    if (beta[i] > kMaxBeta || beta[i] < -kMaxBeta) {
      throw UserError(fmt::format("layernorm: beta offset of channel {} is {}, beyond +-2^61", i, beta[i]));
    }
  }
  LayerNormRow p;
  p.output_lo = c.output_signed() ? -128 : 0;
  p.output_hi = c.output_signed() ? 127 : 255;
  p.eps_mantissa = c.layernorm_eps_mantissa();
  p.eps_exponent = c.layernorm_eps_exponent();
  p.eps_ceil = c.layernorm_eps_ceil();
  p.shift = static_cast<int>(c.layernorm_shift());
  p.rms = c.layernorm_rms();
  const std::uint64_t pixels = std::uint64_t{c.h_out()} * c.w_out();
  std::vector<std::int32_t> x(n), y(n);
  const std::uint8_t* in = l1.data() + c.input();
  std::uint8_t* out = l1.data() + c.output();
  for (std::uint64_t px = 0; px < pixels; ++px) {
    for (std::uint32_t i = 0; i < n; ++i) {
      const std::uint8_t byte = in[px * n + i];
      x[i] = c.input_signed() ? static_cast<std::int8_t>(byte) : byte;
    }
    layernorm_row(x, gamma, beta, p, y);
    for (std::uint32_t i = 0; i < n; ++i) out[px * n + i] = static_cast<std::uint8_t>(y[i] & 0xff);
  }
}

}  // namespace wb::sim::pulp
