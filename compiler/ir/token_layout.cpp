#include "compiler/ir/token_layout.h"

#include <stdexcept>

namespace wb {

std::optional<TokenRows> token_rows_of(const Shape& source) {
  if (source.size() != 3) return std::nullopt;
  if (source[0] == 1) return TokenRows{source[1], source[2]};
  if (source[1] == 1) return TokenRows{source[0], source[2]};
  return std::nullopt;
}

Shape token_image_shape(TokenRows rows) { return {1, rows.features, 1, rows.count}; }

std::vector<std::int64_t> features_first_perm(const Shape& source) {
  if (!token_rows_of(source)) throw std::logic_error("features_first_perm: not a token layout");
  return source[0] == 1 ? std::vector<std::int64_t>{0, 2, 1} : std::vector<std::int64_t>{1, 2, 0};
}

bool is_token_image_of(const Shape& source, const Shape& image) {
  const std::optional<TokenRows> rows = token_rows_of(source);
  return rows && token_image_shape(*rows) == image;
}

bool is_heads_image_of(const Shape& source, const Shape& image) {
  return source.size() == 4 && source[0] == 1 && image == Shape{1, source[1] * source[3], 1, source[2]};
}

bool is_source_image_of(const Shape& source, const Shape& image) {
  return is_token_image_of(source, image) || is_heads_image_of(source, image);
}

std::int64_t image_offset_of(const Shape& source, const Shape& image, std::int64_t i) {
  const std::int64_t tokens = image[3];
  if (is_heads_image_of(source, image)) {
    const std::int64_t d = source[3];
    const std::int64_t head = i / (tokens * d), token = i / d % tokens, feature = i % d;
    return (head * d + feature) * tokens + token;
  }
  if (!is_token_image_of(source, image)) throw std::logic_error("image_offset_of: not a layout of the image");
  const std::int64_t features = image[1];
  return (i % features) * tokens + i / features;
}

}  // namespace wb
