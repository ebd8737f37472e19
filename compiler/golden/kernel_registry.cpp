#include <stdexcept>
#include <string>

#include "compiler/golden/kernels.h"

namespace wb::golden {

KernelFn kernel_for(OpKind op) {
  switch (op) {
    case OpKind::Conv: return run_conv;
    case OpKind::ConvInteger:
    case OpKind::QLinearConv: return run_conv_integer;
    case OpKind::MaxPool:
    case OpKind::AveragePool: return run_pool;
    case OpKind::GlobalAveragePool:
    case OpKind::GlobalMaxPool: return run_global_pool;
    case OpKind::Relu:
    case OpKind::LeakyRelu:
    case OpKind::Sigmoid:
    case OpKind::HardSigmoid:
    case OpKind::HardSwish:
    case OpKind::Clip: return run_unary;
    case OpKind::Add:
    case OpKind::Sub:
    case OpKind::Mul:
    case OpKind::Div:
    case OpKind::Max:
    case OpKind::Min:
    case OpKind::Sum:
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
    case OpKind::Flatten: return run_copy;
    case OpKind::Concat: return run_concat;
    case OpKind::Transpose: return run_transpose;
    case OpKind::Pad: return run_pad;
    case OpKind::Resize: return run_resize;
    case OpKind::QuantizeLinear:
    case OpKind::DequantizeLinear: return run_quantize;
    case OpKind::Unsupported: break;
  }
  throw std::logic_error("no reference kernel for op " + std::string(op_name(op)));
}

}  // namespace wb::golden
