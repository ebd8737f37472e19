#include "compiler/ir/op_counts.h"

#include <algorithm>

#include "compiler/ir/fusion.h"
#include "compiler/ir/recurrent.h"
#include "compiler/ir/transposed_window.h"
#include "compiler/ir/window_geometry.h"

namespace wb {
namespace {

std::int64_t elements(const Value* v) { return v != nullptr && v->has_type() ? num_elements(v->shape) : 0; }

std::int64_t constant_elements(const Node& node, std::initializer_list<std::size_t> indices) {
  std::int64_t total = 0;
  for (std::size_t i : indices) {
    if (const Tensor* t = node.constant_input(i)) total += t->numel();
  }
  return total;
}

std::int64_t conv_macs(const Node& node) {
  const std::size_t weight_index = node.op == OpKind::QLinearConv ? 3 : 1;
  const Value* w = node.input(weight_index);
  const Value* y = node.output(0);
  if (w == nullptr || !w->has_type() || y == nullptr || !y->has_type()) return 0;
  // Every output element accumulates over (Cin/group) * kernel taps = product of W's dims 1..
  std::int64_t per_output = 1;
  for (std::size_t d = 1; d < w->shape.size(); ++d) per_output *= w->shape[d];
  if (node.op == OpKind::Conv && has_input_dilations(node.attrs) && node.input(0) != nullptr &&
      node.input(0)->has_type()) {
    // Over a zero-inserted input a tap on an inserted zero is no MAC: count the taps on pixels
    // (and padding) per output, axis by axis (the ConvTranspose's MACs).
    const Shape dilated = dilated_input_shape(node.attrs, node.input(0)->shape);
    const WindowGeometry g =
        resolve_window(node.attrs, dilated, std::vector<std::int64_t>(w->shape.begin() + 2, w->shape.end()));
    const auto step = node.attrs.get_ints(kInputDilationsAttr);
    std::int64_t taps = y->shape[0] * y->shape[1] * w->shape[1];
    for (std::size_t a = 0; a < g.rank(); ++a) {
      taps *= taps_on_pixels(g.output[a], g.kernel[a], g.strides[a], g.dilations[a], g.pads_begin[a], step[a]);
    }
    return taps;
  }
  return elements(y) * per_output;
}

std::int64_t matmul_macs(const Node& node) {
  const Value* a = node.input(0);
  const Value* y = node.output(0);
  if (a == nullptr || !a->has_type() || y == nullptr || !y->has_type()) return 0;
  std::int64_t k = 0;
  if (node.op == OpKind::Gemm) {
    k = node.attrs.get_int("transA", 0) != 0 ? a->shape[0] : a->shape[1];
  } else {
    k = a->shape.back();
  }
  return elements(y) * k;
}

std::int64_t pool_ops(const Node& node) {
  const Value* x = node.input(0);
  const Value* y = node.output(0);
  if (x == nullptr || !x->has_type() || y == nullptr || !y->has_type()) return 0;
  if (node.op == OpKind::GlobalAveragePool || node.op == OpKind::GlobalMaxPool) return elements(x);
  std::int64_t window = 1;
  for (std::int64_t k : node.attrs.get_ints("kernel_shape")) window *= k;
  return elements(y) * window;
}

// Counted as a convolution's MACs are: every output pixel's taps, padding taps included.
std::int64_t conv_transpose_macs(const Node& node) {
  const Value* x = node.input(0);
  const Value* w = node.input(1);
  if (x == nullptr || w == nullptr || !x->has_type() || !w->has_type() || x->shape.size() < 3) return 0;
  const TransposedWindow g =
      resolve_transposed_window(node.attrs, x->shape, std::vector<std::int64_t>(w->shape.begin() + 2, w->shape.end()));
  std::int64_t macs = x->shape[0] * x->shape[1] * w->shape[1];  // N x C_in x C_out / group
  for (std::size_t a = 0; a < g.rank(); ++a) macs *= g.output_taps(a);
  return macs;
}

}  // namespace

bool is_conv_op(OpKind op) {
  return op == OpKind::Conv || op == OpKind::ConvInteger || op == OpKind::QLinearConv || op == OpKind::ConvTranspose;
}

bool is_matmul_op(OpKind op) {
  return op == OpKind::Gemm || op == OpKind::MatMul || op == OpKind::MatMulInteger || op == OpKind::QLinearMatMul;
}

OpCounts count_node(const Node& node) {
  OpCounts counts;
  switch (node.op) {
    case OpKind::Conv:
    case OpKind::ConvInteger:
      counts.macs = conv_macs(node);
      counts.params = constant_elements(node, {1, 2});
      // A fused residual is the eltwise add it replaced: one op per output element.
      if (node.op == OpKind::Conv && node.input(kConvResidualInput) != nullptr) counts.ops = elements(node.output(0));
      break;
    case OpKind::QLinearConv:
      counts.macs = conv_macs(node);
      counts.params = constant_elements(node, {3, 8});
      break;
    case OpKind::ConvTranspose:
      counts.macs = conv_transpose_macs(node);
      counts.params = constant_elements(node, {1, 2});
      break;
    case OpKind::LSTM:
    case OpKind::GRU:
    case OpKind::RNN: {
      // Each step's gate products: G H outputs over the input and the state, per direction.
      const Value* x = node.input(0);
      if (x != nullptr && x->has_type() && node.input(1) != nullptr && node.input(1)->has_type()) {
        const RecurrentSpec s = recurrent_spec(node);
        counts.macs = s.steps * s.batch * s.directions * s.gates * s.hidden * (s.input + s.hidden);
      }
      counts.params = constant_elements(node, {1, 2, 3, 7});
      break;
    }
    case OpKind::Gemm:
      counts.macs = matmul_macs(node);
      counts.params = constant_elements(node, {0, 1, 2});
      break;
    case OpKind::MatMul:
    case OpKind::MatMulInteger:
      counts.macs = matmul_macs(node);
      counts.params = constant_elements(node, {0, 1});
      break;
    case OpKind::QLinearMatMul:
      counts.macs = matmul_macs(node);
      counts.params = constant_elements(node, {0, 3});
      break;
    case OpKind::MaxPool:
    case OpKind::AveragePool:
    case OpKind::GlobalAveragePool:
    case OpKind::GlobalMaxPool: counts.ops = pool_ops(node); break;
    case OpKind::BatchNormalization: counts.params = constant_elements(node, {1, 2, 3, 4}); break;
    case OpKind::LayerNormalization:
    case OpKind::RMSNormalization: counts.params = constant_elements(node, {1, 2}); break;
    case OpKind::PRelu: counts.params = constant_elements(node, {1}); break;
    default:
      if (is_elementwise_arithmetic(node.op)) {
        counts.ops = elements(node.output(0)) * std::max<std::int64_t>(0, static_cast<std::int64_t>(node.inputs.size()) - 1);
      }
      break;
  }
  counts.ops += 2 * counts.macs;
  return counts;
}

}  // namespace wb
