#include "compiler/pulp/embedding_layer.h"

#include <fmt/format.h>

#include <algorithm>

#include "isa/pulp_program.h"
#include "support/error.h"
#include "support/math.h"

namespace wb::pulp {

namespace {

constexpr std::uint64_t kSlackBytes = 40;  // DORY's, as every tiling here
constexpr std::uint64_t kIdBytes = 2;      // QTensor::token_ids: uint16

TileChoice sized(const EmbeddingGeometry& g, std::uint32_t tokens) {
  TileChoice t;
  t.c_out = g.features;
  t.h_out = tokens;  // tokens per tile
  t.w_out = 1;
  t.parallel = isa::pulp::PARALLEL_HO;
  t.tiles_h = (g.tokens + tokens - 1) / tokens;
  // The rows land in L2; L1 holds a tile's ids alone, read by the controller core before the
  // next tile's load overwrites them.
  t.input_bytes = align_up(std::uint64_t{tokens} * kIdBytes, 4);
  t.total_bytes = t.input_bytes + kSlackBytes;
  return t;
}

}  // namespace

EmbeddingGeometry embedding_geometry(const quant::QGraph& graph, const PLayer& layer) {
  const quant::QTensor& table = graph.tensor(layer.inputs.at(0));
  const quant::QTensor& out = graph.tensor(layer.output);
  EmbeddingGeometry g;
  g.features = static_cast<std::uint32_t>(table.shape.at(1));
  g.rows = static_cast<std::uint32_t>(table.shape.at(3));
  g.tokens = static_cast<std::uint32_t>(out.shape.at(3));
  return g;
}

LayerShape embedding_layer_shape(const EmbeddingGeometry& g) {
  LayerShape s;
  s.kind = isa::pulp::KERNEL_EMBEDDING;
  s.c_in = s.c_out = g.features;
  s.w_in = s.w_out = g.tokens;
  return s;
}

TileChoice choose_embedding_tiling(const EmbeddingGeometry& g, const PulpParams& hw, const std::string& layer_name) {
  const auto budget = static_cast<std::uint64_t>(hw.l1_tile_budget_bytes);
  const std::uint64_t fit = budget > kSlackBytes ? (budget - kSlackBytes) / 4 * 4 / kIdBytes : 0;
  const auto tokens = static_cast<std::uint32_t>(std::min<std::uint64_t>(fit, g.tokens));
  if (tokens == 0) {
    throw UserError(fmt::format(
        "layer '{}': no L2-L1 tiling fits the L1 tile budget of {} bytes (l1_tile_budget_bytes); its smallest tile (one "
        "token id) needs {} bytes",
        layer_name, budget, smallest_embedding_tile_bytes(g)));
  }
  return sized(g, tokens);
}

std::uint64_t smallest_embedding_tile_bytes(const EmbeddingGeometry& g) { return sized(g, 1).total_bytes; }

void emit_embedding_steps(const quant::QGraph& graph, const PLayer& layer, const LayerPlan& lp,
                          const MemoryPlan& plan, isa::pulp::Layer& out) {
  const EmbeddingGeometry g = embedding_geometry(graph, layer);
  const TensorHome& table = plan.homes.at(layer.inputs.at(0));
  const TensorHome& ids = plan.homes.at(layer.inputs.at(1));
  const TensorHome& out_home = plan.homes.at(layer.output);
  const std::uint64_t out_pixel = out_home.pixel_stride(g.features);
  const std::uint32_t per_tile = lp.tile.h_out;
  for (std::uint32_t first = 0; first < g.tokens; first += per_tile) {
    const std::uint32_t tokens = std::min(per_tile, g.tokens - first);
    isa::pulp::Step& step = *out.add_steps();
    *step.add_load() = isa::pulp::linear_copy(ids.memory, ids.address + std::uint64_t{first} * kIdBytes,
                                              isa::pulp::MEMORY_L1, 0, std::uint64_t{tokens} * kIdBytes);
    isa::pulp::RowGather& gather = *step.mutable_row_gather();
    gather.set_ids(0);
    gather.set_count(tokens);
    gather.set_table_memory(table.memory);
    gather.set_table(table.address);
    gather.set_rows(g.rows);
    gather.set_row_bytes(g.features);
    gather.set_destination_memory(out_home.memory);
    gather.set_destination(out_home.address + std::uint64_t{first} * out_pixel);
    gather.set_destination_stride(out_pixel);
  }
}

}  // namespace wb::pulp
