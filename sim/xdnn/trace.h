#pragma once
// The simulator's Chrome/Perfetto trace (docs/report.md, "Traces") and the names it shares with
// the statistics: a track per unit, the DDR channel's, counters, and a flow arrow from each
// instruction a flag wait ended on to the instruction that waited.

#include <cstdint>
#include <filesystem>
#include <string>
#include <unordered_map>
#include <vector>

#include "isa/xdnn.pb.h"
#include "sim/xdnn/overlay.h"

namespace wb::sim::xdnn {

// The names of units in statistics, reports and traces (docs/report.md, "units").
std::string track_name(UnitId unit);

// The instructions that completed at each cycle: a flag wait ends at the completion it waited for.
using CompletedAt = std::unordered_map<std::uint64_t, std::vector<std::size_t>>;

// The instruction whose completion ended each flag wait (-1: none): the trace's flow arrows.
std::vector<std::int64_t> flag_wait_sources(const std::vector<InstrRecord>& records, const CompletedAt& completed_at);

// Writes the trace of `records` (record i: instruction i of `program`) to `path`.
void write_trace(const std::filesystem::path& path, const isa::xdnn::Program& program,
                 const std::vector<InstrRecord>& records, const std::vector<std::int64_t>& waited_on,
                 double clock_mhz);

}  // namespace wb::sim::xdnn
