// Activations, Clip, and NumPy-broadcasting binary/variadic ops.

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "compiler/golden/kernels.h"
#include "compiler/ir/broadcast.h"
#include "support/error.h"

namespace wb::golden {
namespace {

template <class T>
constexpr bool kNumeric = !std::is_same_v<T, bool>;

template <class T, class Fn>
void map_unary(const Tensor& x, Tensor& y, Fn fn) {
  const T* in = x.data<T>();
  T* out = y.data<T>();
  const std::int64_t n = x.numel();
#pragma omp parallel for schedule(static) if (n > (1 << 16))
  for (std::int64_t i = 0; i < n; ++i) out[i] = fn(in[i]);
}

template <class T>
void unary_typed(const Node& node, KernelInputs inputs, Tensor& y) {
  const Tensor& x = *inputs[0];
  switch (node.op) {
    case OpKind::Relu: map_unary<T>(x, y, [](T v) { return v > T(0) ? v : T(0); }); return;
    case OpKind::Clip: {
      const T lo = inputs.size() > 1 && inputs[1] ? inputs[1]->data<T>()[0] : std::numeric_limits<T>::lowest();
      const T hi = inputs.size() > 2 && inputs[2] ? inputs[2]->data<T>()[0] : std::numeric_limits<T>::max();
      map_unary<T>(x, y, [lo, hi](T v) { return std::min(std::max(v, lo), hi); });
      return;
    }
    default: break;
  }
  if constexpr (std::is_floating_point_v<T>) {
    const auto alpha = static_cast<T>(node.attrs.get_float("alpha", node.op == OpKind::LeakyRelu ? 0.01f : 0.2f));
    const auto beta = static_cast<T>(node.attrs.get_float("beta", 0.5f));
    switch (node.op) {
      case OpKind::LeakyRelu: map_unary<T>(x, y, [alpha](T v) { return v >= T(0) ? v : alpha * v; }); return;
      case OpKind::Sigmoid: map_unary<T>(x, y, [](T v) { return T(1) / (T(1) + std::exp(-v)); }); return;
      case OpKind::Tanh: map_unary<T>(x, y, [](T v) { return std::tanh(v); }); return;
      case OpKind::HardSigmoid:
        map_unary<T>(x, y, [alpha, beta](T v) { return std::max(T(0), std::min(T(1), alpha * v + beta)); });
        return;
      case OpKind::HardSwish:
        map_unary<T>(x, y, [](T v) { return v * std::max(T(0), std::min(T(1), v / T(6) + T(0.5))); });
        return;
      default: break;
    }
  }
  throw std::logic_error(fmt::format("{} is not defined on {}", op_name(node.op), dtype_name(x.dtype())));
}

template <class T>
T apply_binary(OpKind op, T a, T b, const Node& node) {
  switch (op) {
    case OpKind::Add:
    case OpKind::Sum: return static_cast<T>(a + b);
    case OpKind::Sub: return static_cast<T>(a - b);
    case OpKind::Mul: return static_cast<T>(a * b);
    case OpKind::Div:
      if constexpr (std::is_integral_v<T>) {
        if (b == T(0)) throw UserError(fmt::format("node '{}': integer division by zero", node.name));
        if constexpr (std::is_signed_v<T>) {
          if (a == std::numeric_limits<T>::lowest() && b == T(-1)) return a;  // wraps like two's complement
        }
      }
      return static_cast<T>(a / b);
    case OpKind::Max:
      if constexpr (std::is_floating_point_v<T>) {
        if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<T>::quiet_NaN();
      }
      return std::max(a, b);
    case OpKind::Min:
      if constexpr (std::is_floating_point_v<T>) {
        if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<T>::quiet_NaN();
      }
      return std::min(a, b);
    case OpKind::PRelu: return a < T(0) ? static_cast<T>(a * b) : a;
    default: break;
  }
  throw std::logic_error("not a binary op");
}

// po[i] = fn(pa[i], pb[i * b_step]) on all cores; the op is chosen outside the loop so the
// loop vectorises.
template <class T, class Fn>
void parallel_binary(const T* pa, const T* pb, std::int64_t b_step, T* po, std::int64_t n, Fn fn) {
#pragma omp parallel for schedule(static) if (n > (1 << 16))
  for (std::int64_t i = 0; i < n; ++i) po[i] = fn(pa[i], pb[i * b_step]);
}

// Float Add/Sub/Mul/Div of same-shape operands or by a scalar (residual adds, scalings);
// false for anything else. Same arithmetic as apply_binary.
template <class T>
bool fast_binary(OpKind op, const Tensor& a, const Tensor& b, Tensor& out) {
  if constexpr (!std::is_floating_point_v<T>) {
    return false;
  } else {
    if (a.shape() != out.shape() || (b.shape() != out.shape() && b.numel() != 1)) return false;
    const std::int64_t b_step = b.shape() == out.shape() ? 1 : 0;
    const T* pa = a.data<T>();
    const T* pb = b.data<T>();
    T* po = out.data<T>();
    const std::int64_t n = out.numel();
    switch (op) {
      case OpKind::Add:
      case OpKind::Sum: parallel_binary(pa, pb, b_step, po, n, [](T x, T y) { return x + y; }); return true;
      case OpKind::Sub: parallel_binary(pa, pb, b_step, po, n, [](T x, T y) { return x - y; }); return true;
      case OpKind::Mul: parallel_binary(pa, pb, b_step, po, n, [](T x, T y) { return x * y; }); return true;
      case OpKind::Div: parallel_binary(pa, pb, b_step, po, n, [](T x, T y) { return x / y; }); return true;
      default: return false;
    }
  }
}

// out = op(a, b) with both read through broadcast strides into out's shape.
template <class T>
void broadcast_binary(OpKind op, const Node& node, const Tensor& a, const Tensor& b, Tensor& out) {
  if (fast_binary<T>(op, a, b, out)) return;
  const T* pa = a.data<T>();
  const T* pb = b.data<T>();
  T* po = out.data<T>();
  const std::int64_t n = out.numel();
  if (a.shape() == out.shape() && b.shape() == out.shape()) {
    for (std::int64_t i = 0; i < n; ++i) po[i] = apply_binary<T>(op, pa[i], pb[i], node);
    return;
  }
  if (b.numel() == 1 && a.shape() == out.shape()) {
    for (std::int64_t i = 0; i < n; ++i) po[i] = apply_binary<T>(op, pa[i], pb[0], node);
    return;
  }
  const Shape& shape = out.shape();
  const std::size_t rank = shape.size();
  const Shape sa = broadcast_strides(a.shape(), shape);
  const Shape sb = broadcast_strides(b.shape(), shape);
  // Walk the output in order, innermost axis in a tight loop.
  const std::int64_t inner = rank == 0 ? 1 : shape[rank - 1];
  const std::int64_t ia = rank == 0 ? 0 : sa[rank - 1];
  const std::int64_t ib = rank == 0 ? 0 : sb[rank - 1];
  std::vector<std::int64_t> index(rank, 0);
  std::int64_t offset_a = 0;
  std::int64_t offset_b = 0;
  for (std::int64_t base = 0; base < n; base += inner) {
    for (std::int64_t i = 0; i < inner; ++i) po[base + i] = apply_binary<T>(op, pa[offset_a + i * ia], pb[offset_b + i * ib], node);
    for (std::size_t d = rank == 0 ? 0 : rank - 1; d-- > 0;) {  // odometer over the outer axes
      ++index[d];
      offset_a += sa[d];
      offset_b += sb[d];
      if (index[d] < shape[d]) break;
      offset_a -= sa[d] * shape[d];
      offset_b -= sb[d] * shape[d];
      index[d] = 0;
    }
  }
}

}  // namespace

void run_unary(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs) {
  visit_dtype(inputs[0]->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (kNumeric<T>) {
      unary_typed<T>(node, inputs, outputs[0]);
    } else {
      throw std::logic_error("activation on a bool tensor");
    }
  });
}

void run_binary(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs) {
  visit_dtype(inputs[0]->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (kNumeric<T>) {
      if (node.op == OpKind::PRelu) {
        broadcast_binary<T>(OpKind::PRelu, node, *inputs[0], *inputs[1], outputs[0]);
        return;
      }
      if (inputs.size() == 1) {
        outputs[0] = inputs[0]->reshaped(outputs[0].shape());
        return;
      }
      if (inputs.size() == 2) {  // straight into the output the executor allocated
        broadcast_binary<T>(node.op, node, *inputs[0], *inputs[1], outputs[0]);
        return;
      }
      // Variadic Sum/Max/Min fold left to right, broadcasting as they go.
      Tensor acc = *inputs[0];
      for (std::size_t i = 1; i < inputs.size(); ++i) {
        Tensor next(acc.dtype(), broadcast_shapes(acc.shape(), inputs[i]->shape()));
        broadcast_binary<T>(node.op, node, acc, *inputs[i], next);
        acc = std::move(next);
      }
      outputs[0] = std::move(acc);
    } else {
      throw std::logic_error("arithmetic on a bool tensor");
    }
  });
}

}  // namespace wb::golden
