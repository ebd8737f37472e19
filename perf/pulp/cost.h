#pragma once
// The PULP predictor's timing model: how many cycles a kernel call takes on each core, and how
// long a DMA or uDMA copy takes. compiler/pulp's tiler predicts with it (tiler=cost) and the
// report's `predicted_cycles` come from it; the cluster model (sim/pulp) measures with its own
// instructions and never calls it. The counts come from PULP-NN's inner loops (docs/pulp.md,
// "Timing model"; kernel_cycles.h).

#include <cstdint>
#include <vector>

#include "isa/hw_config.h"
#include "isa/pulp.pb.h"
#include "perf/pulp/kernel_cycles.h"

namespace wb::perf::pulp {

using isa::pulp::DmaCopy;
using isa::pulp::KernelCall;


// The cost of one kernel call on a cluster of `cores` cores (1..hw.cores).
struct KernelCost {
  std::vector<std::uint64_t> core_cycles;  // busy cycles of each core, 0 for an idle one
  std::vector<std::uint64_t> core_loads;   // L1 loads each core issues (bank conflicts)
  std::uint64_t conflict_cycles = 0;       // the slowest core's stalls on TCDM bank conflicts among cores
  std::uint64_t cycles = 0;                // dispatch + slowest core + conflicts + barrier
};

// Which cores get which work follows PULP-NN: rows (HO), pixels (HOWO) or output channels
// (CO) for conv/pointwise; channels for depthwise and the pools' CO; outputs for linear. A
// grouped conv splits as the conv does and runs PULP-NN's conv per group: per pixel pair and
// group, the im2col of the group's c_in / groups channels, the 4x2 blocks of its output
// channels over k_h * k_w * c_in / groups bytes, and the pixel pair's pointer updates
// (docs/pulp.md); with one group it costs exactly what the conv costs. LUT, MUL and GATHER
// split as the add does: output rows (HO) or channels (CO); docs/pulp.md derives their loops.
// SOFTMAX splits output rows whatever `parallel` says (a pixel's channels depend on each
// other; kernel validation refuses any other variant); no scratch: e[c] is looked up again in
// the division pass. MATMUL splits a's rows and runs the pointwise kernel's 4x2 over pairs of
// them; with matmul_b_by_rows each core first transposes its share of b's rows, and the call
// waits for the slowest transpose and a barrier before any product (docs/pulp.md, "MatMul"),
// unless matmul_b_transposed says an earlier call left the transposed copy: then neither.
// The instruction counts are kernel_cycles(hw)'s (HwConfig keys `predictor.*`, kernel_cycles.h).
KernelCost kernel_cost(const KernelCall& call, const PulpParams& hw, int cores);


// Extra cycles the cores lose when the cluster DMA writes L1 for `dma_busy_cycles` of a
// kernel that issues `loads_per_cycle` loads per core per cycle: the DMA occupies
// dma_bytes_per_cycle / 4 banks each cycle it moves data.
std::uint64_t dma_contention_cycles(std::uint64_t dma_busy_cycles, double loads_per_cycle, const PulpParams& hw);

// Loads per core per cycle of a cost (the slowest core's), for dma_contention_cycles.
double loads_per_cycle(const KernelCost& cost);

// One tile of DORY's layer loop on the cores, outside its kernel and DMA transfers
// (Tiling.dory_tile_loop): predictor.dory_tile_loop_depthwise for a depthwise layer's code,
// else predictor.dory_tile_loop.
std::uint64_t dory_tile_loop_cycles(isa::pulp::KernelKind kind, const PulpParams& hw);

// Cluster DMA (L2 <-> L1), a copy alone on its direction: the core programs one 2-D transfer
// per row (dma_command_cycles each), the first byte arrives after dma_latency_cycles, and every
// chunk moves as bursts of at most dma_burst_bytes at dma_bytes_per_cycle, a cycle of
// overhead per burst.
struct DmaCost {
  std::uint64_t issue_cycles = 0;  // core cycles spent programming the DMA
  std::uint64_t busy_cycles = 0;   // cycles the channel moves data (what contends)
  std::uint64_t cycles = 0;        // latency + busy: from issue to the last byte
};
DmaCost dma_cost(const DmaCopy& copy, const PulpParams& hw);

// uDMA L3 <-> L2: one transfer per contiguous run, each l3_latency_cycles plus its bytes at
// l3_bytes_per_cycle.
std::uint64_t l3_cycles(const DmaCopy& copy, const PulpParams& hw);


}  // namespace wb::perf::pulp
