#pragma once
// The run report on the console: the per-layer table, the per-unit block and the totals.

#include <iosfwd>
#include <string>

#include "workbench/report/report.h"

namespace wb::report {

// One row per layer (name, type, unit, MACs, cycles, us, MAC/cycle, util %, stall, off-chip
// bytes in/out, tiles, energy in uJ and pJ/MAC, the cause most of its time went to, its bound), then the units and the
// totals with the verdict.
void print_table(const RunReport& report, std::ostream& os);
// The per-unit block: busy %, busy cycles, operations, bytes, stalls (nothing without units).
void print_units(const RunReport& report, std::ostream& os);
// The totals block and the verdict alone (what --quiet keeps).
void print_totals(const RunReport& report, std::ostream& os);
// "cores 9.1 uJ (62 %), l1 ...": each energy component and its share of the total.
std::string energy_shares(const Energy& energy);

}  // namespace wb::report
