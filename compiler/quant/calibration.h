#pragma once
// Calibration statistics: per activation tensor, the range of |x| and a histogram of |x|,
// collected over the calibration inputs, and the threshold methods that read them
// (docs/quant.md, "Thresholds"). Feeding the tensors is the caller's job (the workbench
// runs the float reference executor with an observer), so this library stays free of any
// executor.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "compiler/ir/tensor.h"

namespace wb::quant {

enum class CalibrationMethod { Max, Percentile, Entropy };
const char* calibration_method_name(CalibrationMethod method);
CalibrationMethod parse_calibration_method(const std::string& name);  // UserError if unknown

struct CalibrationOptions {
  CalibrationMethod method = CalibrationMethod::Max;
  double percentile = 99.99;  // for Percentile, in (0, 100]
  int bins = 2048;            // histogram of |x| over [0, max|x|]
  // Percentile and entropy need a dense histogram: a tensor with fewer values than this
  // many per bin over the whole calibration set (the pooled features before a classifier)
  // uses max instead. KL divergence over a sparse histogram favours tiny thresholds.
  int min_values_per_bin = 64;
};

// The statistics of one tensor.
struct TensorStatistics {
  double max_abs = 0;
  double min = 0;
  double max = 0;
  std::int64_t count = 0;
  std::int64_t non_finite = 0;
  std::vector<std::int64_t> histogram;  // of |x|, bins of width max_abs / bins
};

class Calibrator {
 public:
  explicit Calibrator(CalibrationOptions options);

  // Histograms need each tensor's range first: feed every calibration input to
  // observe_range, then (if needs_histograms()) every input again to observe_histogram.
  bool needs_histograms() const { return options_.method != CalibrationMethod::Max; }
  void observe_range(const std::string& name, const Tensor& tensor);
  void observe_histogram(const std::string& name, const Tensor& tensor);

  bool has(const std::string& name) const { return stats_.count(name) != 0; }
  const TensorStatistics& statistics(const std::string& name) const;  // std::out_of_range if unseen

  // The |x| threshold of a tensor for a quantised type with `levels` steps above zero (127
  // for int8, 255 for uint8), by the method (max where the histogram is too sparse).
  // UserError naming the tensor if it never held a finite non-zero value.
  double threshold(const std::string& name, std::int64_t levels) const;

  const CalibrationOptions& options() const { return options_; }

 private:
  CalibrationOptions options_;
  std::map<std::string, TensorStatistics> stats_;
};

// Threshold methods over a histogram of |x| with bins of equal width (bin i covers
// [i, i+1) * bin_width). Exposed for tests.
double percentile_threshold(const std::vector<std::int64_t>& histogram, double bin_width, double percentile);
double entropy_threshold(const std::vector<std::int64_t>& histogram, double bin_width, std::int64_t levels);

}  // namespace wb::quant
