#pragma once
// Instruction emission: the scheduled, allocated layers become xDNN instructions
// (isa/xdnn.proto), one layer after another in schedule order. Each conv runs block by block
// (weight_packing.h), each block's weights loaded into the filter cache, a ring the weight
// loader fills ahead of the array (ping-pong), or always at address 0 when ping-pong is off;
// staged blocks (weight_staging.h) are uploaded into AM after the layer their upload step
// names and loaded from there. Network inputs, outputs and spills move between DDR homes
// (ddr_layout.h) and AM as the allocation says; a host layer's operands go to DDR before it
// and its result comes back after it; a concat that is not placed and a channel gather go
// down to DDR scratch and come back run by run; a row-tiled layer runs stripe by stripe.
// Dependency flags come from the HazardTracker. Every instruction and every byte moved is
// counted for its layer.
//
// Pre: a schedule and an allocation of the plan, its weights packed and staging planned.
// Post: the program's instructions and layer records (emit_program.h adds the rest).

#include <cstdint>
#include <vector>

#include "compiler/quant/qgraph.h"
#include "compiler/xdnn/am_allocation.h"
#include "compiler/xdnn/buffer_plan.h"
#include "compiler/xdnn/compile_options.h"
#include "compiler/xdnn/ddr_layout.h"
#include "compiler/xdnn/layer_mapping.h"
#include "compiler/xdnn/schedule.h"
#include "compiler/xdnn/weight_packing.h"
#include "compiler/xdnn/weight_staging.h"
#include "isa/hw_config.h"
#include "isa/xdnn.pb.h"

namespace wb::xdnn {

// What emission reads: the network and the results of the compiler's steps before it.
struct EmitInputs {
  const quant::QGraph& graph;
  const LayerMapping& mapping;
  const BufferPlan& plan;
  const Schedule& schedule;
  const Allocation& allocation;
  const HwConfig& config;
  const CompileOptions& options;
};

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

struct EmittedProgram {
  isa::xdnn::Program program;
  EmitStats stats;
  std::vector<LayerEmitStats> layer_stats;  // by layer index
};

// `staged`: in upload order (plan_weight_staging). Homes and scratch areas are placed in
// `ddr` as the instructions first need them.
EmittedProgram emit_instructions(const EmitInputs& inputs, const PackedWeights& weights,
                                 const std::vector<StagedBlock>& staged, DdrLayout& ddr);

}  // namespace wb::xdnn
