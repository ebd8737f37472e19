#include "compiler/ir/op_kind.h"

#include <array>
#include <utility>

namespace wb {
namespace {

struct OpEntry {
  OpKind kind;
  std::string_view name;
};

constexpr std::array kOps = {
#define WB_OP(kind, onnx_name) OpEntry{OpKind::kind, onnx_name},
#include "compiler/ir/ops.def"
};

}  // namespace

std::string_view op_name(OpKind op) {
  for (const auto& entry : kOps) {
    if (entry.kind == op) return entry.name;
  }
  return "Unsupported";
}

std::optional<OpKind> op_from_name(std::string_view onnx_op_type) {
  for (const auto& entry : kOps) {
    if (entry.name == onnx_op_type) return entry.kind;
  }
  return std::nullopt;
}

std::vector<OpKind> all_ops() {
  std::vector<OpKind> ops;
  for (const auto& entry : kOps) ops.push_back(entry.kind);
  return ops;
}

bool is_unary_activation(OpKind op) {
  switch (op) {
    case OpKind::Relu:
    case OpKind::LeakyRelu:
    case OpKind::Sigmoid:
    case OpKind::HardSigmoid:
    case OpKind::HardSwish:
    case OpKind::Tanh:
    case OpKind::Clip: return true;
    default: return false;
  }
}

bool is_row_normalization(OpKind op) { return op == OpKind::LayerNormalization || op == OpKind::RMSNormalization; }

bool is_elementwise_arithmetic(OpKind op) {
  switch (op) {
    case OpKind::Add:
    case OpKind::Sub:
    case OpKind::Mul:
    case OpKind::Div:
    case OpKind::Max:
    case OpKind::Min:
    case OpKind::Sum: return true;
    default: return false;
  }
}

}  // namespace wb
