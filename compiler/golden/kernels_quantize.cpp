// QuantizeLinear / DequantizeLinear, per tensor or per axis, as the ONNX spec defines them:
//   q = saturate(round_half_to_even(x / scale) + zero_point)     (division in float32)
//   x = (q - zero_point) * scale                                  (in float32)

#include <cmath>

#include "compiler/golden/kernels.h"
#include "compiler/golden/requantize.h"
#include "compiler/ir/shape_inference.h"

namespace wb::golden {
namespace {

// For element `i` of x, the index into a per-axis parameter vector.
struct AxisIndexer {
  std::int64_t inner = 1;
  std::int64_t length = 1;
  bool per_axis = false;

  AxisIndexer(const Node& node, const Tensor& x, const Tensor& scale) {
    per_axis = scale.numel() > 1;
    if (!per_axis || x.rank() == 0) {
      per_axis = false;
      return;
    }
    const std::int64_t axis = normalize_axis(node.attrs.get_int("axis", 1), x.rank());
    length = x.shape()[axis];
    for (std::int64_t d = axis + 1; d < x.rank(); ++d) inner *= x.shape()[d];
  }
  std::size_t operator()(std::int64_t i) const {
    return per_axis ? static_cast<std::size_t>((i / inner) % length) : 0;
  }
};

}  // namespace

void run_quantize(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs) {
  const Tensor& x = *inputs[0];
  const Tensor& scale_t = *inputs[1];
  const Tensor* zero_t = inputs.size() > 2 ? inputs[2] : nullptr;
  const AxisIndexer axis(node, x, scale_t);
  std::vector<float> scale(static_cast<std::size_t>(scale_t.numel()));
  for (std::int64_t i = 0; i < scale_t.numel(); ++i) scale[static_cast<std::size_t>(i)] = static_cast<float>(scale_t.as_double(i));
  const std::vector<std::int64_t> zero = zero_t ? zero_t->to_int64_vector() : std::vector<std::int64_t>(scale.size(), 0);
  Tensor& y = outputs[0];

  if (node.op == OpKind::DequantizeLinear) {
    float* out = y.data<float>();
    for (std::int64_t i = 0; i < x.numel(); ++i) {
      const std::size_t a = axis(i);
      out[i] = static_cast<float>(x.as_int64(i) - zero[a]) * scale[a];
    }
    return;
  }
  visit_dtype(y.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      T* out = y.data<T>();
      for (std::int64_t i = 0; i < x.numel(); ++i) {
        const std::size_t a = axis(i);
        const float q = round_half_even(static_cast<float>(x.as_double(i)) / scale[a]);
        out[i] = saturate<T>(static_cast<double>(q) + static_cast<double>(zero[a]));
      }
    } else {
      throw std::logic_error("QuantizeLinear to a non-integer type");
    }
  });
}

}  // namespace wb::golden
