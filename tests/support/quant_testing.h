#pragma once
// Quantizing small models in tests: a CNN with every node kind the schemes handle, and the
// whole float -> QGraph path (passes, calibration on seeded inputs, build_qgraph).

#include <cstdint>

#include "compiler/ir/graph.h"
#include "compiler/quant/calibration.h"
#include "compiler/quant/quantizer.h"
#include "tests/support/onnx_builder.h"

namespace wb::test {

// x[1,3,12,12] -> Conv3x3+BN+Relu (8) -> MaxPool 2x2 -> {Conv1x1+Relu (4), Conv3x3+Relu (4)}
// -> Concat (8) -> Conv3x3 (8, no activation) + residual Add + Relu -> GlobalAveragePool
// -> Flatten -> Gemm (10) -> y[1,10]
OnnxBuilder small_cnn();

// The activations of EfficientNet and MobileNetV3 as torch exports them (opset 13):
// x[1,4,8,8] -> Conv3x3 (8) -> x*Sigmoid(x) ("silu") -> squeeze-and-excitation:
// GlobalAveragePool -> Conv1x1 (4) + Relu -> Conv1x1 (8) -> HardSigmoid ("gate") ->
// Mul(gate [1,8,1,1], features [1,8,8,8]) ("scale") -> Conv1x1 (6) -> x*HardSigmoid(x)
// ("hswish") -> Tanh ("tanh") -> y[1,6,8,8]
OnnxBuilder activation_cnn();

// A ShuffleNetV2 unit as torch exports it at `opset`: x[1,4,8,8] -> conv3x3 (8) + Relu "conv1"
// -> Split into halves "split" (outputs "left", "right"; an attribute before opset 13, an input
// from 13) -> right: conv1x1 (4) + Relu "branch" -> Concat [left, branch] "concat" -> channel
// shuffle of 2 groups (Reshape "group", Transpose "transpose", Reshape "shuffle") -> conv3x3
// (6) "conv2" -> y.
OnnxBuilder shuffle_cnn(std::int64_t opset = 13);

// A classifier ending in probabilities: x[1,4,8,8] -> conv3x3 (8) + Relu -> global average
// pool -> Flatten -> Gemm (10) "fc" -> Softmax (axis 1) "softmax" -> y.
OnnxBuilder softmax_cnn();

// conv -> GELU as torch exports it (x / sqrt(2), Erf, + 1, * x, * 0.5) -> conv: a table on
// both targets.
OnnxBuilder gelu_cnn();

// conv -> Resize (x2 over H and W; `mode` linear or nearest, torch's pytorch_half_pixel or
// asymmetric coordinates) -> conv: a segmentation head's upsampling.
OnnxBuilder resize_cnn(const std::string& mode = "linear");

// ConvNeXt's LayerNorms: conv "conv1" -> Transpose(0, 2, 3, 1) -> LayerNormalization (last axis)
// "ln_pixels" -> Transpose(0, 3, 1, 2) -> 1x1 conv "conv2" -> GlobalAveragePool -> Flatten ->
// LayerNormalization of the [N, C] row "ln_row" -> Gemm "fc" -> y (opset 17).
OnnxBuilder layernorm_cnn();

// A decoder step as U-Nets and FCNs export it: x[1,4,6,6] -> conv3x3 (8) + Relu "conv1" ->
// ConvTranspose "up" (8 -> 6 channels, the given kernel, stride, pads, output_padding, groups,
// dilation) + BatchNorm + Relu -> skip concat with the upsampled x ("skip": nearest resize of x
// to up's size) "cat" -> conv3x3 (4) "conv2" -> y.
struct Deconv {
  std::int64_t kernel = 2, stride = 2, pad = 0, output_padding = 0, group = 1, dilation = 1;
};
OnnxBuilder deconv_cnn(const Deconv& d = {});

// A recurrent layer as torch exports nn.LSTM / nn.GRU / nn.RNN with batch_first: x[1, T, I]
// -> Transpose(1, 0, 2) -> LSTM/GRU/RNN "rnn" (seeded W, R, B; hidden H; `direction`;
// GRU's linear_before_reset as torch writes it, 1) -> Y [T, D, 1, H] = "y" and Y_h = "y_h" as
// the graph's outputs (`y_output` false: Y_h alone, Y unread, as a keyword spotter reads it).
struct Recurrent {
  std::string op = "LSTM";
  std::int64_t steps = 5, input = 3, hidden = 4;
  std::string direction = "forward";
  std::int64_t linear_before_reset = 1;
  bool y_output = true;
};
OnnxBuilder recurrent_model(const Recurrent& r = {});

struct QuantizedModel {
  Graph graph;  // after the scheme's pipeline
  quant::QGraph qgraph;
};

QuantizedModel quantize_model(const OnnxBuilder& builder, const quant::QuantizeOptions& options,
                              quant::CalibrationMethod method = quant::CalibrationMethod::Max, int samples = 4);

// x -> Conv(weights [C_out, C_in, kH, kW], bias) -> y with the given tensors, named "conv";
// requantisation not yet assigned.
quant::QGraph single_conv(quant::Scheme scheme, quant::QTensor x, quant::QTensor y, Tensor weights,
                          std::vector<double> weight_scale, Tensor bias = {});

// Seeded uniform integers over t's range, of t's type and shape.
Tensor random_quantized(const quant::QTensor& t, std::uint32_t seed);

}  // namespace wb::test
