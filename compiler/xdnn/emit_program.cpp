#include "compiler/xdnn/emit_program.h"

#include <algorithm>
#include <utility>

#include "compiler/xdnn/ddr_layout.h"
#include "compiler/xdnn/weight_packing.h"
#include "compiler/xdnn/weight_staging.h"
#include "isa/xdnn_program.h"

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
    for (const auto d : t.source_shape) io->add_source_shape(d);  // tokens given as [1, T, C]
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
    for (const auto d : t.source_shape) io->add_source_shape(d);  // tokens read back as [1, T, C]
    *io->mutable_region() = ddr.region(output);
    io->set_scale(t.scale);
    io->set_bits(static_cast<std::uint32_t>(t.bits));
  }
}

// Constant operands get their homes first after the weights, and the weights blob, loaded at
// DDR address 0 before the run, grows to carry their integers there: the compact home layout
// (channels innermost, as a network input's), little-endian 8- or 16-bit elements.
void place_constants(const quant::QGraph& graph, const BufferPlan& plan, DdrLayout& ddr, std::string& blob) {
  for (std::size_t b = 0; b < plan.buffers.size(); ++b) {
    const Buffer& buffer = plan.buffers[b];
    if (!buffer.constant) continue;
    const std::uint64_t home = ddr.home(static_cast<int>(b));
    const isa::xdnn::TensorLayout layout = ddr.home_layout(static_cast<int>(b));
    const std::vector<std::int64_t> values = graph.tensor(buffer.tensor).data.to_int64_vector();
    const std::uint64_t eb = layout.element_bytes();
    blob.resize(std::max<std::size_t>(blob.size(), home + isa::xdnn::buffer_bytes(layout)), '\0');
    std::size_t i = 0;  // NCHW order of the constant's integers
    for (std::uint32_t c = 0; c < buffer.channels; ++c) {
      for (std::uint32_t h = 0; h < buffer.height; ++h) {
        for (std::uint32_t w = 0; w < buffer.width; ++w, ++i) {
          const std::uint64_t at = home + isa::xdnn::element_offset(layout, c, h, w);
          const auto v = static_cast<std::uint64_t>(values.at(i));
          for (std::uint64_t byte = 0; byte < eb; ++byte) blob[at + byte] = static_cast<char>((v >> (8 * byte)) & 0xff);
        }
      }
    }
  }
}

}  // namespace

EmittedProgram emit_program(const EmitInputs& inputs) {
  PackedWeights weights = pack_weights(inputs.graph, inputs.mapping, inputs.plan, inputs.schedule, inputs.config.xdnn());
  const std::vector<StagedBlock> staged = inputs.options.weight_staging ? plan_staging(inputs, weights)
                                                                        : std::vector<StagedBlock>{};
  DdrLayout ddr(inputs.graph, inputs.mapping, inputs.plan, weights.blob.size());
  place_constants(inputs.graph, inputs.plan, ddr, weights.blob);
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
