#pragma once
// `workbench inspect MODEL --hw CONFIG`: where each layer of the model would run on that
// target (DESIGN.md §4.6: array, pool, eltwise, ddr or host on xDNN; cores on PULP), with the
// reason of every host layer, read off the target's layer mapping. Nothing is calibrated,
// planned or simulated: the model is quantized structure-only (as `run --no-data` does).

#include <iosfwd>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "workbench/compile.h"
#include "workbench/backends/target.h"

namespace wb {

struct PartitionReport {
  std::string config_name, target;
  Partition partition;
};

// UserError for what the quantizer cannot take (naming the nodes), as `run` would fail.
PartitionReport build_partition_report(const CompileCommand& command, std::ostream& log);

// A table (layer, type, unit, why on the host), a count per unit, and the unsupported nodes.
void print_partition_report(std::ostream& os, const PartitionReport& report);
nlohmann::json partition_report_json(const PartitionReport& report);

}  // namespace wb
