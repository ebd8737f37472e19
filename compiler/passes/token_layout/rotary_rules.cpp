// Rotary position embeddings (RoPE) on the heads' view of an image of tokens, as Llama's
// apply_rotary_pos_emb exports: x * cos + rotate_half(x) * sin over a head view x [1, h, T, d],
// rotate_half(x) = Concat(Neg(x[..., d/2:]), x[..., :d/2]) along the last axis, cos and sin
// constants [T, d] (or with leading 1s) the same for every head.
//
// On the image [1, h d, 1, T] the rotation is a channel move and two products by constants:
//   rotate_half(x)[k d + c] = s(c) x[k d + (c + d/2) mod d], s(c) = -1 for c < d/2, else 1,
// so x * cos + rotate_half(x) * sin = x * COS + Gather(x, perm) * SIN', with the constant images
// COS[k d + c][t] = cos[t][c] and SIN'[k d + c][t] = s(c) sin[t][c]: the Neg folds into the
// sine's signs. The result's head view replaces the Add's output, so the attention products
// read it as they read any head view.
#include <algorithm>
#include <optional>

#include "compiler/ir/broadcast.h"
#include "compiler/ir/shape_inference.h"
#include "compiler/passes/rewrite/rewrite.h"
#include "compiler/passes/token_layout/rewriter.h"

namespace wb::token_rewrite {
namespace {

using rewrite::made_by;

// x[..., begin:end] along the last axis of x, step 1, with begin and end in [0, d].
struct LastAxisSlice {
  const Value* x = nullptr;
  std::int64_t begin = 0, end = 0;
};

std::optional<LastAxisSlice> last_axis_slice(const Node* slice) {
  if (slice == nullptr || slice->op != OpKind::Slice || slice->inputs.size() < 3) return std::nullopt;
  const Value* x = slice->input(0);
  const auto rank = static_cast<std::int64_t>(x->shape.size());
  const Tensor* starts = slice->constant_input(1);
  const Tensor* ends = slice->constant_input(2);
  const Tensor* axes = slice->inputs.size() > 3 ? slice->constant_input(3) : nullptr;
  const Tensor* steps = slice->inputs.size() > 4 ? slice->constant_input(4) : nullptr;
  if (starts == nullptr || ends == nullptr || starts->numel() != 1 || ends->numel() != 1) return std::nullopt;
  if (slice->inputs.size() > 3 && slice->input(3) != nullptr && (axes == nullptr || axes->numel() != 1)) return std::nullopt;
  const std::int64_t axis = axes == nullptr ? 0 : normalize_axis(axes->as_int64(0), rank);
  if (axis != rank - 1 || (steps != nullptr && (steps->numel() != 1 || steps->as_int64(0) != 1))) return std::nullopt;
  const std::int64_t d = x->shape.back();
  const auto within = [d](std::int64_t v) { return std::clamp<std::int64_t>(v < 0 ? v + d : v, 0, d); };
  return LastAxisSlice{x, within(starts->as_int64(0)), within(ends->as_int64(0))};
}

// rotate_half(x): Concat(Neg(x[..., d/2:]), x[..., :d/2]) along the last axis; x or null.
const Value* rotated_half_of(const Value* r) {
  const Node* concat = made_by(r, OpKind::Concat);
  if (concat == nullptr || concat->inputs.size() != 2) return nullptr;
  const auto rank = static_cast<std::int64_t>(r->shape.size());
  if (normalize_axis(concat->attrs.get_int("axis", 0), rank) != rank - 1) return nullptr;
  const Node* neg = made_by(concat->input(0), OpKind::Neg);
  const auto upper = last_axis_slice(neg == nullptr ? nullptr : neg->input(0)->producer);
  const auto lower = last_axis_slice(concat->input(1)->producer);
  if (!upper || !lower || upper->x != lower->x) return nullptr;
  const std::int64_t d = upper->x->shape.back();
  if (d % 2 != 0 || upper->begin != d / 2 || upper->end != d || lower->begin != 0 || lower->end != d / 2) return nullptr;
  return upper->x;
}

// Mul(x, c) or Mul(c, x) with c a float constant: {x, c}.
std::optional<std::pair<const Value*, const Tensor*>> product_by_constant(const Value* v) {
  const Node* mul = made_by(v, OpKind::Mul);
  if (mul == nullptr || mul->inputs.size() != 2) return std::nullopt;
  for (std::size_t at : {std::size_t{1}, std::size_t{0}}) {
    const Tensor* c = mul->constant_input(at);
    if (is_f32_constant(c) && !mul->input(1 - at)->is_constant()) return std::make_pair(mul->input(1 - at), c);
  }
  return std::nullopt;
}

// The constant's value at token t, feature c, when it broadcasts to [1, h, T, d] the same for
// every head (its trailing dimensions [T, d], [1, d] or [d], leading ones 1).
std::optional<std::vector<float>> per_token_feature(const Tensor& c, std::int64_t tokens, std::int64_t d) {
  Shape shape = c.shape();
  while (shape.size() > 2 && shape.front() == 1) shape.erase(shape.begin());
  if (shape.size() == 1) shape.insert(shape.begin(), 1);
  if (shape.size() != 2 || shape[1] != d || (shape[0] != 1 && shape[0] != tokens)) return std::nullopt;
  const std::vector<double> values = c.to_double_vector();
  std::vector<float> out(static_cast<std::size_t>(tokens * d));
  for (std::int64_t t = 0; t < tokens; ++t) {
    for (std::int64_t f = 0; f < d; ++f) {
      out[static_cast<std::size_t>(t * d + f)] = static_cast<float>(values[static_cast<std::size_t>((shape[0] == 1 ? 0 : t) * d + f)]);
    }
  }
  return out;
}

}  // namespace

// The image a head view [1, h, T, d] shows: Transpose(0, 2, 1, 3) of a split_heads Reshape's
// output, whose replacement views the image [1, h d, 1, T].
Value* TokenRewriter::heads_image_of(const Value* view) const {
  const Node* swap = made_by(view, OpKind::Transpose);
  if (swap == nullptr || swap->attrs.get_ints("perm") != Ints{0, 2, 1, 3}) return nullptr;
  const auto r = replacement_.find(swap->input(0));
  if (r == replacement_.end()) return nullptr;
  const Node* to_tokens = made_by(r->second, OpKind::Transpose);
  const Node* heads = to_tokens == nullptr ? nullptr : made_by(to_tokens->input(0), OpKind::Reshape);
  if (heads == nullptr || to_tokens->attrs.get_ints("perm") != Ints{0, 3, 1, 2}) return nullptr;
  Value* image = heads->input(0);
  const Shape& s = view->shape;
  if (s.size() != 4 || image->shape != Shape{1, s[1] * s[3], 1, s[2]}) return nullptr;
  return image;
}

bool TokenRewriter::rotary(Node& add) {
  if (add.op != OpKind::Add || add.inputs.size() != 2) return false;
  for (std::size_t first : {std::size_t{0}, std::size_t{1}}) {
    const auto direct = product_by_constant(add.input(first));
    const auto turned = product_by_constant(add.input(1 - first));
    if (!direct || !turned || rotated_half_of(turned->first) != direct->first) continue;
    const Value* x = direct->first;
    Value* image = heads_image_of(x);
    if (image == nullptr || add.output(0)->shape != x->shape) return false;
    const std::int64_t heads = x->shape[1], tokens = x->shape[2], d = x->shape[3], channels = heads * d;
    const auto cos = per_token_feature(*direct->second, tokens, d);
    const auto sin = per_token_feature(*turned->second, tokens, d);
    if (!cos || !sin) return false;
    Tensor perm(DType::I64, {channels});
    Tensor cos_image(DType::F32, {1, channels, 1, tokens});
    Tensor sin_image(DType::F32, {1, channels, 1, tokens});
    for (std::int64_t k = 0; k < heads; ++k) {
      for (std::int64_t c = 0; c < d; ++c) {
        const std::int64_t channel = k * d + c;
        perm.data<std::int64_t>()[channel] = k * d + (c + d / 2) % d;
        const float sign = c < d / 2 ? -1.0f : 1.0f;
        for (std::int64_t t = 0; t < tokens; ++t) {
          cos_image.data<float>()[channel * tokens + t] = (*cos)[static_cast<std::size_t>(t * d + c)];
          sin_image.data<float>()[channel * tokens + t] = sign * (*sin)[static_cast<std::size_t>(t * d + c)];
        }
      }
    }
    const std::string& name = add.name;
    Attributes gather_attrs;
    gather_attrs.set("axis", std::int64_t{1});
    Value* rotated = emit(OpKind::Gather, name + "_rotate_half", {image, constant(name + "_rotate_half_channels", perm)},
                          std::move(gather_attrs));
    Value* by_cos = emit(OpKind::Mul, name + "_cos", {image, constant(name + "_cos_image", cos_image)});
    Value* by_sin = emit(OpKind::Mul, name + "_sin", {rotated, constant(name + "_sin_image", sin_image)});
    Value* sum = emit(OpKind::Add, name, {by_cos, by_sin});
    Value* split = reshape(name + "_heads", sum, {1, heads, d, tokens});
    Value* tokens_first = transpose(name + "_tokens_first", split, {0, 3, 1, 2});
    replacement_[add.output(0)] = transpose(name + "_head_view", tokens_first, {0, 2, 1, 3});
    stats_.add("rotary embeddings on images");
    return true;
  }
  return false;
}

}  // namespace wb::token_rewrite
