#pragma once
// The nodes a compile step cannot handle, listed the same way by the quantizer and both back
// ends: the first ten in the error, and the command that lists every one.

#include <string>
#include <vector>

#include "support/error.h"

namespace wb {

// "\n  node 'a' (Erf): ...\n  ... and 120 more; `workbench inspect ...` lists them all".
inline std::string unsupported_node_list(const std::vector<std::string>& nodes) {
  return indented_list(nodes, "`workbench inspect MODEL --hw HW.yaml` lists them all");
}

}  // namespace wb
