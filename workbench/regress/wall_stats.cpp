#include "workbench/regress/wall_stats.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <utility>

namespace wb::regress {

namespace {

// Beyond this many arrangements the exact distribution is not worth its table.
constexpr std::size_t kExactLimit = 60;

// The number of ways to arrange m of one kind and n of another so that U = u, for every u,
// by the recurrence N(m, n, u) = N(m-1, n, u-n) + N(m, n-1, u) (Mann and Whitney, 1947).
std::vector<double> u_distribution(std::size_t m, std::size_t n) {
  // table[i][j] is the distribution for (i, j); built up over i and j.
  std::vector<std::vector<std::vector<double>>> table(m + 1, std::vector<std::vector<double>>(n + 1));
  for (std::size_t i = 0; i <= m; ++i) {
    for (std::size_t j = 0; j <= n; ++j) {
      std::vector<double>& d = table[i][j];
      d.assign(i * j + 1, 0.0);
      if (i == 0 || j == 0) {
        d[0] = 1;
        continue;
      }
      // The largest value is from a (it beats all j of b: U + j) or from b (U unchanged).
      const std::vector<double>& without_a = table[i - 1][j];
      const std::vector<double>& without_b = table[i][j - 1];
      for (std::size_t u = 0; u < without_a.size(); ++u) d[u + j] += without_a[u];
      for (std::size_t u = 0; u < without_b.size(); ++u) d[u] += without_b[u];
    }
  }
  return table[m][n];
}

double normal_cdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

UTest mann_whitney_u(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.empty() || b.empty()) throw std::invalid_argument("mann_whitney_u: a sample is empty");
  const std::size_t m = a.size(), n = b.size();
  // Ranks of the pooled samples, ties given their average rank.
  std::vector<std::pair<double, bool>> pooled;  // value, from a
  for (double x : a) pooled.emplace_back(x, true);
  for (double x : b) pooled.emplace_back(x, false);
  std::sort(pooled.begin(), pooled.end(), [](const auto& l, const auto& r) { return l.first < r.first; });
  double rank_sum_a = 0, tie_term = 0;
  bool ties = false;
  for (std::size_t i = 0; i < pooled.size();) {
    std::size_t j = i;
    while (j < pooled.size() && pooled[j].first == pooled[i].first) ++j;
    const double average_rank = 0.5 * static_cast<double>(i + 1 + j);
    const double t = static_cast<double>(j - i);
    if (t > 1) {
      ties = true;
      tie_term += t * t * t - t;
    }
    for (std::size_t k = i; k < j; ++k) {
      if (pooled[k].second) rank_sum_a += average_rank;
    }
    i = j;
  }
  UTest result;
  const double md = static_cast<double>(m), nd = static_cast<double>(n);
  result.u = rank_sum_a - md * (md + 1) / 2;
  if (!ties && m + n <= kExactLimit) {
    const std::vector<double> counts = u_distribution(m, n);
    const double total = std::accumulate(counts.begin(), counts.end(), 0.0);
    const auto u = static_cast<std::size_t>(std::lround(result.u));
    double below = 0, above = 0;
    for (std::size_t k = 0; k <= u; ++k) below += counts[k];
    for (std::size_t k = u; k < counts.size(); ++k) above += counts[k];
    result.p = std::min(1.0, 2 * std::min(below, above) / total);
    result.exact = true;
    return result;
  }
  const double mean = md * nd / 2;
  const double variance = md * nd / 12 * ((md + nd + 1) - tie_term / ((md + nd) * (md + nd - 1)));
  if (variance <= 0) {  // every value equal
    result.p = 1;
    return result;
  }
  const double z = (std::abs(result.u - mean) - 0.5) / std::sqrt(variance);
  result.p = std::min(1.0, 2 * (1 - normal_cdf(std::max(z, 0.0))));
  return result;
}

std::string SpeedVerdict::describe() const {
  const std::string how = u_test ? fmt::format("U test p={:.3g}, {} vs {} samples", p, baseline_samples, current_samples)
                                 : fmt::format("min of {} vs min of {}", baseline_samples, current_samples);
  switch (change) {
    case Change::Slower:
      return fmt::format("{:.2f}x slower ({})", ratio, how);
    case Change::Faster:
      return fmt::format("{:.2f}x faster ({})", 1 / ratio, how);
    case Change::TooFewSamples:
      return "no samples on one side";
    case Change::None:
      break;
  }
  return fmt::format("no significant change ({:.2f}x, {})", ratio, how);
}

SpeedVerdict compare_speed(std::vector<double> baseline, std::vector<double> current, double factor, double alpha) {
  const auto unknown = [](double s) { return !(s > 0); };
  std::erase_if(baseline, unknown);
  std::erase_if(current, unknown);
  SpeedVerdict v;
  v.baseline_samples = baseline.size();
  v.current_samples = current.size();
  if (baseline.empty() || current.empty()) {
    v.change = SpeedVerdict::Change::TooFewSamples;
    return v;
  }
  bool significant = true;
  if (baseline.size() >= kMinUTestSamples && current.size() >= kMinUTestSamples) {
    v.u_test = true;
    v.p = mann_whitney_u(baseline, current).p;
    v.ratio = median(current) / median(baseline);
    significant = v.p < alpha;
  } else {
    v.ratio = *std::min_element(current.begin(), current.end()) / *std::min_element(baseline.begin(), baseline.end());
  }
  if (significant && v.ratio > factor) v.change = SpeedVerdict::Change::Slower;
  if (significant && v.ratio < 1 / factor) v.change = SpeedVerdict::Change::Faster;
  return v;
}

}  // namespace wb::regress
