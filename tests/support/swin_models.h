#pragma once
// A Swin block's data movement as torchvision's SwinTransformer exports it, shrunk, for pass,
// quantization and back-end tests (docs/token_layout.md, "Moved pixels").

#include <cstdint>

#include "tests/support/onnx_builder.h"

namespace wb::test {

struct ShiftedWindowSizes {
  std::int64_t channels = 3;
  std::int64_t size = 4;    // H = W
  std::int64_t window = 2;  // w: windows of w x w pixels
  std::int64_t shift = 1;   // the cyclic shift (0: none)
};

// "x" [1, C, S, S] -> 1x1 conv -> Transpose(0, 2, 3, 1) -> LayerNorm (the stage's [1, S, S, C])
// -> roll by (-shift, -shift) as Slices and Concats along H, then W -> window partition
// Reshape [1, S/w, w, S/w, w, C] -> Transpose(0, 1, 3, 2, 4, 5) -> Reshape [nW, w w, C] ->
// Linear (MatMul by [C, C]). With `reverse`: the window reverse, the roll back along H and W,
// a residual Add of the stage and Transpose(0, 3, 1, 2): "y" [1, C, S, S]. Without: a Relu of
// the windows' tokens, "y" [nW, w w, C] (opset 17).
OnnxBuilder shifted_window_block(bool reverse, ShiftedWindowSizes sizes = {});

// Window attention on 2x2 windows of 4x4 pixels of 8 channels, as torchvision's
// ShiftedWindowAttention writes it (no shift, no position bias): "x" [1, 8, 4, 4] ->
// Transpose(0, 2, 3, 1) -> LayerNorm (the stage's [1, 4, 4, 8]) -> Reshape
// [1, 2, 2, 2, 2, 8] -> Transpose(0, 1, 3, 2, 4, 5) -> Reshape [4, 4, 8] -> qkv Linear (+ bias)
// -> Reshape [4, 4, 3, 2, 4] -> Transpose(2, 0, 3, 1, 4) -> Gather 0, 1, 2 (q, k, v of 2 heads of
// 4) -> q * 1/2 -> MatMul k^T -> Softmax(-1) -> MatMul v -> Transpose(0, 2, 1, 3) -> Reshape
// [4, 4, 8] -> the window reverse [1, 4, 4, 8] -> Transpose(0, 3, 1, 2) -> "y" [1, 8, 4, 4]
// (opset 17). With `bias`, the scores get a relative-position bias [1, 2, 4, 4] (seeded); with
// `masked`, the shifted-window mask of a shift by 1 (regions [0, 2), [2, 3), [3, 4) of H and of
// W; 0 inside a region, -100 between): Reshape [1, 4, 2, 4, 4] -> Add [1, 4, 1, 4, 4] -> Reshape
// [4, 2, 4, 4] before the Softmax.
OnnxBuilder window_attention(bool bias = false, bool masked = false);

}  // namespace wb::test
