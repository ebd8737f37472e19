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

}  // namespace wb::test
