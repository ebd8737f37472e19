#pragma once
// The geometry of a layer and of its tiles, shared by the tiler (which sizes and costs tiles)
// and tile_copies (which builds each tile's kernel call and DMA copies): the layer's shape as
// the kernels see it, the input window a run of output rows or columns reads, and which
// output and input channels a tile holds.

#include <cstdint>
#include <memory>
#include <vector>

#include "isa/pulp.pb.h"

namespace wb::pulp {

// The part of a layer the L1 tiler sees: its whole input and output, or one L3 chunk.
struct LayerShape {
  isa::pulp::KernelKind kind = isa::pulp::KERNEL_CONV;
  std::uint32_t h_in = 1, w_in = 1, c_in = 1, h_out = 1, w_out = 1, c_out = 1;
  std::uint32_t k_h = 1, k_w = 1, stride_h = 1, stride_w = 1;
  std::uint32_t pad_top = 0, pad_bottom = 0, pad_left = 0, pad_right = 0;
  // CONV, GROUPED_CONV, DEPTHWISE: kernel positions dilation pixels apart (1 for every other kind).
  std::uint32_t dilation_h = 1, dilation_w = 1;
  // The input rows and columns one window spans: (k - 1) * dilation + 1.
  std::uint32_t span_h() const { return (k_h - 1) * dilation_h + 1; }
  std::uint32_t span_w() const { return (k_w - 1) * dilation_w + 1; }
  // KERNEL_GROUPED_CONV: groups of c_in / groups input and c_out / groups output channels
  // (1 for every other kind).
  std::uint32_t groups = 1;
  std::uint32_t group_c_in() const { return c_in / groups; }
  std::uint32_t group_c_out() const { return c_out / groups; }
  // KERNEL_MUL: its second operand's dimensions, each 1 (broadcast) or the output's; 0 for
  // every other kind.
  std::uint32_t b_h = 0, b_w = 0, b_c = 0;
  // KERNEL_GATHER: the input channels its indices span, [gather_first, + gather_span): a tile
  // reads only those (a channel slice reads its half).
  std::uint32_t gather_first = 0, gather_span = 0;
  // KERNEL_RESIZE: the layer's row and column tables, three numbers per output row (column):
  // the two input rows (columns) it reads and the second's Q8 weight (QNode::resize_rows);
  // shared, as every chunk and candidate tiling of the layer reads the same. Null otherwise.
  std::shared_ptr<const std::vector<std::int64_t>> resize_rows, resize_cols;
  // KERNEL_MATMUL with Swin's relative-position bias: the bias's bytes, int32 [h, L, L'] (its
  // table); 0 otherwise.
  std::uint64_t matmul_bias_bytes = 0;
  // KERNEL_SOFTMAX under Swin's mask: each window's region labels, renumbered 0.. per window so
  // that they are bytes (W L of them, window-major; shared like the resize tables), and the rows'
  // windows and heads. Null and 0 otherwise.
  std::shared_ptr<const std::vector<std::uint8_t>> softmax_labels;
  std::uint32_t softmax_label_tokens = 0, softmax_label_heads = 0, softmax_label_windows = 0;
  // KERNEL_SOFTMAX under a causal mask: the scores' queries Q a head and the keys cached before
  // them (KernelCall.softmax_causal_*). 0 queries otherwise.
  std::uint32_t softmax_causal_queries = 0, softmax_causal_offset = 0;
};

// Which layer kinds read a second activation operand (ADD: the same shape; MUL: b_h x b_w x b_c).
bool has_second_operand(isa::pulp::KernelKind kind);

// The bytes of MUL's second operand an output block of rows x cols x channels reads (its
// broadcast dimensions count 1); ADD's is the block itself.
std::uint64_t second_operand_bytes(const LayerShape& shape, std::uint32_t rows, std::uint32_t cols,
                                   std::uint32_t channels);

// The lookup table a KERNEL_LUT tile reads from L1: 256 bytes, one per 8-bit input value.
inline constexpr std::uint64_t kLutTableBytes = 256;
// The exp table a KERNEL_SOFTMAX tile reads from L1: 256 little-endian uint32 entries in Q16.
inline constexpr std::uint64_t kSoftmaxTableBytes = 1024;

// A RESIZE table entry: 4 little-endian uint16 (first, second, Q8 weight, 0) per output row,
// then per output column, of the whole layer (isa/pulp.proto, KERNEL_RESIZE).
inline constexpr std::uint64_t kResizeTableEntryBytes = 8;

// A LAYERNORM's table per channel: its int32 gamma multiplier and int64 beta offset, the
// layer's gammas first (isa/pulp.proto, KERNEL_LAYERNORM).
inline constexpr std::uint64_t kLayerNormTableBytesPerChannel = 12;

// The constant table a layer's tiles read from one L1 slot: a LUT's 256 bytes, a GATHER's
// uint16 input channel per output channel, a SOFTMAX's 1 KiB exp table, a RESIZE's row and
// column tables, a LAYERNORM's gamma and beta per channel; 0 for every other kind.
std::uint64_t table_bytes(const LayerShape& shape);

// Input rows (or columns) an output tile of `out` rows needs at most; `span` is the window's
// (LayerShape::span_h/span_w: the kernel size when undilated).
std::uint32_t input_extent(std::uint32_t out, std::uint32_t span, std::uint32_t stride);

// The tile a kernel call gets: rows/columns/channels [begin, begin + size) of the output, and
// the input rows/columns it reads with the padding at the layer's borders only.
struct TileWindow {
  std::uint32_t out_begin = 0, out_size = 0;
  std::uint32_t in_begin = 0, in_size = 0;
  std::uint32_t pad_before = 0, pad_after = 0;
};
TileWindow tile_window(std::uint32_t out_begin, std::uint32_t out_size, std::uint32_t in_total, std::uint32_t span,
                       std::uint32_t stride, std::uint32_t pad_before);

// The input rows (columns) output rows (columns) [out_begin, + out_size) of the layer read: a
// window kind's tile_window, a RESIZE's from its table (no padding).
TileWindow row_window(const LayerShape& shape, std::uint32_t out_begin, std::uint32_t out_size);
TileWindow col_window(const LayerShape& shape, std::uint32_t out_begin, std::uint32_t out_size);

// The most input rows (columns) any `out` consecutive output rows (columns) read, at most the
// input's: what an L1 input slot or an L2 staging buffer holds.
std::uint32_t max_input_rows(const LayerShape& shape, std::uint32_t out);
std::uint32_t max_input_cols(const LayerShape& shape, std::uint32_t out);

struct TileGeometry {
  TileWindow rows, cols;
  std::uint32_t c_begin = 0, c_size = 0;      // output channels
  std::uint32_t cin_begin = 0, cin_size = 0;  // input channels read
};

// Output channels [c0, c0 + cs) of a tile and the input channels they read: a standard
// convolution's [cin0, cin0 + cins) (cins 0: all from cin0); a grouped conv's those of its
// groups (c0 and cs whole groups: a std::logic_error otherwise); every other kind's own.
void set_tile_channels(const LayerShape& shape, TileGeometry& g, std::uint32_t c0, std::uint32_t cs,
                       std::uint32_t cin0 = 0, std::uint32_t cins = 0);

// Output rows [row0, row0 + rows), columns [col0, col0 + cols), channels [c0, c0 + cs); a
// standard convolution's input channels [cin0, cin0 + cins) (cins 0: all of them).
TileGeometry tile_geometry(const LayerShape& shape, std::uint32_t row0, std::uint32_t rows, std::uint32_t col0,
                           std::uint32_t cols, std::uint32_t c0, std::uint32_t cs, std::uint32_t cin0 = 0,
                           std::uint32_t cins = 0);

}  // namespace wb::pulp
