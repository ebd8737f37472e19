#include "compiler/pulp/matmul_layer.h"

#include <fmt/format.h>

#include <algorithm>

#include "compiler/quant/qgraph_queries.h"
#include "isa/pulp_program.h"
#include "support/error.h"
#include "support/math.h"

namespace wb::pulp {

namespace {

constexpr std::uint64_t kMatmulAlign = 4;
constexpr std::uint64_t kMatmulSlackBytes = 40;  // DORY's, as every tiling here

std::uint64_t matmul_aligned(std::uint64_t v) { return align_up(v, kMatmulAlign); }

struct MatmulBytes {
  std::uint64_t a = 0, b = 0, out = 0, scratch = 0, bias = 0;
};

MatmulBytes tile_bytes(const MatmulGeometry& g, std::uint32_t rows) {
  MatmulBytes m;
  m.a = matmul_aligned(std::uint64_t{rows} * g.reduction());
  m.b = matmul_aligned(std::uint64_t{g.keys} * g.head_channels);
  m.out = matmul_aligned(std::uint64_t{rows} * g.columns());
  m.scratch = g.scores ? 0 : m.b;  // V transposed
  m.bias = g.bias ? matmul_aligned(4 * std::uint64_t{rows} * g.keys) : 0;
  return m;
}

std::uint32_t row_blocks(const MatmulGeometry& g, std::uint32_t rows) { return (g.queries + rows - 1) / rows; }

TileChoice sized(const MatmulGeometry& g, std::uint32_t rows, bool single_b_slot) {
  TileChoice t;
  t.single_b_slot = single_b_slot;
  t.c_out = g.columns();
  t.h_out = rows;
  t.w_out = 1;
  t.parallel = isa::pulp::PARALLEL_HO;
  t.tiles_h = g.groups() * row_blocks(g, rows);
  t.double_buffered = t.tiles_h > 1;
  const std::uint64_t slots = t.double_buffered ? 2 : 1;
  const MatmulBytes m = tile_bytes(g, rows);
  t.input_bytes = slots * m.a + (single_b_slot ? 1 : slots) * m.b;
  t.output_bytes = slots * m.out;
  t.im2col_bytes = m.scratch;
  t.bias_bytes = slots * m.bias;
  t.total_bytes = t.input_bytes + t.output_bytes + t.im2col_bytes + t.bias_bytes + kMatmulSlackBytes;
  return t;
}

}  // namespace

MatmulGeometry matmul_geometry(const quant::QGraph& graph, const PLayer& layer) {
  const quant::QNode& node = graph.nodes[static_cast<std::size_t>(layer.node)];
  const quant::QTensor& a = graph.tensor(layer.inputs.at(0));
  const quant::QTensor& b = graph.tensor(layer.inputs.at(1));
  MatmulGeometry g;
  g.scores = node.matmul_form == quant::MatMulForm::Scores;
  g.windows = static_cast<std::uint32_t>(node.matmul_windows);
  g.bias = !node.bias.empty();
  g.heads = static_cast<std::uint32_t>(node.matmul_heads);
  g.head_channels = static_cast<std::uint32_t>(quant::dim_or_one(b, 1) / node.matmul_heads);
  g.keys = static_cast<std::uint32_t>(quant::dim_or_one(b, 3) / node.matmul_windows);
  // Scores: Q's pixels, W L of them; context: P's rows [W h, L, L'].
  g.queries = static_cast<std::uint32_t>(g.scores ? quant::dim_or_one(a, 3) / node.matmul_windows
                                                   : quant::dim_or_one(a, 1));
  return g;
}

LayerShape matmul_layer_shape(const MatmulGeometry& g) {
  LayerShape s;
  s.kind = isa::pulp::KERNEL_MATMUL;
  s.h_in = s.h_out = g.groups() * g.queries;
  s.c_in = g.reduction();
  s.c_out = g.columns();
  s.matmul_bias_bytes = g.bias ? 4 * std::uint64_t{g.heads} * g.queries * g.keys : 0;
  return s;
}

TileChoice choose_matmul_tiling(const MatmulGeometry& g, const PulpParams& hw, const std::string& layer_name) {
  const auto budget = static_cast<std::uint64_t>(hw.l1_tile_budget_bytes);
  // The most rows (the fewest tiles) with b double-buffered, else with one b slot (a head's b
  // is loaded once: the head's first tile waits for it, its other tiles do not).
  for (const bool single_b_slot : {false, true}) {
    for (std::uint32_t rows = g.queries; rows >= 1; --rows) {
      const TileChoice t = sized(g, rows, single_b_slot);
      if (t.total_bytes <= budget) return t;
    }
  }
  const TileChoice smallest = sized(g, 1, true);
  throw UserError(fmt::format(
      "layer '{}': no L2-L1 tiling fits the L1 tile budget of {} bytes (l1_tile_budget_bytes); its smallest tile (one "
      "query row of one head: {} B of operands, {} B of output, {} B of scratch) needs {} bytes",
      layer_name, budget, smallest.input_bytes, smallest.output_bytes, smallest.im2col_bytes, smallest.total_bytes));
}

std::uint64_t smallest_matmul_tile_bytes(const MatmulGeometry& g) { return sized(g, 1, true).total_bytes; }

void emit_matmul_steps(const quant::QGraph& graph, const PLayer& layer, const LayerPlan& lp, const MemoryPlan& plan,
                       isa::pulp::Layer& out) {
  const quant::QNode& node = graph.nodes[static_cast<std::size_t>(layer.node)];
  const MatmulGeometry g = matmul_geometry(graph, layer);
  const TileChoice& t = lp.tile;
  const MatmulBytes bytes = tile_bytes(g, t.h_out);
  const std::uint64_t slots = t.double_buffered ? 2 : 1, b_slots = t.single_b_slot ? 1 : slots;
  // L1: a's slots, b's slots, the output's slots, the scratch.
  const auto slot = [&](std::uint64_t base, std::uint64_t size, int i) { return base + static_cast<std::uint64_t>(i) * size; };
  const std::uint64_t a_base = 0, b_base = slots * bytes.a, out_base = b_base + b_slots * bytes.b;
  const std::uint64_t scratch = out_base + slots * bytes.out, bias_base = scratch + bytes.scratch;

  const TensorHome& a_home = plan.homes.at(layer.inputs.at(0));
  const TensorHome& b_home = plan.homes.at(layer.inputs.at(1));
  const TensorHome& out_home = plan.homes.at(layer.output);
  const std::uint32_t image_channels = g.heads * g.head_channels;
  const std::uint64_t b_pixel = b_home.pixel_stride(image_channels);
  constexpr auto kL1 = isa::pulp::MEMORY_L1;

  // A tile: rows [row0, row0 + rows) of window w's head k (group w h + k).
  struct Tile {
    std::uint32_t group, window, head, row0, rows;
    // Its first query's row of S (and of P): the group's rows come window-major.
    std::uint64_t score_row(const MatmulGeometry& g) const { return std::uint64_t{group} * g.queries + row0; }
    // Its first query's pixel of Q (and of O).
    std::uint64_t query_pixel(const MatmulGeometry& g) const { return std::uint64_t{window} * g.queries + row0; }
  };
  std::vector<Tile> tiles;
  for (std::uint32_t w = 0; w < g.windows; ++w) {
    for (std::uint32_t k = 0; k < g.heads; ++k) {
      for (std::uint32_t i = 0; i < g.queries; i += t.h_out) {
        tiles.push_back({w * g.heads + k, w, k, i, std::min(t.h_out, g.queries - i)});
      }
    }
  }
  // The head's channels of every key pixel of the window, [keys][d] in L1.
  const auto b_copy = [&](const Tile& tile, int s) {
    return isa::pulp::strided_copy(b_home.memory,
                        b_home.address + std::uint64_t{tile.window} * g.keys * b_pixel +
                            std::uint64_t{tile.head} * g.head_channels,
                        b_pixel, kL1, slot(b_base, bytes.b, s), g.head_channels, g.head_channels, g.keys);
  };
  // Scores: the block's Q pixels, the head's channels. Context: the block's rows of P.
  const auto a_copy = [&](const Tile& tile, int s) {
    if (g.scores) {
      const std::uint64_t a_pixel = a_home.pixel_stride(image_channels);
      return isa::pulp::strided_copy(a_home.memory,
                          a_home.address + tile.query_pixel(g) * a_pixel + std::uint64_t{tile.head} * g.head_channels,
                          a_pixel, kL1, slot(a_base, bytes.a, s), g.head_channels, g.head_channels, tile.rows);
    }
    return isa::pulp::linear_copy(a_home.memory, a_home.address + tile.score_row(g) * g.keys, kL1,
                                  slot(a_base, bytes.a, s), std::uint64_t{tile.rows} * g.keys);
  };
  // Scores: the block's rows of S. Context: the head's channels of the block's O pixels.
  const auto out_copy = [&](const Tile& tile, int s) {
    if (g.scores) {
      return isa::pulp::linear_copy(kL1, slot(out_base, bytes.out, s), out_home.memory,
                                    out_home.address + tile.score_row(g) * g.keys, std::uint64_t{tile.rows} * g.keys);
    }
    const std::uint64_t out_pixel = out_home.pixel_stride(image_channels);
    return isa::pulp::strided_copy(kL1, slot(out_base, bytes.out, s), g.head_channels, out_home.memory,
                        out_home.address + tile.query_pixel(g) * out_pixel + std::uint64_t{tile.head} * g.head_channels,
                        out_pixel, g.head_channels, tile.rows);
  };
  // The bias's rows of the tile's queries in its head, [rows][keys] int32: the same for every
  // window, from the table's L2 buffer.
  const auto bias_copy = [&](const Tile& tile, int s) {
    const std::uint64_t row = std::uint64_t{tile.head} * g.queries + tile.row0;
    return isa::pulp::linear_copy(isa::pulp::MEMORY_L2, lp.weights_address + 4 * row * g.keys, kL1,
                                  slot(bias_base, bytes.bias, s), 4 * std::uint64_t{tile.rows} * g.keys);
  };
  isa::Requant requant;
  requant.add_multiplier(node.requant.multiplier.at(0));
  for (const std::int64_t offset : node.requant.offset) requant.add_offset(offset);
  requant.add_shift(node.requant.shift.at(0));
  requant.set_lo(node.requant.lo);
  requant.set_hi(node.requant.hi);
  requant.set_intermediate_bits(static_cast<std::uint32_t>(node.requant.intermediate_bits));

  // Context: a head's first tile transposes its V into the scratch and its other tiles read that
  // copy (matmul_b_transposed), so the scratch holds one head's V from its first tile to its
  // last (no copy writes it: it lies past every slot) and V's slot is dead after the first. With
  // one b slot the next head's V is then prefetched into it by the head's second tile.
  const bool by_rows = !g.scores;
  const std::uint32_t head_tiles = row_blocks(g, t.h_out);
  const bool prefetch_b_in_head = by_rows && t.single_b_slot && head_tiles > 1;
  const auto head_first = [&](std::size_t i) { return i == 0 || tiles[i - 1].group != tiles[i].group; };
  int a_slot = 0, b_slot = 0, out_slot = 0;
  for (std::size_t i = 0; i < tiles.size(); ++i) {
    const Tile& tile = tiles[i];
    isa::pulp::Step& step = *out.add_steps();
    if (i == 0) {
      // The bias table into its L2 buffer first (the uDMA; the step waits for it).
      if (g.bias) {
        *step.add_l3_load() = isa::pulp::linear_copy(isa::pulp::MEMORY_L3, lp.weights_l3, isa::pulp::MEMORY_L2,
                                                     lp.weights_address, lp.shape.matmul_bias_bytes);
        *step.add_load() = bias_copy(tile, a_slot);
      }
      *step.add_load() = a_copy(tile, a_slot);
      *step.add_load() = b_copy(tile, b_slot);
    }
    // One b slot: a head's b overwrites the last head's once its last tile is done (or, by
    // rows, once its first tile has transposed it: prefetched below).
    if (i > 0 && t.single_b_slot && head_first(i) && !prefetch_b_in_head) *step.add_load() = b_copy(tile, b_slot);
    const bool next_head = i + 1 < tiles.size() && tiles[i + 1].group != tile.group;
    const int next_a = t.double_buffered ? a_slot ^ 1 : a_slot;
    const int next_b = next_head && t.double_buffered && !t.single_b_slot ? b_slot ^ 1 : b_slot;
    if (i + 1 < tiles.size()) {
      if (g.bias) *step.add_prefetch() = bias_copy(tiles[i + 1], next_a);
      *step.add_prefetch() = a_copy(tiles[i + 1], next_a);
      if (next_head && !t.single_b_slot) *step.add_prefetch() = b_copy(tiles[i + 1], next_b);
    }
    // The head's second tile, with a next head: its V into the one slot (this call reads the
    // scratch, not the slot).
    if (prefetch_b_in_head && i > 0 && head_first(i - 1) && !head_first(i) && tile.group + 1 < g.groups()) {
      *step.add_prefetch() = b_copy(tiles[std::size_t{tile.group + 1} * head_tiles], b_slot);
    }
    isa::pulp::KernelCall& call = *step.mutable_compute();
    call.set_kind(isa::pulp::KERNEL_MATMUL);
    call.set_parallel(isa::pulp::PARALLEL_HO);
    call.set_input(slot(a_base, bytes.a, a_slot));
    call.set_input_b(slot(b_base, bytes.b, b_slot));
    call.set_output(slot(out_base, bytes.out, out_slot));
    if (!g.scores) call.set_im2col(scratch);
    if (g.bias) {
      call.set_has_bias(true);
      call.set_bias(slot(bias_base, bytes.bias, a_slot));
    }
    call.set_matmul_b_by_rows(by_rows);
    call.set_matmul_b_transposed(by_rows && !head_first(i));
    call.set_h_in(tile.rows);
    call.set_h_out(tile.rows);
    call.set_w_in(1);
    call.set_w_out(1);
    call.set_c_in(g.reduction());
    call.set_c_out(g.columns());
    call.set_k_h(1);
    call.set_k_w(1);
    call.set_stride_h(1);
    call.set_stride_w(1);
    call.set_input_signed(graph.tensor(layer.inputs[0]).is_signed);
    call.set_input_b_signed(graph.tensor(layer.inputs[1]).is_signed);
    call.set_output_signed(graph.tensor(layer.output).is_signed);
    *call.mutable_requant() = requant;
    *step.add_write_back() = out_copy(tile, out_slot);
    a_slot = next_a;
    b_slot = next_b;
    if (t.double_buffered) out_slot ^= 1;
  }
}

}  // namespace wb::pulp
