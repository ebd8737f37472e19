#include "compiler/passes/channel_affine.h"

#include <cmath>

namespace wb {

std::optional<ChannelAffine> batchnorm_affine(const Node& bn, std::int64_t channels) {
  for (std::size_t i = 1; i < 5; ++i) {
    if (bn.constant_input(i) == nullptr) return std::nullopt;
  }
  const auto gamma = bn.constant_input(1)->to_double_vector();
  const auto beta = bn.constant_input(2)->to_double_vector();
  const auto mean = bn.constant_input(3)->to_double_vector();
  const auto var = bn.constant_input(4)->to_double_vector();
  const double eps = bn.attrs.get_float("epsilon", 1e-5f);
  const auto n = static_cast<std::size_t>(channels);
  if (gamma.size() != n || beta.size() != n || mean.size() != n || var.size() != n) return std::nullopt;
  ChannelAffine affine;
  for (std::size_t c = 0; c < n; ++c) {
    const double a = gamma[c] / std::sqrt(var[c] + eps);
    affine.scale.push_back(a);
    affine.shift.push_back(beta[c] - mean[c] * a);
  }
  return affine;
}

}  // namespace wb
