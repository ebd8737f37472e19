#pragma once
// Scheduling: the order the layers run in. The layer DAG is cut into regions where a single
// buffer is live across the cut (a residual block, an inception module); within each region
// every topological order is enumerated (up to `schedule_budget` per region, and at most
// kScheduleWorkPerRegion layer placements per region: an unrolled RNN of thousands of layers
// explores fewer orders; depth first in a fixed order, so the result is deterministic) and
// the one with the smallest peak AM
// footprint is kept, as xfDNN's "Number of valid schedules ... best schedule and space".
// Ties go to the order that issues pool/eltwise layers earliest, so they overlap the array.
// Regions are independent: only one buffer crosses a cut, so the per-region optima make the
// global optimum.
//
// Pre: a BufferPlan of the mapping. Post: a topological order of all layers.

#include <cstdint>
#include <vector>

#include "compiler/xdnn/buffer_plan.h"

namespace wb::xdnn {

// Layer placements a region's search makes at most (each order it explores is evaluated over
// the whole network's layers): the full budget up to 1,024 layers (every network before the
// unrolled RNNs has fewer); a 2-layer bidirectional GRU over 49 steps (2,583 layers) compiles
// for v3_96 in 1.1 s instead of 2.0, a 2-layer bidirectional LSTM (3,209) in 1.2 s instead of 6.8.
inline constexpr std::uint64_t kScheduleWorkPerRegion = std::uint64_t{20000} * 1024;

struct Schedule {
  std::vector<int> order;          // layer indices
  std::uint64_t peak_bytes = 0;    // peak AM footprint of the live buffers over the order
  std::uint64_t default_peak_bytes = 0;  // of the QGraph's own order
  std::uint64_t valid_schedules = 0;     // orders explored, summed over the regions
  int regions = 0;
  int regions_truncated = 0;       // regions whose enumeration hit the budget
};

// Layer j depends on layer i when j reads channels of a buffer that i writes.
std::vector<std::vector<int>> layer_dependencies(const LayerMapping& mapping, const BufferPlan& plan,
                                                 const quant::QGraph& graph);

// Peak of sum(bytes of live buffers) over the steps of `order`. A buffer is live from its
// first writer's step (step 0 for network inputs) to its last reader's step (the end for
// network outputs).
std::uint64_t peak_footprint(const BufferPlan& plan, const std::vector<int>& order);

Schedule schedule_layers(const quant::QGraph& graph, const LayerMapping& mapping, const BufferPlan& plan,
                         bool search, std::size_t budget);

}  // namespace wb::xdnn
