// The integer primitives of docs/quant.md: rshift_round and requantize, at the edges the
// contract names (shift 0, shift 31, negative shift, ties, saturation, the int16 wrap,
// int64 overflow) and against an independent long-double formulation.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>

#include "compiler/golden/integer_arithmetic.h"

namespace wb::golden {
namespace {

constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kInt64Min = std::numeric_limits<std::int64_t>::min();

quant::Requant per_tensor(std::int64_t multiplier, std::int64_t offset, int shift, std::int64_t lo, std::int64_t hi,
                          int intermediate_bits = 0) {
  quant::Requant r;
  r.multiplier = {multiplier};
  r.offset = {offset};
  r.shift = {shift};
  r.lo = lo;
  r.hi = hi;
  r.intermediate_bits = intermediate_bits;
  return r;
}

// A requant that only shifts, with a clamp too wide to matter.
quant::Requant unclamped(std::int64_t multiplier, std::int64_t offset, int shift) {
  return per_tensor(multiplier, offset, shift, kInt64Min, kInt64Max);
}

TEST(RshiftRound, ShiftZeroIsTheIdentity) {
  for (std::int64_t v : {std::int64_t{0}, std::int64_t{1}, std::int64_t{-1}, std::int64_t{7}, std::int64_t{-12345},
                         kInt64Max, kInt64Min}) {
    EXPECT_EQ(rshift_round(v, 0), v) << v;
  }
}

TEST(RshiftRound, TiesRoundHalfUpTowardPlusInfinity) {
  EXPECT_EQ(rshift_round(5, 1), 3);    // 2.5 -> 3
  EXPECT_EQ(rshift_round(-5, 1), -2);  // -2.5 -> -2, not away from zero
  EXPECT_EQ(rshift_round(3, 1), 2);    // 1.5 -> 2
  EXPECT_EQ(rshift_round(-3, 1), -1);  // -1.5 -> -1
  EXPECT_EQ(rshift_round(6, 2), 2);    // 1.5 -> 2
  EXPECT_EQ(rshift_round(-6, 2), -1);  // -1.5 -> -1
  EXPECT_EQ(rshift_round(5, 2), 1);    // 1.25 -> 1
  EXPECT_EQ(rshift_round(-5, 2), -1);  // -1.25 -> -1
  EXPECT_EQ(rshift_round(7, 2), 2);    // 1.75 -> 2
  EXPECT_EQ(rshift_round(-7, 2), -2);  // -1.75 -> -2
  EXPECT_EQ(rshift_round(-1, 1), 0);   // -0.5 -> 0
}

TEST(RshiftRound, MatchesFloorOfValuePlusHalf) {
  // Independent formulation: floor(v / 2^s + 1/2), exact in double for these magnitudes.
  for (int s = 1; s <= 10; ++s) {
    for (std::int64_t v = -3000; v <= 3000; ++v) {
      const double expected = std::floor(static_cast<double>(v) / std::ldexp(1.0, s) + 0.5);
      ASSERT_EQ(rshift_round(v, s), static_cast<std::int64_t>(expected)) << v << " >> " << s;
    }
  }
}

TEST(RshiftRound, Shift31OnInt64Values) {
  EXPECT_EQ(rshift_round(std::int64_t{1} << 40, 31), 512);
  EXPECT_EQ(rshift_round(std::int64_t{3} << 30, 31), 2);        // 1.5 -> 2
  EXPECT_EQ(rshift_round(-(std::int64_t{3} << 30), 31), -1);    // -1.5 -> -1
  EXPECT_EQ(rshift_round((std::int64_t{1} << 30) - 1, 31), 0);  // just under 0.5
  EXPECT_EQ(rshift_round(std::int64_t{1} << 30, 31), 1);        // exactly 0.5
  // INT64_MIN / 2^31 = -2^32 exactly; + 0.5 floors back to -2^32.
  EXPECT_EQ(rshift_round(kInt64Min, 31), -(std::int64_t{1} << 32));
  // INT32_MIN as a value: -2^31 / 2^31 = -1.
  EXPECT_EQ(rshift_round(std::numeric_limits<std::int32_t>::min(), 31), -1);
}

TEST(RshiftRound, NegativeShiftIsALeftShift) {
  EXPECT_EQ(rshift_round(3, -2), 12);
  EXPECT_EQ(rshift_round(-3, -2), -12);
  EXPECT_EQ(rshift_round(1, -62), std::int64_t{1} << 62);
  EXPECT_EQ(rshift_round(-1, -62), -(std::int64_t{1} << 62));
}

TEST(RshiftRound, OverflowThrowsInsteadOfWrapping) {
  EXPECT_THROW(rshift_round(std::int64_t{1} << 62, -1), std::logic_error);
  EXPECT_THROW(rshift_round(std::int64_t{3}, -62), std::logic_error);
  EXPECT_THROW(rshift_round(kInt64Max, 1), std::logic_error);  // v + 2^(s-1) leaves int64
  EXPECT_THROW(rshift_round(1, 64), std::logic_error);
  EXPECT_THROW(rshift_round(1, -63), std::logic_error);
}

// The table of docs/quant.md, "Integer arithmetic".
TEST(Requantize, WorkedExamplesOfTheContract) {
  EXPECT_EQ(requantize(5, unclamped(1, 0, 1), 0), 3);
  EXPECT_EQ(requantize(-5, unclamped(1, 0, 1), 0), -2);
  EXPECT_EQ(requantize(-5, unclamped(1, -1, 1), 0), -3);
  EXPECT_EQ(requantize(7, unclamped(3, 0, 0), 0), 21);
  EXPECT_EQ(requantize(3, unclamped(1, 0, -2), 0), 12);
  EXPECT_EQ(requantize(std::int64_t{1} << 40, unclamped(1, 0, 31), 0), 512);
  EXPECT_EQ(requantize(200, per_tensor(1, 0, 0, -128, 127), 0), 127);
  EXPECT_EQ(requantize(40000, per_tensor(1, 0, 0, 0, 255, 16), 0), 0);
}

TEST(Requantize, FloorOffsetTurnsRoundingIntoFloor) {
  // offset = -2^(s-1) gives floor(v / 2^s), PULP-NN's truncating shift.
  for (int s = 1; s <= 6; ++s) {
    const std::int64_t offset = -(std::int64_t{1} << (s - 1));
    for (std::int64_t v = -200; v <= 200; ++v) {
      const auto expected = static_cast<std::int64_t>(std::floor(static_cast<double>(v) / std::ldexp(1.0, s)));
      ASSERT_EQ(requantize(v, unclamped(1, offset, s), 0), expected) << v << " >> " << s;
    }
  }
}

TEST(Requantize, SaturatesAtBothEnds) {
  // int8
  EXPECT_EQ(requantize(200, per_tensor(1, 0, 0, -128, 127), 0), 127);
  EXPECT_EQ(requantize(-200, per_tensor(1, 0, 0, -128, 127), 0), -128);
  EXPECT_EQ(requantize(127, per_tensor(1, 0, 0, -128, 127), 0), 127);
  EXPECT_EQ(requantize(-128, per_tensor(1, 0, 0, -128, 127), 0), -128);
  EXPECT_EQ(requantize(-129, per_tensor(1, 0, 0, -128, 127), 0), -128);
  // uint8
  EXPECT_EQ(requantize(-5, per_tensor(1, 0, 0, 0, 255), 0), 0);
  EXPECT_EQ(requantize(300, per_tensor(1, 0, 0, 0, 255), 0), 255);
  EXPECT_EQ(requantize(255, per_tensor(1, 0, 0, 0, 255), 0), 255);
  // int16 (no intermediate wrap: saturation, not wrap)
  EXPECT_EQ(requantize(40000, per_tensor(1, 0, 0, -32768, 32767), 0), 32767);
  EXPECT_EQ(requantize(-40000, per_tensor(1, 0, 0, -32768, 32767), 0), -32768);
  // uint16
  EXPECT_EQ(requantize(70000, per_tensor(1, 0, 0, 0, 65535), 0), 65535);
  // A ReLU6-like clamp inside the type.
  EXPECT_EQ(requantize(100, per_tensor(1, 0, 0, 0, 96), 0), 96);
  // Saturation after the shift: (1000 * 3) >> 4 = 187.5 -> 188 -> 127.
  EXPECT_EQ(requantize(1000, per_tensor(3, 0, 4, -128, 127), 0), 127);
  EXPECT_EQ(requantize(-1000, per_tensor(3, 0, 4, -128, 127), 0), -128);
}

TEST(Requantize, Int16IntermediateWrapsBeforeTheClamp) {
  // 40000 - 65536 = -25536.
  EXPECT_EQ(requantize(40000, per_tensor(1, 0, 0, -32768, 32767, 16), 0), -25536);
  EXPECT_EQ(requantize(40000, per_tensor(1, 0, 0, -128, 127, 16), 0), -128);
  EXPECT_EQ(requantize(40000, per_tensor(1, 0, 0, 0, 255, 16), 0), 0);
  // 65541 = 65536 + 5 wraps to 5; -32769 wraps to 32767; 32768 to -32768.
  EXPECT_EQ(requantize(65541, per_tensor(1, 0, 0, 0, 255, 16), 0), 5);
  EXPECT_EQ(requantize(-32769, per_tensor(1, 0, 0, -32768, 32767, 16), 0), 32767);
  EXPECT_EQ(requantize(32768, per_tensor(1, 0, 0, -32768, 32767, 16), 0), -32768);
  // The wrap applies to r, after the shift: (100000 * 1) >> 1 = 50000 -> -15536 -> 0.
  EXPECT_EQ(requantize(100000, per_tensor(1, 0, 1, 0, 255, 16), 0), 0);
  // The same values without the wrap saturate instead.
  EXPECT_EQ(requantize(40000, per_tensor(1, 0, 0, 0, 255), 0), 255);
  EXPECT_EQ(requantize(100000, per_tensor(1, 0, 1, 0, 255), 0), 255);
}

TEST(Requantize, PerChannelParametersSelectTheChannel) {
  quant::Requant r;
  r.multiplier = {1, 2, 3};
  r.offset = {0, 0, -2};
  r.shift = {0, 1, 2};
  r.lo = -128;
  r.hi = 127;
  EXPECT_EQ(requantize(12, r, 0), 12);  // 12
  EXPECT_EQ(requantize(12, r, 1), 12);  // 24 / 2
  EXPECT_EQ(requantize(13, r, 1), 13);  // 26 / 2
  EXPECT_EQ(requantize(13, r, 2), 9);   // (39 - 2) / 4 = 9.25 -> 9
  EXPECT_EQ(requantize(14, r, 2), 10);  // (42 - 2) / 4 = 10
  EXPECT_THROW(requantize(1, r, 3), std::logic_error);
  // A single entry applies to every channel.
  const quant::Requant single = per_tensor(3, 0, 1, -128, 127);
  for (std::size_t c : {std::size_t{0}, std::size_t{1}, std::size_t{57}})
    EXPECT_EQ(requantize(5, single, c), 8);  // 7.5
}

TEST(Requantize, ProductsBeyondInt32AreExact) {
  // 2^31 * 3 = 6442450944, >> 2 = 1610612736: beyond int32 in the middle, exact in int64.
  EXPECT_EQ(requantize(std::int64_t{1} << 31, unclamped(3, 0, 2), 0), 1610612736);
  // 2^40 * 32767 >> 40 = 32767.
  EXPECT_EQ(requantize(std::int64_t{1} << 40, unclamped(32767, 0, 40), 0), 32767);
}

TEST(Requantize, Int64OverflowThrows) {
  EXPECT_THROW(requantize(std::int64_t{1} << 40, unclamped(std::int64_t{1} << 30, 0, 0), 0), std::logic_error);
  EXPECT_THROW(requantize(kInt64Max, unclamped(1, 1, 0), 0), std::logic_error);
  EXPECT_THROW(requantize(kInt64Min, unclamped(-1, 0, 0), 0), std::logic_error);
}

TEST(Requantize, MatchesAnIndependentLongDoubleFormulation) {
  // y = clamp(floor((v * m + o) / 2^s + 1/2), lo, hi); every intermediate below 2^62 is exact
  // in long double (64-bit mantissa on x86-64).
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<std::int64_t> value(-(1 << 24), 1 << 24);
  std::uniform_int_distribution<std::int64_t> multiplier(1, 32767);
  std::uniform_int_distribution<std::int64_t> offset(-1000, 1000);
  std::uniform_int_distribution<int> shift(-4, 40);
  for (int i = 0; i < 20000; ++i) {
    const std::int64_t v = value(rng), m = multiplier(rng), o = offset(rng);
    const int s = shift(rng);
    const long double exact = (static_cast<long double>(v) * m + o) / std::ldexp(1.0L, s);
    const auto unclamped_expected = static_cast<std::int64_t>(std::floor(exact + 0.5L));
    const std::int64_t expected = std::clamp<std::int64_t>(unclamped_expected, -128, 127);
    ASSERT_EQ(requantize(v, per_tensor(m, o, s, -128, 127), 0), expected) << v << " " << m << " " << o << " " << s;
    ASSERT_EQ(requantize(v, unclamped(m, o, s), 0), unclamped_expected) << v << " " << m << " " << o << " " << s;
  }
}

}  // namespace
}  // namespace wb::golden
