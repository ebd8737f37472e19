#pragma once
// The integer golden executor: runs a QGraph (compiler/quant/qgraph.h) exactly as
// docs/quant.md defines its arithmetic. It is the bit-exact oracle the simulators are
// checked against, so it is written as plain NCHW loops and shares no arithmetic code with
// sim/ or with the float reference executor's kernels (DESIGN.md §3, §4.1).
//
// Tensors hold the integer values of the QTensors (I8, U8, I16 or U16, QTensor::dtype()),
// in the QTensor's shape; real = scale * q.

#include <filesystem>
#include <functional>
#include <vector>

#include "compiler/ir/tensor.h"
#include "compiler/quant/qgraph.h"

namespace wb::golden {

// Quantises a float input as ONNX QuantizeLinear does, in float32:
//   q = clamp(round_half_to_even(x / scale), lo, hi)
// with x / scale a float32 division and the rounding std::nearbyint (ties to even).
// An input with a source_shape (tokens [1, T, C] of the image [1, C, 1, T]) is given in that
// shape and transposed into the image as it is quantised.
// UserError naming the tensor if `float_input` is not F32 of t.float_shape(), or holds a NaN.
Tensor quantize_input(const quant::QTensor& t, const Tensor& float_input);

// UserError naming the input, the position and the table when a token id (an Embedding's
// input, already quantized as quantize_input makes it) is outside its table: checked before
// anything runs.
void check_token_ids(const quant::QGraph& graph, const std::vector<Tensor>& quantized_inputs);

// F32 tensor of scale * q (float32 multiplication), of t.float_shape(): a network output with a
// source_shape (tokens [1, T, C] stored as the image [1, C, 1, T]) is transposed back into it.
// UserError if `q` is not of t's type and shape.
Tensor dequantize(const quant::QTensor& t, const Tensor& q);

class IntegerExecutor {
 public:
  // Runs quant::verify_qgraph and the executor's own checks (conv weights I8/I16 and bias
  // I32, window geometry consistent with the output shapes, requant clamp inside the output
  // type); std::logic_error naming the node otherwise. The graph must outlive the executor.
  explicit IntegerExecutor(const quant::QGraph& graph);
  explicit IntegerExecutor(quant::QGraph&& graph) = delete;  // would dangle

  // Called with every tensor as soon as it exists: the (quantised) network inputs first, in
  // the order of graph.inputs, then each node's output in execution order.
  using Observer = std::function<void(int tensor_index, const Tensor& q)>;

  // Float inputs (F32, the shapes of graph.inputs) -> integer outputs (QTensor::dtype()),
  // in the order of graph.outputs. UserError naming the input on a wrong count, dtype or shape.
  std::vector<Tensor> run(const std::vector<Tensor>& float_inputs, const Observer& observer = {}) const;

  // Already-quantised inputs: each must have its QTensor's dtype and shape (UserError otherwise).
  std::vector<Tensor> run_quantized(const std::vector<Tensor>& inputs, const Observer& observer = {}) const;

  const quant::QGraph& graph() const { return graph_; }

 private:
  const quant::QGraph& graph_;
  // For each node, the tensors whose last reader it is (freed after it unless graph outputs).
  std::vector<std::vector<int>> release_after_;
};

}  // namespace wb::golden
