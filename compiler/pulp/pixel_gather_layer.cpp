#include "compiler/pulp/pixel_gather_layer.h"

#include <fmt/format.h>

#include <algorithm>

#include "isa/pulp_program.h"
#include "support/error.h"
#include "support/math.h"

namespace wb::pulp {

namespace {

constexpr std::uint64_t kSlackBytes = 40;  // DORY's, as every tiling here
constexpr std::uint64_t kSlots = 3;        // see the header: a slot is reloaded three tiles on

std::uint64_t slot_bytes(const PixelGatherGeometry& g, std::uint32_t pixels) {
  return align_up(std::uint64_t{pixels} * g.channels, 4);
}

TileChoice sized(const PixelGatherGeometry& g, std::uint32_t pixels) {
  TileChoice t;
  t.c_out = g.channels;
  t.h_out = pixels;  // output pixels per tile
  t.w_out = 1;
  t.parallel = isa::pulp::PARALLEL_HO;
  t.tiles_h = (g.out_pixels() + pixels - 1) / pixels;
  t.double_buffered = t.tiles_h > 1;
  t.output_bytes = (t.double_buffered ? kSlots : 1) * slot_bytes(g, pixels);
  t.total_bytes = t.output_bytes + kSlackBytes;
  return t;
}

// `pixels` whole pixels of `channels` bytes, `from_stride` and `to_stride` bytes apart: one
// linear transfer when both are dense.
isa::pulp::DmaCopy pixels_copy(isa::pulp::Memory from, std::uint64_t source, std::uint64_t from_stride,
                               isa::pulp::Memory to, std::uint64_t destination, std::uint64_t to_stride,
                               std::uint32_t channels, std::uint64_t pixels) {
  if (from_stride == channels && to_stride == channels) {
    return isa::pulp::linear_copy(from, source, to, destination, pixels * channels);
  }
  return isa::pulp::strided_copy(from, source, from_stride, to, destination, to_stride, channels, pixels);
}

}  // namespace

PixelGatherGeometry pixel_gather_geometry(const quant::QGraph& graph, const PLayer& layer) {
  const quant::QNode& node = graph.nodes[static_cast<std::size_t>(layer.node)];
  const PixelDims in = pixel_dims(graph.tensor(layer.inputs.at(0)));
  const PixelDims out = pixel_dims(graph.tensor(layer.output));
  PixelGatherGeometry g;
  g.channels = out.c;
  g.in_height = in.h;
  g.in_width = in.w;
  g.out_height = out.h;
  g.out_width = out.w;
  g.runs = quant::pixel_runs(node.gather_pixels, in.w, out.w);
  return g;
}

LayerShape pixel_gather_layer_shape(const PixelGatherGeometry& g) {
  LayerShape s;
  s.kind = isa::pulp::KERNEL_PIXEL_COPY;
  s.c_in = s.c_out = g.channels;
  s.h_in = g.in_height;
  s.w_in = g.in_width;
  s.h_out = g.out_height;
  s.w_out = g.out_width;
  return s;
}

TileChoice choose_pixel_gather_tiling(const PixelGatherGeometry& g, const PulpParams& hw,
                                      const std::string& layer_name) {
  const auto budget = static_cast<std::uint64_t>(hw.l1_tile_budget_bytes);
  if (const TileChoice whole = sized(g, g.out_pixels()); whole.total_bytes <= budget) return whole;
  // The bytes per slot the budget leaves, in whole pixels.
  const std::uint64_t per_slot = budget > kSlackBytes ? (budget - kSlackBytes) / kSlots / 4 * 4 : 0;
  const auto pixels = static_cast<std::uint32_t>(std::min<std::uint64_t>(per_slot / g.channels, g.out_pixels()));
  if (pixels >= 1) {
    const TileChoice t = sized(g, pixels);
    if (t.total_bytes <= budget) return t;
  }
  throw UserError(fmt::format(
      "layer '{}': no L2-L1 tiling fits the L1 tile budget of {} bytes (l1_tile_budget_bytes); its smallest tile (one "
      "pixel of {} channels in each of {} slots) needs {} bytes",
      layer_name, budget, g.channels, kSlots, smallest_pixel_gather_tile_bytes(g)));
}

std::uint64_t smallest_pixel_gather_tile_bytes(const PixelGatherGeometry& g) {
  return g.out_pixels() == 1 ? sized(g, 1).total_bytes : kSlots * slot_bytes(g, 1) + kSlackBytes;
}

void emit_pixel_gather_steps(const quant::QGraph& graph, const PLayer& layer, const LayerPlan& lp,
                             const MemoryPlan& plan, isa::pulp::Layer& out) {
  const PixelGatherGeometry g = pixel_gather_geometry(graph, layer);
  const std::uint32_t per_tile = lp.tile.h_out;
  const std::uint64_t slot = slot_bytes(g, per_tile);
  const TensorHome& in_home = plan.homes.at(layer.inputs.at(0));
  const TensorHome& out_home = plan.homes.at(layer.output);
  const std::uint64_t in_pixel = in_home.pixel_stride(g.channels), out_pixel = out_home.pixel_stride(g.channels);
  constexpr auto kL1 = isa::pulp::MEMORY_L1;

  std::size_t run = 0;  // the first run not wholly copied yet
  std::uint32_t copied = 0;  // of it, the pixels copied by earlier tiles
  std::uint64_t tile = 0;
  for (std::uint32_t first = 0; first < g.out_pixels(); first += per_tile, ++tile) {
    const std::uint32_t pixels = std::min(per_tile, g.out_pixels() - first);
    const std::uint64_t base = (lp.tile.double_buffered ? tile % kSlots : 0) * slot;
    isa::pulp::Step& step = *out.add_steps();
    // The runs (or their parts) that write this tile's pixels, in output order.
    for (std::uint32_t filled = 0; filled < pixels;) {
      const quant::PixelRun& r = g.runs.at(run);
      const std::uint32_t take = std::min(r.length - copied, pixels - filled);
      const std::uint64_t from = std::uint64_t{r.from_row} * g.in_width + r.from_column + copied;
      *step.add_load() = pixels_copy(in_home.memory, in_home.address + from * in_pixel, in_pixel, kL1,
                                     base + std::uint64_t{filled} * g.channels, g.channels, g.channels, take);
      filled += take;
      copied += take;
      if (copied == r.length) ++run, copied = 0;
    }
    *step.add_write_back() = pixels_copy(kL1, base, g.channels, out_home.memory,
                                         out_home.address + std::uint64_t{first} * out_pixel, out_pixel, g.channels,
                                         pixels);
  }
}

}  // namespace wb::pulp
