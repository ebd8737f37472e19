#include "compiler/xdnn/emit_program.h"

#include <algorithm>
#include <utility>

#include "compiler/xdnn/ddr_layout.h"
#include "compiler/xdnn/weight_packing.h"
#include "compiler/xdnn/weight_staging.h"

namespace wb::xdnn {

namespace {

// Every conv the array runs from DDR weights (not on the host, not streaming its input) is a
// candidate, its blocks in load order.
std::vector<StagedBlock> plan_staging(const EmitInputs& in, const PackedWeights& weights) {
  std::vector<StagingCandidate> candidates;
  for (const int l : in.schedule.order) {
    const XLayer& layer = in.mapping.layers[static_cast<std::size_t>(l)];
    const ConvWeights& cw = weights.convs[static_cast<std::size_t>(l)];
    if (layer.kind != XLayerKind::Conv || layer.on_host || streams_input(in.graph, in.mapping, in.plan, layer) ||
        cw.blocks.empty()) {
      continue;
    }
    StagingCandidate c{l, {}, layer.macs};
    for (const WeightBlock& b : cw.blocks) c.block_bytes.push_back(b.bytes);
    candidates.push_back(std::move(c));
  }
  return plan_weight_staging(in.plan, in.schedule, in.allocation, candidates, staging_rates(in.config),
                             static_cast<std::uint64_t>(in.config.xdnn().am_bytes));
}

void add_io(const quant::QGraph& graph, const LayerMapping& mapping, const BufferPlan& plan, DdrLayout& ddr,
            isa::xdnn::Program& program) {
  for (const int input : graph.inputs) {
    const auto& t = graph.tensor(input);
    const int b = buffer_of(plan, mapping, input);
    auto* io = program.add_inputs();
    io->set_name(t.name);
    for (const auto d : t.shape) io->add_shape(d);
    io->mutable_region()->set_memory(isa::xdnn::MEMORY_DDR);
    io->mutable_region()->set_address(ddr.home(b));
    *io->mutable_region()->mutable_layout() = ddr.home_layout(b);
    io->set_scale(t.scale);
    io->set_bits(static_cast<std::uint32_t>(t.bits));
  }
  for (const int output : graph.outputs) {
    const auto& t = graph.tensor(output);
    auto* io = program.add_outputs();
    io->set_name(t.name);
    for (const auto d : t.shape) io->add_shape(d);
    *io->mutable_region() = ddr.region(output);
    io->set_scale(t.scale);
    io->set_bits(static_cast<std::uint32_t>(t.bits));
  }
}

}  // namespace

EmittedProgram emit_program(const EmitInputs& inputs) {
  PackedWeights weights = pack_weights(inputs.graph, inputs.mapping, inputs.plan, inputs.schedule, inputs.config.xdnn());
  const std::vector<StagedBlock> staged = inputs.options.weight_staging ? plan_staging(inputs, weights)
                                                                        : std::vector<StagedBlock>{};
  DdrLayout ddr(inputs.graph, inputs.mapping, inputs.plan, weights.blob.size());
  EmittedProgram emitted = emit_instructions(inputs, weights, staged, ddr);
  isa::xdnn::Program& program = emitted.program;
  add_io(inputs.graph, inputs.mapping, inputs.plan, ddr, program);
  program.set_weights_address(0);
  program.set_weights(std::move(weights.blob));
  program.set_ddr_bytes_used(std::max<std::uint64_t>(ddr.bytes_used(), 1));
  emitted.stats.instructions = static_cast<std::uint64_t>(program.instrs_size());
  return emitted;
}

}  // namespace wb::xdnn
