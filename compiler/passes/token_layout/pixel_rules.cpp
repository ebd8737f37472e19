#include "compiler/passes/token_layout/rewriter.h"

#include <stdexcept>

namespace wb::token_rewrite {

// A data move of rows of one image's pixels (docs/token_layout.md, "Swin"): the rows it writes
// are recorded, nothing is emitted yet.
bool TokenRewriter::follow_pixels(Node& node) {
  if (!moves_data(node.op)) return false;
  Value* source = nullptr;
  std::vector<PixelRows> own;  // identity rows of inputs that are images themselves
  own.reserve(node.inputs.size());
  std::vector<const PixelRows*> rows(node.inputs.size(), nullptr);
  for (std::size_t i = 0; i < node.inputs.size(); ++i) {
    const Value* in = node.input(i);
    if (in == nullptr || in->is_constant()) continue;
    Value* from = nullptr;
    if (const auto p = pixels_.find(in); p != pixels_.end()) {
      from = p->second.image, rows[i] = &p->second.rows;
    } else if (Value* image = image_of(in); image != nullptr) {
      from = image;
      own.push_back(identity_rows(tokens_of(image).count));
      rows[i] = &own.back();
    } else {
      return false;
    }
    if (source != nullptr && source != from) return false;
    source = from;
  }
  if (source == nullptr) return false;
  std::optional<PixelRows> moved = move_pixels(node, rows, source->shape[1]);
  if (!moved) return false;
  pixels_[node.output(0)] = MovedPixels{source, std::move(*moved)};
  stats_.add("pixel moves followed");
  return true;
}

// The image of moved pixels, written on first use: [1, C, H', W'] for a channels-last
// [1, H', W', C], else the tokens [1, C, 1, P]; one Gather of pixels of the source image
// flattened to [1, C, 1, H W] (a view of the source itself when nothing moved).
Value* TokenRewriter::image_for(Value* v) {
  if (Value* image = image_of(v); image != nullptr) return image;
  const auto found = pixels_.find(v);
  if (found == pixels_.end()) throw std::logic_error("tokens-as-image: no image for " + v->name);
  const MovedPixels& moved = found->second;
  const std::int64_t channels = moved.image->shape[1];
  const auto count = static_cast<std::int64_t>(moved.rows.size());
  const Shape& s = v->shape;
  const bool nhwc = s.size() == 4 && s[0] == 1 && s[3] == channels;
  const Ints target = nhwc ? Ints{1, channels, s[1], s[2]} : Ints{1, channels, 1, count};
  const std::string name = v->name + "_pixels";
  Value* image = nullptr;
  if (is_identity(moved.rows) && tokens_of(moved.image).count == count) {
    image = moved.image->shape == Shape(target) ? moved.image : reshape(name, moved.image, target);
  } else {
    const Shape& from = moved.image->shape;
    Value* flat = from[2] == 1 ? moved.image : reshape(name + "_flat", moved.image, {1, channels, 1, from[2] * from[3]});
    Attributes attrs;
    attrs.set("axis", std::int64_t{3});
    image = emit(OpKind::Gather, name, {flat, constant(name + "_indices", Tensor::from_vector<std::int64_t>({count}, moved.rows))},
                 std::move(attrs));
    if (nhwc) image = reshape(name + "_image", image, target);
    stats_.add("pixel moves as one gather");
  }
  set_image(v, image);
  return image;
}

}  // namespace wb::token_rewrite
