#pragma once
// The QGraph: the integer network both targets run and the golden model checks
// (DESIGN.md §4.1, docs/quant.md). Every tensor is symmetric (no zero point):
// real = scale * q. Every node states its integer arithmetic completely, so two
// independent implementations (compiler/golden and the simulators) can agree bit for bit.
//
// The requantisation of Conv, Add and AvgPool:
//   v   = the node's exact integer result (int64)
//   r   = rshift_round(v * multiplier[c] + offset[c], shift[c])
//         rshift_round(v, s) = s > 0 ? (v + (1 << (s-1))) >> s : v << -s   (arithmetic shift)
//   r16 = intermediate_bits == 16 ? (int16_t) r (two's-complement wrap) : r
//   y   = clamp(r16, lo, hi)
// A kernel that truncates instead of rounding (PULP-NN's plain path) is expressed with
// offset = -(1 << (shift-1)), so rshift_round becomes a floor shift.
//
// Mul requantises the exact product v = a * b of its two inputs the same way (one entry: per
// tensor). Lut has no arithmetic at run time: y = table[x - x.lo()], a table of one entry per
// input value (256 for 8-bit inputs), as int8 inference engines run sigmoid-like activations.

#include <cstdint>
#include <iosfwd>
#include <limits>
#include <string>
#include <vector>

#include "compiler/ir/tensor.h"
#include "compiler/quant/integer_layernorm.h"

namespace wb::quant {

enum class Scheme { Pow2, Xdnn, Pulp };
const char* scheme_name(Scheme scheme);  // "pow2", "xdnn", "pulp"
// UserError listing the schemes for an unknown name.
Scheme parse_scheme(const std::string& name);

struct QTensor {
  std::string name;  // the float graph's value name
  Shape shape;       // NCHW (or [N, C] after a flatten)
  int bits = 8;      // 8 or 16
  bool is_signed = true;
  double scale = 1.0;      // float32-representable; pow2: an exact power of two
  double threshold = 0.0;  // the |x| range the scale covers: scale * hi() (signed: 2^(b-1)-1)
  // A constant operand (a transformer's class token, its position embedding): its integers, of
  // dtype() and `shape`, available before any node runs. Empty for a computed tensor.
  Tensor data{};
  // A network input or output whose float form has another layout than `shape`: the shape
  // users give or get (a token sequence [1, T, C] whose QGraph tensor is the image
  // [1, C, 1, T], the same bytes stored HWC; docs/token_layout.md). Empty: the float tensor
  // has `shape`.
  Shape source_shape{};
  // A network input of token ids (an Embedding's): U16 at scale 1, the ids themselves, given
  // by users as int32 or int64 integers.
  bool token_ids = false;
  bool is_constant() const { return !data.empty(); }
  // The shape of the float tensor a user gives (an input) or gets (an output): source_shape,
  // or shape.
  const Shape& float_shape() const { return source_shape.empty() ? shape : source_shape; }
  std::int64_t lo() const { return is_signed ? -(std::int64_t{1} << (bits - 1)) : 0; }
  std::int64_t hi() const { return is_signed ? (std::int64_t{1} << (bits - 1)) - 1 : (std::int64_t{1} << bits) - 1; }
  DType dtype() const;  // I8, U8, I16 or U16
};

struct Requant {
  // One entry per output channel, or a single entry that applies to every channel.
  std::vector<std::int64_t> multiplier;
  std::vector<std::int64_t> offset;
  std::vector<int> shift;  // may be negative (left shift)
  std::int64_t lo = 0;
  std::int64_t hi = 0;
  int intermediate_bits = 0;  // 0 or 16 (PULP-NN keeps (m*x)>>d in an int16)
  // "round" (half up) or "floor": informative, the arithmetic is fully given by offset.
  std::string rounding = "round";
  std::size_t channels() const { return multiplier.size(); }
};

enum class QOpKind {
  Conv,     // y = requant(sum(w * x) + bias[c]) ; groups/depthwise; FC is a 1x1 conv
  Add,      // y = requant(a * input_multiplier[0] + b * input_multiplier[1])
  MaxPool,  // y = max over the window (padding never wins); same scale in and out
  AvgPool,  // y = requant(sum over the window); the divisor is folded into the requant
  Concat,   // along concat_axis (channels, or W: tokens); all inputs have the output's scale and type
  Reshape,  // same data, new shape (Flatten)
  Lut,      // y = table[x - lo(x)]: an elementwise function of an 8-bit input (lut_function)
  Mul,      // y = requant(a * b); b (or a) may broadcast: each of its dims equals the output's or 1; one may be a constant of the output's shape (rotary embeddings' tables)
  ChannelGather,  // y[:, c] = x[:, gather_channels[c]]: a channel shuffle, slice or split; same scale and type
  Softmax,  // over each row (softmax_row_length): exp table, sum, division (softmax_probability)
  Resize,   // over H and W, nearest or bilinear, by the tables resize_rows / resize_cols; same scale and type
  LayerNorm,  // over the channels of each pixel (or of each [N, C] row): I-BERT's integer arithmetic (layernorm)
  MatMul,     // attention's product of two activations per head (matmul_form): y = requant(sum a * b)
  HwcReshape,  // y's HWC bytes are x's: a detection head's [1, A K, H, W] as the tokens [1, K, 1, H W A]; same scale and type
  PixelGather,  // y[:, :, p] = x[:, :, gather_pixels[p]] over the pixels (h W + w) of NCHW images; same scale and type
  // y[c][t] = table[c][ids[t]], inputs {table, ids} as ONNX's Gather(data, indices): the rows of
  // a constant table (the output's type and scale), held as the image [1, C, 1, V] of its V rows
  // (stored HWC: the rows one after another, as every constant operand is an N=1 image), picked
  // by the token ids (a token_ids input); y is the image [1, C, 1, T] of the T tokens. An id
  // outside [0, V) is an error.
  Embedding,
};
// The last kind: tables and tests walk 0..kLastQOpKind.
inline constexpr QOpKind kLastQOpKind = QOpKind::Embedding;
// The rows an embedding table may have: token ids are 16-bit unsigned (QTensor::token_ids).
inline constexpr std::int64_t kMaxEmbeddingRows = 65536;
const char* qop_name(QOpKind kind);

// The two products of attention (docs/quant.md, "MatMul"), on h heads of d channels; an image
// [1, h d, 1, T] holds T tokens (pixels) of h d features (channels), head k its channels
// [k d, (k + 1) d):
//   Scores:  a = queries [1, h d, 1, T], b = keys [1, h d, 1, T'];  y = [h, T, T']
//            y[k][i][j] = requant(sum_{c < d} a[k d + c][i] * b[k d + c][j])
//   Context: a = probabilities [h, T, T'], b = values [1, h d, 1, T'];  y = [1, h d, 1, T]
//            y[k d + c][i] = requant(sum_{j < T'} a[k][i][j] * b[k d + c][j])
// One requant entry: the factor s_a s_b matmul_factor / s_y (matmul_factor: attention's
// 1 / sqrt(d), folded in).
// Swin's windowed attention (matmul_windows W > 1): the T tokens are W windows of L = T / W in a
// row (window-major), and products pair only tokens of one window; the scores and probabilities
// are [W h, L, L'], window-major as torch's [nW, h, L, L'] (W = 1: the forms above):
//   Scores:  y[w h + k][i][j]       = requant(sum_{c < d} a[k d + c][w L + i] * b[k d + c][w L' + j])
//   Context: y[k d + c][w L + i]    = requant(sum_{j < L'} a[w h + k][i][j] * b[k d + c][w L' + j])
// Swin's scores may carry a bias (the relative-position bias), I32 `bias` [h, L, L'] in the sums'
// units s_a s_b matmul_factor, added to every window's sums before the requantisation:
//   Scores:  y[w h + k][i][j] = requant(sum_c ... + bias[k][i][j])
enum class MatMulForm { Scores, Context };
const char* matmul_form_name(MatMulForm form);  // "scores", "context"
// UserError for an unknown name.
MatMulForm parse_matmul_form(const std::string& name);

// The length of the rows a Softmax normalises: the channels of [N, C] and [N, C, 1, 1], the
// last axis of [h, T, T'] (attention's scores over the keys). Row-major rows in both cases.
std::int64_t softmax_row_length(const Shape& shape);

struct QNode {
  QOpKind kind = QOpKind::Conv;
  std::string name;
  std::vector<int> inputs;  // indices into QGraph::tensors
  int output = -1;

  // Conv: weights [C_out, C_in/group, kH, kW] of I8 (or I16 with 16-bit weights), bias I32
  // [C_out] (may be empty), per-channel (or single) weight scales.
  Tensor weights;
  Tensor bias;
  std::vector<double> weight_scale;
  int weight_bits = 8;
  std::int64_t group = 1;
  // Conv, pools: window geometry over H and W (pads are virtual: zero for conv and avg,
  // ignored for max).
  std::vector<std::int64_t> kernel{1, 1};
  std::vector<std::int64_t> strides{1, 1};
  std::vector<std::int64_t> dilations{1, 1};
  std::vector<std::int64_t> pads_begin{0, 0};
  std::vector<std::int64_t> pads_end{0, 0};
  // Conv: s - 1 zeros between neighbouring input pixels along H and W before the window slides
  // (a ConvTranspose: docs/quant.md, "ConvTranspose"); the window's geometry is over that
  // zero-inserted input, (extent - 1) s + 1 pixels. {1, 1}: none.
  std::vector<std::int64_t> input_dilations{1, 1};

  Requant requant;                              // Conv, Add, AvgPool
  std::vector<std::int64_t> input_multiplier;  // Add
  std::int64_t divisor = 1;                     // AvgPool: the window size the requant divides by
  bool folded_batchnorm = false;               // Conv: a BatchNormalization was folded into it
  // Bounds of the fused activation (ReLU [0, inf), ReLU6 [0, 6]); the requant clamp applies
  // them as round_half_to_even(bound / output scale).
  float act_min = -std::numeric_limits<float>::infinity();
  float act_max = std::numeric_limits<float>::infinity();

  // Lut: what the table computes (LutFunction) and its parameters; the table is derived from
  // them and the input and output scales (compiler/quant/requant_params.h), one entry per
  // input value from lo(x) up.
  std::string lut_function;
  float lut_alpha = 0.0f, lut_beta = 0.0f;  // hardsigmoid / hardswish: max(0, min(1, alpha*x + beta))
  std::vector<std::int64_t> lut_table;

  // Concat: the axis, 1 (channels) or 3 (W of NCHW: the tokens of a [1, C, 1, T] image).
  std::int64_t concat_axis = 1;

  // ChannelGather: the input channel each output channel copies (NCHW, axis 1).
  std::vector<std::int64_t> gather_channels;
  // PixelGather: the input pixel (h W + w of x [1, C, H, W]) each output pixel (row-major over
  // y's H' x W') copies with all its channels: Swin's roll, window partition and reverse, patch
  // merging's picks (docs/token_layout.md, "Moved pixels").
  std::vector<std::int64_t> gather_pixels;

  // Softmax: exp((i - 255) * s_x) in Q16 (round half to even) for i = 0..255, indexed by
  // x - max(x) + 255; derived from the input's scale (compiler/quant/requant_params.h).
  std::vector<std::int64_t> softmax_exp_table;
  // Softmax of Swin's windowed scores [W h, L, L] under the shifted-window mask: a region label
  // per token (W L entries, window-major). Row (w h + k) L + i keeps the keys j whose label
  // labels[w L + j] is its query's labels[w L + i]; the others are out of the max and the sum and
  // their probability is 0 (a mask of -100 in float: exp(-100) is 0 at 1/256). Empty: no mask.
  std::vector<std::int64_t> softmax_labels;
  // Softmax of a decoder's scores [h, Q, K] under a causal mask: row r (query r % Q) keeps the
  // keys j <= r % Q + softmax_causal_offset, the others out of the max and the sum with
  // probability 0 (-inf in float). The offset is the keys cached before the queries (0 for a
  // prefill). Never with softmax_labels.
  bool softmax_causal = false;
  std::int64_t softmax_causal_offset = 0;

  // Resize: per output row, and per output column, three numbers: the two input rows
  // (columns) it reads and the weight of the second in Q8 (0..256; the first weighs 256 minus
  // it); nearest reads one (both the same, weight 0). See resize_value. Derived from the
  // Resize's attributes and shapes (compiler/quant/resize_taps.h).
  std::vector<std::int64_t> resize_rows;
  std::vector<std::int64_t> resize_cols;
  // ... and the float Resize they came from, for the QDQ export: ONNX's mode,
  // coordinate_transformation_mode and nearest_mode, and the H and W scales.
  std::string resize_mode;
  std::string resize_coordinate_mode;
  std::string resize_nearest_mode;
  std::vector<double> resize_scales;

  // LayerNorm: the float gamma, beta (one per channel) and epsilon of the ONNX node it came
  // from (an RMSNormalization: layernorm_rms, no mean subtracted), and the integer parameters derived from them and the input and output scales
  // (compiler/quant/integer_layernorm.h; assign_requant). Every implementation reads `layernorm`.
  std::vector<float> layernorm_gamma;
  std::vector<float> layernorm_beta;
  double layernorm_epsilon = 1e-5;
  bool layernorm_rms = false;
  LayerNormParams layernorm;

  // MatMul: the form, the heads h, the windows W and the real factor folded into the
  // requantisation.
  MatMulForm matmul_form = MatMulForm::Scores;
  std::int64_t matmul_heads = 1;
  std::int64_t matmul_windows = 1;
  double matmul_factor = 1.0;
};

// The integer Resize of one output element whose row taps are (r0, r1, wr) and column taps
// (c0, c1, wc), x(r, c) reading the input plane: the exact sum
//   v = (256 - wr) * ((256 - wc) * x(r0, c0) + wc * x(r0, c1)) + wr * ((256 - wc) * x(r1, c0) + wc * x(r1, c1))
// rounded half up to the input's scale, (v + 2^15) >> 16 (arithmetic shift). Nearest taps
// (weights 0) give x(r0, c0) exactly. The output has the input's scale and type.
inline constexpr int kResizeWeightBits = 8;
inline std::int64_t resize_value(std::int64_t x00, std::int64_t x01, std::int64_t x10, std::int64_t x11,
                                 std::int64_t wr, std::int64_t wc) {
  constexpr std::int64_t one = std::int64_t{1} << kResizeWeightBits;
  const std::int64_t v = (one - wr) * ((one - wc) * x00 + wc * x01) + wr * ((one - wc) * x10 + wc * x11);
  return (v + (std::int64_t{1} << (2 * kResizeWeightBits - 1))) >> (2 * kResizeWeightBits);
}

// Softmax's integer form, shared by the golden model's definition and the docs: the output
// level of one channel whose table entry is `e`, of a row whose entries sum to `sum` (at least
// 2^16: the row's maximum has entry 2^16): min(hi, (e * 2^8 + sum / 2) / sum), the probability
// at scale 1/256 rounded half up. The simulators write their own.
inline constexpr int kSoftmaxExpBits = 16;
inline constexpr int kSoftmaxTableEntries = 256;

// The functions a Lut node may compute, by name: "sigmoid", "tanh", "hardsigmoid" (alpha,
// beta), "hardswish" (x * hardsigmoid(x), alpha, beta), "silu" (x * sigmoid(x)), "gelu"
// (x * Phi(x), with erf) and "gelu_tanh" (GELU's tanh approximation). The real
// function of a real input; UserError naming the function when it is unknown.
double lut_function_value(const std::string& function, double x, float alpha, float beta);

struct QGraph {
  std::string name;
  Scheme scheme = Scheme::Pow2;
  std::vector<QTensor> tensors;
  std::vector<QNode> nodes;  // in execution (topological) order
  std::vector<int> inputs;   // network inputs: quantised from float as below
  std::vector<int> outputs;

  int find_tensor(const std::string& name) const;  // -1 if absent
  const QTensor& tensor(int index) const { return tensors.at(static_cast<std::size_t>(index)); }
  const QNode* producer(int tensor) const;  // nullptr for inputs
};

// Network inputs are quantised as ONNX QuantizeLinear does:
//   q = clamp(round_half_to_even(x / scale), lo, hi)   computed in float32.
// An input with a source_shape [1, T, C] is given as [1, T, C] and quantised into its image
// [1, C, 1, T]: q[0][c][0][t] = quantize(x[0][t][c]).

// Structural checks (indices in range, shapes of weights and requant vectors, shared
// scales where a node needs them); throws std::logic_error naming the node.
void verify_qgraph(const QGraph& graph);

// Text form: one line per node with shapes, types, scales and requant summary.
void print_qgraph(std::ostream& os, const QGraph& graph);

}  // namespace wb::quant
