#include "workbench/report/target_description.h"

#include <fmt/format.h>

#include <array>
#include <stdexcept>

namespace wb {

namespace {

const std::array<TargetDescription, kTargetCount>& descriptions() {
  static const std::array<TargetDescription, kTargetCount> all = {describe_xdnn(), describe_pulp()};
  return all;
}

}  // namespace

const TargetDescription& describe(Target target) {
  for (const TargetDescription& d : descriptions()) {
    if (d.target == target) return d;
  }
  throw std::logic_error(fmt::format("no description of target {}", target_name(target)));
}

std::vector<const TargetDescription*> all_descriptions() {
  std::vector<const TargetDescription*> all;
  for (const TargetDescription& d : descriptions()) all.push_back(&d);
  return all;
}

const TargetDescription* find_description(std::string_view name) {
  for (const TargetDescription& d : descriptions()) {
    if (target_name(d.target) == name) return &d;
  }
  return nullptr;
}

std::string offchip_levels_label(std::string_view separator, bool with_targets) {
  std::string label;
  for (const TargetDescription& d : descriptions()) {
    if (!label.empty()) label += separator;
    label += d.offchip_level;
    if (with_targets) label += fmt::format(" ({})", d.display_name);
  }
  return label;
}

}  // namespace wb
