#pragma once
// What the memory planner (memory_plan.h) decides and emission (emit_network.h) reads: each
// tensor's home, each layer's tiling, L3 chunks, staging and weight buffers, and the L3 image.
// A header of its own because the planner emits trial layers to time their tilings: emission
// reads these types and the planner calls emission, never the other way round.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "compiler/pulp/tiler.h"
#include "isa/pulp.pb.h"

namespace wb::pulp {

struct TensorHome {
  isa::pulp::Memory memory = isa::pulp::MEMORY_L2;
  std::uint64_t address = 0, bytes = 0;
  // A concat input's home is a channel slice of the concat's: its pixels are this many bytes
  // apart (0: dense, its own channels).
  std::uint32_t pixel_channels = 0;
  // The bytes from one pixel of a tensor of `channels` channels here to the next.
  std::uint64_t pixel_stride(std::uint32_t channels) const { return pixel_channels != 0 ? pixel_channels : channels; }
};

// A depthwise layer and the pointwise layer after it run as one (fused_pair.h): row tiles of
// `rows` output rows (all columns), the pointwise output in tiles of `pw_c_out` channels.
struct FusedTiling {
  std::uint32_t rows = 0, pw_c_out = 0;
  isa::pulp::Parallel pw_parallel = isa::pulp::PARALLEL_HOWO;
  std::uint64_t l1_bytes = 0;
  std::uint64_t predicted_cycles = 0;
};

struct LayerPlan {
  LayerShape shape;
  TileChoice tile;
  std::uint32_t chunk_h_out = 0, chunk_c_out = 0;  // L3 chunks (the whole layer: h_out, c_out)
  std::uint32_t chunks() const {
    const std::uint32_t h = (shape.h_out + chunk_h_out - 1) / chunk_h_out;
    const std::uint32_t c = (shape.c_out + chunk_c_out - 1) / chunk_c_out;
    return h * c;
  }
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
  // fusion=on: this depthwise layer runs fused with the pointwise layer after it, as `fused`.
  bool fused_with_next = false;
  FusedTiling fused;
};

// A layer's weights whole in one buffer: every output channel's, each with its int32 bias.
inline std::uint64_t whole_weights_bytes(const LayerPlan& lp) { return (lp.weights_per_channel + 4) * lp.shape.c_out; }

// The rows of one layer's output in one band of a patch stage (patch_stage.h): the band's
// buffer holds [need_begin, need_end), of which the layer computes [new_begin, need_end) (the
// rows before new_begin came with the band before).
struct BandRows {
  std::uint32_t need_begin = 0, need_end = 0, new_begin = 0;
  std::uint32_t new_rows() const { return need_end > new_begin ? need_end - new_begin : 0; }
};

// Mapping layers [first, last] run band by band (patch_stage.h): each band `band_rows` rows of
// the last layer's output; every other layer's output lives in an L2 ring of rows, never whole
// anywhere.
struct PatchStage {
  std::size_t first = 0, last = 0;
  std::uint32_t band_rows = 0;
  std::vector<std::vector<BandRows>> rows;  // [layer - first][band]
  std::vector<std::uint64_t> buffers;       // [layer - first]: the ring's L2 address (none for the last)
  std::vector<std::uint32_t> ring_rows;     // [layer - first]: its rows (0 for the last)
  std::vector<std::uint64_t> buffer_bytes;  // [layer - first]
  std::size_t bands() const { return rows.empty() ? 0 : rows.front().size(); }
};

struct MemoryPlan {
  std::map<int, TensorHome> homes;  // by QGraph tensor (network inputs and layer outputs)
  std::vector<LayerPlan> layers;    // as mapping.layers
  std::string l3_image;             // weights and biases of every layer, in the L3 flash
  std::uint64_t l3_image_address = 0;  // = l3_bytes: the flash follows the RAM in L3's addresses
  std::uint64_t l2_high_water = 0, l3_bytes_used = 0;  // l3_bytes_used: of the RAM, by activations
  std::uint64_t l2_activation_peak = 0;  // the most activation bytes homed in L2 at once
  // tiler=cost/energy with a referee: the candidate tilings it measured, and in how many layers
  // one other than the predictor's best won.
  std::uint64_t tilings_measured = 0, layers_overruling_predictor = 0;
  // fusion=on: the depthwise + pointwise pairs considered, and those that run fused.
  std::uint64_t fusion_candidates = 0, fused_pairs = 0;
  // fusion=on|all: the network's first layers run as one patch stage (patch_stage.h).
  std::optional<PatchStage> patch_stage;
};

}  // namespace wb::pulp
