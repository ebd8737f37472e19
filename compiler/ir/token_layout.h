#pragma once
// A network input of T tokens of C features as torch lays it out, [1, T, C] or [T, 1, C] (both
// row-major [T, C]) or, for a KV cache, [1, h, T, d] (C = h d), and the image [1, C, 1, T] the
// compiler reads it as. Stored HWC, the image
// has the input's bytes, so a back end copies nothing (docs/token_layout.md). One definition
// for the pass that writes the view, the quantizer and QDQ reader that absorb it, the QGraph's
// verifier and the golden model's input quantisation.

#include <cstdint>
#include <optional>
#include <vector>

#include "compiler/ir/tensor.h"

namespace wb {

struct TokenRows {
  std::int64_t count = 0;     // T
  std::int64_t features = 0;  // C
};

// The tokens of `source` when it is [1, T, C] or [T, 1, C] (the first reading when both hold,
// [1, 1, C]); nullopt for any other shape.
std::optional<TokenRows> token_rows_of(const Shape& source);

// [1, C, 1, T].
Shape token_image_shape(TokenRows rows);

// The Transpose that puts a token layout's features first: (0, 2, 1) for [1, T, C], (1, 2, 0)
// for [T, 1, C]. `source` must be a token layout (token_rows_of).
std::vector<std::int64_t> features_first_perm(const Shape& source);

// Whether `image` is the image [1, C, 1, T] of the token layout `source`.
bool is_token_image_of(const Shape& source, const Shape& image);

// Whether `image` is the image [1, h d, 1, T] of `source` = [1, h, T, d]: a decode step's KV
// cache in Hugging Face's layout (past_key_values), the heads before the tokens. Channel k d + c
// of token t is element (k, t, c).
bool is_heads_image_of(const Shape& source, const Shape& image);

// Either: the layouts a network input or output is given in for its image.
bool is_source_image_of(const Shape& source, const Shape& image);

// Where element i (row-major) of `source` sits in `image` (NCHW order); `source` is a layout of
// `image` (is_source_image_of).
std::int64_t image_offset_of(const Shape& source, const Shape& image, std::int64_t i);

}  // namespace wb
