// Over the house's ~600 lines (~700): the walk of the schedule into instructions is one pass
// whose dependency flags, filter-cache ring, DDR-current tracking and traffic counts share its
// state (the copies of concats, gathers and pixel copies use all of it); the field builders
// (instruction_fields), weight packing and DDR layout are already apart.
#include "compiler/xdnn/emit_instructions.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <map>
#include <numeric>
#include <stdexcept>
#include <utility>

#include "compiler/quant/qgraph_queries.h"
#include "compiler/xdnn/hazards.h"
#include "compiler/xdnn/instruction_fields.h"
#include "compiler/xdnn/row_tiling.h"
#include "isa/xdnn_program.h"
#include "support/error.h"

namespace wb::xdnn {

namespace {

using isa::xdnn::Instr;
using isa::xdnn::Region;
using quant::QNode;

std::uint32_t dim(const quant::QTensor& t, std::size_t i) {
  return i < t.shape.size() ? static_cast<std::uint32_t>(t.shape[i]) : 1U;
}

// The output rows an instruction computes, and the rows its input and output regions start
// at (0: the whole tensor).
struct StripeRows {
  RowRange rows;
  std::uint32_t input_row_offset = 0, output_row_offset = 0;
};

class InstructionEmitter {
 public:
  InstructionEmitter(const EmitInputs& in, const PackedWeights& weights, const std::vector<StagedBlock>& staged,
                     DdrLayout& ddr)
      : graph_(in.graph), mapping_(in.mapping), plan_(in.plan), schedule_(in.schedule), allocation_(in.allocation),
        hw_(in.config.xdnn()), options_(in.options), weights_(weights), staged_(staged), ddr_(ddr),
        ddr_current_(in.plan.buffers.size(), false) {
    out_.layer_stats.assign(mapping_.layers.size(), {});
    // A network input's home holds it from the start, and no layer writes an input.
    for (std::size_t b = 0; b < plan_.buffers.size(); ++b) ddr_current_[b] = plan_.buffers[b].network_input;
    for (const StagedBlock& s : staged_) staged_address_[{s.layer, s.block}] = s.am_address;
  }

  EmittedProgram run() {
    for (std::size_t s = 0; s < schedule_.order.size(); ++s) {
      const int l = schedule_.order[s];
      const XLayer& layer = mapping_.layers[static_cast<std::size_t>(l)];
      const AllocationStep& step = allocation_.steps[s];
      for (const Transfer& t : step.before) transfer(t, l);
      if (plan_.tiling.count(l) != 0) {
        emit_tiled(l, s);
      } else switch (layer.kind) {
        case XLayerKind::Conv: emit_conv(l, s); break;
        case XLayerKind::Pool: emit_pool(l, s); break;
        case XLayerKind::Eltwise: emit_eltwise(l, s); break;
        case XLayerKind::Concat: emit_concat(l, s); break;
        case XLayerKind::HostElementwise: emit_host_elementwise(l, s); break;
        case XLayerKind::ChannelGather: emit_channel_gather(l, s); break;
        case XLayerKind::PixelCopy: emit_pixel_copy(l, s); break;
      }
      // A host layer wrote its result to the home and brought it back: AM and DDR agree. Any
      // other layer changed only AM.
      ddr_current_[static_cast<std::size_t>(buffer_of(layer.output))] = layer.on_host;
      // After the layer's own instructions, so issuing them does not delay it.
      for (const StagedBlock& staged : staged_) {
        if (staged.upload_step == static_cast<int>(s)) upload_staged_block(staged);
      }
      for (const Transfer& t : step.after) transfer(t, l);
      add_layer_record(l, s);
    }
    return std::move(out_);
  }

 private:
  // --- regions -----------------------------------------------------------------------
  int buffer_of(int tensor) const { return xdnn::buffer_of(plan_, mapping_, tensor); }
  bool ddr_resident(int buffer) const { return plan_.buffers[static_cast<std::size_t>(buffer)].ddr_resident; }
  bool streams_input(const XLayer& layer) const { return xdnn::streams_input(graph_, mapping_, plan_, layer); }

  Region am_region(int tensor, std::size_t step) const {
    Region r;
    r.set_memory(isa::xdnn::MEMORY_AM);
    r.set_address(allocation_.steps[step].address.at(buffer_of(tensor)));
    *r.mutable_layout() = tensor_layout(graph_, mapping_, plan_, tensor);
    return r;
  }

  // Rows `rows` of `tensor` in AM stripe buffer `slot`.
  Region stripe_region(int tensor, int slot, std::size_t s, RowRange rows) const {
    Region r;
    r.set_memory(isa::xdnn::MEMORY_AM);
    r.set_address(allocation_.steps[s].address.at(slot));
    *r.mutable_layout() = tensor_layout(graph_, mapping_, plan_, tensor);
    r.mutable_layout()->set_height(rows.size());
    return r;
  }

  // --- the instruction stream ----------------------------------------------------------
  void push(Instr instr, Unit unit, int layer) {
    *instr.mutable_wait() = hazards_.add(unit, isa::xdnn::instruction_accesses(instr));
    instr.set_id(static_cast<std::uint32_t>(out_.program.instrs_size()));
    instr.set_layer(mapping_.layers[static_cast<std::size_t>(layer)].name);
    *out_.program.add_instrs() = std::move(instr);
    ++layer_stats(layer).instructions;
  }

  LayerEmitStats& layer_stats(int layer) { return out_.layer_stats[static_cast<std::size_t>(layer)]; }

  // A whole buffer between its DDR home and AM. A host elementwise layer's buffer whose home
  // already holds what AM holds (a network input, the result of a host layer, a buffer
  // downloaded since it was last written) is not downloaded again, for the host or as a
  // network output; spills go as the allocation planned them.
  void transfer(const Transfer& t, int layer) {
    const Buffer& buffer = plan_.buffers[static_cast<std::size_t>(t.buffer)];
    const bool up = t.kind == Transfer::Kind::Upload;
    if (!up) {
      const auto b = static_cast<std::size_t>(t.buffer);
      if (!t.spill && ddr_current_[b] && ddr_.host_elementwise_operand(t.buffer)) return;
      ddr_current_[b] = true;
    }
    push_copies(ddr_.home_copies(t.kind, t.buffer, t.am_address, {0, buffer.height}, 0,
                                 buffer_layout(plan_, buffer).buffer_channels()),
                up, t.spill, layer);
  }

  // Issues activation copies on the upload or download unit, counted as layer `layer`'s
  // traffic: intermediate (a spill, a stripe) or the network's input and output.
  void push_copies(std::vector<isa::xdnn::Copy> copies, bool up, bool intermediate, int layer) {
    std::uint64_t moved = 0;
    for (isa::xdnn::Copy& copy : copies) {
      copy.set_intermediate(intermediate);
      Instr instr;
      moved += isa::xdnn::copy_bytes(copy);
      if (up) {
        *instr.mutable_upload() = copy;
      } else {
        *instr.mutable_download() = copy;
      }
      push(std::move(instr), up ? Unit::Upload : Unit::Download, layer);
    }
    out_.stats.activation_bytes += moved;
    (intermediate ? out_.stats.spill_bytes : out_.stats.input_output_bytes) += moved;
    auto& ls = layer_stats(layer);
    (up ? ls.upload_bytes : ls.download_bytes) += moved;
  }

  void count_streamed_input(int l, const Region& input_region) {
    const std::uint64_t bytes = isa::xdnn::buffer_bytes(input_region.layout());
    out_.stats.activation_bytes += bytes;
    out_.stats.input_output_bytes += bytes;
    layer_stats(l).upload_bytes += bytes;
  }

  // --- weights -----------------------------------------------------------------------
  // One upload per block, so the DDR channel alternates between them and the running layers'
  // own weight loads. Counted as the staged layer's weight traffic, as its later load from AM
  // is not.
  void upload_staged_block(const StagedBlock& staged) {
    const WeightBlock& block =
        weights_.convs[static_cast<std::size_t>(staged.layer)].blocks[static_cast<std::size_t>(staged.block)];
    isa::xdnn::Copy up = isa::xdnn::linear_copy(isa::xdnn::MEMORY_DDR, block.ddr_address, isa::xdnn::MEMORY_AM,
                                                staged.am_address, block.bytes);
    up.set_staged_weights(true);
    Instr instr;
    *instr.mutable_upload() = up;
    push(std::move(instr), Unit::Upload, staged.layer);
    out_.stats.weight_bytes += block.bytes;
    out_.stats.staged_weight_bytes += block.bytes;
    layer_stats(staged.layer).weight_bytes += block.bytes;
  }

  // Loads a block's weights into the filter cache (its address), or for the host returns
  // the weights' DDR address.
  // `whole`: the block fills every DSP's weight memory (its conv runs without ping-pong), so its
  // load waits for every conv before it and no load runs beside its conv (the accesses say so).
  std::uint64_t load_block(int l, std::size_t index, const WeightBlock& block, bool on_host, bool whole) {
    if (on_host) return block.ddr_address;
    const auto staged = staged_address_.find({l, static_cast<int>(index)});
    // The filter cache is a ring of blocks: the weight loader runs ahead of the array by as
    // many blocks as fit (two at least: ping-pong). Without ping-pong every block goes to
    // address 0, so each load waits for the conv before it.
    std::uint64_t filter_address = 0;
    if (options_.weight_pingpong && !whole) {
      if (filter_cursor_ + block.bytes > static_cast<std::uint64_t>(hw_.filter_cache_bytes)) filter_cursor_ = 0;
      filter_address = filter_cursor_;
      filter_cursor_ += block.bytes;
    }
    Instr instr;
    *instr.mutable_load_weights() =
        staged == staged_address_.end()
            ? isa::xdnn::linear_copy(isa::xdnn::MEMORY_DDR, block.ddr_address, isa::xdnn::MEMORY_FILTER_CACHE,
                                     filter_address, block.bytes)
            : isa::xdnn::linear_copy(isa::xdnn::MEMORY_AM, staged->second, isa::xdnn::MEMORY_FILTER_CACHE,
                                     filter_address, block.bytes);
    instr.mutable_load_weights()->set_without_pingpong(whole);
    push(std::move(instr), Unit::Weights, l);
    if (staged == staged_address_.end()) {
      out_.stats.weight_bytes += block.bytes;
      layer_stats(l).weight_bytes += block.bytes;
    }
    return filter_address;
  }

  // --- layers ------------------------------------------------------------------------
  // One conv instruction: a block of output channels over the stripe's output rows, after
  // the load of its weights.
  void emit_conv_block(int l, std::size_t index, const WeightBlock& block, const Region& input_region,
                       const Region& output_region, const StripeRows& stripe) {
    const XLayer& layer = mapping_.layers[static_cast<std::size_t>(l)];
    const QNode& node = graph_.nodes[static_cast<std::size_t>(layer.conv_node)];
    const ConvWeights& cw = weights_.convs[static_cast<std::size_t>(l)];
    const auto& in_t = graph_.tensor(resolve_alias(mapping_, node.inputs[0]));
    const auto& conv_out = graph_.tensor(node.output);
    const std::uint32_t cout = dim(conv_out, 1);
    const bool fc = in_t.shape.size() == 2;
    const std::uint32_t groups_in_block = cw.groups == 1 ? 1 : (block.co_end - block.co_begin) / cw.cout_g;
    const std::uint32_t first_group = cw.groups == 1 ? 0 : block.co_begin / cw.cout_g;
    ++layer_stats(l).channel_blocks;

    isa::xdnn::Conv conv;
    *conv.mutable_input() = input_region;
    if (cw.groups > 1) {
      auto* in_layout = conv.mutable_input()->mutable_layout();
      in_layout->set_channel_offset(in_layout->channel_offset() + first_group * cw.cin_g);
      in_layout->set_channels(groups_in_block * cw.cin_g);
    }
    *conv.mutable_output() = output_region;
    auto* out_layout = conv.mutable_output()->mutable_layout();
    out_layout->set_channel_offset(out_layout->channel_offset() + block.co_begin);
    out_layout->set_channels(block.co_end - block.co_begin);
    *conv.mutable_window() = window_of(node);
    conv.set_groups(groups_in_block);
    conv.set_weight_bytes(cw.weight_bytes);
    if (!node.bias.empty()) {
      const auto bias = node.bias.to_int64_vector();
      for (std::uint32_t c = block.co_begin; c < block.co_end; ++c) conv.add_bias(static_cast<std::int32_t>(bias[c]));
    }
    *conv.mutable_requant() = requant_of(node.requant, block.co_begin, block.co_end, cout);
    if (layer.pool_node >= 0) {
      const QNode& pool = graph_.nodes[static_cast<std::size_t>(layer.pool_node)];
      auto* p = conv.mutable_pipelined_pool();
      p->set_kind(pool.kind == quant::QOpKind::MaxPool ? isa::xdnn::POOL_MAX : isa::xdnn::POOL_AVG);
      *p->mutable_window() = window_of(pool);
      if (pool.kind == quant::QOpKind::AvgPool) {
        *p->mutable_requant() = requant_of(pool.requant, block.co_begin, block.co_end, cout);
      }
    }
    conv.set_row_begin(stripe.rows.begin);
    conv.set_row_end(stripe.rows.end);
    conv.set_input_row_offset(stripe.input_row_offset);
    conv.set_output_row_offset(stripe.output_row_offset);
    conv.set_conv_height(conv_out.shape.size() == 4 ? dim(conv_out, 2) : 1);
    conv.set_conv_width(conv_out.shape.size() == 4 ? dim(conv_out, 3) : 1);
    conv.set_input_height(fc ? 1 : dim(in_t, 2));
    conv.set_input_width(fc ? 1 : dim(in_t, 3));
    conv.set_on_host(layer.on_host);
    // More weights per DSP than half its weight memory: no ping-pong (ML Suite's DSPWgtCnt);
    // more than twice it: not even at half rate.
    const auto depth = static_cast<std::uint64_t>(hw_.array.weight_depth);
    const std::uint64_t per_dsp = isa::xdnn::weights_per_dsp(conv, static_cast<std::uint64_t>(hw_.array.rows));
    if (!layer.on_host && depth > 0 && per_dsp > 2 * depth) {
      throw UserError(fmt::format("layer '{}' needs {} weights per DSP, more than twice array.weight_depth = {} (half "
                                  "rate holds that many); raise array.weight_depth or array.rows",
                                  layer.name, per_dsp, depth));
    }
    conv.set_without_pingpong(!layer.on_host && depth > 0 && 2 * per_dsp > depth);
    conv.set_filter_address(load_block(l, index, block, layer.on_host, conv.without_pingpong()));
    Instr instr;
    *instr.mutable_conv() = std::move(conv);
    push(std::move(instr), layer.on_host ? Unit::Host : Unit::Conv, l);
  }

  void emit_conv(int l, std::size_t s) {
    const XLayer& layer = mapping_.layers[static_cast<std::size_t>(l)];
    const QNode& node = graph_.nodes[static_cast<std::size_t>(layer.conv_node)];
    const ConvWeights& cw = weights_.convs[static_cast<std::size_t>(l)];
    const int input = resolve_alias(mapping_, node.inputs[0]);
    const int in_buffer = buffer_of(input);
    Region input_region;
    Region output_region;
    if (layer.on_host) {
      // The host reads and writes DDR: bring the input out (unless it lives there) and the
      // result back (below).
      if (!ddr_resident(in_buffer)) {
        transfer({Transfer::Kind::Download, in_buffer, allocation_.steps[s].address.at(in_buffer), false}, l);
      }
      input_region = ddr_.region(input);
      output_region = ddr_.region(layer.output);
    } else if (plan_.buffers[static_cast<std::size_t>(in_buffer)].streamed) {
      input_region = ddr_.region(input);  // the tiling engine streams it from DDR
      count_streamed_input(l, input_region);
      output_region = am_region(layer.output, s);
    } else {
      input_region = am_region(input, s);
      output_region = am_region(layer.output, s);
    }
    for (std::size_t b = 0; b < cw.blocks.size(); ++b) {
      const WeightBlock& block = cw.blocks[b];
      emit_conv_block(l, b, block, input_region, output_region, {{0, output_rows(graph_, layer)}, 0, 0});
    }
    const int out_buffer = buffer_of(layer.output);
    if (layer.on_host && !ddr_resident(out_buffer)) {
      transfer({Transfer::Kind::Upload, out_buffer, allocation_.steps[s].address.at(out_buffer), false}, l);
    }
  }

  // A layer touching DDR-resident buffers (row_tiling.h), stripe by stripe: each
  // DDR-resident input's rows the stripe reads go up into its next stripe buffer, the layer's
  // instructions run over the stripe's output rows (a conv reloading its weight blocks), and
  // a DDR-resident output's rows go down to its home (only its own channels of a concat buffer).
  void emit_tiled(int l, std::size_t s) {
    const XLayer& layer = mapping_.layers[static_cast<std::size_t>(l)];
    const LayerTiling& tiling = plan_.tiling.at(l);
    const std::uint32_t height = output_rows(graph_, layer);
    const int output_buffer = buffer_of(layer.output);
    for (std::uint32_t k = 0; k < tiling.stripes; ++k) {
      const RowRange out{k * tiling.rows_per_stripe, std::min(height, (k + 1) * tiling.rows_per_stripe)};
      const auto slot_of = [&](int buffer) {
        const std::vector<int>& slots = tiling.slots.at(buffer);
        return slots[k % slots.size()];
      };
      std::map<int, RowRange> uploaded;  // DDR-resident input buffer -> rows brought up
      // The region of input `tensor` for this stripe, and the input row it starts at.
      const auto input = [&](int tensor) -> std::pair<Region, std::uint32_t> {
        tensor = resolve_alias(mapping_, tensor);
        const int b = buffer_of(tensor);
        if (plan_.buffers[static_cast<std::size_t>(b)].streamed) return {ddr_.region(tensor), 0};
        if (!ddr_resident(b)) return {am_region(tensor, s), 0};
        const RowRange rows = input_rows(graph_, layer, out, plan_.buffers[static_cast<std::size_t>(b)].height);
        if (uploaded.emplace(b, rows).second) {
          const std::uint32_t channels = buffer_layout(plan_, plan_.buffers[static_cast<std::size_t>(b)]).buffer_channels();
          push_copies(ddr_.home_copies(Transfer::Kind::Upload, b, allocation_.steps[s].address.at(slot_of(b)), rows, 0,
                                       channels),
                      true, !plan_.buffers[static_cast<std::size_t>(b)].network_input, l);
        }
        return {stripe_region(tensor, slot_of(b), s, rows), rows.begin};
      };
      const bool striped_output = ddr_resident(output_buffer);
      const Region output_region =
          striped_output ? stripe_region(layer.output, slot_of(output_buffer), s, out) : am_region(layer.output, s);
      const std::uint32_t output_row_offset = striped_output ? out.begin : 0;
      switch (layer.kind) {
        case XLayerKind::Conv: {
          const QNode& node = graph_.nodes[static_cast<std::size_t>(layer.conv_node)];
          const auto [input_region, input_row_offset] = input(node.inputs[0]);
          if (k == 0 && streams_input(layer)) count_streamed_input(l, input_region);
          const ConvWeights& cw = weights_.convs[static_cast<std::size_t>(l)];
          for (std::size_t b = 0; b < cw.blocks.size(); ++b) {
            emit_conv_block(l, b, cw.blocks[b], input_region, output_region,
                            {out, input_row_offset, output_row_offset});
          }
          break;
        }
        case XLayerKind::Pool: {
          const QNode& node = graph_.nodes[static_cast<std::size_t>(layer.pool_node)];
          const auto [input_region, input_row_offset] = input(node.inputs[0]);
          emit_pool_rows(l, input_region, output_region,
                         window_of_rows(node, out, input_row_offset, input_row_offset + input_region.layout().height()));
          break;
        }
        case XLayerKind::Eltwise: {
          const QNode& node = graph_.nodes[static_cast<std::size_t>(layer.eltwise_node)];
          emit_eltwise_regions(l, input(node.inputs[0]).first, input(node.inputs[1]).first, output_region);
          break;
        }
        default:
          throw std::logic_error("emit_tiled: only convs, pools and adds touch DDR-resident buffers (row_tiling)");
      }
      if (striped_output) {
        // The layer's own channels of a concat buffer; every copy of a replicated one.
        const isa::xdnn::TensorLayout slice = tensor_layout(graph_, mapping_, plan_, layer.output);
        const bool whole = slice.channel_offset() == 0 && slice.channels() * slice.replication() == slice.buffer_channels();
        push_copies(ddr_.home_copies(Transfer::Kind::Download, output_buffer, output_region.address(), out,
                                     slice.channel_offset(),
                                     whole ? slice.buffer_channels() : slice.channel_offset() + slice.channels()),
                    false, !plan_.buffers[static_cast<std::size_t>(output_buffer)].network_output, l);
      }
    }
  }

  // One AM -> DDR copy of `bytes` from `am_address` into fresh DDR scratch, counted as
  // layer l's intermediate traffic (a concat copy's or a gather's); returns the scratch address.
  std::uint64_t download_to_scratch(int l, std::uint64_t am_address, std::uint64_t bytes) {
    const std::uint64_t scratch = ddr_.scratch(bytes);
    isa::xdnn::Copy down = isa::xdnn::linear_copy(isa::xdnn::MEMORY_AM, am_address, isa::xdnn::MEMORY_DDR, scratch, bytes);
    down.set_intermediate(true);
    Instr instr;
    *instr.mutable_download() = down;
    push(std::move(instr), Unit::Download, l);
    out_.stats.activation_bytes += bytes;
    out_.stats.spill_bytes += bytes;
    layer_stats(l).download_bytes += bytes;
    return scratch;
  }

  // One DDR -> AM copy of `run` channels of every pixel: from `source`, laid out as `from` (its
  // rows that far apart), to `destination` in a buffer laid out as `to`; counted as layer l's
  // intermediate traffic (a concat copy's or a gather's).
  void upload_channel_run(int l, std::uint64_t source, const isa::xdnn::TensorLayout& from, std::uint64_t destination,
                          const isa::xdnn::TensorLayout& to, std::uint32_t run) {
    const std::uint64_t eb = to.element_bytes();
    const std::uint64_t pixel = std::uint64_t{to.section_channels()} * eb;
    isa::xdnn::Copy up;
    up.set_source_memory(isa::xdnn::MEMORY_DDR);
    up.set_source(source);
    up.set_destination_memory(isa::xdnn::MEMORY_AM);
    up.set_destination(destination);
    up.set_chunk_bytes(run * eb);
    up.set_count(to.width());
    up.set_rows(to.height());
    up.set_source_stride(pixel);
    up.set_destination_stride(pixel);
    up.set_source_row_stride(isa::xdnn::row_bytes(from));
    up.set_destination_row_stride(isa::xdnn::row_bytes(to));
    up.set_intermediate(true);
    Instr instr;
    *instr.mutable_upload() = up;
    const std::uint64_t moved = isa::xdnn::copy_bytes(up);
    push(std::move(instr), Unit::Upload, l);
    out_.stats.activation_bytes += moved;
    out_.stats.spill_bytes += moved;
    layer_stats(l).upload_bytes += moved;
  }

  // Concat without placement: each input's AM image goes to a DDR scratch area and comes
  // back into the concat's buffer at its channel offset, one 3-D gather per run of channels
  // that stays within one section on both sides.
  void emit_concat(int l, std::size_t s) {
    const XLayer& layer = mapping_.layers[static_cast<std::size_t>(l)];
    const QNode& node = graph_.nodes[static_cast<std::size_t>(layer.concat_node)];
    const Region target = am_region(layer.output, s);
    const isa::xdnn::TensorLayout& tl = target.layout();
    const std::uint64_t lanes = tl.section_channels();
    std::uint32_t offset = tl.channel_offset();
    for (const int raw : node.inputs) {
      const Region member = am_region(raw, s);
      const isa::xdnn::TensorLayout& ml = member.layout();
      const std::uint64_t image = isa::xdnn::buffer_bytes(ml);
      const std::uint64_t scratch = download_to_scratch(l, member.address(), image);
      std::uint32_t c = 0;
      while (c < ml.channels()) {
        const std::uint32_t src_channel = ml.channel_offset() + c, dst_channel = offset + c;
        const std::uint32_t run = std::min<std::uint32_t>(
            {static_cast<std::uint32_t>(lanes - src_channel % lanes), static_cast<std::uint32_t>(lanes - dst_channel % lanes),
             ml.channels() - c});
        isa::xdnn::TensorLayout whole = tl;
        whole.set_channel_offset(0);
        upload_channel_run(l, scratch + isa::xdnn::element_offset(ml, c, 0, 0), ml,
                           target.address() + isa::xdnn::element_offset(whole, dst_channel, 0, 0), tl, run);
        c += run;
      }
      offset += ml.channels();
    }
  }

  // A channel gather, y[:, c] = x[:, gather_channels[c]], the way a concat is copied: one
  // download of the AM sections of the input's buffer that hold gathered channels (contiguous
  // in AM, so one copy) to a DDR scratch area, then one 3-D upload per run, a maximal range of
  // output channels whose source channels are consecutive, split where it would cross an AM
  // section on either side, landing at its output channel (of a concat buffer, when placed).
  // The hazard tracker orders the download after the input's writers and the uploads before
  // the output's readers.
  void emit_channel_gather(int l, std::size_t s) {
    const XLayer& layer = mapping_.layers[static_cast<std::size_t>(l)];
    const QNode& node = graph_.nodes[static_cast<std::size_t>(layer.gather_node)];
    const Region source = am_region(node.inputs[0], s);
    const Region target = am_region(layer.output, s);
    const isa::xdnn::TensorLayout& sl = source.layout();
    const isa::xdnn::TensorLayout& tl = target.layout();
    if (sl.replication() != 1 || tl.replication() != 1) {
      throw std::logic_error("emit_channel_gather: a gather's buffers are never replicated (buffer_plan)");
    }
    const std::uint32_t lanes = tl.section_channels();
    const std::uint64_t section_bytes = std::uint64_t{sl.height()} * isa::xdnn::row_bytes(sl);
    const auto source_channel = [&](std::size_t c) {
      return sl.channel_offset() + static_cast<std::uint32_t>(node.gather_channels[c]);
    };
    std::uint32_t lowest = std::numeric_limits<std::uint32_t>::max(), highest = 0;
    for (std::size_t c = 0; c < node.gather_channels.size(); ++c) {
      lowest = std::min(lowest, source_channel(c));
      highest = std::max(highest, source_channel(c));
    }
    const std::uint64_t first_section = lowest / lanes;
    const std::uint64_t image = (highest / lanes - first_section + 1) * section_bytes;
    const std::uint64_t scratch = download_to_scratch(l, source.address() + first_section * section_bytes, image);
    isa::xdnn::TensorLayout whole_source = sl, whole_target = tl;
    whole_source.set_channel_offset(0);
    whole_target.set_channel_offset(0);
    const auto channels = static_cast<std::uint32_t>(node.gather_channels.size());
    std::uint32_t c = 0;
    while (c < channels) {
      const std::uint32_t src = source_channel(c), dst = tl.channel_offset() + c;
      std::uint32_t run = 1;
      while (c + run < channels && source_channel(c + run) == src + run && (src + run) % lanes != 0 &&
             (dst + run) % lanes != 0) {
        ++run;
      }
      upload_channel_run(l, scratch + isa::xdnn::element_offset(whole_source, src, 0, 0) - first_section * section_bytes,
                         sl, target.address() + isa::xdnn::element_offset(whole_target, dst, 0, 0), tl, run);
      c += run;
    }
  }

  // A PixelCopy: output pixel (h, w0 + w) = input pixel (h * sh, w * sw) of each input, its
  // (or, for tokens C x 1 (H W) read as the image C x H x W, each row of W tokens at its row),
  // channels whole: a concat along W (sh = sw = 1, w0 the input's offset), a 1x1 max pool
  // (w0 = 0, its strides) or a reshape C x H x W -> C x 1 x (H W) (input row h lands at
  // output pixel h W). An input whose DDR home holds it (a constant, a network input, a host
  // layer's result) is gathered from there; any other goes down to DDR scratch first as a
  // concat copy's does. One strided upload per run of channels inside one AM section. A pixel
  // gather (Swin's moved pixels) uploads each run of pixels that are consecutive in one row of
  // both the input and the output (a window's row) the same way.
  void emit_pixel_copy(int l, std::size_t s) {
    const XLayer& layer = mapping_.layers[static_cast<std::size_t>(l)];
    const QNode& node = graph_.nodes[static_cast<std::size_t>(layer.copy_node)];
    const bool pool = node.kind == quant::QOpKind::MaxPool;
    // A reshape C x H x W -> C x 1 x (H W): input row h lands at output pixel h W.
    const quant::QTensor& first_input = graph_.tensor(node.inputs[0]);
    const bool unflatten = node.kind == quant::QOpKind::Reshape && dim(first_input, 2) == 1;
    const bool flatten = node.kind == quant::QOpKind::Reshape && !unflatten;
    // A gather of pixels, or the tokens C x 1 (H W) back to the image C x H x W (every pixel in
    // its place: the runs are the image's rows).
    const bool gather = node.kind == quant::QOpKind::PixelGather || unflatten;
    std::vector<std::int64_t> pixels = node.gather_pixels;
    if (unflatten) {
      pixels.resize(quant::element_count(first_input) / dim(first_input, 1));
      std::iota(pixels.begin(), pixels.end(), 0);
    }
    const Region target = am_region(layer.output, s);
    isa::xdnn::TensorLayout to = target.layout();
    const std::uint32_t out_c0 = to.channel_offset();
    to.set_channel_offset(0);
    std::uint32_t w0 = 0;
    for (const int raw : node.inputs) {
      const int b = buffer_of(raw);
      const quant::QTensor& in_t = graph_.tensor(raw);
      const std::uint32_t in_width = dim(in_t, 3);
      const std::uint32_t in_c0 = tensor_layout(graph_, mapping_, plan_, raw).channel_offset();
      const bool from_home = ddr_current_[static_cast<std::size_t>(b)] || ddr_resident(b);
      isa::xdnn::TensorLayout from = from_home ? ddr_.home_layout(b) : buffer_layout(plan_, plan_.buffers[static_cast<std::size_t>(b)]);
      if (from.replication() != 1 || to.replication() != 1) {
        throw std::logic_error("emit_pixel_copy: a pixel copy's buffers are never replicated (buffer_plan)");
      }
      const std::uint64_t base =
          from_home ? ddr_.home(b)
                    : download_to_scratch(l, allocation_.steps[s].address.at(b), isa::xdnn::buffer_bytes(from));
      const std::uint32_t sh = pool ? static_cast<std::uint32_t>(node.strides[0]) : 1;
      const std::uint32_t sw = pool ? static_cast<std::uint32_t>(node.strides[1]) : 1;
      const std::uint32_t out_width = pool ? dim(graph_.tensor(layer.output), 3) : in_width;
      const std::uint32_t rows = flatten ? dim(in_t, 2) : to.height();
      const std::uint64_t to_pixel = std::uint64_t{to.section_channels()} * to.element_bytes();
      const std::uint32_t channels = dim(in_t, 1);
      std::uint32_t c = 0;
      // A constant comes up as a network input does; an activation's way back is moveops.
      const bool intermediate = !plan_.buffers[static_cast<std::size_t>(b)].network_input;
      const std::uint64_t from_pixel = std::uint64_t{from.section_channels()} * from.element_bytes();
      while (c < channels) {
        const std::uint32_t src = in_c0 + c, dst = out_c0 + c;
        const std::uint32_t run = std::min({from.section_channels() - src % from.section_channels(),
                                            to.section_channels() - dst % to.section_channels(), channels - c});
        isa::xdnn::Copy up;
        up.set_source_memory(isa::xdnn::MEMORY_DDR);
        up.set_destination_memory(isa::xdnn::MEMORY_AM);
        up.set_chunk_bytes(std::uint64_t{run} * to.element_bytes());
        up.set_intermediate(intermediate);
        if (gather) {
          for (const quant::PixelRun& r : quant::pixel_runs(pixels, in_width, dim(graph_.tensor(layer.output), 3))) {
            up.set_source(base + isa::xdnn::element_offset(from, src, r.from_row, r.from_column));
            up.set_destination(target.address() + isa::xdnn::element_offset(to, dst, r.to_row, r.to_column));
            up.set_count(r.length);
            up.set_rows(1);
            up.set_source_stride(from_pixel);
            up.set_destination_stride(to_pixel);
            up.set_source_row_stride(isa::xdnn::row_bytes(from));
            up.set_destination_row_stride(isa::xdnn::row_bytes(to));
            push_pixel_upload(l, up);
          }
          c += run;
          continue;
        }
        up.set_source(base + isa::xdnn::element_offset(from, src, 0, 0));
        up.set_destination(target.address() + isa::xdnn::element_offset(to, dst, 0, w0));
        up.set_count(out_width);
        up.set_rows(rows);
        up.set_source_stride(std::uint64_t{sw} * from_pixel);
        up.set_destination_stride(to_pixel);
        up.set_source_row_stride(std::uint64_t{sh} * isa::xdnn::row_bytes(from));
        up.set_destination_row_stride(flatten ? in_width * to_pixel : isa::xdnn::row_bytes(to));
        push_pixel_upload(l, up);
        c += run;
      }
      w0 += in_width;
    }
  }

  void push_pixel_upload(int l, const isa::xdnn::Copy& up) {
    const std::uint64_t moved = isa::xdnn::copy_bytes(up);
    Instr instr;
    *instr.mutable_upload() = up;
    push(std::move(instr), Unit::Upload, l);
    out_.stats.activation_bytes += moved;
    if (up.intermediate()) out_.stats.spill_bytes += moved;
    layer_stats(l).upload_bytes += moved;
  }

  void emit_pool(int l, std::size_t s) {
    const XLayer& layer = mapping_.layers[static_cast<std::size_t>(l)];
    const QNode& node = graph_.nodes[static_cast<std::size_t>(layer.pool_node)];
    emit_pool_rows(l, am_region(node.inputs[0], s), am_region(layer.output, s), window_of(node));
  }

  void emit_pool_rows(int l, const Region& input, const Region& output, const isa::xdnn::Window& window) {
    const XLayer& layer = mapping_.layers[static_cast<std::size_t>(l)];
    const QNode& node = graph_.nodes[static_cast<std::size_t>(layer.pool_node)];
    isa::xdnn::StandalonePool pool;
    *pool.mutable_input() = input;
    *pool.mutable_output() = output;
    auto* p = pool.mutable_pool();
    p->set_kind(node.kind == quant::QOpKind::MaxPool ? isa::xdnn::POOL_MAX : isa::xdnn::POOL_AVG);
    *p->mutable_window() = window;
    const std::uint32_t channels = dim(graph_.tensor(layer.output), 1);
    if (node.kind == quant::QOpKind::AvgPool) *p->mutable_requant() = requant_of(node.requant, 0, channels, channels);
    Instr instr;
    *instr.mutable_pool() = std::move(pool);
    push(std::move(instr), Unit::Pool, l);
  }

  void emit_eltwise(int l, std::size_t s) {
    const XLayer& layer = mapping_.layers[static_cast<std::size_t>(l)];
    const QNode& node = graph_.nodes[static_cast<std::size_t>(layer.eltwise_node)];
    emit_eltwise_regions(l, am_region(node.inputs[0], s), am_region(node.inputs[1], s), am_region(layer.output, s));
  }

  void emit_eltwise_regions(int l, const Region& a, const Region& b, const Region& output) {
    const XLayer& layer = mapping_.layers[static_cast<std::size_t>(l)];
    const QNode& node = graph_.nodes[static_cast<std::size_t>(layer.eltwise_node)];
    isa::xdnn::Eltwise add;
    *add.mutable_a() = a;
    *add.mutable_b() = b;
    *add.mutable_output() = output;
    for (const auto m : node.input_multiplier) add.add_input_multiplier(m);
    const std::uint32_t channels = dim(graph_.tensor(layer.output), 1);
    *add.mutable_requant() = requant_of(node.requant, 0, channels, channels);
    Instr instr;
    *instr.mutable_eltwise() = std::move(add);
    push(std::move(instr), Unit::Eltwise, l);
  }

  // A Lut, Mul, Softmax, Resize or LayerNorm on the host model, as a host conv: its operands go AM -> DDR, the host
  // reads and writes DDR, and the result comes back DDR -> AM (the hazard tracker orders the
  // three). An operand already in its home is not moved again (transfer), so consecutive
  // host layers do not bounce their tensors through AM, and an operand read twice (x * x)
  // goes down once.
  void emit_host_elementwise(int l, std::size_t s) {
    const XLayer& layer = mapping_.layers[static_cast<std::size_t>(l)];
    const QNode& node = graph_.nodes[static_cast<std::size_t>(layer.host_node)];
    for (const int input : node.inputs) {
      const int b = buffer_of(input);
      if (!ddr_resident(b)) transfer({Transfer::Kind::Download, b, allocation_.steps[s].address.at(b), false}, l);
    }
    isa::xdnn::HostElementwise host;
    *host.mutable_a() = ddr_.region(node.inputs[0]);
    *host.mutable_output() = ddr_.region(layer.output);
    if (node.kind == quant::QOpKind::Embedding) {
      host.set_kind(isa::xdnn::HOST_EMBEDDING);
      *host.mutable_a() = ddr_.region(node.inputs[1]);
      *host.mutable_b() = ddr_.region(node.inputs[0]);
    } else if (node.kind == quant::QOpKind::Lut) {
      host.set_kind(isa::xdnn::HOST_LUT);
      for (const std::int64_t entry : node.lut_table) host.add_table(static_cast<std::int32_t>(entry));
    } else if (node.kind == quant::QOpKind::Softmax) {
      // Over the keys of attention's [h, T, T'] scores: the W of each row of its image.
      host.set_kind(graph_.tensor(node.inputs[0]).shape.size() == 3 ? isa::xdnn::HOST_SOFTMAX_ROWS
                                                                      : isa::xdnn::HOST_SOFTMAX);
      for (const std::int64_t entry : node.softmax_exp_table) host.add_exp_table(static_cast<std::int32_t>(entry));
      for (const std::int64_t label : node.softmax_labels) host.add_softmax_labels(static_cast<std::int32_t>(label));
      if (node.softmax_causal) {
        host.set_softmax_causal_queries(static_cast<std::uint32_t>(graph_.tensor(node.inputs[0]).shape.at(1)));
        host.set_softmax_causal_offset(static_cast<std::uint32_t>(node.softmax_causal_offset));
      }
    } else if (node.kind == quant::QOpKind::HwcReshape) {
      host.set_kind(isa::xdnn::HOST_HWC_RESHAPE);
    } else if (node.kind == quant::QOpKind::LayerNorm) {
      host.set_kind(isa::xdnn::HOST_LAYERNORM);
      *host.mutable_layernorm() = layernorm_of(node.layernorm);
    } else if (node.kind == quant::QOpKind::Resize) {
      host.set_kind(isa::xdnn::HOST_RESIZE);
      for (const std::int64_t t : node.resize_rows) host.add_resize_rows(static_cast<std::int32_t>(t));
      for (const std::int64_t t : node.resize_cols) host.add_resize_cols(static_cast<std::int32_t>(t));
    } else if (node.kind == quant::QOpKind::MatMul) {
      host.set_kind(isa::xdnn::HOST_MATMUL);
      host.set_matmul_form(node.matmul_form == quant::MatMulForm::Scores ? isa::xdnn::MATMUL_SCORES
                                                                           : isa::xdnn::MATMUL_CONTEXT);
      host.set_matmul_heads(static_cast<std::uint32_t>(node.matmul_heads));
      if (node.matmul_windows > 1) host.set_matmul_windows(static_cast<std::uint32_t>(node.matmul_windows));
      for (std::int64_t i = 0; i < node.bias.numel(); ++i) host.add_matmul_bias(static_cast<std::int32_t>(node.bias.as_int64(i)));
      *host.mutable_b() = ddr_.region(node.inputs[1]);
      *host.mutable_requant() = requant_of(node.requant, 0, 1, 1);
    } else {
      host.set_kind(isa::xdnn::HOST_MUL);
      *host.mutable_b() = ddr_.region(node.inputs[1]);
      *host.mutable_requant() = requant_of(node.requant, 0, 1, 1);
    }
    Instr instr;
    *instr.mutable_host_elementwise() = std::move(host);
    push(std::move(instr), Unit::Host, l);
    const int out_buffer = buffer_of(layer.output);
    if (!ddr_resident(out_buffer)) {
      transfer({Transfer::Kind::Upload, out_buffer, allocation_.steps[s].address.at(out_buffer), false}, l);
    }
  }

  void add_layer_record(int l, std::size_t s) {
    const XLayer& layer = mapping_.layers[static_cast<std::size_t>(l)];
    auto* record = out_.program.add_layers();
    record->set_name(layer.name);
    record->set_type(layer.type);
    record->set_unit(layer_unit(layer));
    record->set_host_reason(layer.host_reason);
    record->set_macs(layer.macs);
    record->set_ops(layer.ops);
    record->set_output(graph_.tensor(layer.output).name);
    const bool in_ddr = ddr_resident(buffer_of(layer.output));
    *record->mutable_output_region() = in_ddr ? ddr_.region(layer.output) : am_region(layer.output, s);
    record->set_output_materialized(true);
    for (const int part : layer.output_parts) {
      auto* p = record->add_parts();
      p->set_output(graph_.tensor(part).name);
      *p->mutable_output_region() = in_ddr ? ddr_.region(part) : am_region(part, s);
    }
  }

  const quant::QGraph& graph_;
  const LayerMapping& mapping_;
  const BufferPlan& plan_;
  const Schedule& schedule_;
  const Allocation& allocation_;
  const XdnnParams& hw_;
  const CompileOptions& options_;
  const PackedWeights& weights_;
  const std::vector<StagedBlock>& staged_;                       // in upload order
  std::map<std::pair<int, int>, std::uint64_t> staged_address_;  // (layer, block) -> AM address
  DdrLayout& ddr_;
  EmittedProgram out_;
  HazardTracker hazards_;
  // The buffer's DDR home holds what AM holds (acted on for host elementwise buffers only,
  // so programs without a Lut, Mul or Softmax move what they always moved).
  std::vector<bool> ddr_current_;
  std::uint64_t filter_cursor_ = 0;
};

}  // namespace

EmittedProgram emit_instructions(const EmitInputs& inputs, const PackedWeights& weights,
                                 const std::vector<StagedBlock>& staged, DdrLayout& ddr) {
  return InstructionEmitter(inputs, weights, staged, ddr).run();
}

}  // namespace wb::xdnn
