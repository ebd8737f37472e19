#pragma once
// The PULP compiler's switches (`--compile-opt name=value`).

#include <string>
#include <vector>

#include "compiler/pulp/tiler.h"

namespace wb::pulp {

struct CompileOptions {
  TilerObjective tiler = TilerObjective::Dory;  // dory: DORY's heuristic; cost: the fewest predicted cycles
  bool weight_prefetch = true;  // load the next layer's weights from L3 while this layer computes (DORY)
};

// Parses `name=value` items; UserError listing the valid names and values otherwise.
CompileOptions parse_compile_options(const std::vector<std::string>& items);
// "tiler=dory,weight_prefetch=on" (recorded in the program header).
std::string describe(const CompileOptions& options);
// The option names with their meaning, for --help.
std::string compile_options_help();

}  // namespace wb::pulp
