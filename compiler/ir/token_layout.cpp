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

}  // namespace wb
