#pragma once
// Layer mapping: QGraph nodes -> the kernels PULP-NN has (conv, pointwise, depthwise, linear,
// residual add, max/avg pool) and ours in its style: a grouped conv (any other conv with
// groups), a table lookup (Lut), a broadcasting product (Mul, its full-shape operand first), a
// channel gather, a softmax over the channels of a classifier's row (a 1x1 image), a resize
// and a LayerNorm over the channels of each pixel.
// Batch norm, bias and ReLU are already in a conv's requant and pads are window fields (the
// passes folded them); a Flatten is an alias of its input. A channel concat has no kernel: its
// inputs' producers write their outputs into channel slices of the concat's tensor (HWC makes a
// slice a strided write), so the concat costs nothing; other readers of an input read its
// slice. A concat whose inputs begin another's (DenseNet's growing concats) is a channel prefix
// of that one's tensor, read in place.
// Every node the cluster cannot run is listed at once, each naming the node and the reason.
//
// Pre: a verified QGraph of the pulp scheme (8-bit), batch 1, in topological order.
// Post: layers in the QGraph's order; every tensor a layer reads is a network input, a
// layer's output or a placed concat's output (after resolving aliases).

#include <cstdint>
#include <map>
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
// [channel_offset, + channels) of every pixel of the owning concat's output tensor `concat`.
struct ConcatSlice {
  int concat = -1;
  std::uint32_t channel_offset = 0, channels = 0;
};

struct LayerMapping {
  std::vector<PLayer> layers;
  std::map<int, int> aliases;            // reshape output -> the tensor it aliases
  std::map<int, ConcatSlice> slices;     // concat input (a layer's output) or prefix concat -> its place
  std::vector<std::string> unsupported;  // "node 'x' (Concat): reason"
};

LayerMapping map_layers(const quant::QGraph& graph);

int resolve_alias(const LayerMapping& mapping, int tensor);

const char* kernel_type_name(isa::pulp::KernelKind kind);  // "conv", "pointwise", ...

}  // namespace wb::pulp
