#include "workbench/report/layer_types.h"

#include <array>
#include <utility>

namespace wb {

std::string report_layer_type(std::string_view target_type) {
  // A 1x1 conv is a conv whatever kernel runs it; the kernel's name stays in PULP's `kernel`.
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 4> kSynonyms = {{
      {"eltwise", "add"},
      {"linear", "fc"},
      {"pointwise", "conv"},
      {"gather", "channel_gather"},
  }};
  for (const auto& [name, shared] : kSynonyms) {
    if (target_type == name) return std::string(shared);
  }
  return std::string(target_type);
}

}  // namespace wb
