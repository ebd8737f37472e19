#pragma once
// The nodes a compile step cannot handle, listed the same way by the quantizer and both back
// ends: the first ten in the error, and the command that lists every one.

#include <string>
#include <vector>

#include "support/error.h"

namespace wb {

// "\n  node 'a' (Erf): ...\n  ... and 120 more; `workbench inspect ...` lists them all".
// What a target cannot run needs the config (`--hw`); what cannot be quantized does not.
inline std::string unsupported_node_list(const std::vector<std::string>& nodes, bool needs_config = true) {
  return indented_list(nodes, needs_config ? "`workbench inspect MODEL --hw HW.yaml` lists them all"
                                           : "`workbench inspect MODEL` lists them all");
}

}  // namespace wb
