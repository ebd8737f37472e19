#include "compiler/ir/fusion.h"

#include <fmt/format.h>

#include "support/error.h"

namespace wb {

FusedActivation FusedActivation::of(const Node& node) {
  const std::string kind = node.attrs.get_string("fused_activation", "");
  if (kind.empty()) return {};
  if (kind == "relu") return relu();
  if (kind == "clip") {
    return clip(node.attrs.get_float("fused_min", -std::numeric_limits<float>::infinity()),
                node.attrs.get_float("fused_max", std::numeric_limits<float>::infinity()));
  }
  throw UserError(fmt::format("fused_activation '{}' is not one of relu, clip", kind));
}

void FusedActivation::store(Node& node) const {
  node.attrs.erase("fused_activation");
  node.attrs.erase("fused_min");
  node.attrs.erase("fused_max");
  if (kind == Kind::Relu) node.attrs.set("fused_activation", std::string("relu"));
  if (kind == Kind::Clip) {
    node.attrs.set("fused_activation", std::string("clip"));
    node.attrs.set("fused_min", min);
    node.attrs.set("fused_max", max);
  }
}

std::string FusedActivation::to_string() const {
  switch (kind) {
    case Kind::None: return "none";
    case Kind::Relu: return "relu";
    case Kind::Clip: return fmt::format("clip[{},{}]", min, max);
  }
  return "none";
}

}  // namespace wb
