// Gemm, MatMul (NumPy semantics, batched and broadcast), MatMulInteger, QLinearMatMul.

#include <Eigen/Core>
#include <optional>

#include "compiler/golden/kernels.h"
#include "compiler/golden/requantize.h"
#include "compiler/ir/fusion.h"
#include "compiler/ir/broadcast.h"

namespace wb::golden {
namespace {

template <class T>
using RowMatrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using ConstRowMap = Eigen::Map<const RowMatrix<T>>;

// Batched matrix product over broadcast batch axes; `gemm(a_offset, b_offset, y_offset)`
// multiplies one [m x k] by one [k x n] block.
struct MatMulPlan {
  std::int64_t m = 1, k = 1, n = 1;
  std::vector<std::int64_t> a_offsets, b_offsets;  // element offsets per output batch

  MatMulPlan(Shape a, Shape b) {
    const bool a_vector = a.size() == 1;
    const bool b_vector = b.size() == 1;
    if (a_vector) a.insert(a.begin(), 1);
    if (b_vector) b.push_back(1);
    m = a[a.size() - 2];
    k = a.back();
    n = b.back();
    const Shape a_batch(a.begin(), a.end() - 2);
    const Shape b_batch(b.begin(), b.end() - 2);
    const Shape batch = broadcast_shapes(a_batch, b_batch);
    const Shape sa = broadcast_strides(a_batch, batch);
    const Shape sb = broadcast_strides(b_batch, batch);
    const std::int64_t count = num_elements(batch);
    std::vector<std::int64_t> index(batch.size(), 0);
    for (std::int64_t i = 0; i < count; ++i) {
      std::int64_t oa = 0;
      std::int64_t ob = 0;
      for (std::size_t d = 0; d < batch.size(); ++d) {
        oa += index[d] * sa[d];
        ob += index[d] * sb[d];
      }
      a_offsets.push_back(oa * m * k);
      b_offsets.push_back(ob * k * n);
      for (std::size_t d = batch.size(); d-- > 0;) {
        if (++index[d] < batch[d]) break;
        index[d] = 0;
      }
    }
  }
};

template <class T>
void matmul_float(const Tensor& a, const Tensor& b, Tensor& y) {
  const MatMulPlan plan(a.shape(), b.shape());
  for (std::size_t i = 0; i < plan.a_offsets.size(); ++i) {
    Eigen::Map<RowMatrix<T>>(y.data<T>() + static_cast<std::int64_t>(i) * plan.m * plan.n, plan.m, plan.n).noalias() =
        ConstRowMap<T>(a.data<T>() + plan.a_offsets[i], plan.m, plan.k) *
        ConstRowMap<T>(b.data<T>() + plan.b_offsets[i], plan.k, plan.n);
  }
}

// Zero-point-shifted operand as an int64 matrix block. Zero points are per tensor, per row
// of A (`per_row`) or per column of B.
RowMatrix<std::int64_t> shifted(const Tensor& t, std::int64_t offset, std::int64_t rows, std::int64_t cols,
                                const std::vector<std::int64_t>& zero, bool per_row) {
  RowMatrix<std::int64_t> out(rows, cols);
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::int64_t c = 0; c < cols; ++c) {
      const std::int64_t z = zero.size() == 1 ? zero[0] : zero[static_cast<std::size_t>(per_row ? r : c)];
      out(r, c) = t.as_int64(offset + r * cols + c) - z;
    }
  }
  return out;
}

std::vector<std::int64_t> zero_points(const Tensor* t) {
  return t == nullptr ? std::vector<std::int64_t>{0} : t->to_int64_vector();
}

void matmul_integer(const Node& node, KernelInputs inputs, Tensor& y) {
  const bool qlinear = node.op == OpKind::QLinearMatMul;
  const Tensor& a = *inputs[0];
  const Tensor& b = *inputs[qlinear ? 3 : 1];
  const auto a_zero = zero_points(inputs.size() > 2 ? inputs[2] : nullptr);
  const auto b_zero = zero_points(qlinear ? inputs[5] : (inputs.size() > 3 ? inputs[3] : nullptr));
  const MatMulPlan plan(a.shape(), b.shape());
  std::optional<QLinearOutput> requant;
  if (qlinear) requant.emplace(*inputs[1], inputs[4]->to_double_vector(), *inputs[6], *inputs[7]);
  for (std::size_t i = 0; i < plan.a_offsets.size(); ++i) {
    const RowMatrix<std::int64_t> acc = shifted(a, plan.a_offsets[i], plan.m, plan.k, a_zero, true) *
                                        shifted(b, plan.b_offsets[i], plan.k, plan.n, b_zero, false);
    const std::int64_t base = static_cast<std::int64_t>(i) * plan.m * plan.n;
    if (!requant) {
      for (std::int64_t j = 0; j < plan.m * plan.n; ++j) {
        y.data<std::int32_t>()[base + j] = static_cast<std::int32_t>(acc.data()[j]);
      }
      continue;
    }
    // Per-column scales of B: requantise column by column.
    for (std::int64_t r = 0; r < plan.m; ++r) {
      for (std::int64_t c = 0; c < plan.n; ++c) {
        const std::int64_t value = static_cast<std::int32_t>(acc(r, c));
        const std::size_t channel = inputs[4]->numel() == 1 ? 0 : static_cast<std::size_t>(c);
        requant->write(&value, 1, channel, y, base + r * plan.n + c);
      }
    }
  }
}

}  // namespace

void run_gemm(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs) {
  const Tensor& a = *inputs[0];
  const Tensor& b = *inputs[1];
  const Tensor* c = inputs.size() > 2 ? inputs[2] : nullptr;
  const float alpha = node.attrs.get_float("alpha", 1.0f);
  const float beta = node.attrs.get_float("beta", 1.0f);
  const bool trans_a = node.attrs.get_int("transA", 0) != 0;
  const bool trans_b = node.attrs.get_int("transB", 0) != 0;
  Tensor& y = outputs[0];
  const std::int64_t m = y.shape()[0];
  const std::int64_t n = y.shape()[1];
  visit_dtype(a.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_floating_point_v<T>) {
      ConstRowMap<T> ma(a.data<T>(), a.shape()[0], a.shape()[1]);
      ConstRowMap<T> mb(b.data<T>(), b.shape()[0], b.shape()[1]);
      Eigen::Map<RowMatrix<T>> my(y.data<T>(), m, n);
      if (trans_a && trans_b) my.noalias() = ma.transpose() * mb.transpose();
      else if (trans_a) my.noalias() = ma.transpose() * mb;
      else if (trans_b) my.noalias() = ma * mb.transpose();
      else my.noalias() = ma * mb;
      if (alpha != 1.0f) my *= static_cast<T>(alpha);
      if (c != nullptr && beta != 0.0f) {
        const Shape strides = broadcast_strides(c->shape(), {m, n});
        const T* pc = c->data<T>();
        for (std::int64_t r = 0; r < m; ++r) {
          for (std::int64_t col = 0; col < n; ++col) my(r, col) += static_cast<T>(beta) * pc[r * strides[0] + col * strides[1]];
        }
      }
      const FusedActivation activation = FusedActivation::of(node);
      if (activation.kind != FusedActivation::Kind::None) my = my.unaryExpr([&](T v) { return activation.apply(v); });
    } else {
      throw std::logic_error("Gemm on a non-float tensor");
    }
  });
}

void run_matmul(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs) {
  if (node.op != OpKind::MatMul) {
    matmul_integer(node, inputs, outputs[0]);
    return;
  }
  if (inputs[0]->dtype() == DType::F64) {
    matmul_float<double>(*inputs[0], *inputs[1], outputs[0]);
  } else {
    matmul_float<float>(*inputs[0], *inputs[1], outputs[0]);
  }
}

}  // namespace wb::golden
