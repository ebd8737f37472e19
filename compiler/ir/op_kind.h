#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace wb {

enum class OpKind {
#define WB_OP(kind, onnx_name) kind,
#include "compiler/ir/ops.def"
  Unsupported,  // kept by the lenient importer so `inspect` can show the whole model
};

std::string_view op_name(OpKind op);
std::optional<OpKind> op_from_name(std::string_view onnx_op_type);
std::vector<OpKind> all_ops();

// Add, Sub, Mul, Div, Max, Min, Sum: NumPy-broadcasting arithmetic over any number of inputs.
bool is_elementwise_arithmetic(OpKind op);
// Relu, LeakyRelu, Sigmoid, HardSigmoid, HardSwish, Tanh, Clip: one value in, one out.
bool is_unary_activation(OpKind op);
// LayerNormalization, RMSNormalization: each row over the trailing axes normalised, then scaled
// (and shifted); the same shapes, layouts and integer kernel (RMS without the mean).
bool is_row_normalization(OpKind op);

}  // namespace wb
