#pragma once
// Weight staging: part of the weights of a layer that would wait on DDR is uploaded into AM
// that no buffer uses, during earlier layers that leave the DDR channel mostly idle, and
// loaded into the filter cache from AM when the layer runs, one AM word per cycle instead of
// over DDR (docs/xdnn.md, "Weight staging").
//
// A layer is weight-bound when its weights take longer over DDR than its MACs at the array's
// peak: weight bytes W / MACs M > B = D / P, D = ddr_bytes_per_cycle, P = rows x cols x
// macs_per_dsp_int8. The weight loader runs its DDR and its AM loads one after another, so with
// `a` bytes staged its time is (W - a) / D + a / R, R = array.rows bytes per cycle (one AM
// word): staging gains only where R > D (not on v2, whose 28- or 56-byte words are no faster
// than its DDR: nothing is staged there), and enough is a >= (W - M x B) / (1 - D / R), when the
// loader's time drops to the compute's. (M at the peak underestimates the compute, so the
// need is overestimated.)
//
// Uploads happen only before the first weight-bound layer, so none queues ahead of such a
// layer's own loads (a load waits for every earlier upload), and only as much as the DDR time
// those layers leave idle: a layer computing M MACs at the peak while its W weight bytes load
// leaves M x B - W bytes' worth.
//
// Which blocks: each layer's wanted blocks in bit-reversed index order (every prefix spread
// evenly over the layer, so the DDR loads of the others overlap the staged ones' compute),
// taken round by round, one block of each layer that wants more per round, the layers in order
// of weight bytes per MAC (equal ones in schedule order): when AM or the idle DDR time runs
// out, every weight-bound layer has had its share, rather than the first ones their
// overestimated need. Each block gets the lowest AM region free of every buffer (the
// allocation's addresses over their live intervals) and of the blocks already staged, from one
// step before its upload (so the upload need not wait for the layer before) to its use, with
// the earliest upload step for which one exists. A block no region fits loads from DDR.
//
// Pre: an allocation that placed each buffer at one address for its whole life (not `spill`:
// then nothing is staged). Post: regions disjoint in steps x addresses, inside am_bytes.

#include <cstdint>
#include <vector>

#include "compiler/xdnn/am_allocation.h"
#include "compiler/xdnn/buffer_plan.h"
#include "compiler/xdnn/schedule.h"

namespace wb::xdnn {

struct StagingCandidate {
  int layer = -1;
  std::vector<std::uint64_t> block_bytes;  // its weight blocks, in load order
  std::uint64_t macs = 0;
};

struct StagedBlock {
  int layer = -1;
  int block = 0;        // index into the candidate's block_bytes
  int upload_step = 0;  // uploaded before this step's layer runs
  int use_step = 0;     // the layer's own step
  std::uint64_t am_address = 0, bytes = 0;
};

// The three rates above, in bytes or MACs per cycle.
struct StagingRates {
  double ddr_bytes_per_cycle = 0;  // D
  double am_bytes_per_cycle = 0;   // R
  double peak_macs_per_cycle = 0;  // P
  double bound_bytes_per_mac() const { return ddr_bytes_per_cycle / peak_macs_per_cycle; }  // B
};
StagingRates staging_rates(const HwConfig& config);

// In upload order (by upload step, then use step, layer and block).
std::vector<StagedBlock> plan_weight_staging(const BufferPlan& plan, const Schedule& schedule,
                                               const Allocation& allocation,
                                               const std::vector<StagingCandidate>& candidates,
                                               const StagingRates& rates, std::uint64_t am_bytes);

}  // namespace wb::xdnn
