#include "workbench/report/target_description.h"

#include "perf/energy/energy_model.h"

namespace wb {

using namespace report::declaring;

TargetDescription describe_pulp() {
  // clang-format off
  return {
    .target = Target::Pulp,
    .display_name = "PULP",
    .default_scheme = quant::Scheme::Pulp,
    .program_file = "program.pulp",
    .offchip_level = "L3",
    .statistics = {
        kStartCycle,
        kEndCycle,
        {"kernel", Layer, Text, "", "the PULP-NN kernel (`conv`, `pointwise`, `depthwise`, `linear`, ...; `depthwise_plane`: the plane depthwise kernel, pulp.md; `depthwise+pointwise`, `depthwise_plane+pointwise`: a fused pair; `patch_stage`: the first layers run band by band, pulp.md)"},
        {"fusion_group", Layer, Text, "", "the network's layers it runs as one depth-first group, first to last, joined by ` + ` (a fused pair: its depthwise and pointwise layers; a patch stage: its layers; absent for a layer run alone); its `l1_bytes_in`, `l1_bytes_out`, `bytes_in`, `bytes_out`, `energy_pj` and `energy_delay` are the group's"},
        {"compute_cycles", Layer, Count, "cycles", "cycles the cores computed (bank conflicts, dispatch and barriers included)", Part},
        {"dma_wait_cycles", Layer, Count, "cycles", "cycles the cluster waited for its DMA", Part},
        {"core_bank_conflict_cycles", Layer, Count, "cycles", "cycles cores lost a TCDM bank to another core, counted over every core and call", Part},
        {"core_dma_conflict_cycles", Layer, Count, "cycles", "cycles cores lost a TCDM bank to the cluster DMA's bursts, counted over every core and call", Part},
        {"l3_wait_cycles", Layer, Count, "cycles", "cycles it waited for the uDMA (L3)", Part},
        {"l1_bytes_in", Layer, Count, "bytes", "bytes the cluster DMA brought L2 -> L1", Tracked},
        {"l1_bytes_out", Layer, Count, "bytes", "bytes the cluster DMA wrote back L1 -> L2", Tracked},
        {"tiler_cycles", Layer, Count, "cycles", "the tiler's figure for its tiling: the layer predicted alone, channels idle and its weights in L2 (`predicted_cycles` adds what the layers before leave in flight)"},
        {"tile", Layer, Text, "", "its output tile, H x W x C (and its input-channel chunk)"},
        {"parallel", Layer, Text, "", "how the cores split a tile (`Co`, `Ho`, `HoWo`)"},
        {"l1_tile_bytes", Layer, Count, "bytes", "L1 its tiles' buffers take"},
        {"core_instructions", Layer, Count, "", "instructions its kernel calls ran, every core's (docs/energy.md's events)"},
        {"simd_macs", Layer, Count, "MACs", "int8 MACs of its SIMD dot products (pv.sdotsp.b: 4 each)"},
        {"l1_core_accesses", Layer, Count, "", "the cores' TCDM loads and stores (a misaligned access twice)"},
        {"l3_flash_bytes", Layer, Count, "bytes", "of its uDMA bytes, those read from L3's flash (the rest: HyperRAM)"},
        {"l3_bytes_in", Run, Count, "bytes", "bytes the uDMA brought L3 -> L2 (weights and activations)", Tracked},
        {"l3_bytes_out", Run, Count, "bytes", "bytes the uDMA wrote L2 -> L3", Tracked},
        {"l1_dma_bytes_in", Run, Count, "bytes", "bytes the cluster DMA brought L2 -> L1", Tracked},
        {"l1_dma_bytes_out", Run, Count, "bytes", "bytes the cluster DMA wrote back L1 -> L2", Tracked},
        {"l2_bytes_used", Run, Count, "bytes", "the highest L2 address the program's buffers reach (outputs are placed from the top down)"},
        {"l2_activation_peak_bytes", Run, Count, "bytes", "the most L2 the activations hold at once (staging and weight buffers excluded)"},
        {"l3_bytes_used", Run, Count, "bytes", "L3 RAM the program's buffers take"},
        {"cores", Run, Count, "", "the cluster's cores"},
        {"tiler", Run, Text, "", "the tiling objective (`dory`, `cost`, `energy`)"},
        {"kernel_calls", Run, Count, "", "kernel calls the cluster ran"},
        {"kernel_calls_reused", Run, Count, "", "of those, calls timed once and reused: the same kernel, shapes and operands' bank offsets, no DMA beside them"},
        {"core_instructions", Run, Count, "", "instructions the cores ran"},
        {"simd_macs", Run, Count, "MACs", "int8 MACs of SIMD dot products"},
        {"l1_core_accesses", Run, Count, "", "the cores' TCDM loads and stores"},
        {"l3_flash_bytes", Run, Count, "bytes", "uDMA bytes read from L3's flash"},
        kLayersVerified,
    },
    .statistic_notes = {
        {"type", Layer, "its `linear` is `fc`, its `pointwise` `conv`"},
        {"unit", Layer, "`cores`, `cluster_dma` for a gather of pixels (the DMA's copies alone), `udma` for an embedding (its row copies)"},
        {"bytes_in", Layer, "activations, and weights from the L3 image"},
        {"tiles", Layer, "its tiles"},
        {"predicted_cycles", Layer, "perf/pulp's timeline (the tiler's model, kernels' loop counts and DMA formulas) over the program's layers in order, channels and weight prefetch carried from layer to layer as the cluster carries them"},
        {"moveops", Run, "activation bytes the uDMA moved between L2 and L3's RAM, not the weights from the L3 image nor a network input or output that lives in L3"},
        {"offchip_level", Run, "`L3`"},
        {"offchip_bytes", Run, "`l3_bytes_in` + `l3_bytes_out`"},
    },
    .time_causes = {kPulpTimeCauses.begin(), kPulpTimeCauses.end()},
    .energy_components = perf::energy::pulp_components(),
  };
  // clang-format on
}

}  // namespace wb
