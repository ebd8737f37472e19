#include "compiler/xdnn/layer_rules.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "compiler/quant/qgraph_queries.h"
#include "compiler/xdnn/layer_problems.h"
#include "isa/xdnn_program.h"

namespace wb::xdnn {

const std::vector<LayerRule>& layer_rules() {
  static const std::vector<LayerRule> rules = {
#define WB_XDNN_LAYER(op, kind, type, problem, host_reason, ops_per_element, ops_per_mac) \
  LayerRule{quant::QOpKind::op, XLayerKind::kind, type, &problem, host_reason, ops_per_element, ops_per_mac},
#include "compiler/xdnn/layer_rules.def"
  };
  return rules;
}

const LayerRule* layer_rule(quant::QOpKind op) {
  const auto& rules = layer_rules();
  const auto it = std::find_if(rules.begin(), rules.end(), [&](const LayerRule& r) { return r.op == op; });
  return it == rules.end() ? nullptr : &*it;
}

void apply_rule(const LayerRule& rule, const quant::QGraph& graph, const quant::QNode& node, int index, XLayer& layer) {
  layer.kind = rule.kind;
  layer.type = rule.type;
  switch (rule.kind) {
    case XLayerKind::HostElementwise: layer.host_node = index; break;
    case XLayerKind::PixelCopy: layer.copy_node = index; break;
    case XLayerKind::ChannelGather: layer.gather_node = index; break;
    default: throw std::logic_error(fmt::format("layer_rules.def: no row makes a layer of kind {}", rule.type));
  }
  layer.host_reason = rule.host_reason;
  layer.on_host = !layer.host_reason.empty();
  if (rule.ops_per_mac > 0) layer.macs = quant::matmul_macs(graph, node);
  layer.ops = rule.ops_per_element * quant::element_count(graph.tensor(node.output)) + rule.ops_per_mac * layer.macs;
}

std::string layer_rules_markdown() {
  std::string table = "| op | layer (`type`) | unit | why the host model runs it |\n|---|---|---|---|\n";
  for (const LayerRule& rule : layer_rules()) {
    XLayer layer;
    layer.kind = rule.kind;
    layer.on_host = rule.host_reason[0] != '\0';
    table += fmt::format("| {} | `{}` | {} | {} |\n", quant::qop_name(rule.op), rule.type, layer_unit(layer),
                         layer.on_host ? rule.host_reason : "-");
  }
  return table;
}

}  // namespace wb::xdnn
