#pragma once
// Data movement that keeps each pixel's channels together: a tensor whose row-major elements
// are rows of C channels, row p a whole pixel of one image [1, C, H, W] (Swin's shifted-window
// roll, window partition and reverse, patch merging's strided picks, a crop). Such a tensor is
// the image's pixels in another order: one gather of pixels (docs/token_layout.md).

#include <cstdint>
#include <optional>
#include <vector>

#include "compiler/ir/graph.h"

namespace wb {

// The source pixel (index h W + w of the image) of each row of C channels.
using PixelRows = std::vector<std::int64_t>;

PixelRows identity_rows(std::int64_t count);
bool is_identity(const PixelRows& rows);

// Whether `op` only moves elements (Reshape, Transpose, Slice, Concat, Gather, Identity,
// Flatten, Squeeze, Unsqueeze) or may (Pad: of zeros only): the ops `move_pixels` follows.
bool moves_data(OpKind op);

// The rows `node` writes when each of its inputs is either rows of one image's pixels
// (`rows[i]`, non-null) or a constant of the node (indices, starts, shapes); every other
// operand makes it nullopt. Each input element (row p, channel c) is tagged
// rows[p] * C + c and pushed through the node's reference kernel; nullopt unless every row of C
// consecutive output elements holds one pixel's channels in order (a Pad's fill holds none)
// and the output's last axis is the C channels.
// `channels` is C.
// `tags` (one per element of the chain's input) as the chain of Reshapes and Transposes (in
// the order they run) leaves them: which input element each output element is.
Tensor tags_through(Tensor tags, const std::vector<const Node*>& chain);

std::optional<PixelRows> move_pixels(const Node& node, const std::vector<const PixelRows*>& rows,
                                     std::int64_t channels);

}  // namespace wb
