#include "workbench/report_stats.h"

#include <fmt/format.h>

#include <algorithm>

namespace wb::report {

namespace {

using enum StatScope;
using enum StatKind;

// A function's static, not a namespace-scope one: other files' static initialisers read it
// (regress's metric lists).
const std::vector<StatDecl>& declarations() {
// clang-format off
static const std::vector<StatDecl> kStatistics = {
    // ---- standard, every layer row ---------------------------------------------------------
    {"name", Layer, "", Text, "", "the layer (a fused layer: its first node's name)"},
    {"type", Layer, "", Text, "", "one vocabulary on both targets: `conv`, `depthwise`, `grouped_conv`, `fc`, `add`, `maxpool`, `avgpool`, `conv+maxpool`, `conv+avgpool`, `concat`, `channel_gather`, `lut`, `mul`, `softmax`, ... (xDNN's `eltwise` is `add`, PULP's `linear` is `fc`, its `pointwise` `conv`)"},
    {"unit", Layer, "", Text, "", "what ran it: xDNN `array`, `pool`, `eltwise`, `ddr` (a concat or gather through DDR), `host`; PULP `cores`"},
    {"output", Layer, "", Text, "", "the QGraph tensor it writes (what `workbench compare` joins on)"},
    {"macs", Layer, "", Count, "MACs", "its multiply-accumulates", true},
    {"ops", Layer, "", Count, "ops", "its operations (DESIGN.md §4.4)"},
    {"cycles", Layer, "", Count, "cycles", "its span (below)", true},
    {"us", Layer, "", Real, "us", "`cycles` at the target's clock"},
    {"mac_per_cycle", Layer, "", Real, "MAC/cycle", "`macs` over `cycles`"},
    {"utilization", Layer, "", Real, "fraction", "`mac_per_cycle` over the int8 peak; never above 1"},
    {"stall_cycles", Layer, "", Count, "cycles", "the span's cycles it waited for memory or other work (below)", true},
    {"bytes_in", Layer, "", Count, "bytes", "bytes it read from off-chip memory (xDNN DDR: activations and weights; PULP L3)", true},
    {"bytes_out", Layer, "", Count, "bytes", "bytes it wrote to off-chip memory", true},
    {"tiles", Layer, "", Count, "", "xDNN: its conv, pool, eltwise and host instructions; PULP: its tiles"},
    {"time", Layer, "", Count, "cycles", "its span cut into named causes that add up to it (an object; below)"},
    {"bound", Layer, "", Count, "cycles", "what holds its span from below: compute and each memory level, which binds, how close it came (an object; below)"},
    // ---- standard, the run's totals --------------------------------------------------------
    {"cycles", Run, "", Count, "cycles", "the run: its last completion", true},
    {"latency_ms", Run, "", Real, "ms", "`cycles` at the target's clock"},
    {"macs", Run, "", Count, "MACs", "the layers' MACs", true},
    {"ops", Run, "", Count, "ops", "2 per MAC plus the pools' and eltwise ops (DESIGN.md §4.4)", true},
    {"mac_per_cycle", Run, "", Real, "MAC/cycle", "`macs` over `cycles`"},
    {"utilization", Run, "", Real, "fraction", "`mac_per_cycle` over the int8 peak"},
    {"moveops", Run, "", Count, "bytes", "xfDNN's meaning (REFERENCE.md): intermediate activation bytes through off-chip memory, the network's own input and output not counted. xDNN: the AM<->DDR copies the compiler marks `intermediate` (spills, refills, concat copies, channel gathers), counted by the simulator as it runs them and equal to `ddr_spill_bytes`; the host layers' operands and results count with the input and output, as xfDNN's host code read and wrote them. PULP: activation bytes the uDMA moved between L2 and L3's RAM, not the weights from the L3 image nor a network input or output that lives in L3", true},
    {"host_ms", Run, "", Real, "ms", "time on the host model"},
    {"ddr_bytes", Run, "", Count, "bytes", "xDNN only: DDR traffic, weights and activations", true},
    {"l3_bytes", Run, "", Count, "bytes", "PULP only: L3 traffic, `l3_bytes_in` + `l3_bytes_out`", true},
    {"bound", Run, "", Count, "cycles", "the run's bound: every unit's work and every level's bytes (an object; below)"},
    // ---- the xDNN block --------------------------------------------------------------------
    {"ddr_weight_bytes", Layer, "xdnn", Count, "bytes", "weights it loaded from DDR, into the filter cache or staged in AM for it (weight_staging)", true},
    {"am_weight_bytes", Layer, "xdnn", Count, "bytes", "weights it loaded into the filter cache from AM, where they were staged", true},
    {"ddr_upload_bytes", Layer, "xdnn", Count, "bytes", "activations it brought DDR -> AM (uploads and a streamed input)", true},
    {"ddr_download_bytes", Layer, "xdnn", Count, "bytes", "activations it sent AM -> DDR", true},
    {"array_busy_cycles", Layer, "xdnn", Count, "cycles", "cycles the systolic array worked for it"},
    {"pool_busy_cycles", Layer, "xdnn", Count, "cycles", "cycles the pool/eltwise block worked for it"},
    {"ddr_busy_cycles", Layer, "xdnn", Count, "cycles", "its copies' time on the DDR engines"},
    {"host_cycles", Layer, "xdnn", Count, "cycles", "its time on the host model"},
    {"flag_wait_cycles", Layer, "xdnn", Count, "cycles", "its instructions' controller stalls on dependency flags"},
    {"mapping_efficiency", Layer, "xdnn", Real, "fraction", "the share of the array's MAC slots its convs' shapes fill (the CSV's SCALE-Sim column; xdnn.md, \"Where the time goes\")"},
    {"start_cycle", Layer, "xdnn pulp", Count, "cycle", "its span's first cycle"},
    {"end_cycle", Layer, "xdnn pulp", Count, "cycle", "its span's end (its last completion)"},
    {"ddr_weight_bytes", Run, "xdnn", Count, "bytes", "weights loaded from DDR", true},
    {"am_weight_bytes", Run, "xdnn", Count, "bytes", "of those, the weights staged in AM ahead of their layer and loaded from there", true},
    {"ddr_activation_bytes", Run, "xdnn", Count, "bytes", "activations moved between AM and DDR: `ddr_input_output_bytes` + `moveops`", true},
    {"ddr_input_output_bytes", Run, "xdnn", Count, "bytes", "of those, the network's input and output and the host layers' operands and results", true},
    {"ddr_spill_bytes", Run, "xdnn", Count, "bytes", "the compiler's count of intermediate activations through DDR (spills, refills, concat copies, channel gathers): what `moveops` measures", true},
    {"overlapped_cycles", Run, "xdnn", Count, "cycles", "the layers' spans added up, minus their union (below)"},
    {"peak_am_bytes", Run, "xdnn", Count, "bytes", "the schedule's peak Active Memory footprint", true},
    {"am_extent_bytes", Run, "xdnn", Count, "bytes", "the AM the allocation used"},
    {"am_allocator", Run, "xdnn", Text, "", "the AM allocation strategy kept (`top`, `bottom`, `bysize`, `bestfit`, `spill`)"},
    {"row_tiled_layers", Run, "xdnn", Count, "", "layers run in row stripes because their buffers do not fit AM together (xdnn.md, \"Row tiling\")"},
    {"ddr_resident_buffers", Run, "xdnn", Count, "", "buffers kept in DDR for those layers, their rows streamed through AM stripe by stripe"},
    {"valid_schedules", Run, "xdnn", Count, "", "schedules the compiler explored"},
    {"am_bytes", Run, "xdnn", Count, "bytes", "the config's Active Memory"},
    {"instructions", Run, "xdnn", Count, "", "the program's instructions", true},
    // ---- the PULP block --------------------------------------------------------------------
    {"kernel", Layer, "pulp", Text, "", "the PULP-NN kernel (`conv`, `pointwise`, `depthwise`, `linear`, ...; `depthwise_plane`: the plane depthwise kernel, pulp.md)"},
    {"compute_cycles", Layer, "pulp", Count, "cycles", "cycles the cores computed (bank conflicts, dispatch and barriers included)", true},
    {"dma_wait_cycles", Layer, "pulp", Count, "cycles", "cycles the cluster waited for its DMA", true},
    {"l3_wait_cycles", Layer, "pulp", Count, "cycles", "cycles it waited for the uDMA (L3)", true},
    {"l1_bytes_in", Layer, "pulp", Count, "bytes", "bytes the cluster DMA brought L2 -> L1", true},
    {"l1_bytes_out", Layer, "pulp", Count, "bytes", "bytes the cluster DMA wrote back L1 -> L2", true},
    {"predicted_cycles", Layer, "pulp", Count, "cycles", "the tiler's own figure for it"},
    {"tile", Layer, "pulp", Text, "", "its output tile, H x W x C (and its input-channel chunk)"},
    {"parallel", Layer, "pulp", Text, "", "how the cores split a tile (`Co`, `Ho`, `HoWo`)"},
    {"l1_tile_bytes", Layer, "pulp", Count, "bytes", "L1 its tiles' buffers take"},
    {"l3_bytes_in", Run, "pulp", Count, "bytes", "bytes the uDMA brought L3 -> L2 (weights and activations)", true},
    {"l3_bytes_out", Run, "pulp", Count, "bytes", "bytes the uDMA wrote L2 -> L3", true},
    {"l1_dma_bytes_in", Run, "pulp", Count, "bytes", "bytes the cluster DMA brought L2 -> L1", true},
    {"l1_dma_bytes_out", Run, "pulp", Count, "bytes", "bytes the cluster DMA wrote back L1 -> L2", true},
    {"l2_bytes_used", Run, "pulp", Count, "bytes", "L2 the program's buffers take"},
    {"l3_bytes_used", Run, "pulp", Count, "bytes", "L3 RAM the program's buffers take"},
    {"cores", Run, "pulp", Count, "", "the cluster's cores"},
    {"tiler", Run, "pulp", Text, "", "the tiling objective (`dory`, `cost`)"},
    // ---- both blocks -----------------------------------------------------------------------
    {"layers_verified", Run, "xdnn pulp", Count, "", "layers compared with the golden model (with data only)"},
};
// clang-format on
return kStatistics;
}

void append_table(std::string& out, const std::vector<const StatDecl*>& rows, bool with_scope) {
  out += with_scope ? "| field | in | unit | meaning |\n|---|---|---|---|\n" : "| field | unit | meaning |\n|---|---|---|\n";
  for (const StatDecl* stat : rows) {
    const std::string_view unit = stat->unit;
    std::string meaning(stat->description);
    if (stat->tracked) meaning += " (tracked by `regress`)";
    if (with_scope) {
      out += fmt::format("| `{}` | {} | {} | {} |\n", stat->name, stat->scope == Layer ? "`layers[]`" : "`totals`", unit,
                         meaning);
    } else {
      out += fmt::format("| `{}` | {} | {} |\n", stat->name, unit, meaning);
    }
  }
}

}  // namespace

bool StatDecl::of_target(std::string_view target) const {
  std::string_view rest = targets;
  while (!rest.empty()) {
    const std::size_t space = rest.find(' ');
    if (rest.substr(0, space) == target) return true;
    if (space == std::string_view::npos) break;
    rest.remove_prefix(space + 1);
  }
  return false;
}

const std::vector<StatDecl>& statistics() { return declarations(); }

const StatDecl* target_statistic(std::string_view target, StatScope scope, std::string_view name) {
  for (const StatDecl& stat : statistics()) {
    if (stat.scope == scope && stat.name == name && stat.of_target(target)) return &stat;
  }
  return nullptr;
}

std::vector<const StatDecl*> target_statistics(std::string_view target, StatScope scope) {
  std::vector<const StatDecl*> out;
  for (const StatDecl& stat : statistics()) {
    if (stat.scope == scope && stat.of_target(target)) out.push_back(&stat);
  }
  return out;
}

std::vector<std::string> tracked_statistics(StatScope scope) {
  std::vector<std::string> out;
  for (const StatDecl& stat : statistics()) {
    if (stat.scope != scope || !stat.tracked) continue;
    if (std::find(out.begin(), out.end(), stat.name) == out.end()) out.emplace_back(stat.name);
  }
  return out;
}

std::string statistics_markdown() {
  std::string out;
  for (const StatScope scope : {Layer, Run}) {
    out += fmt::format("Standard fields of {} (both targets):\n\n", scope == Layer ? "`layers[]`" : "`totals`");
    std::vector<const StatDecl*> rows;
    for (const StatDecl& stat : statistics()) {
      if (stat.standard() && stat.scope == scope) rows.push_back(&stat);
    }
    append_table(out, rows, false);
    out += "\n";
  }
  for (const std::string_view target : {"xdnn", "pulp"}) {
    out += fmt::format("The `{0}` block (`layers[].{0}`, `totals.{0}`; {1} reports only):\n\n", target,
                       target == "xdnn" ? "xDNN" : "PULP");
    std::vector<const StatDecl*> rows = target_statistics(target, Layer);
    const std::vector<const StatDecl*> run = target_statistics(target, Run);
    rows.insert(rows.end(), run.begin(), run.end());
    append_table(out, rows, true);
    out += "\n";
  }
  return out;
}

}  // namespace wb::report
