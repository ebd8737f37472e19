#pragma once
// The factories of the registered back ends; target_registry.cpp calls each once.

#include <memory>

#include "workbench/backends/target.h"

namespace wb {

std::unique_ptr<TargetBackend> make_xdnn_backend();
std::unique_ptr<TargetBackend> make_pulp_backend();

}  // namespace wb
