// Softmax and inference-mode BatchNormalization.

#include <algorithm>
#include <cmath>

#include "compiler/golden/kernels.h"
#include "compiler/ir/shape_inference.h"

namespace wb::golden {
namespace {

template <class T>
void softmax(const T* x, T* y, std::int64_t outer, std::int64_t length, std::int64_t inner) {
  for (std::int64_t o = 0; o < outer; ++o) {
    for (std::int64_t i = 0; i < inner; ++i) {
      const T* in = x + o * length * inner + i;
      T* out = y + o * length * inner + i;
      T peak = in[0];
      for (std::int64_t k = 1; k < length; ++k) peak = std::max(peak, in[k * inner]);
      T sum = 0;
      for (std::int64_t k = 0; k < length; ++k) {
        out[k * inner] = std::exp(in[k * inner] - peak);  // shifted by the max: no overflow
        sum += out[k * inner];
      }
      for (std::int64_t k = 0; k < length; ++k) out[k * inner] /= sum;
    }
  }
}

}  // namespace

void run_softmax(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs) {
  const Tensor& x = *inputs[0];
  const std::int64_t axis = normalize_axis(node.attrs.get_int("axis", -1), x.rank());
  std::int64_t outer = 1;
  std::int64_t inner = 1;
  for (std::int64_t d = 0; d < axis; ++d) outer *= x.shape()[d];
  for (std::int64_t d = axis + 1; d < x.rank(); ++d) inner *= x.shape()[d];
  std::int64_t length = x.shape()[axis];
  // Opset < 13's meaning (the importer's flatten_at_axis): every axis from `axis` on, jointly.
  if (node.attrs.get_int("flatten_at_axis", 0) != 0) {
    length *= inner;
    inner = 1;
  }
  if (x.dtype() == DType::F64) {
    softmax<double>(x.data<double>(), outputs[0].data<double>(), outer, length, inner);
  } else {
    softmax<float>(x.data<float>(), outputs[0].data<float>(), outer, length, inner);
  }
}

void run_batchnorm(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs) {
  const Tensor& x = *inputs[0];
  const auto scale = inputs[1]->to_double_vector();
  const auto bias = inputs[2]->to_double_vector();
  const auto mean = inputs[3]->to_double_vector();
  const auto var = inputs[4]->to_double_vector();
  const double epsilon = node.attrs.get_float("epsilon", 1e-5f);
  const std::int64_t batch = x.shape()[0];
  const std::int64_t channels = x.shape()[1];
  const std::int64_t plane = channels == 0 || batch == 0 ? 0 : x.numel() / (batch * channels);
  visit_dtype(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_floating_point_v<T>) {
      const T* in = x.data<T>();
      T* out = outputs[0].data<T>();
#pragma omp parallel for schedule(static)
      for (std::int64_t nc = 0; nc < batch * channels; ++nc) {
        const auto c = static_cast<std::size_t>(nc % channels);
        // y = (x - mean) / sqrt(var + eps) * scale + bias, as one multiply-add per element.
        const auto a = static_cast<T>(scale[c] / std::sqrt(var[c] + epsilon));
        const auto b = static_cast<T>(bias[c] - mean[c] * scale[c] / std::sqrt(var[c] + epsilon));
        for (std::int64_t i = 0; i < plane; ++i) out[nc * plane + i] = in[nc * plane + i] * a + b;
      }
    } else {
      throw std::logic_error("BatchNormalization on a non-float tensor");
    }
  });
}

}  // namespace wb::golden
