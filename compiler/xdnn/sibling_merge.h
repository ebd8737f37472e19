#pragma once
// Sibling merging (xfDNN's `A_merged_B`): dense convolutions that read the same tensor with
// the same window become one conv whose output channels are theirs side by side. The array
// then reads the input once, packs the output channels into fewer column groups
// (ceil((c1 + c2) / cols) <= ceil(c1 / cols) + ceil(c2 / cols)) and pays its pipeline fill
// and instruction issue once instead of once per sibling. Each sibling's output stays a
// tensor of its own: a channel slice of the merged output's buffer (as a concat member is a
// slice of the concat's), which the layers after it read in place.
//
// A conv joins a merge when it runs on the array, is not an FC, and its output is read by
// convolutions only (so no pool is pipelined behind it and it is neither a concat member
// nor a network output), and when merging does not cost a replication its reader would get
// (a narrow output read by one wide-kernel conv, buffer_plan.h). Siblings merge when their
// window (kernel, stride, dilation, pads), weight and output types, clamp bounds and
// intermediate width are equal; the requant becomes per channel where theirs differ.
//
// Merged buffers live longer than their parts would; compile_xdnn undoes the merge when that
// costs DDR traffic (compile.h).
//
// Pre: a verified QGraph in topological order.
// Post: `graph` (set only when something merged) is the input graph with each merged group
// replaced by one Conv at its first member's place, writing a new tensor appended after the
// input graph's tensors (so every tensor index of the input graph keeps its meaning); the
// siblings' outputs have no producer there, and `parts` says where each lives.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "compiler/quant/qgraph.h"
#include "compiler/xdnn/compile_options.h"
#include "compiler/xdnn/layer_mapping.h"
#include "isa/hw_config.h"

namespace wb::xdnn {

struct SiblingMerge {
  std::optional<quant::QGraph> graph;        // the graph with merged convs; empty: nothing merged
  std::map<int, Placement> parts;            // sibling output -> {merged output, channel offset}
  std::map<int, std::vector<int>> parts_of;  // merged output -> the sibling outputs, in channel order

  // The graph the compiler's later steps work on.
  const quant::QGraph& graph_or(const quant::QGraph& original) const { return graph ? *graph : original; }
};

SiblingMerge merge_siblings(const quant::QGraph& graph, const XdnnParams& hw, const CompileOptions& options);

// map_layers of merge.graph_or(graph), with the siblings' outputs placed in the merged
// outputs' buffers and listed as the merged layers' output parts.
LayerMapping map_merged_layers(const quant::QGraph& graph, const SiblingMerge& merge, const XdnnParams& hw,
                               const CompileOptions& options);

}  // namespace wb::xdnn
