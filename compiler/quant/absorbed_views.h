#pragma once
// The patterns of several float-graph nodes that one QNode computes (node_patterns.h states
// each), found in one walk before a reader builds QNodes: the quantizer over the fused float
// graph and the QDQ importer over an exported one take the same nodes as one.

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "compiler/ir/graph.h"
#include "compiler/quant/node_patterns.h"

namespace wb::quant {

struct AbsorbedViews {
  // Every node some pattern takes into another node's QNode: a reader skips these.
  std::set<const Node*> nodes;
  std::map<const Node*, AttentionProduct> products;      // MatMul -> the attention product it computes
  std::map<const Node*, MaskedScores> masks;             // Softmax -> Swin's mask before it (regions)
  std::map<const Node*, CausalScores> causal_masks;     // Softmax -> a decoder's causal mask before it
  // Softmax -> why the mask before it is no regions (or not causal), in the graph's order.
  std::vector<std::pair<const Node*, std::string>> mask_problems;
  std::map<const Node*, PixelGatherView> pixel_gathers;  // Gather -> the pixel gather it computes
  // An embedding's Gather -> the view reading its rows as the image of their tokens
  // (compiler/ir/token_ids.h): the Embedding's output is that image.
  std::map<const Node*, TokenInputView> embeddings;
  std::map<const Value*, TokenInputView> token_inputs;   // graph input -> the view reading it as its image
  std::map<const Value*, TokenOutputView> token_outputs;  // graph output -> the view writing it from its image
};

AbsorbedViews absorbed_views(const Graph& graph);

}  // namespace wb::quant
