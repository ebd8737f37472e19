#include "compiler/golden/requantize.h"

#include <stdexcept>

namespace wb::golden {

QLinearOutput::QLinearOutput(const Tensor& a_scale, const std::vector<double>& b_scale, const Tensor& y_scale,
                             const Tensor& y_zero_point)
    : zero_point_(y_zero_point.as_int64(0)) {
  const auto a = static_cast<float>(a_scale.as_double(0));
  const auto y = static_cast<float>(y_scale.as_double(0));
  for (double b : b_scale) multipliers_.push_back(a * static_cast<float>(b) / y);
}

void QLinearOutput::write(const std::int64_t* acc, std::int64_t count, std::size_t channel, Tensor& y,
                          std::int64_t offset) const {
  const float multiplier = multipliers_.size() == 1 ? multipliers_[0] : multipliers_.at(channel);
  visit_dtype(y.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      T* out = y.data<T>() + offset;
      for (std::int64_t i = 0; i < count; ++i) {
        const float scaled = round_half_even(static_cast<float>(acc[i]) * multiplier);
        out[i] = saturate<T>(static_cast<double>(scaled) + static_cast<double>(zero_point_));
      }
    } else {
      throw std::logic_error("QLinear output must be an integer tensor");
    }
  });
}

}  // namespace wb::golden
