#pragma once
// Kernels of the float/integer reference executor, one function per op family.
// A kernel reads its inputs (nullptr for omitted optional ones) and fills `outputs`, which
// the executor has allocated with the inferred dtype and shape of each node output.
// User-caused failures (e.g. integer division by zero) throw UserError.

#include <span>
#include <vector>

#include "compiler/ir/graph.h"

namespace wb::golden {

using KernelInputs = std::span<const Tensor* const>;
using KernelFn = void (*)(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);

// Returns the kernel of an op; Unsupported has none (throws std::logic_error).
KernelFn kernel_for(OpKind op);

void run_conv(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);
void run_conv_integer(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);  // ConvInteger, QLinearConv
void run_pool(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);  // Max/AveragePool
void run_global_pool(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);
void run_unary(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);   // activations, Clip
void run_binary(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);  // Add..Sum, PRelu
void run_softmax(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);
void run_batchnorm(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);
void run_gemm(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);
void run_matmul(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);  // MatMul, MatMulInteger, QLinearMatMul
void run_copy(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);  // Identity, Dropout, Reshape, Flatten, Squeeze, Unsqueeze
void run_concat(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);
void run_transpose(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);
void run_pad(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);
void run_resize(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);
void run_shape(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);
void run_gather(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);
void run_slice(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);
void run_cast(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);
void run_constant_of_shape(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);
void run_range(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);
void run_expand(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);
void run_reduce_mean(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);
void run_quantize(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);  // Quantize/DequantizeLinear

}  // namespace wb::golden
