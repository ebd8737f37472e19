#pragma once
// Requantisation as the ONNX QLinear* ops define it:
//   y = saturate(round_half_to_even(acc * (a_scale * b_scale[c] / y_scale)) + y_zero_point)
// with the multiplier formed in float32, as ONNX Runtime and the ONNX reference do.

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "compiler/ir/tensor.h"

namespace wb::golden {

// Saturating conversion of an already rounded value to an integer type.
template <class T>
T saturate(double value) {
  if (value <= static_cast<double>(std::numeric_limits<T>::lowest())) return std::numeric_limits<T>::lowest();
  if (value >= static_cast<double>(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
  return static_cast<T>(value);
}

// Round half to even (the default floating-point rounding mode).
inline float round_half_even(float v) { return std::nearbyint(v); }

class QLinearOutput {
 public:
  // `b_scale` has one value (per tensor) or one per output channel.
  QLinearOutput(const Tensor& a_scale, const std::vector<double>& b_scale, const Tensor& y_scale,
                const Tensor& y_zero_point);

  // Requantises `count` accumulators of output channel `channel` into y[offset...].
  void write(const std::int64_t* acc, std::int64_t count, std::size_t channel, Tensor& y, std::int64_t offset) const;

 private:
  std::vector<float> multipliers_;
  std::int64_t zero_point_ = 0;
};

}  // namespace wb::golden
