#pragma once
// Shared by the PULP compiler tests: configs and a small quantized CNN with every kernel kind.

#include "compiler/quant/qgraph.h"
#include "isa/hw_config.h"
#include "tests/support/quant_testing.h"
#include "tests/support/test_paths.h"

namespace wb::test {

inline HwConfig pulp_config(const std::vector<std::string>& overrides = {}) {
  return load_hw_config(source_dir() / "configs" / "gap8.yaml", overrides);
}

// x[1,3,32,32] -> Conv3x3 s2 + BN + Relu (16) -> depthwise 3x3 + Relu -> pointwise (16) + Relu
// -> residual Add with the first conv + Relu -> MaxPool 2x2 -> Conv3x3 (32) + Relu
// -> GlobalAveragePool -> Flatten -> Gemm (10)
OnnxBuilder small_pulp_cnn();

// small_pulp_cnn() quantized with the pulp scheme.
const quant::QGraph& small_pulp_cnn_qgraph();

// An inception-like module: x[1,3,32,32] -> conv3x3 (16) + Relu -> three branches, pointwise
// (8) "branch_1x1", conv3x3 (16) "branch_3x3", maxpool 3x3 s1 -> pointwise (8) "branch_pool",
// each + Relu -> Concat "concat" (32 x 32 x 32) -> conv3x3 s2 (16) + Relu "conv_out" -> global
// average pool -> Flatten -> Gemm (10).
OnnxBuilder inception_pulp_cnn();
const quant::QGraph& inception_pulp_cnn_qgraph();

// Grouped convolutions (each + Relu): x[1,8,16,16] -> conv3x3 (16) "conv_in" -> 4 groups of
// 4 -> 4, 3x3 "grouped_4x4" -> 2 groups of 8 -> 12, 3x3 s2 "grouped_s2" (8 x 8 x 24) -> 8
// groups of 3 -> 2, 1x1 "grouped_1x1" (16) -> 16 groups of 1 -> 2 (a depthwise multiplier),
// 3x3 "multiplier" (32) -> global average pool -> Flatten -> Gemm (10).
OnnxBuilder grouped_pulp_cnn();
const quant::QGraph& grouped_pulp_cnn_qgraph();

// Dilated convolutions (DeepLabV3 / LR-ASPP style, each + Relu): x[1,8,20,20] -> conv3x3
// dilation 2 (16) "dilated_conv" -> depthwise 3x3 dilation 3 "dilated_dw" -> 2 groups 3x3
// dilation 2 stride 2 (16) "dilated_grouped" (10 x 10) -> conv3x3 dilation 2x1, pads 2x1
// (16) "dilated_rows" -> conv 3x3 dilation 12 (8) "atrous_12" (ASPP's rate beyond the 10 x 10
// image: only the centre reads it, so trim-dilated-taps makes it a pointwise conv) -> global
// average pool -> Flatten -> Gemm (10).
OnnxBuilder dilated_pulp_cnn();
const quant::QGraph& dilated_pulp_cnn_qgraph();

// Resizes as segmentation heads use them: x[1,8,12,12] -> conv3x3 (8) + Relu "stem" ->
// bilinear x2, pytorch_half_pixel "up_bilinear" (24 x 24) -> conv3x3 (4) "head" -> nearest x2
// "up_nearest" (48 x 48) -> bilinear x0.75, align_corners "down_aligned" (36 x 36) = y.
OnnxBuilder resize_pulp_cnn();
const quant::QGraph& resize_pulp_cnn_qgraph();

// LayerNorms over channels (ConvNeXt's LayerNorm2d and a transformer's row): x[1,8,6,6] ->
// conv3x3 (16) "conv_in" -> Transpose(0,2,3,1) -> LayerNormalization(axis -1) "ln" ->
// Transpose(0,3,1,2) (one QGraph LayerNorm over 16 channels per pixel, signed in) -> conv1x1
// (8) + Relu "conv_out" -> global average pool -> Flatten -> LayerNormalization(axis 1)
// "ln_row" (a row of 8, unsigned in) -> Gemm (10) "fc" = y. Opset 17.
OnnxBuilder layernorm_pulp_cnn();
const quant::QGraph& layernorm_pulp_cnn_qgraph();

// Lookup tables and the squeeze-and-excitation product (EfficientNet / MobileNetV3 style):
// x[1,8,16,16] -> conv3x3 (16) "conv_in" -> x * Sigmoid(x) (SiLU, one Lut) -> depthwise 3x3
// "depthwise" -> HardSwish -> SE: global average pool -> 1x1 (4) + Relu -> 1x1 (16) ->
// HardSigmoid "gate" -> Mul "se_scale" (gate first, so the compiler swaps it second) -> Tanh
// -> Mul "product" of Tanh's input and output (same shapes) -> pointwise (8) + Relu -> global average pool -> Flatten -> Gemm (12) -> HardSwish "fc_act"
// (on the flattened vector) -> Gemm (10).
OnnxBuilder se_pulp_cnn();
const quant::QGraph& se_pulp_cnn_qgraph();

// A dense block (DenseNet): x[1,4,16,16] -> conv3x3 (8) + Relu "stem_conv" (output "stem") ->
// Concat [stem] "cat_1" -> BN + Relu -> conv3x3 (4) + Relu "dense_1" (output "y_1") -> Concat
// [stem, y_1] "cat_2" -> BN + Relu -> conv3x3 (4) + Relu "dense_2" ("y_2") -> Concat [stem,
// y_1, y_2] "cat_3" (16 channels) -> BN + Relu -> conv1x1 (8) "transition" -> global average
// pool -> Flatten -> Gemm (10). Each concat is a channel prefix of the last.
OnnxBuilder dense_pulp_cnn();

// tests/support's shuffle_cnn() (a ShuffleNetV2 unit: Split halves, a branch, Concat, channel
// shuffle), quantized with the pulp scheme.
const quant::QGraph& shuffle_pulp_cnn_qgraph();
const quant::QGraph& dense_pulp_cnn_qgraph();

// tests/support's softmax_cnn() (x[1,4,8,8] -> conv3x3 (8) + Relu "conv1" -> global average
// pool "gap" -> Flatten -> Gemm (10) "fc" -> Softmax "softmax" -> y, uint8 at 1/256),
// quantized with the pulp scheme.
const quant::QGraph& softmax_pulp_cnn_qgraph();

}  // namespace wb::test
