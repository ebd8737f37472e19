#include <fmt/format.h>

#include <stdexcept>

#include "workbench/backends/target_backends.h"

namespace wb {

namespace {

const std::vector<std::unique_ptr<TargetBackend>>& registry() {
  static const std::vector<std::unique_ptr<TargetBackend>> backends = [] {
    std::vector<std::unique_ptr<TargetBackend>> all;
    all.push_back(make_xdnn_backend());
    all.push_back(make_pulp_backend());
    return all;
  }();
  return backends;
}

}  // namespace

const TargetBackend& backend_for(Target target) {
  for (const auto& backend : registry()) {
    if (backend->target() == target) return *backend;
  }
  throw std::logic_error(fmt::format("no back end registered for target {}", target_name(target)));
}

const TargetBackend& backend_for(const HwConfig& config) { return backend_for(config.target()); }

const TargetBackend* find_backend(std::string_view name) {
  for (const auto& backend : registry()) {
    if (backend->name() == name) return backend.get();
  }
  return nullptr;
}

std::vector<const TargetBackend*> all_backends() {
  std::vector<const TargetBackend*> all;
  for (const auto& backend : registry()) all.push_back(backend.get());
  return all;
}

}  // namespace wb
