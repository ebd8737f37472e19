#include "sim/common/layernorm.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "compiler/quant/integer_layernorm.h"
#include "compiler/xdnn/instruction_fields.h"

namespace wb::sim {
namespace {


// The program's fields from the compiler's parameters, as the xDNN emitter writes them.
isa::LayerNorm program_fields(const quant::LayerNormParams& p) { return xdnn::layernorm_of(p); }

struct Case {
  quant::LayerNormParams params;
  isa::LayerNorm fields;
};

Case random_case(std::mt19937& rng, std::size_t n, double epsilon) {
  std::uniform_real_distribution<float> gamma(-3.0f, 3.0f), beta(-2.0f, 2.0f);
  std::vector<float> g(n), b(n);
  for (std::size_t i = 0; i < n; ++i) {
    g[i] = gamma(rng);
    b[i] = beta(rng);
  }
  quant::LayerNormSpec spec;
  spec.n = n;
  spec.scale_in = std::uniform_real_distribution<double>(0.001, 0.2)(rng);
  spec.scale_out = std::uniform_real_distribution<double>(0.01, 0.1)(rng);
  spec.epsilon = epsilon;
  Case c{quant::make_layernorm_params(spec, g, b), {}};
  c.fields = program_fields(c.params);
  return c;
}

// The simulators' arithmetic, written from the ISA's contract, read from a program's fields,
// equals the compiler's on every row (tests/unit/sim/pulp/kernels/test_layernorm.cpp checks the
// square root and more rows through PULP's kernel): random rows of random lengths and parameters, constant rows (V = 0), one-element rows,
// rows at the int8 extremes, epsilon 0 and large.
TEST(SimLayerNorm, EqualsTheCompilersArithmeticOnRandomAndEdgeRows) {
  std::mt19937 rng(11);
  int rows = 0;
  for (const std::size_t n : {1, 2, 3, 7, 16, 96, 768}) {
    for (const double epsilon : {0.0, 1e-6, 1e-5, 0.5}) {
      const Case c = random_case(rng, n, epsilon);
      ASSERT_EQ(layernorm_problem(c.fields, static_cast<std::uint32_t>(n), -128, 127), "");
      std::uniform_int_distribution<int> value(-128, 127);
      for (int trial = 0; trial < 12; ++trial) {
        std::vector<std::int32_t> x(n);
        for (auto& v : x) v = trial == 0 ? 5 : trial == 1 ? (value(rng) < 0 ? -128 : 127) : value(rng);
        std::vector<std::int64_t> x64(x.begin(), x.end()), expected(n);
        quant::layernorm_row(x64, c.params, expected);
        std::vector<std::int32_t> y(n);
        layernorm_row(x, c.fields, y);
        for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(y[i], expected[i]) << "n " << n << " eps " << epsilon << " i " << i;
        ++rows;
      }
    }
  }
  EXPECT_EQ(rows, 7 * 4 * 12);
}

TEST(SimLayerNorm, ProblemsNameTheField) {
  std::mt19937 rng(5);
  const Case c = random_case(rng, 4, 1e-5);
  EXPECT_NE(layernorm_problem(c.fields, 5, -128, 127).find("for 5 channels"), std::string::npos);
  isa::LayerNorm bad = c.fields;
  bad.set_shift(63);
  EXPECT_NE(layernorm_problem(bad, 4, -128, 127).find("shift 63"), std::string::npos);
  bad = c.fields;
  bad.set_gamma_multiplier(2, std::int64_t{1} << 40);
  EXPECT_NE(layernorm_problem(bad, 4, -128, 127).find("channel 2"), std::string::npos);
  bad = c.fields;
  bad.set_eps_ceil(0);
  bad.set_eps_mantissa(3);
  bad.set_eps_exponent(2);
  EXPECT_NE(layernorm_problem(bad, 4, -128, 127).find("eps_ceil"), std::string::npos);
  EXPECT_NE(layernorm_problem(c.fields, 4, -2147483647 - 1, 2147483647).find("overflow"), std::string::npos);
}

}  // namespace
}  // namespace wb::sim
