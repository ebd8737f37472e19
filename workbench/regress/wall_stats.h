#pragma once
// Host wall-clock figures are noise around a true value, so one sample against another means
// nothing. Two tests, as the wall-clock benchmark tools use them:
//  * Mann-Whitney U (Google Benchmark's compare.py): with at least kMinUTestSamples a side,
//    is one side's distribution shifted? Two-sided p-value; exact for small samples without
//    ties, the normal approximation with tie and continuity correction otherwise.
//  * min-of-N ratio (airspeed velocity's --factor): with fewer samples, the best time of each
//    side, slower when the ratio exceeds the factor.

#include <cstddef>
#include <string>
#include <vector>

namespace wb::regress {

inline constexpr std::size_t kMinUTestSamples = 3;

struct UTest {
  double u = 0;  // U of the first sample
  double p = 1;  // two-sided
  bool exact = false;
};

// std::invalid_argument when a side is empty.
UTest mann_whitney_u(const std::vector<double>& a, const std::vector<double>& b);

struct SpeedVerdict {
  enum class Change { None, Slower, Faster, TooFewSamples } change = Change::None;
  double ratio = 1;  // current / baseline: of the medians (U test) or of the minima
  double p = 1;      // the U test's p (1 when min-of-N decided)
  bool u_test = false;
  std::string describe() const;  // "1.32x slower (U test p=0.004, 5 vs 5 samples)"
  std::size_t baseline_samples = 0, current_samples = 0;
};

// Slower/Faster: U test p < alpha and the median ratio beyond `factor` (or 1/factor), or, with
// fewer samples, the min ratio beyond it. Samples <= 0 (unknown) are dropped first.
SpeedVerdict compare_speed(std::vector<double> baseline, std::vector<double> current, double factor, double alpha);

}  // namespace wb::regress
