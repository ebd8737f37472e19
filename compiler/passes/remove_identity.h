#pragma once

#include "compiler/passes/pass.h"

namespace wb {

// Removes Identity and inference-mode Dropout nodes (a Dropout whose mask is read stays).
class RemoveIdentityPass : public Pass {
 public:
  std::string_view name() const override { return "remove-identity"; }
  bool run(Graph& graph, PassStatistics& stats) override;
};

}  // namespace wb
