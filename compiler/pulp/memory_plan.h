#pragma once
// Where every tensor lives and how each layer is cut, before any instruction is emitted.
// Activations get an L2 home for their lifetime (first fit, freed after the last reader, so a
// residual input stays until its add; a concat's from its first input's producer to its last
// reader, its inputs being slices of it); one that does not fit while leaving room for the
// layer's weights goes to L3, and the layers reading or writing it are cut into chunks of
// output rows that pass through L2 staging buffers (DORY's L3 tiling). Weights live in L3 and
// come into an L2 buffer per layer, the whole layer's when it fits (loaded during the previous
// layer with weight_prefetch), else in chunks of output channels.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "compiler/pulp/compile_options.h"
#include "compiler/pulp/layer_mapping.h"
#include "compiler/pulp/tiler.h"
#include "compiler/quant/qgraph.h"
#include "isa/hw_config.h"

namespace wb::pulp {

struct TensorHome {
  isa::pulp::Memory memory = isa::pulp::MEMORY_L2;
  std::uint64_t address = 0, bytes = 0;
  // A concat input's home is a channel slice of the concat's: its pixels are this many bytes
  // apart (0: dense, its own channels).
  std::uint32_t pixel_channels = 0;
};

struct LayerPlan {
  LayerShape shape;
  TileChoice tile;
  std::uint32_t chunk_h_out = 0, chunk_c_out = 0;  // L3 chunks (the whole layer: h_out, c_out)
  std::uint32_t chunks() const;
  bool stage_input = false, stage_input_b = false, stage_output = false;  // through L2 staging
  // Staged inputs hold only the chunk's channels (a layer without weights whose one row of all
  // channels does not fit L2); else all channels of the chunk's rows.
  bool stage_channel_slices = false;
  std::uint64_t stage_input_address = 0, stage_input_b_address = 0, stage_output_address = 0;
  // Weights (+ int32 bias after them, at weights_address + chunk_c_out * per_channel).
  bool has_weights = false;
  std::uint64_t weights_per_channel = 0;  // bytes of one output channel's weights
  std::uint64_t weights_address = 0;      // L2 buffer
  std::uint64_t weights_buffer_bytes = 0; // (weights_per_channel + 4) * chunk_c_out
  // Chunked weights with weight_prefetch: a second buffer, so the next chunk's weights load
  // while this chunk computes (DORY's double-buffered L3 weights).
  bool weights_double_buffered = false;
  std::uint64_t weights_address_alt = 0;
  std::uint64_t weights_l3 = 0;           // this layer's weights in the L3 image, bias after them
  // A LUT's, GATHER's or SOFTMAX's table (table_bytes): at weights_l3 in the L3 image, in an L2
  // buffer at weights_address for the layer.
  bool has_table = false;
  bool weights_prefetched = false;        // loaded by the previous layer's l3_prefetch
};

struct MemoryPlan {
  std::map<int, TensorHome> homes;  // by QGraph tensor (network inputs and layer outputs)
  std::vector<LayerPlan> layers;    // as mapping.layers
  std::string l3_image;             // weights and biases of every layer, in the L3 flash
  std::uint64_t l3_image_address = 0;  // = l3_bytes: the flash follows the RAM in L3's addresses
  std::uint64_t l2_high_water = 0, l3_bytes_used = 0;  // l3_bytes_used: of the RAM, by activations
};

// The layer's dimensions as the kernels see them (NCHW QTensor -> HWC tiles).
LayerShape layer_shape(const quant::QGraph& graph, const PLayer& layer);

// UserError naming the layer when it does not fit L2 even in one-row chunks, or when a
// layer's tiles do not fit L1 (from choose_tiling).
MemoryPlan plan_memory(const quant::QGraph& graph, const LayerMapping& mapping, const HwConfig& config,
                       const CompileOptions& options);

}  // namespace wb::pulp
