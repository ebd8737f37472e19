#include "workbench/report/target_description.h"

#include "perf/energy/energy_model.h"
#include "sim/xdnn/time_attribution.h"

namespace wb {

namespace xsim = wb::sim::xdnn;
using namespace report::declaring;

TargetDescription describe_xdnn() {
  std::vector<std::string_view> time_causes;
  for (std::size_t c = 0; c < xsim::kTimeCauses; ++c) {
    time_causes.push_back(xsim::time_cause_name(static_cast<xsim::TimeCause>(c)));
  }
  // clang-format off
  return {
    .target = Target::Xdnn,
    .display_name = "xDNN",
    .default_scheme = quant::Scheme::Xdnn,
    .program_file = "program.xdnn",
    .offchip_level = "DDR",
    .statistics = {
        {"ddr_weight_bytes", Layer, Count, "bytes", "weights it loaded from DDR, into the filter cache or staged in AM for it (weight_staging)", Tracked},
        {"am_weight_bytes", Layer, Count, "bytes", "weights it loaded into the filter cache from AM, where they were staged", Tracked},
        {"ddr_upload_bytes", Layer, Count, "bytes", "activations it brought DDR -> AM (uploads and a streamed input)", Tracked},
        {"ddr_download_bytes", Layer, Count, "bytes", "activations it sent AM -> DDR", Tracked},
        {"array_busy_cycles", Layer, Count, "cycles", "cycles the systolic array worked for it"},
        {"pool_busy_cycles", Layer, Count, "cycles", "cycles the pool/eltwise block worked for it"},
        {"ddr_busy_cycles", Layer, Count, "cycles", "its copies' time on the DDR engines"},
        {"host_cycles", Layer, Count, "cycles", "its time on the host model"},
        {"flag_wait_cycles", Layer, Count, "cycles", "its instructions' controller stalls on dependency flags"},
        {"mapping_efficiency", Layer, Real, "fraction", "the share of the array's MAC slots its convs' shapes fill (the CSV's SCALE-Sim column; xdnn.md, \"Where the time goes\")"},
        {"array_mac_slots", Layer, Count, "MACs", "the MACs the array's DSPs did in its convs' passes, useful or padding (docs/energy.md's events)"},
        {"am_read_bytes", Layer, Count, "bytes", "bytes its instructions read from Active Memory"},
        {"am_write_bytes", Layer, Count, "bytes", "bytes its instructions wrote to Active Memory"},
        {"filter_cache_read_bytes", Layer, Count, "bytes", "weight bytes its convs read out of the filter cache into the array"},
        {"filter_cache_write_bytes", Layer, Count, "bytes", "weight bytes loaded into the filter cache for it"},
        {"pool_eltwise_elements", Layer, Count, "", "output elements the pool/eltwise block produced for it"},
        kStartCycle,
        kEndCycle,
        {"ddr_weight_bytes", Run, Count, "bytes", "weights loaded from DDR", Tracked},
        {"am_weight_bytes", Run, Count, "bytes", "of those, the weights staged in AM ahead of their layer and loaded from there", Tracked},
        {"ddr_activation_bytes", Run, Count, "bytes", "activations moved between AM and DDR: `ddr_input_output_bytes` + `moveops`", Tracked},
        {"ddr_input_output_bytes", Run, Count, "bytes", "of those, the network's input and output and the host layers' operands and results", Tracked},
        {"ddr_spill_bytes", Run, Count, "bytes", "the compiler's count of intermediate activations through DDR (spills, refills, concat copies, channel gathers, pixel copies): what `moveops` measures", Tracked},
        {"overlapped_cycles", Run, Count, "cycles", "the layers' spans added up, minus their union (below)"},
        {"am_read_bytes", Run, Count, "bytes", "bytes read from Active Memory"},
        {"am_write_bytes", Run, Count, "bytes", "bytes written to Active Memory"},
        {"filter_cache_read_bytes", Run, Count, "bytes", "weight bytes read out of the filter cache"},
        {"filter_cache_write_bytes", Run, Count, "bytes", "weight bytes loaded into the filter cache"},
        {"peak_am_bytes", Run, Count, "bytes", "the schedule's peak Active Memory footprint", Tracked},
        {"am_extent_bytes", Run, Count, "bytes", "the AM the allocation used"},
        {"am_allocator", Run, Text, "", "the AM allocation strategy kept (`top`, `bottom`, `bysize`, `bestfit`, `spill`)"},
        {"row_tiled_layers", Run, Count, "", "layers run in row stripes because their buffers do not fit AM together (xdnn.md, \"Row tiling\")"},
        {"ddr_resident_buffers", Run, Count, "", "buffers kept in DDR for those layers, their rows streamed through AM stripe by stripe"},
        {"valid_schedules", Run, Count, "", "schedules the compiler explored"},
        {"am_bytes", Run, Count, "bytes", "the config's Active Memory"},
        {"instructions", Run, Count, "", "the program's instructions", Tracked},
        {"images", Run, Count, "", "images streamed through the PE (run --images; throughput mode's default 3): `cycles` is per image in the steady state, the time between the last two images' ends"},
        {"fps_per_pe", Run, Real, "frames/s", "images per second of the PE in the steady state: the clock over `cycles` (ML Suite's per-PE figure)"},
        {"first_image_latency_ms", Run, Real, "ms", "the first image's latency: its first instruction's issue to its last completion"},
        {"image_latency_ms", Run, Real, "ms", "the last image's latency (in the steady state); in throughput mode longer than `latency_ms`, the time per image"},
        {"stream_cycles", Run, Count, "cycles", "the whole stream of `images`: its last completion"},
        {"pes", Run, Count, "", "the card's PEs (HwConfig `pes`); the other figures are PE 0's"},
        {"card_images", Run, Count, "", "images the card ran, dealt to its PEs in turn (run --images; default 3 per PE on a card of several)"},
        {"card_cycles", Run, Count, "cycles", "the card's steady state: from the first round's last image back on the host to the last image back", Tracked},
        {"card_fps", Run, Real, "frames/s", "images per second of the card: the images after the first round over `card_cycles` (one PE: with one image, the run)"},
        {"card_binding", Run, Text, "", "what bounds `card_fps`: `host_link` or `host` (shared by the PEs, its work filling 98 % of the steady state or more), else `pes` (each PE's own array, AM and DDR channel)"},
        {"host_link_busy_share", Run, Real, "fraction", "the share of `card_cycles` the host link (PCIe) moved data: inputs, outputs, host layers' operands"},
        {"host_busy_share", Run, Real, "fraction", "the share of `card_cycles` the host computed host layers"},
        kLayersVerified,
    },
    .statistic_notes = {
        {"type", Layer, "its `eltwise` is `add`"},
        {"unit", Layer, "`array`, `pool`, `eltwise`, `ddr` (a concat, gather or pixel copy through DDR), `host`"},
        {"bytes_in", Layer, "activations and weights"},
        {"tiles", Layer, "its conv, pool, eltwise and host instructions"},
        {"predicted_cycles", Layer, "none, its compiler has no cycle model (weight staging reasons with peak rates, not a layer's cycles)"},
        {"moveops", Run, "the AM<->DDR copies the compiler marks `intermediate` (spills, refills, concat copies, channel gathers, pixel copies), counted by the simulator as it runs them and equal to `ddr_spill_bytes`; the host layers' operands and results count with the input and output, as xfDNN's host code read and wrote them"},
        {"offchip_level", Run, "`DDR`"},
    },
    .time_causes = std::move(time_causes),
    .energy_components = perf::energy::xdnn_components(),
  };
  // clang-format on
}

}  // namespace wb
