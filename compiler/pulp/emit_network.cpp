#include "compiler/pulp/emit_network.h"

#include <algorithm>

#include "isa/pulp_program.h"

#include "compiler/pulp/fused_pair.h"
#include "compiler/pulp/patch_stage.h"
#include "compiler/pulp/self_tiled_layers.h"
#include "compiler/pulp/tile_copies.h"
#include "compiler/quant/qgraph_queries.h"
#include "support/math.h"

namespace wb::pulp {

namespace {

using isa::pulp::is_matmul;

using isa::pulp::DmaCopy;
using isa::pulp::linear_copy;
using isa::pulp::Memory;

constexpr std::uint64_t kAlign = 4;
std::uint64_t aligned(std::uint64_t v) { return align_up(v, kAlign); }

// The L1 buffers of a layer: two slots each when double-buffered.
struct L1Layout {
  std::uint64_t input[2]{}, input_b[2]{}, output[2]{}, weights[2]{}, bias[2]{}, im2col = 0, accumulator = 0, end = 0;
};

L1Layout layout_l1(const LayerPlan& lp) {
  const LayerShape& s = lp.shape;
  const TileChoice& t = lp.tile;
  const int slots = t.double_buffered ? 2 : 1;
  const std::uint64_t c_in = tile_input_channels(s, t);
  const std::uint64_t in_bytes = std::uint64_t{max_input_rows(s, t.h_out)} * max_input_cols(s, t.w_out) * c_in;
  const std::uint64_t out_bytes = std::uint64_t{t.c_out} * t.h_out * t.w_out;
  L1Layout l;
  std::uint64_t at = 0;
  const auto place = [&](std::uint64_t (&slot)[2], std::uint64_t bytes) {
    for (int i = 0; i < 2; ++i) {
      slot[i] = at;
      if (i < slots) at += aligned(bytes);
    }
  };
  place(l.input, in_bytes);
  if (has_second_operand(s.kind)) {
    place(l.input_b, second_operand_bytes(s, max_input_rows(s, t.h_out), max_input_cols(s, t.w_out),
                                          static_cast<std::uint32_t>(c_in)));
  }
  place(l.output, out_bytes);
  if (table_bytes(s) > 0) {
    // One table for every tile.
    l.weights[0] = l.weights[1] = at;
    at += aligned(table_bytes(s));
  }
  if (lp.has_weights) {
    const std::uint64_t window = std::uint64_t{s.k_h} * s.k_w;
    const std::uint64_t per_channel = s.kind == isa::pulp::KERNEL_DEPTHWISE      ? window
                                      : s.kind == isa::pulp::KERNEL_GROUPED_CONV ? window * s.group_c_in()
                                                                                 : window * c_in;
    place(l.weights, per_channel * t.c_out);
    place(l.bias, 4 * std::uint64_t{t.c_out});
  }
  l.im2col = at;
  at += aligned(t.im2col_bytes);
  l.accumulator = at;
  at += aligned(t.accumulator_bytes);
  l.end = at;
  return l;
}

// The requantisation of output channels [c0, c0 + cs).
isa::Requant requant_slice(const quant::Requant& r, std::uint32_t c0, std::uint32_t cs) {
  isa::Requant out;
  const auto slice = [&](const auto& values, auto* field) {
    if (values.size() <= 1) {
      for (const auto v : values) field->Add(v);
      return;
    }
    for (std::uint32_t c = c0; c < c0 + cs; ++c) field->Add(values[c]);
  };
  slice(r.multiplier, out.mutable_multiplier());
  slice(r.offset, out.mutable_offset());
  slice(r.shift, out.mutable_shift());
  out.set_lo(r.lo);
  out.set_hi(r.hi);
  out.set_intermediate_bits(static_cast<std::uint32_t>(r.intermediate_bits));
  return out;
}

}  // namespace

L2View view_of(const TensorHome& home, std::uint32_t width, std::uint32_t channels) {
  L2View v;
  v.address = home.address;
  v.width = width;
  v.channels = static_cast<std::uint32_t>(home.pixel_stride(channels));
  v.memory = home.memory;
  return v;
}

isa::pulp::KernelCall layer_kernel_call(const quant::QGraph& graph, const PLayer& layer, const LayerPlan& lp,
                                        const TileGeometry& g, const TileAddresses& at) {
  const quant::QNode& node = graph.nodes[static_cast<std::size_t>(layer.node)];
  isa::pulp::KernelCall call =
      tile_kernel_call(lp.shape, g, lp.tile.parallel, at, lp.tile.depthwise_plane, lp.tile.depthwise_chw);
  call.set_input_signed(graph.tensor(layer.inputs[0]).is_signed);
  call.set_output_signed(graph.tensor(layer.output).is_signed);
  call.set_has_bias(lp.has_weights);
  if (has_second_operand(lp.shape.kind)) call.set_input_b_signed(graph.tensor(layer.inputs[1]).is_signed);
  if (lp.shape.kind == isa::pulp::KERNEL_ADD) {
    for (const auto m : node.input_multiplier) call.add_input_multiplier(m);
  }
  if (lp.shape.kind == isa::pulp::KERNEL_LAYERNORM) {
    call.set_layernorm_shift(static_cast<std::uint32_t>(node.layernorm.shift));
    call.set_layernorm_eps_mantissa(node.layernorm.eps_mantissa);
    call.set_layernorm_eps_exponent(node.layernorm.eps_exponent);
    call.set_layernorm_eps_ceil(node.layernorm.eps_ceil);
    call.set_layernorm_rms(node.layernorm.rms);
  }
  // The max pool, the table lookup, the gather, the softmax, the resize and the layernorm (its
  // own scaling) have no requantisation.
  if (lp.shape.kind != isa::pulp::KERNEL_MAXPOOL && lp.shape.kind != isa::pulp::KERNEL_LUT &&
      lp.shape.kind != isa::pulp::KERNEL_GATHER && lp.shape.kind != isa::pulp::KERNEL_SOFTMAX &&
      lp.shape.kind != isa::pulp::KERNEL_RESIZE && lp.shape.kind != isa::pulp::KERNEL_LAYERNORM) {
    *call.mutable_requant() = requant_slice(node.requant, g.c_begin, g.c_size);
  }
  return call;
}

namespace {

struct TileRef {
  TileGeometry g;
  bool new_input = false, new_weights = false;
  bool writes = true;  // the last input-channel tile writes the output
};

class LayerEmitter {
 public:
  LayerEmitter(const quant::QGraph& graph, const PLayer& layer, const LayerPlan& lp, const MemoryPlan& plan,
               isa::pulp::Layer& out)
      : graph_(graph), layer_(layer), lp_(lp), plan_(plan), out_(out), l1_(layout_l1(lp)) {}

  void emit() {
    const LayerShape& s = lp_.shape;
    for (std::uint32_t r0 = 0; r0 < s.h_out; r0 += lp_.chunk_h_out) {
      for (std::uint32_t c0 = 0; c0 < s.c_out; c0 += lp_.chunk_c_out) {
        chunks_.push_back({r0, std::min(lp_.chunk_h_out, s.h_out - r0), c0, std::min(lp_.chunk_c_out, s.c_out - c0)});
      }
    }
    for (std::size_t q = 0; q < chunks_.size(); ++q) emit_chunk(q);
  }

  void emit_band(const BandChunk& band) {
    band_ = &band;
    chunks_ = {{band.r0, band.rows, 0, lp_.shape.c_out}};
    emit_chunk(0);
  }

 private:
  struct Chunk {
    std::uint32_t r0, rows, c0, cs;
  };

  // L3 -> L2 copies of the weights and bias of output channels [c0, c0 + cs) into `buffer`.
  std::vector<DmaCopy> weight_copies(std::uint32_t c0, std::uint32_t cs, std::uint64_t buffer) const {
    const LayerShape& s = lp_.shape;
    return {linear_copy(isa::pulp::MEMORY_L3, lp_.weights_l3 + c0 * lp_.weights_per_channel, isa::pulp::MEMORY_L2,
                        buffer, std::uint64_t{cs} * lp_.weights_per_channel),
            linear_copy(isa::pulp::MEMORY_L3, lp_.weights_l3 + std::uint64_t{s.c_out} * lp_.weights_per_channel + 4 * c0,
                        isa::pulp::MEMORY_L2, buffer + std::uint64_t{lp_.chunk_c_out} * lp_.weights_per_channel,
                        4 * std::uint64_t{cs})};
  }

  std::uint64_t weight_buffer(std::size_t q) const {
    return lp_.weights_double_buffered && q % 2 == 1 ? lp_.weights_address_alt : lp_.weights_address;
  }

  // A chunk's tiles: rows, then columns, then channels (then input channels, when tiled), each
  // marked with whether it needs a new input or new weights in L1 and whether it writes its
  // output (the last input-channel tile of an output tile).
  std::vector<TileRef> chunk_tiles(std::uint32_t r0, std::uint32_t rows, std::uint32_t c0, std::uint32_t cs) const {
    const LayerShape& s = lp_.shape;
    const TileChoice& t = lp_.tile;
    const bool cin_tiled = is_matmul(s.kind) && t.c_in != 0 && t.c_in < s.c_in;
    const std::uint32_t cin_step = cin_tiled ? t.c_in : s.c_in;
    std::vector<TileRef> tiles;
    for (std::uint32_t h = r0; h < r0 + rows; h += t.h_out) {
      for (std::uint32_t w = 0; w < s.w_out; w += t.w_out) {
        for (std::uint32_t c = c0; c < c0 + cs; c += t.c_out) {
          for (std::uint32_t k = 0; k < s.c_in; k += cin_step) {
            TileRef ref;
            ref.g = tile_geometry(s, h, std::min(t.h_out, r0 + rows - h), w, std::min(t.w_out, s.w_out - w), c,
                                  std::min(t.c_out, c0 + cs - c), cin_tiled ? k : 0,
                                  cin_tiled ? std::min(cin_step, s.c_in - k) : 0);
            if (tiles.empty()) {
              ref.new_input = ref.new_weights = true;
            } else {
              const TileGeometry& p = tiles.back().g;
              ref.new_input = p.rows.in_begin != ref.g.rows.in_begin || p.rows.in_size != ref.g.rows.in_size ||
                              p.cols.in_begin != ref.g.cols.in_begin || p.cols.in_size != ref.g.cols.in_size ||
                              p.cin_begin != ref.g.cin_begin || p.cin_size != ref.g.cin_size;
              ref.new_weights = p.c_begin != ref.g.c_begin || p.c_size != ref.g.c_size ||
                                p.cin_begin != ref.g.cin_begin || p.cin_size != ref.g.cin_size;
            }
            ref.writes = !cin_tiled || ref.g.cin_begin + ref.g.cin_size == s.c_in;
            tiles.push_back(ref);
          }
        }
      }
    }
    return tiles;
  }

  // What a chunk's tiles read and write (at), and the uDMA copies around them: loads before
  // its first tile, the next chunk's weights prefetched, stores after its last tile.
  struct ChunkIo {
    TileAddresses at;
    std::vector<DmaCopy> l3_loads, l3_prefetches, l3_stores;
    bool wait_l3_prefetch = false;
  };

  void emit_chunk(std::size_t q) {
    ChunkIo io;
    place_inputs(chunks_[q], io);
    place_weights(q, io);
    place_output(chunks_[q], io);
    emit_tiles(chunks_[q], io);
  }

  // Input `operand` of a chunk: straight from its L2 home, or rows of an L3 home staged in L2
  // (loaded when the row chunk changes). MUL's second operand has its own width and channels,
  // and when it broadcasts over rows its one row is staged whole.
  L2View input_view(const Chunk& chunk, int operand, bool staged, std::uint64_t stage, ChunkIo& io) const {
    const LayerShape& s = lp_.shape;
    const TensorHome& home = plan_.homes.at(layer_.inputs.at(static_cast<std::size_t>(operand)));
    const bool broadcast_operand = operand == 1 && s.kind == isa::pulp::KERNEL_MUL;
    const std::uint32_t width = broadcast_operand ? s.b_w : s.w_in;
    const std::uint32_t channels = broadcast_operand ? s.b_c : s.c_in;
    if (!staged) return view_of(home, width, channels);
    const TileWindow window = row_window(s, chunk.r0, chunk.rows);
    const bool one_row = broadcast_operand && s.b_h == 1;
    const std::uint32_t first_row = one_row ? 0 : window.in_begin;
    const std::uint32_t staged_rows = one_row ? 1 : window.in_size;
    const bool sliced = lp_.stage_channel_slices && !(broadcast_operand && s.b_c == 1);
    if (sliced || home.pixel_channels != 0) {
      // This chunk's channels (or, of a concat's slice, its own) of its rows, gathered from
      // the pixels in L3.
      const std::uint32_t first_channel = sliced ? chunk.c0 : 0, count = sliced ? chunk.cs : channels;
      if (sliced || chunk.c0 == 0) {
        io.l3_loads.push_back(hwc_block_copy(view_of(home, width, channels), first_row, 0, first_channel, staged_rows,
                                             width, count, stage, true, isa::pulp::MEMORY_L2));
      }
      return L2View{stage, first_row, width, count, first_channel, isa::pulp::MEMORY_L2};
    }
    if (chunk.c0 == 0) {
      const std::uint64_t row_bytes = std::uint64_t{width} * channels;
      io.l3_loads.push_back(linear_copy(isa::pulp::MEMORY_L3, home.address + first_row * row_bytes,
                                        isa::pulp::MEMORY_L2, stage, staged_rows * row_bytes));
    }
    return L2View{stage, first_row, width, channels, 0, isa::pulp::MEMORY_L2};
  }

  void place_inputs(const Chunk& chunk, ChunkIo& io) const {
    if (band_ != nullptr) {
      io.at.input = band_->input;
      io.at.input_b = band_->input_b;
      return;
    }
    io.at.input = input_view(chunk, 0, lp_.stage_input, lp_.stage_input_address, io);
    if (has_second_operand(lp_.shape.kind)) {
      io.at.input_b = input_view(chunk, 1, lp_.stage_input_b, lp_.stage_input_b_address, io);
    }
  }

  // A LUT's table: into its L2 buffer with the layer's first chunk (in a patch stage, its first
  // band's), into L1 with each chunk's first tile. Weights: a chunk of output channels per load,
  // unless one load (or the previous layer's prefetch) brought them all. Double-buffered chunks (as DORY): chunk q's weights
  // arrived during chunk q - 1, and chunk q + 1's start loading now into the other buffer.
  void place_weights(std::size_t q, ChunkIo& io) const {
    const LayerShape& s = lp_.shape;
    if (lp_.has_table) {
      if (band_ != nullptr ? band_->load_weights : q == 0) {
        io.l3_loads.push_back(linear_copy(isa::pulp::MEMORY_L3, lp_.weights_l3, isa::pulp::MEMORY_L2,
                                          lp_.weights_address, table_bytes(s)));
      }
      io.at.weights = lp_.weights_address;
    }
    if (!lp_.has_weights) return;
    const std::uint32_t c0 = chunks_[q].c0, cs = chunks_[q].cs;
    const bool whole = lp_.chunk_c_out == s.c_out;
    const std::uint64_t buffer = weight_buffer(q);
    const bool in_l2 = band_ != nullptr ? !band_->load_weights : lp_.weights_prefetched;
    if (!in_l2 && (!whole || q == 0)) {
      if (lp_.weights_double_buffered && q > 0) {
        io.wait_l3_prefetch = true;
      } else {
        for (const auto& c : weight_copies(c0, cs, buffer)) io.l3_loads.push_back(c);
      }
      if (lp_.weights_double_buffered && q + 1 < chunks_.size()) {
        io.l3_prefetches = weight_copies(chunks_[q + 1].c0, chunks_[q + 1].cs, weight_buffer(q + 1));
      }
    }
    io.at.weights = buffer;
    io.at.weights_c0 = c0;
    io.at.bias = buffer + std::uint64_t{lp_.chunk_c_out} * lp_.weights_per_channel;
  }

  // Output: its L2 home, or a staging buffer stored to L3 after the chunk.
  void place_output(const Chunk& chunk, ChunkIo& io) const {
    const LayerShape& s = lp_.shape;
    const TensorHome& out_home = plan_.homes.at(layer_.output);
    if (band_ != nullptr) {
      io.at.output = band_->output;
    } else if (lp_.stage_output) {
      io.at.output = L2View{lp_.stage_output_address, chunk.r0, s.w_out, chunk.cs, chunk.c0, isa::pulp::MEMORY_L2};
      io.l3_stores.push_back(hwc_block_copy(view_of(out_home, s.w_out, s.c_out), chunk.r0, 0, chunk.c0, chunk.rows,
                                            s.w_out, chunk.cs, lp_.stage_output_address, false, isa::pulp::MEMORY_L2));
    } else {
      io.at.output = view_of(out_home, s.w_out, s.c_out);
    }
  }

  // The chunk's tiles, a step each: the chunk's uDMA copies with the first and last, the next
  // tile's L2 -> L1 copies prefetched (double buffering), the kernel call, the write-back.
  void emit_tiles(const Chunk& chunk, const ChunkIo& io) {
    const TileChoice& t = lp_.tile;
    const std::vector<TileRef> tiles = chunk_tiles(chunk.r0, chunk.rows, chunk.c0, chunk.cs);
    // DORY's depthwise code waits for every copy it issues: each tile loads its own input and
    // weights, and the next waits for its write-back (TileChoice::depthwise_chw).
    const bool blocking = t.depthwise_chw;
    const bool db = t.double_buffered && !blocking;
    int in_slot = 0, w_slot = 0, out_slot = 0;
    const auto slots = [&](int in, int w, int o) {
      TileAddresses a = io.at;
      a.l1_input = l1_.input[in];
      a.l1_input_b = l1_.input_b[in];
      a.l1_weights = l1_.weights[w];
      a.l1_bias = l1_.bias[w];
      a.l1_output = l1_.output[o];
      a.l1_im2col = l1_.im2col;
      a.l1_accumulator = l1_.accumulator;
      return a;
    };
    for (std::size_t i = 0; i < tiles.size(); ++i) {
      isa::pulp::Step& step = *out_.add_steps();
      const TileAddresses here = slots(in_slot, w_slot, out_slot);
      if (i == 0) {
        step.set_wait_l3_prefetch(io.wait_l3_prefetch);
        for (const auto& c : io.l3_loads) *step.add_l3_load() = c;
        for (const auto& c : io.l3_prefetches) *step.add_l3_prefetch() = c;
        for (const auto& c :
             tile_input_copies(lp_.shape, tiles[0].g, true, lp_.has_weights || lp_.has_table, here, blocking)) {
          *step.add_load() = c;
        }
      }
      if (blocking && i > 0) {
        for (const auto& c : tile_input_copies(lp_.shape, tiles[i].g, tiles[i].new_input,
                                               tiles[i].new_weights && lp_.has_weights, here, true)) {
          *step.add_load() = c;
        }
      }
      if (!blocking && i + 1 < tiles.size()) {
        const TileRef& next = tiles[i + 1];
        const TileAddresses there = slots(next.new_input && db ? in_slot ^ 1 : in_slot,
                                          next.new_weights && db ? w_slot ^ 1 : w_slot, out_slot);
        for (const auto& c : tile_input_copies(lp_.shape, next.g, next.new_input, next.new_weights && lp_.has_weights, there)) {
          *step.add_prefetch() = c;
        }
      }
      *step.mutable_compute() = kernel_call(tiles[i].g, here);
      if (tiles[i].writes) {
        for (const DmaCopy& c : tile_output_copies(lp_.shape, tiles[i].g, here)) *step.add_write_back() = c;
      }
      // A band's last write-back is read from L2 by the next layer of the band.
      step.set_wait_write_back(blocking || (band_ != nullptr && i + 1 == tiles.size()));
      if (i + 1 == tiles.size()) {
        for (const auto& c : io.l3_stores) *step.add_l3_store() = c;
      } else {
        const TileRef& next = tiles[i + 1];
        if (next.new_input && db) in_slot ^= 1;
        if (next.new_weights && db) w_slot ^= 1;
        if (db && tiles[i].writes) out_slot ^= 1;
      }
    }
  }

  isa::pulp::KernelCall kernel_call(const TileGeometry& g, const TileAddresses& at) const {
    return layer_kernel_call(graph_, layer_, lp_, g, at);
  }

  const quant::QGraph& graph_;
  const PLayer& layer_;
  const LayerPlan& lp_;
  std::vector<Chunk> chunks_;
  const BandChunk* band_ = nullptr;  // a patch stage's band: its views instead of the plan's
  const MemoryPlan& plan_;
  isa::pulp::Layer& out_;
  L1Layout l1_;
};

isa::pulp::IoTensor io_tensor(const quant::QTensor& t, const TensorHome& home) {
  isa::pulp::IoTensor io;
  io.set_name(t.name);
  for (const auto d : t.shape) io.add_shape(d);
  for (const auto d : t.source_shape) io.add_source_shape(d);  // tokens given as [1, T, C]
  io.set_memory(home.memory);
  io.set_address(home.address);
  io.set_scale(t.scale);
  io.set_bits(static_cast<std::uint32_t>(t.bits));
  io.set_is_signed(t.is_signed);
  return io;
}

}  // namespace

void set_layer_output(const quant::QGraph& graph, int tensor, const MemoryPlan& plan, isa::pulp::Layer& out) {
  const quant::QTensor& output = graph.tensor(tensor);
  out.set_output(output.name);
  for (const auto d : output.shape) out.add_output_shape(d);
  const TensorHome& home = plan.homes.at(tensor);
  out.set_output_memory(home.memory);
  out.set_output_address(home.address);
  out.set_output_pixel_bytes(home.pixel_channels);
  out.set_output_signed(output.is_signed);
}

isa::pulp::Layer emit_layer(const quant::QGraph& graph, const PLayer& layer, const LayerPlan& lp,
                            const MemoryPlan& plan, TilerObjective objective) {
  isa::pulp::Layer out;
  out.set_name(layer.name);
  out.set_kind(layer.kind);
  out.set_type(kernel_type_name(layer.kind));
  out.set_macs(layer.macs);
  out.set_ops(layer.ops);
  set_layer_output(graph, layer.output, plan, out);
  isa::pulp::Tiling& tiling = *out.mutable_tiling();
  tiling.set_tile_c_out(lp.tile.c_out);
  tiling.set_tile_h_out(lp.tile.h_out);
  tiling.set_tile_w_out(lp.tile.w_out);
  tiling.set_tile_c_in(tile_input_channels(lp.shape, lp.tile));
  tiling.set_tiles(lp.tile.tiles() * lp.chunks());
  tiling.set_l1_input_bytes(lp.tile.input_bytes);
  tiling.set_l1_output_bytes(lp.tile.output_bytes);
  tiling.set_l1_weight_bytes(lp.tile.weight_bytes + lp.tile.bias_bytes);
  tiling.set_l1_im2col_bytes(lp.tile.im2col_bytes);
  tiling.set_l1_constant_bytes(lp.tile.constant_bytes + lp.tile.accumulator_bytes);
  tiling.set_l1_total_bytes(lp.tile.total_bytes);
  tiling.set_objective(objective_name(objective));
  tiling.set_parallel(lp.tile.parallel);
  tiling.set_depthwise_plane(lp.tile.depthwise_plane);
  tiling.set_depthwise_chw(lp.tile.depthwise_chw);
  tiling.set_dory_tile_loop(lp.tile.dory_tile_loop);
  tiling.set_predicted_cycles(lp.tile.predicted_cycles);
  tiling.set_l3_chunks(lp.chunks());
  tiling.set_chunk_h_out(lp.chunk_h_out);
  if (tiles_itself(layer.kind)) {
    emit_self_tiled_steps(graph, layer, lp, plan, out);
  } else {
    LayerEmitter(graph, layer, lp, plan, out).emit();
  }
  return out;
}

void emit_band_chunk(const quant::QGraph& graph, const PLayer& layer, const LayerPlan& lp, const MemoryPlan& plan,
                     const BandChunk& chunk, isa::pulp::Layer& out) {
  LayerEmitter(graph, layer, lp, plan, out).emit_band(chunk);
}

namespace {

// Streamed weight pieces hold whole output channels and at least this many bytes: the uDMA's
// per-transfer latency (l3_latency_cycles, 100 on gap8) is then about 1% of a piece's time.
constexpr std::uint64_t kWeightPieceBytes = 8192;

}  // namespace

// The next layer's weights and bias as the layer before prefetches them into its L2 buffer.
// tiler=dory: DORY's one copy, waited for before the layer starts. tiler=cost, when the layer
// has several output-channel tiles: streamed, the bias first (every tile reads it), then the
// weights in pieces of whole output-channel tiles in the order the tiles read them, each waited
// for only by the first tile that reads it. A layer whose first tile reads every channel, or
// whose weights make one piece, keeps the one copy: pieces would only add the uDMA's latency
// per transfer.
std::vector<DmaCopy> weight_prefetch_copies(const LayerPlan& next, TilerObjective tiler) {
  const std::uint64_t channels = next.shape.c_out, per_channel = next.weights_per_channel;
  const std::uint64_t tile = std::max<std::uint64_t>(next.tile.c_out, 1);
  const std::uint64_t tiles_per_piece =
      std::max<std::uint64_t>(1, (kWeightPieceBytes + tile * per_channel - 1) / std::max<std::uint64_t>(tile * per_channel, 1));
  const std::uint64_t piece = tiles_per_piece * tile;  // output channels
  if (tiler == TilerObjective::Dory || next.tile.tiles_c <= 1 || channels <= piece) {
    return {linear_copy(isa::pulp::MEMORY_L3, next.weights_l3, isa::pulp::MEMORY_L2, next.weights_address,
                        next.weights_buffer_bytes)};
  }
  const std::uint64_t weight_bytes = channels * per_channel;
  std::vector<DmaCopy> copies{linear_copy(isa::pulp::MEMORY_L3, next.weights_l3 + weight_bytes, isa::pulp::MEMORY_L2,
                                          next.weights_address + weight_bytes, next.weights_buffer_bytes - weight_bytes)};
  for (std::uint64_t c = 0; c < channels; c += piece) {
    const std::uint64_t bytes = std::min(piece, channels - c) * per_channel;
    copies.push_back(linear_copy(isa::pulp::MEMORY_L3, next.weights_l3 + c * per_channel, isa::pulp::MEMORY_L2,
                                 next.weights_address + c * per_channel, bytes));
  }
  return copies;
}

void emit_network(const quant::QGraph& graph, const LayerMapping& mapping, const MemoryPlan& plan,
                  const CompileOptions& options, const PulpParams& hw, isa::pulp::Network& network) {
  for (std::size_t i = 0; i < mapping.layers.size(); ++i) {
    isa::pulp::Layer& out = *network.add_layers();
    if (plan.patch_stage && i == plan.patch_stage->first) {
      out = emit_patch_stage(graph, mapping, plan, options.tiler);
      i = plan.patch_stage->last;
    } else if (plan.layers[i].fused_with_next) {
      // The pair as one layer; it prefetches what the pointwise layer would have.
      out = emit_fused_pair(graph, mapping.layers[i], plan.layers[i], mapping.layers[i + 1], plan.layers[i + 1], plan,
                            plan.layers[i].fused, options.tiler, hw);
      ++i;
    } else {
      out = emit_layer(graph, mapping.layers[i], plan.layers[i], plan, options.tiler);
    }
    if (i + 1 < mapping.layers.size() && plan.layers[i + 1].weights_prefetched) {
      for (const DmaCopy& copy : weight_prefetch_copies(plan.layers[i + 1], options.tiler)) {
        *out.add_l3_prefetch() = copy;
      }
    }
  }
  for (const int t : graph.inputs) *network.add_inputs() = io_tensor(graph.tensor(t), plan.homes.at(t));
  for (const int t : graph.outputs) {
    *network.add_outputs() = io_tensor(graph.tensor(t), plan.homes.at(resolve_alias(mapping, t)));
  }
  network.set_l2_bytes_used(plan.l2_high_water);
  network.set_l2_activation_peak_bytes(plan.l2_activation_peak);
  network.set_l3_bytes_used(plan.l3_bytes_used);
  network.set_l3_image_address(plan.l3_image_address);
  network.set_l3_image(plan.l3_image);
}

}  // namespace wb::pulp
