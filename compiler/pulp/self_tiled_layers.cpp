#include "compiler/pulp/self_tiled_layers.h"

#include "compiler/pulp/embedding_layer.h"
#include "compiler/pulp/matmul_layer.h"
#include "compiler/pulp/pixel_gather_layer.h"

namespace wb::pulp {

bool tiles_itself(isa::pulp::KernelKind kind) {
  return kind == isa::pulp::KERNEL_MATMUL || kind == isa::pulp::KERNEL_PIXEL_COPY ||
         kind == isa::pulp::KERNEL_EMBEDDING;
}

LayerShape self_tiled_layer_shape(const quant::QGraph& graph, const PLayer& layer) {
  switch (layer.kind) {
    case isa::pulp::KERNEL_PIXEL_COPY: return pixel_gather_layer_shape(pixel_gather_geometry(graph, layer));
    case isa::pulp::KERNEL_EMBEDDING: return embedding_layer_shape(embedding_geometry(graph, layer));
    default: return matmul_layer_shape(matmul_geometry(graph, layer));
  }
}

TileChoice choose_self_tiling(const quant::QGraph& graph, const PLayer& layer, const PulpParams& hw) {
  switch (layer.kind) {
    case isa::pulp::KERNEL_PIXEL_COPY:
      return choose_pixel_gather_tiling(pixel_gather_geometry(graph, layer), hw, layer.name);
    case isa::pulp::KERNEL_EMBEDDING: return choose_embedding_tiling(embedding_geometry(graph, layer), hw, layer.name);
    default: return choose_matmul_tiling(matmul_geometry(graph, layer), hw, layer.name);
  }
}

std::uint64_t smallest_self_tile_bytes(const quant::QGraph& graph, const PLayer& layer) {
  switch (layer.kind) {
    case isa::pulp::KERNEL_PIXEL_COPY: return smallest_pixel_gather_tile_bytes(pixel_gather_geometry(graph, layer));
    case isa::pulp::KERNEL_EMBEDDING: return smallest_embedding_tile_bytes(embedding_geometry(graph, layer));
    default: return smallest_matmul_tile_bytes(matmul_geometry(graph, layer));
  }
}

void emit_self_tiled_steps(const quant::QGraph& graph, const PLayer& layer, const LayerPlan& lp,
                           const MemoryPlan& plan, isa::pulp::Layer& out) {
  switch (layer.kind) {
    case isa::pulp::KERNEL_PIXEL_COPY: emit_pixel_gather_steps(graph, layer, lp, plan, out); break;
    case isa::pulp::KERNEL_EMBEDDING: emit_embedding_steps(graph, layer, lp, plan, out); break;
    default: emit_matmul_steps(graph, layer, lp, plan, out); break;
  }
}

}  // namespace wb::pulp
