#pragma once
// Reading, writing and checking PULP tile programs (isa/pulp.proto).

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "isa/hw_config.h"
#include "isa/pulp.pb.h"

namespace wb::isa::pulp {

// Bumped whenever a field changes meaning; programs of another version are refused.
// 2: Layer.output_pixel_bytes (concat slices); 3: KERNEL_GROUPED_CONV and KernelCall.groups;
// 4: KERNEL_LUT (its table at KernelCall.weights), KERNEL_MUL and KernelCall.b_h/b_w/b_c;
// 5: KERNEL_GATHER (its index table at KernelCall.weights); 6: KERNEL_SOFTMAX (its exp table at
// KernelCall.weights); 7: ProgramHeader's payload and model digests; 8: KernelCall.depthwise_plane
// (the plane depthwise kernel) and Layer.l3_prefetch in pieces, each waited for when first read;
// 9: KernelCall.dilation_h/dilation_w (dilated conv, grouped conv and depthwise), KERNEL_RESIZE
// and its KernelCall.resize_* fields (its tables at KernelCall.weights); 10: KERNEL_LAYERNORM and
// its KernelCall.layernorm_* fields (its gamma and beta table at KernelCall.weights); 11:
// KERNEL_MATMUL (a product of two activations) and KernelCall.matmul_b_by_rows; 12:
// KernelCall.matmul_b_transposed (a by-rows call that reads b's transposed copy an earlier call
// left in its scratch); 13: IoTensor.source_shape (an input given as tokens [1, T, C], stored as
// its image [1, C, 1, T]); 14: KERNEL_PIXEL_COPY (a layer of cluster-DMA copies only: its steps
// have no kernel call) and Layer.output_signed, a MATMUL's has_bias (Swin's relative-position
// bias), a SOFTMAX's region labels (KernelCall.softmax_label_*, softmax_row0); 15:
// KERNEL_EMBEDDING and Step.row_gather (rows of a table picked by token ids, IoTensor.bits 16);
// 16: a SOFTMAX's causal mask (KernelCall.softmax_causal_queries and softmax_causal_offset);
// 17: a LAYERNORM's RMSNorm form (KernelCall.layernorm_rms); 18: KernelCall.input_chw (DORY's
// channel-major depthwise tile) and Step.wait_write_back; 19: Tiling.dory_tile_loop (the tiles
// run in DORY's layer loop on the cores); 20: the steps of a layer may call different kernels (a
// fused depthwise + pointwise layer) and Network.l2_activation_peak_bytes; 21: Layer.fused_layers.
inline constexpr std::uint32_t kPulpFormatVersion = 21;

// "conv", "pointwise", "depthwise", "linear", "add", "maxpool", "avgpool", "grouped_conv",
// "lut", "mul", "gather", "softmax", "resize", "layernorm", "matmul", "pixel_gather", "embedding"
// ("unknown" otherwise).
const char* kernel_kind_name(KernelKind kind);
// Conv, pointwise and linear: a reduction over all input channels (the 4x2 matmul kernels).
// The grouped conv is not one: each output channel reduces over its group's channels only.
bool is_matmul(KernelKind kind);
// The kernels with weights and a bias: the matmul ones, depthwise and grouped conv.
bool has_weights(KernelKind kind);
// Whether the layer's output is int8: its last kernel call that writes back says so (else its
// last call), a layer without calls
// (KERNEL_PIXEL_COPY, KERNEL_EMBEDDING) its output_signed.
bool output_signed(const Layer& layer);
// The layers whose steps are copies alone, with no kernel call.
bool copies_only(KernelKind kind);
// What runs a layer of this kind: "cores"; "cluster_dma" for a gather of pixels (its copies
// alone); "udma" for an embedding (its row copies).
const char* kernel_unit(KernelKind kind);
// The copy a row gather makes for token `t` whose id is `id`.
DmaCopy row_copy(const RowGather& gather, std::uint32_t t, std::uint32_t id);
// The controller core's cycles per id of a row gather, the instruction sequence the format
// implies: the id's lhu from L1, a load-use stall, the row's address (p.mac), and programming one
// uDMA transfer (dma_command_cycles: the channel's address, size and config registers).
std::uint64_t row_gather_id_cycles(const PulpParams& hw);

// Writes atomically (a temporary file renamed into place), sealed with its payload digest: a
// failed write leaves no file.
void save_network(const Network& network, const std::filesystem::path& path);
// UserError naming the file when it is missing, not a PULP program, of another version, or
// damaged (its payload digest does not match).
Network load_network(const std::filesystem::path& path);
// The same for bytes in memory; `name` names them in errors.
Network parse_network(std::string_view bytes, const std::filesystem::path& name);
// Sets the header's payload digest (what save_network writes).
void seal_network(Network& network);
// "L1", "L2", "L3" ("?" for another value).
const char* memory_name(Memory memory);
// Bytes a copy moves.
std::uint64_t copy_bytes(const DmaCopy& copy);
// One contiguous copy of `bytes` from `source` in `from` to `destination` in `to`.
DmaCopy linear_copy(Memory from, std::uint64_t source, Memory to, std::uint64_t destination, std::uint64_t bytes);
// `count` chunks of `chunk` bytes, read `source_stride` and written `destination_stride` bytes
// apart (one row: a 2-D transfer).
DmaCopy strided_copy(Memory from, std::uint64_t source, std::uint64_t source_stride, Memory to,
                     std::uint64_t destination, std::uint64_t destination_stride, std::uint64_t chunk,
                     std::uint64_t count);

// A call's dilation along an axis (its field, 0 read as 1) and the input rows or columns one
// window spans: (k - 1) * dilation + 1.
inline std::uint32_t dilation_or_one(std::uint32_t field) { return field == 0 ? 1 : field; }
inline std::uint32_t window_span(std::uint32_t kernel, std::uint32_t dilation) {
  return (kernel - 1) * dilation_or_one(dilation) + 1;
}

// The plane depthwise kernel applies to a depthwise call with a 3x3 window and equal strides of 1
// or 2; its per-core scratch holds one channel's input plane with its padding, rows rounded up
// to words (aligned loads), plus a word that a row's last load may read past the plane.
bool depthwise_plane_applies(std::uint32_t k_h, std::uint32_t k_w, std::uint32_t stride_h, std::uint32_t stride_w);
std::uint64_t depthwise_plane_pitch(std::uint64_t padded_w_in);
std::uint64_t depthwise_plane_scratch_bytes(std::uint64_t padded_h_in, std::uint64_t padded_w_in);

// The output block a core computes in PULP-NN's pulp_nn_pointwise_HoWo_parallel (the kernel
// DORY's code calls for a 1x1 stride-1 conv): when the rows do not divide among the cores and a
// row has more than one pixel, the cores pair up, each pair a chunk of ceil(h / (cores / 2))
// rows and each core of it a half of the columns (the first w / 2, the second the rest);
// otherwise chunks of ceil(h / cores) whole rows. Rows and columns [begin, end).
struct PixelBlock {
  std::uint32_t row_begin = 0, row_end = 0, col_begin = 0, col_end = 0;
  std::uint32_t rows() const { return row_end - row_begin; }
  std::uint32_t cols() const { return col_end - col_begin; }
};
PixelBlock pointwise_howo_block(std::uint32_t h_out, std::uint32_t w_out, int core, int cores);

// xfDNN's `moveops` on this target: the activation bytes the steps' uDMA copies move between
// L2 and L3's RAM (an activation that did not fit L2, staged in chunks), not the weights and
// tables read from the L3 image, nor a network input or output that lives in L3.
std::uint64_t intermediate_l3_bytes(const Network& network);

// UserError when the program was compiled for another target or another hardware config.
void check_network_matches(const Network& network, const HwConfig& config, const std::string& program_name);

}  // namespace wb::isa::pulp
