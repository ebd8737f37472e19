#include "tests/support/tensor_compare.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace wb::test {

CompareResult compare_tensors(const Tensor& actual, const Tensor& expected, double rtol, double atol) {
  CompareResult result;
  if (actual.dtype() != expected.dtype() || actual.shape() != expected.shape()) {
    result.equal = false;
    result.message = fmt::format("got {}{}, expected {}{}", dtype_name(actual.dtype()), format_shape(actual.shape()),
                                 dtype_name(expected.dtype()), format_shape(expected.shape()));
    return result;
  }
  const bool exact = !is_float(expected.dtype());
  for (std::int64_t i = 0; i < expected.numel(); ++i) {
    const double a = actual.as_double(i);
    const double e = expected.as_double(i);
    if (std::isnan(a) && std::isnan(e)) continue;
    const double error = std::abs(a - e);
    if (!std::isnan(error)) result.max_abs_error = std::max(result.max_abs_error, error);
    const bool ok = exact ? actual.as_int64(i) == expected.as_int64(i) && a == e
                          : (a == e || error <= atol + rtol * std::abs(e));
    if (!ok && result.equal) {
      result.equal = false;
      result.message = fmt::format("element {}: got {}, expected {}", i, a, e);
    }
  }
  return result;
}

double max_error_relative_to_peak(const Tensor& actual, const Tensor& expected) {
  double peak = 0;
  double error = 0;
  for (std::int64_t i = 0; i < expected.numel(); ++i) {
    peak = std::max(peak, std::abs(expected.as_double(i)));
    error = std::max(error, std::abs(actual.as_double(i) - expected.as_double(i)));
  }
  return peak == 0 ? error : error / peak;
}

}  // namespace wb::test
