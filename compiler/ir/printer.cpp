#include "compiler/ir/printer.h"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <sstream>
#include <vector>

namespace wb {

std::string format_value_type(const Value& value) {
  if (!value.has_type()) return "?";
  return fmt::format("{}{}", dtype_name(value.dtype), format_shape(value.shape));
}

namespace {

std::string format_operand(const Value* value) {
  if (value == nullptr) return "<none>";
  if (value->is_constant()) return fmt::format("%{} : const {}", value->name, format_value_type(*value));
  return fmt::format("%{}", value->name);
}

}  // namespace

void print_graph(std::ostream& os, const Graph& graph) {
  fmt::print(os, "graph \"{}\" (opset {})\n", graph.name, graph.opset);
  for (const Value* in : graph.inputs()) fmt::print(os, "input %{} : {}\n", in->name, format_value_type(*in));
  for (const Node* node : graph.topological_order()) {
    std::vector<std::string> results;
    for (const Value* out : node->outputs) {
      results.push_back(out ? fmt::format("%{} : {}", out->name, format_value_type(*out)) : "<none>");
    }
    std::vector<std::string> operands;
    for (const Value* in : node->inputs) operands.push_back(format_operand(in));
    std::vector<std::string> attrs;
    for (const auto& [name, value] : node->attrs.all()) attrs.push_back(fmt::format("{}={}", name, format_attr_value(value)));
    fmt::print(os, "{} = {} \"{}\" ({})", fmt::join(results, ", "), node->op_type, node->name,
               fmt::join(operands, ", "));
    if (!attrs.empty()) fmt::print(os, " {{{}}}", fmt::join(attrs, ", "));
    os << '\n';
  }
  for (const Value* out : graph.outputs()) fmt::print(os, "output %{} : {}\n", out->name, format_value_type(*out));
}

std::string to_string(const Graph& graph) {
  std::ostringstream os;
  print_graph(os, graph);
  return os.str();
}

}  // namespace wb
