#pragma once
// `workbench run`, `sim` and `verify` for PULP targets: simulate a tile program on the
// SystemC model of the cluster, check its outputs (and every layer's) bit for bit against the
// integer golden model, and build the run report (DESIGN.md §4.5).

#include <iosfwd>

#include "workbench/report.h"
#include "workbench/run_xdnn.h"

namespace wb {

// Each returns the report; the caller maps verdict "mismatch" to exit code 1. The commands
// are the xDNN ones: `sim` reads DIR/program.pulp, `verify` a folder from `workbench compile`.
report::RunReport run_pulp(const RunCommand& command, std::ostream& log);
report::RunReport sim_pulp(const SimCommand& command, std::ostream& log);
report::RunReport verify_pulp(const VerifyCommand& command, std::ostream& log);

}  // namespace wb
