#pragma once

#include "compiler/passes/pass.h"

namespace wb {

// Canonicalises data movement in NCHW graphs: drops Transposes with the identity
// permutation and Reshapes/Flattens that keep the shape, merges chains of Transposes and of
// Reshapes. (ONNX models are NCHW already; this removes what layout converters leave behind.)
class CanonicalizeNchwPass : public Pass {
 public:
  std::string_view name() const override { return "canonicalize-nchw"; }
  bool run(Graph& graph, PassStatistics& stats) override;
};

}  // namespace wb
