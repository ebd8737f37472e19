#pragma once
// The overlay's legality table (layer_rules.def): for each QGraph op that is one layer of its
// own, the layer it becomes, what makes a node of it illegal, and, for what the overlay has no
// unit for, the host model's reason. A new op enters as a row. docs/xdnn.md's table of ops is
// generated from the rows (`layer_rules_markdown`) and kept equal by a test.

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/quant/qgraph.h"
#include "compiler/xdnn/layer_mapping.h"

namespace wb::xdnn {

struct LayerRule {
  quant::QOpKind op;
  XLayerKind kind;
  const char* type;
  std::string (*problem)(const quant::QGraph&, const quant::QNode&);
  const char* host_reason;  // "" on the overlay's own units
  std::uint64_t ops_per_element;
  std::uint64_t ops_per_mac;
};

const std::vector<LayerRule>& layer_rules();

// The row of `op`, or nullptr (map_layers maps the op itself, or the overlay has none).
const LayerRule* layer_rule(quant::QOpKind op);

// The layer a row makes of `node` (index `index`): its kind, type, host reason, MACs and
// ops; the caller sets its inputs and output.
void apply_rule(const LayerRule& rule, const quant::QGraph& graph, const quant::QNode& node, int index, XLayer& layer);

// The rows as docs/xdnn.md's table: | op | layer | unit | why the host runs it |.
std::string layer_rules_markdown();

}  // namespace wb::xdnn
