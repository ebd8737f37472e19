#pragma once
// Reading, writing and checking xDNN programs (isa/xdnn.proto), and the address arithmetic
// of its tensor layouts. Both the compiler and the simulator use these: they are the
// contract, not the computation.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>
#include <string_view>

#include "isa/hw_config.h"
#include "isa/op_counts.h"
#include "isa/xdnn.pb.h"

namespace wb::isa::xdnn {

// Bumped whenever a field changes meaning; programs of another version are refused.
// 2: HostElementwise (lookup tables and multiplies on the host model).
// 3: HostElementwise HOST_SOFTMAX and its exp_table (a classifier's softmax on the host model).
// 4: ProgramHeader's payload and model digests.
// 5: Copy.intermediate (what moveops counts; an older program would report 0).
// 6: weights staged in AM: Copy.staged_weights uploads, load_weights from AM.
// 7: Layer.parts (merged sibling convs: the siblings' outputs as slices of the merged output).
// 8: HostElementwise HOST_RESIZE and its resize_rows / resize_cols.
// 9: HostElementwise HOST_LAYERNORM and its layernorm parameters.
// 10: HostElementwise HOST_MATMUL (matmul_form, matmul_heads) and HOST_SOFTMAX_ROWS (attention).
// 11: IoTensor.source_shape (an input given as tokens [1, T, C], stored as its image [1, C, 1, T]).
// 12: HostElementwise HOST_HWC_RESHAPE; IoTensor.source_shape on outputs too (tokens read back).
// 13: HostElementwise.matmul_windows, matmul_bias and softmax_labels (Swin's windowed attention).
// 14: Window.input_dilation (a transposed conv: the array over the zero-inserted input).
// 15: HostElementwise HOST_EMBEDDING (token ids to rows of a table, on the host).
// 16: HostElementwise.softmax_causal_queries and softmax_causal_offset (a decoder's causal mask).
// 17: LayerNorm.rms (an RMSNorm: no mean subtracted).
// 18: throughput mode: Instr.block, the image queue (Program.image_queue, the instructions'
//     *_from_image_queue) and Wait.dedicated.
inline constexpr std::uint32_t kXdnnFormatVersion = 19;

// Bounds the pre-run checks put on a program's fields, far above any network's and low enough
// that the layout and window arithmetic cannot overflow 64 bits.
inline constexpr std::uint32_t kMaxLayoutDim = 1u << 20;  // channels, height, width, strides of a layout
inline constexpr std::uint32_t kMaxWindowField = 1u << 10;  // kernel, pad and dilation of a window

// Ops per output element of an XNSoftmax(host), for the report's `ops` (compiler) and the
// host's compute time (simulator) alike (docs/xdnn.md, "Host layers"): isa/op_counts.h's.
inline constexpr std::uint64_t kHostSoftmaxOpsPerElement = kSoftmaxOpsPerElement;
inline constexpr std::uint64_t kHostResizeOpsPerElement = kResizeOpsPerElement;
inline constexpr std::uint64_t kHostLayerNormOpsPerElement = kLayerNormOpsPerElement;
inline constexpr std::uint64_t kHostMatMulOpsPerMac = kMatMulOpsPerMac;

// A stable digest of every resolved key of the config (name included), as 16 hex digits.
// A program compiled for one config is refused by a simulator running another.
std::string hw_fingerprint(const HwConfig& config);

// Bytes per cycle the DDR channel sustains: ddr_gbps x ddr_efficiency at clock_mhz (the
// simulator's DDR model, and the compiler's test of which layers wait on their weights).
double ddr_bytes_per_cycle(const HwConfig& config);

// Writes atomically (a temporary file renamed into place), sealed with its payload digest: a
// failed write leaves no file.
void save_program(const Program& program, const std::filesystem::path& path);
// UserError naming the file when it is missing, not an xDNN program, of another version, or
// damaged (its payload digest does not match).
Program load_program(const std::filesystem::path& path);
// The same for bytes in memory; `name` names them in errors.
Program parse_program(std::string_view bytes, const std::filesystem::path& name);
// Sets the header's payload digest (what save_program writes).
void seal_program(Program& program);
// UserError when the program was compiled for another target or another hardware config.
void check_program_matches(const Program& program, const HwConfig& config, const std::string& program_name);

// Layout arithmetic (xdnn.proto, TensorLayout).
std::uint64_t section_count(const TensorLayout& layout);  // sections of the whole buffer
// Bytes the whole buffer occupies (every section, every row, the full width stride).
std::uint64_t buffer_bytes(const TensorLayout& layout);
// Bytes one row of one section occupies.
std::uint64_t row_bytes(const TensorLayout& layout);
// Offset of element (c, h, w) of the tensor (c relative to the tensor, copy 0) from the
// buffer's base address.
std::uint64_t element_offset(const TensorLayout& layout, std::uint32_t c, std::uint32_t h, std::uint32_t w);
// Offset of replica `copy` of channel c at word w (holds pixel w + copy); copies are
// buffer_channels / replication lanes apart.
std::uint64_t replica_offset(const TensorLayout& layout, std::uint32_t c, std::uint32_t h, std::uint32_t w,
                             std::uint32_t copy);
// Structural check of a layout (nonzero sizes, channels within the buffer, replication fits
// one section); returns an empty string when valid, else what is wrong.
std::string layout_problem(const TensorLayout& layout);

// Bytes a copy moves: rows (at least 1) x count x chunk_bytes.
std::uint64_t copy_bytes(const Copy& copy);

// The weights each DSP of an array of `rows` holds for one column group of a conv: one per
// pass, its channel sections (replicas included) times its taps (replication folds r
// horizontal taps into one pass); a depthwise conv's DSP row holds one channel's taps. ML
// Suite's DSPWgtCnt, which its hardware description bounds (HwConfig array.weight_depth).
std::uint64_t weights_per_dsp(std::uint64_t groups, std::uint64_t channels_per_group, std::uint64_t outputs_per_group,
                              std::uint64_t replication, std::uint64_t kernel_h, std::uint64_t kernel_w,
                              std::uint64_t rows);
std::uint64_t weights_per_dsp(const Conv& conv, std::uint64_t rows);
// One contiguous copy of `bytes` from `source` in `from` to `destination` in `to` (one chunk;
// its strides equal to the chunk, as the XNUpload/XNDownload of a whole image have them).
Copy linear_copy(Memory from, std::uint64_t source, Memory to, std::uint64_t destination, std::uint64_t bytes);

// The QGraph tensors a layer's record lets the per-layer check compare, with their regions:
// its output, or a merged conv's parts (its output is no QGraph tensor). Empty when the output
// is not materialized (fused away).
struct CheckedOutput {
  const std::string* tensor;
  const Region* region;
};
std::vector<CheckedOutput> checked_outputs(const Layer& layer);

const char* memory_name(Memory memory);  // "AM", "DDR", "filter cache"
// The instruction's kind as xfDNN names it: XNConv, XNMaxPool, XNEltwise, XNUpload, ...;
// host layers end in "(host)": XNInner(host), XNLut(host), XNMul(host), XNSoftmax(host).
std::string instr_mnemonic(const Instr& instr);

}  // namespace wb::isa::xdnn
