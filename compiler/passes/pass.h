#pragma once
// A graph pass: a name (as written in pipelines), the passes that must come before it when
// both are in a pipeline, and run(), which rewrites the graph and says whether it changed
// anything. The algorithm of each pass lives in file-local functions of its .cpp.

#include <string>
#include <string_view>
#include <vector>

#include "compiler/ir/graph.h"
#include "compiler/passes/rewrite/pass_statistics.h"

namespace wb {

class Pass {
 public:
  virtual ~Pass() = default;
  virtual std::string_view name() const = 0;
  // Passes that, when in the same pipeline, must run earlier.
  virtual std::vector<std::string_view> must_follow() const { return {}; }
  // Pre: the graph verifies and is shape-inferred. Post: the same, and the float result of
  // the graph is unchanged (up to float rounding). Returns whether anything changed.
  virtual bool run(Graph& graph, PassStatistics& stats) = 0;
};

}  // namespace wb
