#pragma once
// Patch-based execution of a network's first layers (as MCUNetV2; docs/pulp.md, "The patch
// stage"): where the early feature maps do not fit L2 layer by layer, each goes to L3 and back.
// A patch stage runs mapping layers [first, last] band by band instead: a band is some rows of
// the last layer's output, and each layer computes, per band, the new rows of its output the
// band needs. Its output lives in an L2 ring of rows holding the rows a band reads (row r at
// slot r % rows; a tile's copies wrap around it in two), so no intermediate of the stage
// reaches L3. The rows a window of the next band reads again (the halo) stay in the ring and
// are not recomputed: each output row of each layer is computed once. The stage is one program layer (its steps each layer's tiles,
// band by band); the last layer's output is the stage's, homed as any layer's.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <vector>

#include "compiler/pulp/compile_options.h"
#include "compiler/pulp/layer_mapping.h"
#include "compiler/pulp/layer_plan.h"
#include "compiler/quant/qgraph.h"
#include "isa/pulp.pb.h"

namespace wb::pulp {

struct StageExtent {
  std::size_t first = 0, last = 0;
  bool contains(std::size_t i) const { return i >= first && i <= last; }
};

// A stage plan_memory was asked for that cannot run as planned (its output or band buffers do
// not fit L2, no band size carries its halos): plan again without it.
struct PatchStageInfeasible : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Whether a layer may run in a patch stage: a convolution (standard, depthwise, pointwise,
// grouped), a max or average pool, a table lookup or an ADD, whose output rows come from a window
// of input rows.
bool runs_in_patch_stage(isa::pulp::KernelKind kind);

// The stages `apart` (the network planned without one) asks for, the preferred first: from the
// first layer, over the layers that may run in a stage and read only the network's inputs homed
// in L2 or what the layers before them wrote (no concat slice, no network output before the
// last), to an end after which no tensor made in the stage is read. Preferred: the first such
// end at or after the last layer that reads a tensor from L3, then on while the next end makes a
// smaller output. Then every narrower end that still takes a layer reading from L3, widest
// first (a stage that keeps some L3 traffic but fits L2 where the wider ones do not). None when
// no such layer reads from L3. A stage whose network inputs, output and weights alone exceed
// `l2_bytes` is left out (it cannot plan; trying would cost a whole memory plan).
std::vector<StageExtent> patch_stage_extents(const quant::QGraph& graph, const LayerMapping& mapping,
                                             const MemoryPlan& apart, std::uint64_t l2_bytes);

// The preferred one of patch_stage_extents, if any.
std::optional<StageExtent> patch_stage_extent(const quant::QGraph& graph, const LayerMapping& mapping,
                                              const MemoryPlan& apart, std::uint64_t l2_bytes);

// Each stage layer's rows per band, for bands of `band_rows` rows of the last layer's output
// ([layer - first][band]): a layer needs the rows its consumers' new rows read and computes
// those no band before computed. A ring of the most rows a band needs holds every row a band
// reads: a row is overwritten only by one `ring` rows later, which no band computes while it
// still reads the first.
std::vector<std::vector<BandRows>> stage_band_rows(const LayerMapping& mapping, const std::vector<LayerShape>& shapes,
                                                   StageExtent extent, std::uint32_t band_rows);

// plan.patch_stage as one program layer (without the next layer's weight prefetch).
isa::pulp::Layer emit_patch_stage(const quant::QGraph& graph, const LayerMapping& mapping, const MemoryPlan& plan,
                                  TilerObjective objective);

}  // namespace wb::pulp
