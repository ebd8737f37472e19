#include "compiler/quant/calibration.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "support/error.h"

namespace wb::quant {
namespace {

Tensor values(std::vector<float> v) {
  const auto n = static_cast<std::int64_t>(v.size());
  return Tensor::from_vector<float>({n}, v);
}

TEST(Calibration, MaxIsTheLargestMagnitudeOverAllInputs) {
  Calibrator c({});
  c.observe_range("t", values({0.5f, -3.0f, 1.0f}));
  c.observe_range("t", values({2.0f, -1.0f}));
  EXPECT_EQ(c.threshold("t", 127), 3.0);
  EXPECT_EQ(c.statistics("t").min, -3.0);
  EXPECT_EQ(c.statistics("t").max, 2.0);
  EXPECT_EQ(c.statistics("t").count, 5);
}

TEST(Calibration, IntegerTensorsAreIgnored) {
  Calibrator c({});
  c.observe_range("shape", Tensor::from_vector<std::int64_t>({2}, {1, 1000}));
  EXPECT_FALSE(c.has("shape"));
}

TEST(Calibration, AllZeroTensorHasNoScale) {
  Calibrator c({});
  c.observe_range("dead", values({0.0f, 0.0f}));
  try {
    c.threshold("dead", 127);
    FAIL() << "expected a UserError";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("dead"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("zero"), std::string::npos);
  }
}

TEST(Calibration, NonFiniteValuesAreAnError) {
  Calibrator c({});
  c.observe_range("t", values({1.0f, std::numeric_limits<float>::quiet_NaN()}));
  EXPECT_THROW(c.threshold("t", 127), UserError);
  EXPECT_THROW(c.threshold("never-seen", 127), UserError);
}

TEST(Calibration, UnknownMethodAndBadPercentile) {
  EXPECT_THROW(parse_calibration_method("minmax"), UserError);
  EXPECT_EQ(parse_calibration_method("entropy"), CalibrationMethod::Entropy);
  CalibrationOptions o;
  o.percentile = 0;
  EXPECT_THROW(Calibrator{o}, UserError);
}

TEST(Calibration, PercentileCutsTheTail) {
  // 1000 values uniform on [0, 1) and one outlier at 100.
  CalibrationOptions o;
  o.method = CalibrationMethod::Percentile;
  o.percentile = 99.0;
  o.min_values_per_bin = 0;
  Calibrator c(o);
  std::vector<float> v;
  for (int i = 0; i < 1000; ++i) v.push_back(static_cast<float>(i) / 1000.0f);
  v.push_back(100.0f);
  const Tensor t = values(v);
  c.observe_range("t", t);
  c.observe_histogram("t", t);
  const double th = c.threshold("t", 127);
  // 99% of 1001 values lie below ~0.99; the histogram bins are 100/2048 wide.
  EXPECT_GT(th, 0.9);
  EXPECT_LT(th, 1.1);
}

TEST(Calibration, SparseTensorsFallBackToMax) {
  // 1001 values in 2048 bins: far too few for a percentile or a KL estimate.
  for (CalibrationMethod method : {CalibrationMethod::Percentile, CalibrationMethod::Entropy}) {
    CalibrationOptions o;
    o.method = method;
    Calibrator c(o);
    std::vector<float> v(1000, 0.01f);
    v.push_back(50.0f);
    const Tensor t = values(v);
    c.observe_range("t", t);
    c.observe_histogram("t", t);
    EXPECT_EQ(c.threshold("t", 127), 50.0);
  }
}

TEST(Calibration, PercentileOfAKnownHistogram) {
  const std::vector<std::int64_t> h{10, 10, 10, 10, 10, 10, 10, 10, 10, 10};
  EXPECT_DOUBLE_EQ(percentile_threshold(h, 0.5, 50.0), 2.5);   // 5 bins of 0.5
  EXPECT_DOUBLE_EQ(percentile_threshold(h, 0.5, 100.0), 5.0);
  EXPECT_DOUBLE_EQ(percentile_threshold(h, 0.5, 1.0), 0.5);
}

TEST(Calibration, EntropyClipsRareOutliersButNotAUniformRange) {
  // Gaussian-like bulk near zero with a few far outliers: KL prefers a threshold well
  // inside the range. A uniform histogram: clipping only loses information.
  std::vector<std::int64_t> peaked(2048, 0);
  for (std::size_t i = 0; i < 2048; ++i) {
    const double x = static_cast<double>(i) / 100.0;
    peaked[i] = static_cast<std::int64_t>(1e6 * std::exp(-x * x / 2));
  }
  peaked[2047] = 3;
  const double peaked_th = entropy_threshold(peaked, 1.0, 127);
  EXPECT_LT(peaked_th, 1024.0);
  EXPECT_GT(peaked_th, 128.0);
  const std::vector<std::int64_t> uniform(2048, 1000);
  EXPECT_GT(entropy_threshold(uniform, 1.0, 127), 1900.0);
}

}  // namespace
}  // namespace wb::quant
