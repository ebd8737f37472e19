#pragma once

#include "compiler/passes/pass.h"

namespace wb {

// Splices a Concat that feeds only another Concat on the same axis into it.
class CollapseConcatPass : public Pass {
 public:
  std::string_view name() const override { return "collapse-concat"; }
  bool run(Graph& graph, PassStatistics& stats) override;
};

}  // namespace wb
