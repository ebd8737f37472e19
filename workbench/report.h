#pragma once
// The run report of `workbench run` / `sim` (DESIGN.md §4.5): one shape for the JSON that
// scripts, sweeps and the regression database read, a CSV whose first columns are SCALE-Sim
// v2's COMPUTE_REPORT.csv (so its scripts read ours), and the console table.

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "support/sha256.h"

namespace wb::report {

// Where the simulated output first differed from the golden model.
struct Mismatch {
  std::string layer;
  std::int64_t index = 0;  // flat element index in the layer's output
  std::int64_t expected = 0, actual = 0;

  bool operator==(const Mismatch&) const = default;
};

// What holds a layer's (or the run's) time from below (docs/report.md, "Bounds"): the cycles
// its work needs on its unit at the peak its shape can use, and per memory level it crosses
// the cycles that level's channel needs for the bytes that crossed it within the span. The
// simulated time is never below the larger of them.
struct MemoryBound {
  std::string level;  // the channel, named as in units[]: "ddr_channel", "cluster_dma_in", "udma", ...
  std::uint64_t cycles = 0, bytes = 0;

  bool operator==(const MemoryBound&) const = default;
};

struct Bound {
  std::uint64_t compute_cycles = 0;
  std::vector<MemoryBound> memory;

  bool empty() const { return compute_cycles == 0 && memory.empty(); }
  std::uint64_t cycles() const;  // the larger of compute and every level
  // "compute" or the level whose cycles are the bound ("" when every bound is 0).
  std::string binding() const;
  bool operator==(const Bound&) const = default;
};

struct LayerRow {
  std::string name, type;
  // Where it ran (DESIGN.md §4.6): xdnn "array", "pool", "eltwise", "ddr" (a concat copied
  // through DDR) or "host"; pulp "cores".
  std::string unit;
  // The QGraph tensor the layer writes: what `workbench compare` joins reports on ("" in
  // reports written before it was recorded).
  std::string output;
  std::uint64_t macs = 0, ops = 0, cycles = 0, stall_cycles = 0, bytes_in = 0, bytes_out = 0, tiles = 0;
  double mac_per_cycle = 0, utilization = 0;  // utilization = mac_per_cycle / peak MAC/cycle, 0..1
  double us = 0;  // `cycles` at the target's clock, in microseconds (0 in reports written before it)
  // Where `cycles` went: named causes in the target's order, adding up to `cycles` (empty in
  // reports written before it was recorded). docs/report.md lists each target's causes.
  std::vector<std::pair<std::string, std::uint64_t>> time;
  Bound bound;  // empty in reports written before it was recorded
  // The target's own statistics (report_stats.h declares each: name, kind, unit): the JSON's
  // block named after the target (`layers[i].xdnn`), CSV columns after the standard ones.
  nlohmann::json specific = nlohmann::json::object();

  bool operator==(const LayerRow&) const = default;
};

// One unit of the simulated hardware over the whole run (docs/report.md, "units"): xDNN's
// array, pool/eltwise block, DDR queues and channel, host; PULP's cores, cluster DMA, uDMA.
struct UnitRow {
  std::string name;
  std::uint64_t busy_cycles = 0;  // cycles it worked (moved data, for a channel)
  double busy = 0;                // busy_cycles / totals.cycles, 0..1
  std::uint64_t operations = 0;   // instructions, kernel calls or transfers it served
  std::uint64_t bytes = 0;        // bytes it moved (0 for compute units)
  // What held it or its users up: xDNN units, their instructions' controller stalls on flags;
  // the DDR channel, transfers queued for it; PULP's DMA and uDMA, the cluster's waits for them.
  std::uint64_t stall_cycles = 0;

  bool operator==(const UnitRow&) const = default;
};

struct Totals {
  std::uint64_t cycles = 0, macs = 0, ops = 0, moveops = 0;
  double latency_ms = 0, mac_per_cycle = 0, utilization = 0, host_ms = 0;
  std::optional<std::uint64_t> ddr_bytes, l3_bytes;  // xdnn reports ddr_bytes, pulp l3_bytes
  Bound bound;  // the whole run's: every unit's work and every level's bytes (empty in older reports)
  nlohmann::json specific = nlohmann::json::object();  // the target's own (`totals.xdnn`), as LayerRow's

  bool operator==(const Totals&) const = default;
};

// How the program was made: recorded so a regression database keys runs by what went in.
struct RunSettings {
  std::string scheme;           // quantization scheme ("xdnn", "pulp", "pow2")
  std::string compile_options;  // every compile option, resolved ("a=on,b=dory")
  std::string hw_fingerprint;   // of the resolved config (isa::hw_fingerprint)
  bool data = false;            // simulated with data (false: --no-data, timing only)
  std::vector<std::string> overrides;  // every --set KEY=VALUE the program was compiled with
  nlohmann::json calibration;          // how the scales were found (calibration_record); null unknown

  bool operator==(const RunSettings&) const = default;
};

// Host wall-clock seconds (noisy: compared statistically, never as a figure of the model).
struct HostTimes {
  double compile_seconds = 0;   // quantize + compile (0 when a program file was simulated)
  double simulate_seconds = 0;  // the simulator's run

  bool operator==(const HostTimes&) const = default;
};

// The JSON shape's version: from_json refuses any other. 2 added schema, tool.commit/dirty,
// run and wall; 3 moved the target's own statistics into a block named after it
// (`layers[i].xdnn`, `totals.pulp`) and gave moveops xfDNN's meaning.
inline constexpr int kReportSchema = 3;

struct RunReport {
  std::string tool_version, tool_git;
  std::string tool_commit;  // the commit's hash ("" outside git)
  bool tool_dirty = false;  // built with uncommitted changes
  std::string model_path, model_sha256, model_name;
  std::string hw_path, hw_sha256, target;  // "xdnn" | "pulp"
  nlohmann::json hw_resolved = nlohmann::json::object();
  std::string verdict;  // "bit-exact" | "mismatch" | "not-verified"
  std::optional<Mismatch> mismatch;
  Totals totals;
  std::vector<LayerRow> layers;
  std::vector<UnitRow> units;  // empty in reports written before they were recorded
  RunSettings run;
  HostTimes wall;

  bool operator==(const RunReport&) const = default;
};

// {schema, tool:{version,git,commit,dirty}, model:{path,sha256,name},
//  hw:{path,sha256,target,resolved},
//  run:{scheme,compile_options,hw_fingerprint,data,overrides,calibration},
//  verdict, mismatch (object or null), totals:{..., <target>:{...}}, layers:[{..., <target>:{...}}],
//  units:[...], wall:{compile_seconds,simulate_seconds}}; the <target> block holds `specific`
// (left out when empty). std::logic_error if `specific` holds a key report_stats.h does not
// declare for the target, or a value of another kind: a back end's bug.
nlohmann::json to_json(const RunReport& report);

// The inverse of to_json. UserError naming the key ("totals.cycles", "layers[3].name",
// "layers[3].xdnn.kernel") when one is missing, unknown or has the wrong type, or when
// verdict/target is not one of the known values, or when `schema` is not kReportSchema;
// `source` (a file name) starts the message.
RunReport from_json(const nlohmann::json& json, std::string_view source = "run report");

// Both write atomically (temporary file renamed into place); UserError if the folder does not
// exist or is not writable, and then no file is left behind.
void write_json(const RunReport& report, const std::filesystem::path& path);
void write_csv(const RunReport& report, const std::filesystem::path& path);

// The CSV text write_csv writes: one header line, one line per layer, no totals line.
std::string csv_text(const RunReport& report);

// One CSV field as RFC 4180 wants it: quoted (quotes doubled) when it holds a comma, quote,
// line break or leading/trailing blank; as it is otherwise.
std::string csv_field(std::string_view field);
// Python's str(float) form SCALE-Sim writes: shortest round trip, "25.0" rather than "25".
std::string csv_number(double value);

// One row per layer (name, type, unit, MACs, cycles, us, MAC/cycle, util %, stall, DDR/L3 bytes in/out,
// tiles, and the cause most of its time went to), then the totals and the verdict.
void print_table(const RunReport& report, std::ostream& os);
// The per-unit block: busy %, busy cycles, operations, bytes, stalls (nothing without units).
void print_units(const RunReport& report, std::ostream& os);
// The totals block and the verdict alone (what --quiet keeps).
void print_totals(const RunReport& report, std::ostream& os);

}  // namespace wb::report
