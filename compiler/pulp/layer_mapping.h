#pragma once
// Layer mapping: QGraph nodes -> the kernels PULP-NN has (conv, pointwise, depthwise, linear,
// residual add, max/avg pool) and ours in its style: a grouped conv (any other conv with
// groups), a table lookup (Lut), a broadcasting product (Mul, its full-shape operand first), a
// channel gather, a softmax over the channels of a classifier's row (a 1x1 image), a resize
// and a LayerNorm over the channels of each pixel.
// Attention's products (MatMul, both forms) run our matmul kernel of two activations and its
// softmax over the keys the softmax kernel (rows of the scores are pixels). An add may read a
// constant (a position embedding) from the L3 image; a concat along W (the class token before
// the patches) is placed like a channel concat.
// Batch norm, bias and ReLU are already in a conv's requant and pads are window fields (the
// passes folded them); a Flatten is an alias of its input. A channel concat has no kernel: its
// inputs' producers write their outputs into channel slices of the concat's tensor (HWC makes a
// slice a strided write), so the concat costs nothing; other readers of an input read its
// slice. A concat whose inputs begin another's (DenseNet's growing concats) is a channel prefix
// of that one's tensor, read in place.
// Each op a kernel runs is a row of the legality table (kernel_rules.def: the kernel, the
// check, the counts); views and concats are mapped here.
// Every node the cluster cannot run is listed at once, each naming the node and the reason.
//
// Pre: a verified QGraph of the pulp scheme (8-bit), batch 1, in topological order.
// Post: layers in the QGraph's order; every tensor a layer reads is a network input, a
// layer's output or a placed concat's output (after resolving aliases).

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "compiler/quant/qgraph.h"
#include "isa/pulp.pb.h"

namespace wb::pulp {

struct PLayer {
  std::string name;  // the QGraph node's
  isa::pulp::KernelKind kind = isa::pulp::KERNEL_CONV;
  int node = -1;              // QGraph node index
  std::vector<int> inputs;    // QGraph tensors read (aliases resolved); ADD, MUL: two (MUL's broadcast one second)
  int output = -1;
  std::uint64_t macs = 0, ops = 0;
};

// Where a concat's input is written, or where a prefix concat's tensor lies: channels
// [channel_offset, + channels) of every pixel of the owning concat's output tensor `concat`,
// from its pixel `pixel_offset` on (a concat along W of a one-row image: tokens).
struct ConcatSlice {
  int concat = -1;
  std::uint32_t channel_offset = 0, channels = 0;
  std::uint32_t pixel_offset = 0;
  // Of a concat along W, an input of another channel count (a detection head's conv, its
  // pixels regrouped as tokens): its bytes are one run of the concat's from pixel_offset on.
  bool dense = false;
};

// A tensor as the cluster stores it: HWC of an NCHW image (an [N, C] row is a 1x1 image), and a
// 3-D [a, b, n] (attention's scores and probabilities, [heads, queries, keys]) as a * b pixels
// of n channels, which is its row-major order.
struct PixelDims {
  std::uint32_t c = 1, h = 1, w = 1;
};
PixelDims pixel_dims(const quant::QTensor& t);

// The bytes a tensor takes as the cluster stores it: every one is 8-bit but token ids, 16-bit
// (QTensor::token_ids).
std::uint64_t hwc_bytes(const quant::QTensor& t);

// The graph the cluster runs: `graph` with each constant or network input that a concat reads
// copied into the concat's tensor by a layer of its own (a 1x1 max pool reading the constant
// from the L3 image, or the input where the host put it: a decode step's past keys and values),
// so that every concat input is a layer's output. The copies write tensors the golden model
// does not have; the per-layer check skips them.
quant::QGraph with_concat_copies(const quant::QGraph& graph);

struct LayerMapping {
  std::vector<PLayer> layers;
  std::map<int, int> aliases;            // reshape output -> the tensor it aliases
  std::set<int> regrouped;               // HwcReshape outputs: aliases of another channel count
  std::map<int, ConcatSlice> slices;     // concat input (a layer's output) or prefix concat -> its place
  std::vector<std::string> unsupported;  // "node 'x' (Concat): reason"
};

LayerMapping map_layers(const quant::QGraph& graph);

int resolve_alias(const LayerMapping& mapping, int tensor);
// Whether reading `tensor` reads an HwcReshape's output (the alias chain passes one).
bool reads_regrouped(const LayerMapping& mapping, int tensor);

const char* kernel_type_name(isa::pulp::KernelKind kind);  // "conv", "pointwise", ...

}  // namespace wb::pulp
