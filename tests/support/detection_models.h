#pragma once
// Detection heads as torch.onnx.export writes them, shrunk, for pass, quantization and back-end
// tests: per feature level a conv predicting A anchors x K values per pixel, its output read
// as H W A tokens of K features, the levels' tokens concatenated.

#include <cstdint>

#include "tests/support/onnx_builder.h"

namespace wb::test {

enum class HeadLayout {
  Ssd,        // SSD's and RetinaNet's: Reshape [1, A, K, H, W] -> Transpose(0, 3, 4, 1, 2) -> Reshape [1, H W A, K]
  Flattened,  // Transpose(0, 2, 3, 1) -> Reshape [1, H W A, K] (NHWC, then tokens)
};

// "x" [1, 3, 8, 8] -> conv 3x3 (8 channels, ReLU) -> level 0 [1, 8, 8, 8] -> conv 3x3 stride 2
// (ReLU) -> level 1 [1, 8, 4, 4]; per level a 1x1 conv of A = 2 anchors x K = 3 values, read as
// tokens in `layout`; "boxes" [1, 8 8 2 + 4 4 2 = 160, 3] the levels' tokens concatenated
// (opset 13). With `scores`, a second head of K = 5 values per anchor: "scores" [1, 160, 5].
OnnxBuilder detection_heads(HeadLayout layout = HeadLayout::Ssd, bool scores = false);

}  // namespace wb::test
