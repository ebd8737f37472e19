#pragma once
// Tensor comparison for tests: floats within atol + rtol*|expected|, everything else exactly.

#include <string>

#include "compiler/ir/tensor.h"

namespace wb::test {

struct CompareResult {
  bool equal = true;
  std::string message;  // first mismatch, for the failure output
  double max_abs_error = 0;
};

CompareResult compare_tensors(const Tensor& actual, const Tensor& expected, double rtol, double atol);

// max |actual - expected| / max |expected| (0 when both are zero).
double max_error_relative_to_peak(const Tensor& actual, const Tensor& expected);

}  // namespace wb::test
