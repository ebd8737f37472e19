#pragma once
// The cluster's legality table (kernel_rules.def): for each QGraph op a kernel runs, the
// kernel (or how one is chosen by shape), what makes a node of it illegal, and its MACs and
// ops. A new op enters as a row. docs/pulp.md's table of ops is generated from the rows
// (`kernel_rules_markdown`) and kept equal by a test.

#include <string>
#include <vector>

#include "compiler/pulp/layer_mapping.h"
#include "compiler/quant/qgraph.h"

namespace wb::pulp {

struct KernelRule {
  quant::QOpKind op;
  isa::pulp::KernelKind kernel;
  // Picks the kernel by shape (layer.inputs are resolved), or nullptr: always `kernel`.
  isa::pulp::KernelKind (*choose)(const quant::QGraph&, const PLayer&);
  // "" when the kernel runs the node, else why not; may order layer.inputs (Mul's).
  std::string (*problem)(const quant::QGraph&, const quant::QNode&, PLayer&);
  void (*count)(const quant::QGraph&, const quant::QNode&, PLayer&);
  const char* note;
};

const std::vector<KernelRule>& kernel_rules();

// The row of `op`, or nullptr (map_layers maps the op itself, or no kernel runs it).
const KernelRule* kernel_rule(quant::QOpKind op);

// The rows as docs/pulp.md's table: | op | kernel | note |.
std::string kernel_rules_markdown();

}  // namespace wb::pulp
