#include "compiler/quant/calibration.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <span>
#include <cmath>
#include <limits>
#include <numeric>

#include "support/error.h"

namespace wb::quant {

const char* calibration_method_name(CalibrationMethod method) {
  switch (method) {
    case CalibrationMethod::Max: return "max";
    case CalibrationMethod::Percentile: return "percentile";
    case CalibrationMethod::Entropy: return "entropy";
  }
  return "?";
}

CalibrationMethod parse_calibration_method(const std::string& name) {
  if (name == "max") return CalibrationMethod::Max;
  if (name == "percentile") return CalibrationMethod::Percentile;
  if (name == "entropy") return CalibrationMethod::Entropy;
  throw UserError(fmt::format("unknown calibration method '{}' (known: max, percentile, entropy)", name));
}

Calibrator::Calibrator(CalibrationOptions options) : options_(options) {
  if (!(options_.percentile > 0 && options_.percentile <= 100)) {
    throw UserError(fmt::format("percentile {} is outside (0, 100]", options_.percentile));
  }
  if (options_.bins < 16) throw UserError(fmt::format("{} histogram bins is too few (at least 16)", options_.bins));
}

namespace {

template <class F>
void for_each_value(const Tensor& tensor, F&& f) {
  if (tensor.dtype() == DType::F32) {
    for (float v : tensor.span<float>()) f(static_cast<double>(v));
  } else if (tensor.dtype() == DType::F64) {
    for (double v : tensor.span<double>()) f(v);
  }
}

// The range of a float32 tensor in one pass the compiler vectorises: `a < b ? a : b` skips
// NaN (the comparison is false) and needs no branch; infinities are counted with integer
// bit tests and, when there are any, the exact per-value loop below takes over.
struct FloatRange {
  float min = std::numeric_limits<float>::infinity();
  float max = -std::numeric_limits<float>::infinity();
  std::int64_t non_finite = 0;
};

FloatRange float_range(std::span<const float> values) {
  FloatRange r;
  for (const float v : values) {
    r.min = v < r.min ? v : r.min;
    r.max = v > r.max ? v : r.max;
    r.non_finite += (std::bit_cast<std::uint32_t>(v) & 0x7f800000u) == 0x7f800000u;
  }
  return r;
}

}  // namespace

void Calibrator::observe_range(const std::string& name, const Tensor& tensor) {
  if (tensor.dtype() != DType::F32 && tensor.dtype() != DType::F64) return;
  auto [it, inserted] = stats_.try_emplace(name);
  TensorStatistics& s = it->second;
  if (inserted) {
    s.min = std::numeric_limits<double>::infinity();
    s.max = -std::numeric_limits<double>::infinity();
  }
  if (tensor.dtype() == DType::F32) {
    const std::span<const float> values = tensor.span<float>();
    const FloatRange r = float_range(values);
    if (r.non_finite == 0) {
      if (values.empty()) return;
      s.min = std::min(s.min, static_cast<double>(r.min));
      s.max = std::max(s.max, static_cast<double>(r.max));
      s.max_abs = std::max({s.max_abs, std::abs(static_cast<double>(r.min)), std::abs(static_cast<double>(r.max))});
      s.count += static_cast<std::int64_t>(values.size());
      return;
    }
  }
  for_each_value(tensor, [&s](double v) {
    if (!std::isfinite(v)) {
      ++s.non_finite;
      return;
    }
    s.min = std::min(s.min, v);
    s.max = std::max(s.max, v);
    s.max_abs = std::max(s.max_abs, std::abs(v));
    ++s.count;
  });
}

void Calibrator::observe_histogram(const std::string& name, const Tensor& tensor) {
  const auto it = stats_.find(name);
  if (it == stats_.end()) return;
  TensorStatistics& s = it->second;
  if (s.histogram.empty()) s.histogram.assign(static_cast<std::size_t>(options_.bins), 0);
  if (s.max_abs <= 0) return;
  const double inverse_width = options_.bins / s.max_abs;
  const auto last = static_cast<std::int64_t>(options_.bins) - 1;
  for_each_value(tensor, [&](double v) {
    if (!std::isfinite(v)) return;
    const auto bin = std::min(last, static_cast<std::int64_t>(std::abs(v) * inverse_width));
    ++s.histogram[static_cast<std::size_t>(bin)];
  });
}

const TensorStatistics& Calibrator::statistics(const std::string& name) const { return stats_.at(name); }

double Calibrator::threshold(const std::string& name, std::int64_t levels) const {
  const auto it = stats_.find(name);
  if (it == stats_.end()) throw UserError(fmt::format("tensor {} was never computed during calibration", name));
  const TensorStatistics& s = it->second;
  if (s.non_finite > 0) {
    throw UserError(fmt::format("tensor {} held {} NaN/Inf values during calibration; check the model's weights and "
                                "the calibration inputs",
                                name, s.non_finite));
  }
  if (!(s.max_abs > 0)) {
    throw UserError(fmt::format("tensor {} is zero on every calibration input, so it has no scale; use calibration "
                                "inputs that exercise it (--calib DIR)",
                                name));
  }
  if (options_.method == CalibrationMethod::Max) return s.max_abs;
  if (s.count < static_cast<std::int64_t>(options_.bins) * options_.min_values_per_bin) return s.max_abs;
  if (s.histogram.empty()) throw std::logic_error("Calibrator: histograms were not collected");
  const double width = s.max_abs / static_cast<double>(s.histogram.size());
  const double th = options_.method == CalibrationMethod::Percentile
                        ? percentile_threshold(s.histogram, width, options_.percentile)
                        : entropy_threshold(s.histogram, width, levels);
  return std::min(th, s.max_abs);
}

double percentile_threshold(const std::vector<std::int64_t>& histogram, double bin_width, double percentile) {
  const std::int64_t total = std::accumulate(histogram.begin(), histogram.end(), std::int64_t{0});
  if (total == 0) return 0;
  const double wanted = percentile / 100.0 * static_cast<double>(total);
  std::int64_t seen = 0;
  for (std::size_t i = 0; i < histogram.size(); ++i) {
    seen += histogram[i];
    if (static_cast<double>(seen) >= wanted) return static_cast<double>(i + 1) * bin_width;
  }
  return static_cast<double>(histogram.size()) * bin_width;
}

namespace {

// KL(P || Q) of two unnormalised distributions over the same bins; Q may be zero only where
// P is (the expansion below guarantees it).
double kl_divergence(const std::vector<double>& p, const std::vector<double>& q) {
  const double p_sum = std::accumulate(p.begin(), p.end(), 0.0);
  const double q_sum = std::accumulate(q.begin(), q.end(), 0.0);
  double kl = 0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (p[i] == 0) continue;
    if (q[i] == 0) return std::numeric_limits<double>::infinity();
    const double pi = p[i] / p_sum;
    kl += pi * std::log(pi / (q[i] / q_sum));
  }
  return kl;
}

}  // namespace

// TensorRT's entropy calibration, with the details of NVIDIA's pytorch-quantization
// implementation of it: the zero bin takes its neighbour's count (a ReLU's spike of exact
// zeros would otherwise dominate P), candidate i clips at i bins (outliers added to P's last
// bin), Q is P's first i bins merged into levels+1 quantisation bins and spread back evenly
// over their non-empty source bins, a candidate whose Q misses mass P has is infinitely
// far, and the largest of equally good thresholds wins.
double entropy_threshold(const std::vector<std::int64_t>& counts, double bin_width, std::int64_t levels) {
  const auto target = static_cast<std::size_t>(levels + 1);
  const std::size_t bins = counts.size();
  if (bins <= target) return static_cast<double>(bins) * bin_width;
  std::vector<std::int64_t> histogram = counts;
  histogram[0] = histogram[1];
  std::vector<double> suffix(bins + 1, 0.0);
  for (std::size_t i = bins; i-- > 0;) suffix[i] = suffix[i + 1] + static_cast<double>(histogram[i]);
  double best_kl = std::numeric_limits<double>::infinity();
  std::size_t best = bins;
  std::vector<double> p;
  std::vector<double> q;
  for (std::size_t i = target; i <= bins; ++i) {
    p.assign(histogram.begin(), histogram.begin() + static_cast<std::ptrdiff_t>(i));
    p[i - 1] += suffix[i];
    q.assign(i, 0.0);
    for (std::size_t j = 0; j < target; ++j) {
      const std::size_t begin = j * i / target;
      const std::size_t end = (j + 1) * i / target;
      double sum = 0;
      std::size_t non_empty = 0;
      for (std::size_t k = begin; k < end; ++k) {
        sum += static_cast<double>(histogram[k]);
        if (histogram[k] != 0) ++non_empty;
      }
      if (non_empty == 0) continue;
      for (std::size_t k = begin; k < end; ++k) {
        if (histogram[k] != 0) q[k] = sum / static_cast<double>(non_empty);
      }
    }
    const double kl = kl_divergence(p, q);
    if (kl <= best_kl) {
      best_kl = kl;
      best = i;
    }
  }
  return static_cast<double>(best) * bin_width;
}

}  // namespace wb::quant
