#pragma once
// Layer mapping: QGraph nodes -> the layers the overlay runs (xfDNN's instruction
// selection). A conv takes its bias and ReLU with it (they are in its requant); a max/avg
// pool right behind a conv is pipelined into it; a residual Add (+ReLU) runs on the
// eltwise unit; a Concat is done by placement (its inputs are written at channel offsets
// of its buffer), or when that is off or impossible, by copying its inputs through DDR;
// a Flatten of a 1 x 1 image is an alias. A conv the array cannot run (a filter beyond
// max_filter_elements, such as VGG's first FC; a stride the array lacks) runs on the host
// model, as ML Suite ran FC on the host CPU (DESIGN.md §4.6), with its reason recorded. So
// do the elementwise ops the overlay has no unit for: a Lut (no lookup-table unit), a Mul
// (the eltwise block only adds) and a classifier's Softmax (as ML Suite ran it), each a
// HostElementwise layer whose operands go to DDR and whose result comes back. No host layer's output is placed in a concat buffer (the upload
// brings the whole buffer back): such a concat is copied instead. A ChannelGather (a
// channel shuffle, slice or split) is data movement, done as a concat copy is: the DDR
// engine takes the input's AM sections down and brings each run of channels back at its
// output channel (unit `ddr`); its output is an ordinary layer output (it may be placed in a
// concat).
// A transformer's attention (docs/token_layout.md) runs as host layers: both products of two
// activations (MatMul) and the softmax over the keys of the [h, T, T'] scores. Its constant
// operands (a class token, a position embedding) live in DDR beside the weights and come up
// like a network input: the position embedding's Add runs on the eltwise unit, the class
// token's concat along W and the head's 1x1 pool of stride T are PixelCopy layers.
// The ops that are one layer whatever the graph around them are rows of the legality table
// (layer_rules.def: the layer, the check, the host's reason); the rest are mapped here.
// Everything neither can run is listed at once, each entry naming the node and the reason.
//
// Pre: a verified QGraph in topological order, batch 1.
// Post: layers in the QGraph's order; every tensor a layer reads is a network input, a
// layer's output, a concat output or a reshape alias of one of those.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "compiler/quant/qgraph.h"
#include "compiler/xdnn/compile_options.h"
#include "isa/hw_config.h"

namespace wb::xdnn {

// Concat: only when it cannot be placed (or placement is off): its inputs are copied into its
// buffer through DDR. HostElementwise: a Lut, Mul or Softmax on the host model (always on_host).
// ChannelGather: y[:, c] = x[:, gather_channels[c]], copied through DDR run by run.
// PixelCopy: pixels moved by the DDR engine: a concat along W (a class token before the patch
// tokens: each input lands at its pixel offset) or a 1x1 max pool of a stride the pool unit
// lacks (the class token's pixel 0 of T), each a strided copy of whole pixels; a PixelGather
// (Swin's moved pixels), one copy per run of a window's row.
enum class XLayerKind { Conv, Pool, Eltwise, Concat, HostElementwise, ChannelGather, PixelCopy };

struct XLayer {
  std::string name;           // the QGraph node's name (the conv's, when a pool is fused)
  XLayerKind kind = XLayerKind::Conv;
  std::string type;           // conv, depthwise, fc, conv+maxpool, conv+avgpool, maxpool, avgpool, eltwise, concat,
                              // lut, mul, softmax, channel_gather, matmul, concat_w, pixel_copy
  int conv_node = -1;         // QGraph node index of the conv (Conv layers)
  int pool_node = -1;         // the pool (Pool layers, or fused behind a conv)
  int eltwise_node = -1;      // the Add
  int concat_node = -1;       // the Concat (copied, not placed)
  int host_node = -1;         // the Lut, Mul or Softmax (HostElementwise layers)
  int gather_node = -1;       // the ChannelGather (ChannelGather layers)
  int copy_node = -1;         // the Concat along W, the 1x1 MaxPool or the PixelGather (PixelCopy layers)
  std::vector<int> inputs;    // QGraph tensors read (after resolving aliases)
  int output = -1;            // QGraph tensor written (the pool's output when fused)
  int fused_tensor = -1;      // the conv's output that never reaches AM (conv+pool), else -1
  bool on_host = false;       // runs on the host model: see host_reason
  std::string host_reason;    // why the array does not run it ("" on the array)
  std::uint64_t macs = 0;
  // A merged conv (sibling_merge.h): the siblings' own outputs, channel slices of `output`
  // that the layers after it read; the golden check compares each part. Else empty.
  std::vector<int> output_parts;
  std::uint64_t ops = 0;      // DESIGN.md §4.4; a Lut or Mul: 1 per output element; a Softmax:
                              // isa::xdnn::kHostSoftmaxOpsPerElement (4) per output element; data
                              // movement (a concat copy, a channel gather): 0
};

// A tensor written into a slice of another tensor's buffer (concat by placement).
struct Placement {
  int buffer_tensor = -1;   // the concat output that owns the buffer (outermost, when nested)
  std::uint32_t channel_offset = 0;
};

struct LayerMapping {
  std::vector<XLayer> layers;
  std::map<int, int> aliases;           // reshape output -> the tensor it aliases
  std::map<int, Placement> placements;  // concat member -> where it lives
  std::vector<std::string> concats;     // names of the Concat nodes done by placement
  std::vector<std::string> unsupported; // "node 'x' (Conv): reason"
};

LayerMapping map_layers(const quant::QGraph& graph, const XdnnParams& hw, const CompileOptions& options);

// Why the array cannot run this conv, or "": the host model runs such a conv instead.
std::string array_conv_problem(const quant::QGraph& graph, const quant::QNode& node, const XdnnParams& hw);

// Which unit of the system runs a layer, as the report names it: "array" (convs, with a
// pipelined pool), "pool" (standalone pools), "eltwise", "ddr" (a concat or a channel gather
// copied through DDR by the DDR engine) or "host".
const char* layer_unit(const XLayer& layer);

// The tensor whose data `tensor` is (follows reshape aliases).
int resolve_alias(const LayerMapping& mapping, int tensor);


}  // namespace wb::xdnn
