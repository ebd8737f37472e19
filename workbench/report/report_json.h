#pragma once
// The run report as JSON (DESIGN.md §4.5): the one shape scripts, sweeps and the regression
// database read, written and read back with every key checked against its declaration
// (report_stats.h and the target's back end).

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string_view>

#include "workbench/report/report.h"

namespace wb::report {

// The JSON shape's version. 2 added schema, tool.commit/dirty, run and wall; 3 moved the
// target's own statistics into a block named after it (`layers[i].<target>`, `totals.<target>`) and
// gave moveops xfDNN's meaning; 4 named the off-chip traffic once for every target
// (`totals.offchip_bytes` and `offchip_level`, were `ddr_bytes` / `l3_bytes`); 5 added the
// prediction (`predicted_cycles`, `prediction_error_pct` in layers and totals) and so renamed the
// PULP block's `predicted_cycles`, the tiler's figure for a layer alone, `tiler_cycles`.
// from_json reads 5, 4 and 3 (renaming their keys), and refuses any other.
inline constexpr int kReportSchema = 5;

// A layer's target block of a report of `schema` in this schema's names (a layer block of
// schema 4 or before names the tiler's figure `predicted_cycles`). The sweep database, which
// keeps the layer blocks apart from the report, reads its old rows with it.
void upgrade_layer_block(nlohmann::json& block, int schema);

// {schema, tool:{version,git,commit,dirty}, model:{path,sha256,name},
//  hw:{path,sha256,target,resolved},
//  run:{scheme,compile_options,hw_fingerprint,data,overrides,calibration},
//  verdict, mismatch (object or null), totals:{..., <target>:{...}}, layers:[{..., <target>:{...}}],
//  units:[...], wall:{compile_seconds,simulate_seconds}}; the <target> block holds `specific`
// (left out when empty). std::logic_error if `specific` holds a key the target's back end does
// not declare, or a value of another kind: a back end's bug.
nlohmann::json to_json(const RunReport& report);

// The inverse of to_json. UserError naming the key ("totals.cycles", "layers[3].name",
// "layers[3].<target>.kernel") when one is missing, unknown or has the wrong type, or when
// verdict/target is not one of the known values, or when `schema` is not one it reads;
// `source` (a file name) starts the message.
RunReport from_json(const nlohmann::json& json, std::string_view source = "run report");

// A layer's time causes and bound as the report writes them ({"time": {...}, "bound": {...}},
// the bound left out when empty), and back into `row` (`target`'s back end orders the causes):
// what the sweep database keeps of each layer beside its columns. UserError naming `source`
// and the layer when malformed.
nlohmann::json layer_analysis_json(const LayerRow& row);
void read_layer_analysis(const nlohmann::json& analysis, std::string_view target, std::string_view source, LayerRow& row);

// Writes atomically (temporary file renamed into place); UserError if the folder does not
// exist or is not writable, and then no file is left behind.
void write_json(const RunReport& report, const std::filesystem::path& path);

}  // namespace wb::report
