#pragma once
// The integer executor's kernels (integer_executor.h), one per QOpKind family, as plain NCHW
// loops over int32 working copies of the tensors. Internal to wb_golden: a kernel trusts that
// IntegerExecutor has checked its node, so it does not repeat those checks.

#include <cstdint>
#include <vector>

#include "compiler/ir/tensor.h"
#include "compiler/quant/qgraph.h"

namespace wb::golden::integer {

// int32 working copies of I8/U8/I16/U16 tensors (std::logic_error for any other dtype), and
// back to t's type and shape: std::logic_error if a value is out of t's range, never a wrap.
std::vector<std::int32_t> widen(const Tensor& t);
Tensor narrow(const std::vector<std::int32_t>& values, const quant::QTensor& t);

// Window geometry of Conv, MaxPool and AvgPool over H and W.
struct Axis {
  std::int64_t in = 0, out = 0, kernel = 1, stride = 1, dilation = 1, pad_begin = 0;
  std::int64_t padded = 0;  // extent of the zero-padded input every window fits in
};

struct Window {
  Axis y, x;
};

// std::logic_error unless the node's window attributes turn `in` into `out`'s H and W (a conv's
// window over its zero-inserted input when it has input dilations), which is why the
// executor's node checks call it too.
Window make_window(const quant::QNode& node, const Shape& in, const Shape& out);

// The inputs are the node's, in order, with their QTensors' dtypes and shapes; the result has
// the output QTensor's.
Tensor run_conv(const quant::QGraph& graph, const quant::QNode& node, const Tensor& input);
Tensor run_add(const quant::QGraph& graph, const quant::QNode& node, const Tensor& a_tensor, const Tensor& b_tensor);
Tensor run_mul(const quant::QGraph& graph, const quant::QNode& node, const Tensor& a_tensor, const Tensor& b_tensor);
Tensor run_matmul(const quant::QGraph& graph, const quant::QNode& node, const Tensor& a_tensor, const Tensor& b_tensor);
Tensor run_channel_gather(const quant::QGraph& graph, const quant::QNode& node, const Tensor& input);
Tensor run_hwc_reshape(const quant::QGraph& graph, const quant::QNode& node, const Tensor& input);
Tensor run_pixel_gather(const quant::QGraph& graph, const quant::QNode& node, const Tensor& input);
Tensor run_embedding(const quant::QGraph& graph, const quant::QNode& node, const Tensor& table, const Tensor& ids);
Tensor run_resize(const quant::QGraph& graph, const quant::QNode& node, const Tensor& input);
Tensor run_softmax(const quant::QGraph& graph, const quant::QNode& node, const Tensor& input);
Tensor run_layernorm(const quant::QGraph& graph, const quant::QNode& node, const Tensor& input);
Tensor run_lut(const quant::QGraph& graph, const quant::QNode& node, const Tensor& input);
Tensor run_pool(const quant::QGraph& graph, const quant::QNode& node, const Tensor& input);  // MaxPool, AvgPool
Tensor run_concat(const quant::QGraph& graph, const quant::QNode& node, const std::vector<const Tensor*>& inputs);

}  // namespace wb::golden::integer
