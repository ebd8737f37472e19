// Equal, Where, Not, Mod, ScatterND (the masks of transformer exports, mostly evaluated once by
// fold-constants), Pow, Sqrt, Erf and Gelu (float only), and LayerNormalization.

#include <fmt/format.h>

#include <array>
#include <cmath>
#include <cstring>
#include <numbers>

#include "compiler/golden/kernels.h"
#include "compiler/ir/broadcast.h"
#include "compiler/ir/shape_inference.h"
#include "support/error.h"

namespace wb::golden {
namespace {

// Calls fn(i, offsets) for every element i of `out` in order, offsets[k] being the element of
// input k read there (NumPy broadcasting).
template <std::size_t N, class Fn>
void for_each_broadcast(const Shape& out, const std::array<const Shape*, N>& shapes, Fn fn) {
  const std::size_t rank = out.size();
  std::array<Shape, N> strides;
  for (std::size_t k = 0; k < N; ++k) strides[k] = broadcast_strides(*shapes[k], out);
  std::vector<std::int64_t> index(rank, 0);
  std::array<std::int64_t, N> offsets{};
  const std::int64_t n = num_elements(out);
  for (std::int64_t i = 0; i < n; ++i) {
    fn(i, offsets);
    for (std::size_t d = rank; d-- > 0;) {  // odometer, innermost axis first
      ++index[d];
      for (std::size_t k = 0; k < N; ++k) offsets[k] += strides[k][d];
      if (index[d] < out[d]) break;
      for (std::size_t k = 0; k < N; ++k) offsets[k] -= strides[k][d] * out[d];
      index[d] = 0;
    }
  }
}

template <class T>
T remainder_of(T a, T b, bool fmod, const Node& node) {
  if constexpr (std::is_floating_point_v<T>) {
    return std::fmod(a, b);
  } else {
    if (b == T(0)) throw UserError(fmt::format("node '{}': integer Mod by zero", node.name));
    if constexpr (std::is_signed_v<T>) {
      if (b == T(-1)) return T(0);  // lowest % -1 overflows in C++
      const T r = static_cast<T>(a % b);
      // fmod=0 is Python's %: the remainder takes the divisor's sign.
      return !fmod && r != T(0) && ((r < T(0)) != (b < T(0))) ? static_cast<T>(r + b) : r;
    } else {
      return static_cast<T>(a % b);
    }
  }
}

double gelu(double x, bool tanh_form) {
  if (tanh_form) {
    const double c = std::sqrt(2.0 / std::numbers::pi);
    return 0.5 * x * (1.0 + std::tanh(c * (x + 0.044715 * x * x * x)));
  }
  return 0.5 * x * (1.0 + std::erf(x / std::numbers::sqrt2));
}

}  // namespace

void run_equal(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs) {
  const Tensor& a = *inputs[0];
  const Tensor& b = *inputs[1];
  bool* out = outputs[0].data<bool>();
  visit_dtype(a.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* pa = a.data<T>();
    const T* pb = b.data<T>();
    for_each_broadcast<2>(outputs[0].shape(), {&a.shape(), &b.shape()},
                          [&](std::int64_t i, const auto& at) { out[i] = pa[at[0]] == pb[at[1]]; });
  });
  (void)node;
}

void run_where(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs) {
  const Tensor& condition = *inputs[0];
  const Tensor& x = *inputs[1];
  const Tensor& y = *inputs[2];
  const bool* pc = condition.data<bool>();
  visit_dtype(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* px = x.data<T>();
    const T* py = y.data<T>();
    T* out = outputs[0].data<T>();
    for_each_broadcast<3>(outputs[0].shape(), {&condition.shape(), &x.shape(), &y.shape()},
                          [&](std::int64_t i, const auto& at) { out[i] = pc[at[0]] ? px[at[1]] : py[at[2]]; });
  });
  (void)node;
}

void run_not(const Node&, KernelInputs inputs, std::vector<Tensor>& outputs) {
  const bool* in = inputs[0]->data<bool>();
  bool* out = outputs[0].data<bool>();
  for (std::int64_t i = 0; i < inputs[0]->numel(); ++i) out[i] = !in[i];
}

void run_mod(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs) {
  const Tensor& a = *inputs[0];
  const Tensor& b = *inputs[1];
  const bool fmod = node.attrs.get_int("fmod", 0) != 0;
  visit_dtype(a.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, bool>) {
      throw std::logic_error("Mod of bool tensors");
    } else {
      const T* pa = a.data<T>();
      const T* pb = b.data<T>();
      T* out = outputs[0].data<T>();
      for_each_broadcast<2>(outputs[0].shape(), {&a.shape(), &b.shape()}, [&](std::int64_t i, const auto& at) {
        out[i] = remainder_of<T>(pa[at[0]], pb[at[1]], fmod, node);
      });
    }
  });
}

void run_pow(const Node&, KernelInputs inputs, std::vector<Tensor>& outputs) {
  const Tensor& x = *inputs[0];
  const Tensor exponent = inputs[1]->cast(x.dtype());
  visit_dtype(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_floating_point_v<T>) {
      const T* px = x.data<T>();
      const T* pe = exponent.data<T>();
      T* out = outputs[0].data<T>();
      for_each_broadcast<2>(outputs[0].shape(), {&x.shape(), &exponent.shape()},
                            [&](std::int64_t i, const auto& at) { out[i] = std::pow(px[at[0]], pe[at[1]]); });
    } else {
      throw std::logic_error("Pow of a non-float tensor");
    }
  });
}

void run_float_unary(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs) {
  const Tensor& x = *inputs[0];
  const bool tanh_form = node.op == OpKind::Gelu && node.attrs.get_string("approximate", "none") == "tanh";
  visit_dtype(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_floating_point_v<T>) {
      const T* in = x.data<T>();
      T* out = outputs[0].data<T>();
      const std::int64_t n = x.numel();
      switch (node.op) {
        case OpKind::Sqrt:
          for (std::int64_t i = 0; i < n; ++i) out[i] = std::sqrt(in[i]);
          return;
        case OpKind::Reciprocal:
          for (std::int64_t i = 0; i < n; ++i) out[i] = T{1} / in[i];
          return;
        case OpKind::Erf:
          for (std::int64_t i = 0; i < n; ++i) out[i] = std::erf(in[i]);
          return;
        case OpKind::Gelu:
#pragma omp parallel for schedule(static) if (n > (1 << 16))
          for (std::int64_t i = 0; i < n; ++i) out[i] = static_cast<T>(gelu(static_cast<double>(in[i]), tanh_form));
          return;
        default: break;
      }
    }
    throw std::logic_error(fmt::format("{} is not defined on {}", op_name(node.op), dtype_name(x.dtype())));
  });
}

void run_neg(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs) {
  const Tensor& x = *inputs[0];
  visit_dtype(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_floating_point_v<T> || (std::is_integral_v<T> && std::is_signed_v<T>)) {
      const T* in = x.data<T>();
      T* out = outputs[0].data<T>();
      // Two's complement: the most negative integer stays itself, as in ONNX's reference.
      for (std::int64_t i = 0; i < x.numel(); ++i) out[i] = static_cast<T>(T{0} - in[i]);
    } else {
      throw std::logic_error(fmt::format("{} is not defined on {}", op_name(node.op), dtype_name(x.dtype())));
    }
  });
}

// Keeps row r, column c of each matrix of the last two axes when c - r >= k (upper) or
// c - r <= k (lower); zeroes the rest.
void run_trilu(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs) {
  const Tensor& x = *inputs[0];
  const std::int64_t k = inputs.size() > 1 && inputs[1] != nullptr ? inputs[1]->as_int64(0) : 0;
  const bool upper = node.attrs.get_int("upper", 1) != 0;
  const std::int64_t rows = x.shape()[x.shape().size() - 2];
  const std::int64_t cols = x.shape().back();
  visit_dtype(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* in = x.data<T>();
    T* out = outputs[0].data<T>();
    for (std::int64_t i = 0; i < x.numel(); ++i) {
      const std::int64_t diagonal = i % cols - (i / cols) % rows;
      out[i] = (upper ? diagonal >= k : diagonal <= k) ? in[i] : T{};
    }
  });
}

// Mean and variance in double over the trailing axes from `axis`, then scale and bias
// broadcast over those axes (ONNX LayerNormalization, stash_type ignored: double is at least
// as precise as what it asks for). RMSNormalization (opset 23) is the same without the mean:
// x / sqrt(mean(x^2) + epsilon) * scale.
void run_layer_normalization(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs) {
  const Tensor& x = *inputs[0];
  const std::int64_t axis = normalize_axis(node.attrs.get_int("axis", -1), x.rank());
  const double epsilon = node.attrs.get_float("epsilon", 1e-5f);
  const Shape normalized(x.shape().begin() + axis, x.shape().end());
  const std::int64_t length = num_elements(normalized);
  const std::int64_t rows = length == 0 ? 0 : x.numel() / length;
  const auto expand = [&](const Tensor* p, double fill) {
    std::vector<double> values(static_cast<std::size_t>(length), fill);
    if (p == nullptr) return values;
    const auto source = p->to_double_vector();
    for_each_broadcast<1>(normalized, {&p->shape()}, [&](std::int64_t i, const auto& at) {
      values[static_cast<std::size_t>(i)] = source[static_cast<std::size_t>(at[0])];
    });
    return values;
  };
  const auto scale = expand(inputs[1], 1.0);
  const auto bias = expand(inputs.size() > 2 ? inputs[2] : nullptr, 0.0);
  const bool centred = node.op == OpKind::LayerNormalization;
  visit_dtype(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_floating_point_v<T>) {
      const T* in = x.data<T>();
      T* out = outputs[0].data<T>();
#pragma omp parallel for schedule(static) if (rows > 64)
      for (std::int64_t r = 0; r < rows; ++r) {
        const T* row = in + r * length;
        double sum = 0;
        for (std::int64_t i = 0; i < length; ++i) sum += row[i];
        const double mean = centred ? sum / static_cast<double>(length) : 0.0;
        double squares = 0;
        for (std::int64_t i = 0; i < length; ++i) squares += (row[i] - mean) * (row[i] - mean);
        const double inv_std = 1.0 / std::sqrt(squares / static_cast<double>(length) + epsilon);
        for (std::int64_t i = 0; i < length; ++i) {
          const auto k = static_cast<std::size_t>(i);
          out[r * length + i] = static_cast<T>((row[i] - mean) * inv_std * scale[k] + bias[k]);
        }
      }
    } else {
      throw std::logic_error(fmt::format("{} of a non-float tensor", op_name(node.op)));
    }
  });
}

// ONNX ScatterND without reduction: a copy of data with updates written at the index tuples,
// in order (a later duplicate wins).
void run_scatter_nd(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs) {
  const Tensor& data = *inputs[0];
  const Tensor& indices = *inputs[1];
  const Tensor& updates = *inputs[2];
  outputs[0] = data;
  const std::int64_t k = indices.shape().back();
  const Shape& shape = data.shape();
  std::int64_t slice = 1;
  for (std::size_t d = static_cast<std::size_t>(k); d < shape.size(); ++d) slice *= shape[d];
  const std::int64_t tuples = k == 0 ? 0 : indices.numel() / k;
  const std::int64_t* idx = indices.data<std::int64_t>();
  const std::size_t element = dtype_size(data.dtype());
  auto* out = outputs[0].raw();
  const auto* in = updates.raw();
  for (std::int64_t t = 0; t < tuples; ++t) {
    std::int64_t offset = 0;
    for (std::int64_t d = 0; d < k; ++d) {
      std::int64_t i = idx[t * k + d];
      const std::int64_t extent = shape[static_cast<std::size_t>(d)];
      if (i < 0) i += extent;
      if (i < 0 || i >= extent) {
        throw UserError(fmt::format("node '{}': index {} out of range for an axis of {}", node.name,
                                    idx[t * k + d], extent));
      }
      offset = offset * extent + i;
    }
    std::memcpy(out + offset * slice * static_cast<std::int64_t>(element),
                in + t * slice * static_cast<std::int64_t>(element), static_cast<std::size_t>(slice) * element);
  }
}

}  // namespace wb::golden
