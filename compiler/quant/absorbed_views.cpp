#include "compiler/quant/absorbed_views.h"

#include "compiler/ir/token_ids.h"

namespace wb::quant {

AbsorbedViews absorbed_views(const Graph& graph) {
  AbsorbedViews found;
  for (const Value* input : graph.inputs()) {
    const TokenInputView view = token_input_view(graph, *input);
    if (view.reshape == nullptr) continue;
    found.nodes.insert({view.transpose, view.reshape});
    found.token_inputs.emplace(input, view);
  }
  for (const Value* output : graph.outputs()) {
    const TokenOutputView view = token_output_view(graph, *output);
    if (view.image == nullptr) continue;
    found.nodes.insert({view.transpose, view.reshape});
    found.token_outputs.emplace(output, view);
  }
  for (const Node* node : graph.topological_order()) {
    switch (node->op) {
      case OpKind::MatMul:
        if (auto product = attention_product(graph, *node)) {
          found.nodes.insert(product->views.begin(), product->views.end());
          found.products.emplace(node, std::move(*product));
        }
        break;
      case OpKind::Softmax: {
        if (CausalScores causal = causal_scores(graph, *node); causal.scores != nullptr) {
          if (!causal.problem.empty()) {
            // The Softmax names the mask, the root cause, once: neither is refused again.
            found.nodes.insert({causal.mask_node, node});
            found.mask_problems.emplace_back(node, std::move(causal.problem));
          } else {
            found.nodes.insert(causal.mask_node);
            found.causal_masks.emplace(node, std::move(causal));
          }
          break;
        }
        MaskedScores mask = masked_scores(graph, *node);
        if (mask.scores == nullptr) break;
        if (!mask.problem.empty()) {
          found.mask_problems.emplace_back(node, std::move(mask.problem));
          break;
        }
        found.nodes.insert(mask.views.begin(), mask.views.end());
        found.masks.emplace(node, std::move(mask));
        break;
      }
      case OpKind::Gather:
        if (embedding_table(*node) != nullptr) {
          const TokenInputView view = token_input_view(graph, *node->output(0));
          if (view.reshape == nullptr) break;
          found.nodes.insert({view.transpose, view.reshape});
          found.embeddings.emplace(node, view);
          break;
        }
        if (PixelGatherView view = pixel_gather(graph, *node); view.output != nullptr) {
          if (view.flatten != nullptr) found.nodes.insert(view.flatten);
          if (view.unflatten != nullptr) found.nodes.insert(view.unflatten);
          found.pixel_gathers.emplace(node, std::move(view));
        }
        break;
      default: break;
    }
  }
  return found;
}

}  // namespace wb::quant
