#pragma once
// A per-channel affine map y[c] = x[c] * scale[c] + shift[c], as the passes that fold or
// rewrite BatchNormalization read it off a node.

#include <cstdint>
#include <optional>
#include <vector>

#include "compiler/ir/graph.h"

namespace wb {

struct ChannelAffine {
  std::vector<double> scale;
  std::vector<double> shift;
};

// Inference BatchNormalization over `channels` channels: scale = gamma / sqrt(var + eps),
// shift = beta - mean * scale. nullopt when a parameter is not a constant or has another
// channel count.
std::optional<ChannelAffine> batchnorm_affine(const Node& bn, std::int64_t channels);

}  // namespace wb
