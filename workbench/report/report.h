#pragma once
// The run report of `workbench run` / `sim` (DESIGN.md §4.5), as data: one shape for the JSON
// that scripts, sweeps and the regression database read (report_json.h), the CSV whose first
// columns are SCALE-Sim v2's COMPUTE_REPORT.csv (report_csv.h) and the console table
// (report_console.h).

#include <algorithm>
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
  // Of compute_cycles, the cycles the work's shapes leave the compute unit's MAC slots empty
  // (xDNN: array passes over slots its convs' channels or groups do not fill; 0 on targets
  // without such a mapping).
  std::uint64_t mapping_cycles = 0;

  bool empty() const { return compute_cycles == 0 && memory.empty(); }
  std::uint64_t cycles() const;  // the larger of compute and every level
  // "compute", "mapping" (compute binds, and most of its cycles are mapping_cycles: the shape,
  // not the peak, holds the layer), or the level whose cycles are the bound ("" when every
  // bound is 0).
  std::string binding() const;
  bool operator==(const Bound&) const = default;
};

// Energy by component (docs/energy.md), pJ, in the order the target's description lists them.
using Energy = std::vector<std::pair<std::string, double>>;
// Its sum, pJ; and the derived figures the report prints beside it (0 without energy, MACs or time).
double energy_pj(const Energy& energy);
double pj_per_mac(const Energy& energy, std::uint64_t macs);
double power_mw(const Energy& energy, double latency_ms);
// The energy-delay product, uJ x ms.
double energy_delay(const Energy& energy, double latency_ms);

// Named figures read back from JSON (keys come sorted) in the order a target lists the names
// (its time causes, its energy components); names it does not list go last, as they came.
template <class Figures>
void order_by_names(Figures& figures, const std::vector<std::string_view>& order) {
  const auto rank = [&](const std::string& name) { return std::find(order.begin(), order.end(), name) - order.begin(); };
  std::stable_sort(figures.begin(), figures.end(), [&](const auto& a, const auto& b) { return rank(a.first) < rank(b.first); });
}

struct LayerRow {
  std::string name, type;
  // Where it ran (DESIGN.md §4.6): one of its target's units ("array", "host", "cores"; each
  // back end's notes in docs/report.md list them).
  std::string unit;
  // The QGraph tensor the layer writes: what `workbench compare` joins reports on ("" in
  // reports written before it was recorded).
  std::string output;
  // A layer computing several QGraph tensors at once (xDNN's merged sibling convs: `output` is
  // then the merged buffer, no QGraph tensor): those tensors, which `compare` joins it by.
  std::vector<std::string> parts;
  std::uint64_t macs = 0, ops = 0, cycles = 0, stall_cycles = 0, bytes_in = 0, bytes_out = 0, tiles = 0;
  double mac_per_cycle = 0, utilization = 0;  // utilization = mac_per_cycle / peak MAC/cycle, 0..1
  double us = 0;  // `cycles` at the target's clock, in microseconds (0 in reports written before it)
  // Where `cycles` went: named causes in the target's order, adding up to `cycles` (empty in
  // reports written before it was recorded). docs/report.md lists each target's causes.
  std::vector<std::pair<std::string, std::uint64_t>> time;
  Bound bound;  // empty in reports written before it was recorded
  // Its energy by component, pJ, in the target's order (docs/energy.md): the events it caused
  // times their energies, and the static power over its span (empty in older reports).
  Energy energy;
  // The performance model's cycles for this layer of the same program (the compiler's
  // expectation, set beside what the simulator measured); none on a target without a
  // predictor and in reports written before it was recorded.
  std::optional<std::uint64_t> predicted_cycles;
  // The target's own statistics (report_stats.h declares each: name, kind, unit): the JSON's
  // block named after the target (`layers[i].<target>`), CSV columns after the standard ones.
  nlohmann::json specific = nlohmann::json::object();

  bool operator==(const LayerRow&) const = default;
};

// One unit of the simulated hardware over the whole run (docs/report.md, "units"): a compute
// unit (an array, a core), a DMA engine or a memory channel, the host.
struct UnitRow {
  std::string name;
  std::uint64_t busy_cycles = 0;  // cycles it worked (moved data, for a channel)
  double busy = 0;                // busy_cycles / totals.cycles, 0..1
  std::uint64_t operations = 0;   // instructions, kernel calls or transfers it served
  std::uint64_t bytes = 0;        // bytes it moved (0 for compute units)
  // What held it or its users up: a compute unit, its work's stalls (e.g. on dependency flags);
  // a channel, the transfers queued for it; a DMA engine, the waits for it.
  std::uint64_t stall_cycles = 0;

  bool operator==(const UnitRow&) const = default;
};

struct Totals {
  std::uint64_t cycles = 0, macs = 0, ops = 0, moveops = 0;
  double latency_ms = 0, mac_per_cycle = 0, utilization = 0, host_ms = 0;
  std::uint64_t offchip_bytes = 0;  // traffic to and from the target's off-chip memory (offchip_level)
  Bound bound;  // the whole run's: every unit's work and every level's bytes (empty in older reports)
  Energy energy;  // the whole run's by component, pJ, as LayerRow's (static power over `cycles`)
  std::optional<std::uint64_t> predicted_cycles;  // the predictor's run of the whole program, as LayerRow's
  std::optional<std::uint64_t> tokens;  // the token ids the inputs hold; none without token inputs
  nlohmann::json specific = nlohmann::json::object();  // the target's own (`totals.<target>`), as LayerRow's

  bool operator==(const Totals&) const = default;
};

// How the program was made: recorded so a regression database keys runs by what went in.
struct RunSettings {
  std::string scheme;           // quantization scheme (compiler/quant's scheme names)
  std::string compile_options;  // every compile option, resolved ("a=on,b=dory")
  std::string hw_fingerprint;   // of the resolved config (isa::hw_fingerprint)
  bool data = false;            // simulated with data (false: --no-data, timing only)
  std::vector<std::string> overrides;  // every --set KEY=VALUE the program was compiled with
  nlohmann::json calibration;          // how the scales were found (calibration_record); null unknown
  // Each network input as fed: [{"name", "shape" (the user's layout), "dtype", "data" ("--input
  // PATH" or "seeded N(0,1), seed S"; "none" timing only)}]; empty in reports before it was recorded.
  nlohmann::json inputs = nlohmann::json::array();

  bool operator==(const RunSettings&) const = default;
};

// Host wall-clock seconds (noisy: compared statistically, never as a figure of the model).
struct HostTimes {
  double compile_seconds = 0;   // quantize + compile (0 when a program file was simulated)
  double simulate_seconds = 0;  // the simulator's run

  bool operator==(const HostTimes&) const = default;
};

struct RunReport {
  std::string tool_version, tool_git;
  std::string tool_commit;  // the commit's hash ("" outside git)
  bool tool_dirty = false;  // built with uncommitted changes
  std::string model_path, model_sha256, model_name;
  std::string hw_path, hw_sha256, target;  // a registered back end's name (workbench/backends/target.h)
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

// How far the simulator measured from the prediction, in percent of the prediction:
// (simulated - predicted) / predicted x 100, positive when it measured more cycles. None
// without a prediction, or with a prediction of 0 cycles.
std::optional<double> prediction_error_pct(std::uint64_t simulated, std::optional<std::uint64_t> predicted);

// The off-chip memory level the report's traffic counts, named by its target's back end
// ("DDR", "L3"; "off-chip" for a target no back end is registered for).
std::string offchip_level(const RunReport& report);

}  // namespace wb::report
