#include "compiler/ir/token_ids.h"

#include <algorithm>
#include <vector>

namespace wb {

namespace {

bool keeps_values(OpKind op) {
  return op == OpKind::Cast || op == OpKind::Reshape || op == OpKind::Flatten || op == OpKind::Squeeze ||
         op == OpKind::Unsqueeze;
}

}  // namespace

const Tensor* embedding_table(const Node& node) {
  const Value* ids = node.input(1);
  const Tensor* table = node.constant_input(0);
  if (node.op != OpKind::Gather || table == nullptr || table->rank() != 2 || ids == nullptr || ids->is_constant() ||
      !ids->has_type() || !is_integer(ids->dtype) || node.attrs.get_int("axis", 0) != 0) {
    return nullptr;
  }
  return table;
}

std::optional<std::int64_t> token_id_rows(const Graph& graph, const Value& input) {
  if (!input.has_type() || !is_integer(input.dtype)) return std::nullopt;
  std::optional<std::int64_t> rows;
  std::vector<const Value*> pending{&input};
  while (!pending.empty()) {
    const Value* ids = pending.back();
    pending.pop_back();
    for (const Node* reader : graph.users(ids)) {
      if (keeps_values(reader->op) && reader->input(0) == ids) {
        pending.push_back(reader->output(0));
        continue;
      }
      const Tensor* table = reader->input(1) == ids ? embedding_table(*reader) : nullptr;
      if (table == nullptr) continue;
      rows = std::min(rows.value_or(table->shape()[0]), table->shape()[0]);
    }
  }
  return rows;
}

}  // namespace wb
