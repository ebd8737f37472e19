#pragma once
// Emission: the scheduled, allocated layers become xDNN instructions (isa/xdnn.proto).
// Each conv is split into output-channel blocks whose weights fit one half of the filter
// cache; each block's weights are loaded from DDR into alternating halves (ping-pong, so the
// next block's load overlaps this block's compute) or always the same half when ping-pong
// is off. Network inputs, outputs and spills move between DDR and AM as the allocation says;
// a host layer's operands go to DDR before it and its result comes back after it; a concat
// that is not placed and a channel gather go down to DDR and come back run by run.
// Dependency flags come from the HazardTracker. Weights, inputs, outputs and spill homes
// are laid out in DDR: weights first, then one home per buffer that needs one.
//
// Pre: a schedule and an allocation of the plan. Post: a complete Program (header filled
// in by the caller's hw fingerprint).

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/quant/qgraph.h"
#include "compiler/xdnn/am_allocation.h"
#include "compiler/xdnn/buffer_plan.h"
#include "compiler/xdnn/layer_mapping.h"
#include "compiler/xdnn/schedule.h"
#include "isa/hw_config.h"
#include "isa/xdnn.pb.h"

namespace wb::xdnn {

struct EmitStats {
  std::uint64_t weight_bytes = 0;       // weights over DDR (into the filter cache, or staged in AM)
  std::uint64_t staged_weight_bytes = 0;  // of which staged in AM ahead of their layer
  std::uint64_t activation_bytes = 0;   // DDR <-> AM activation bytes
  std::uint64_t input_output_bytes = 0; // of which network inputs and outputs, host layers' operands and results
  // of which intermediate activations (spills, refills, concat copies, channel gathers): the
  // copies marked `intermediate`, xfDNN's moveops
  std::uint64_t spill_bytes = 0;
  std::uint64_t instructions = 0;
};

struct LayerEmitStats {
  std::uint64_t instructions = 0;
  std::uint64_t weight_bytes = 0;
  std::uint64_t upload_bytes = 0, download_bytes = 0;
  std::uint32_t channel_blocks = 0;
};

isa::xdnn::Program emit_program(const quant::QGraph& graph, const LayerMapping& mapping, const BufferPlan& plan,
                                const Schedule& schedule, const Allocation& allocation, const HwConfig& config,
                                const CompileOptions& options, EmitStats& stats,
                                std::vector<LayerEmitStats>& layer_stats);

}  // namespace wb::xdnn
