#include <stdexcept>
#include <string>

#include "compiler/golden/kernels.h"

namespace wb::golden {

KernelFn kernel_for(OpKind op) {
  if (is_elementwise_arithmetic(op)) return run_binary;
  if (is_unary_activation(op)) return run_unary;
  switch (op) {
    case OpKind::Conv: return run_conv;
    case OpKind::ConvTranspose: return run_conv_transpose;
    case OpKind::LSTM:
    case OpKind::GRU:
    case OpKind::RNN: return run_recurrent;
    case OpKind::ConvInteger:
    case OpKind::QLinearConv: return run_conv_integer;
    case OpKind::MaxPool:
    case OpKind::AveragePool: return run_pool;
    case OpKind::GlobalAveragePool:
    case OpKind::GlobalMaxPool: return run_global_pool;
    case OpKind::PRelu: return run_binary;
    case OpKind::Softmax: return run_softmax;
    case OpKind::BatchNormalization: return run_batchnorm;
    case OpKind::Gemm: return run_gemm;
    case OpKind::MatMul:
    case OpKind::MatMulInteger:
    case OpKind::QLinearMatMul: return run_matmul;
    case OpKind::Identity:
    case OpKind::Dropout:
    case OpKind::Reshape:
    case OpKind::Flatten:
    case OpKind::Squeeze:
    case OpKind::Unsqueeze: return run_copy;
    case OpKind::ShapeOf: return run_shape;
    case OpKind::Gather: return run_gather;
    case OpKind::Slice: return run_slice;
    case OpKind::Cast: return run_cast;
    case OpKind::ConstantOfShape: return run_constant_of_shape;
    case OpKind::Range: return run_range;
    case OpKind::Expand: return run_expand;
    case OpKind::ReduceMean: return run_reduce_mean;
    case OpKind::Concat: return run_concat;
    case OpKind::Transpose: return run_transpose;
    case OpKind::Pad: return run_pad;
    case OpKind::Resize: return run_resize;
    case OpKind::Equal: return run_equal;
    case OpKind::Where: return run_where;
    case OpKind::Not: return run_not;
    case OpKind::Mod: return run_mod;
    case OpKind::Pow: return run_pow;
    case OpKind::Neg: return run_neg;
    case OpKind::Trilu: return run_trilu;
    case OpKind::Sqrt:
    case OpKind::Reciprocal:
    case OpKind::Erf:
    case OpKind::Gelu: return run_float_unary;
    case OpKind::LayerNormalization:
    case OpKind::RMSNormalization: return run_layer_normalization;
    case OpKind::ScatterND: return run_scatter_nd;
    case OpKind::QuantizeLinear:
    case OpKind::DequantizeLinear: return run_quantize;
    default: break;  // Unsupported, and the elementwise ops handled above
  }
  throw std::logic_error("no reference kernel for op " + std::string(op_name(op)));
}

}  // namespace wb::golden
