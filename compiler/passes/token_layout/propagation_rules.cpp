#include "compiler/passes/token_layout/rewriter.h"

#include <algorithm>
#include <optional>

#include "compiler/ir/op_kind.h"
#include "compiler/ir/shape_inference.h"
#include "compiler/passes/rewrite/rewrite.h"

namespace wb::token_rewrite {
namespace {

// A Transpose that moves only axes of size 1: the data keeps its order.
bool keeps_row_major(const Node& transpose) {
  const Shape& in = transpose.input(0)->shape;
  std::int64_t last = -1;
  for (const std::int64_t axis : transpose.attrs.get_ints("perm")) {
    if (axis < 0 || axis >= static_cast<std::int64_t>(in.size())) return false;
    if (in[static_cast<std::size_t>(axis)] == 1) continue;
    if (axis < last) return false;
    last = axis;
  }
  return true;
}

}  // namespace

bool TokenRewriter::propagate(Node& node, Value* x) {
  Value* x_image = image_of(x);
  const Tokens t = tokens_of(x_image);
  Value* out = node.output(0);
  const bool data_input = node.input(0) == x;
  switch (node.op) {
    case OpKind::Transpose:
    case OpKind::Reshape:
      if (!data_input) return false;
      if (node.op == OpKind::Transpose && node.attrs.get_ints("perm") == Ints{0, 3, 1, 2} &&
          is_nhwc_of(x->shape, x_image->shape)) {
        replacement_[out] = x_image;  // a channels-last stage's end: its image
        return true;
      }
      if ((is_token_layout(out->shape, t) || (node.op == OpKind::Reshape && is_windowed_layout(out->shape, t))) &&
          (node.op == OpKind::Reshape || keeps_row_major(node))) {
        set_image(out, as_token_image(x_image));  // the same tokens in another of torch's layouts
        return true;
      }
      return node.op == OpKind::Reshape && split_heads(node, x_image, t);
    case OpKind::LayerNormalization:
    case OpKind::RMSNormalization: {
      if (!data_input || normalize_axis(node.attrs.get_int("axis", -1), static_cast<std::int64_t>(x->shape.size())) !=
                             static_cast<std::int64_t>(x->shape.size()) - 1) {
        return false;
      }
      std::vector<Value*> inputs = node.inputs;
      inputs[0] = transpose(node.name + "_to_nhwc", x_image, {0, 2, 3, 1});
      Attributes attrs = node.attrs;
      attrs.set("axis", std::int64_t{-1});
      Value* normalised = emit(node.op, node.name, std::move(inputs), std::move(attrs));
      set_image(out, transpose(node.name + "_to_nchw", normalised, {0, 3, 1, 2}));
      stats_.add("token LayerNorms over the channels");
      return true;
    }
    case OpKind::MatMul:
    case OpKind::Gemm: return data_input && linear(node, x_image, t);
    case OpKind::Add:
    case OpKind::Sub:
    case OpKind::Mul:
    case OpKind::Div: return binary(node, x, t);
    case OpKind::Concat: return concat(node, x, t);
    case OpKind::Slice: return data_input && slice_tokens(node, x, x_image);
    case OpKind::Gather: return data_input && is_token_layout(x->shape, t) && gather_token(node, x, x_image);
    default:
      if (!data_input || out->shape != x->shape) return false;
      if (node.op != OpKind::Gelu && node.op != OpKind::Erf && !is_unary_activation(node.op)) return false;
      for (std::size_t i = 1; i < node.inputs.size(); ++i) {
        if (node.input(i) != nullptr && !node.input(i)->is_constant()) return false;
      }
      {
        std::vector<Value*> inputs = node.inputs;
        inputs[0] = x_image;
        set_image(out, emit(node.op, node.name, std::move(inputs), node.attrs));
      }
      return true;
  }
}

// Reshape(T, h, d) (or (1, T, h, d), or (W, L, h, d) of W sets of L tokens) of the tokens: the
// image read as [h, d, T] (or [h, d, W, L]), transposed
// to the layout torch asked for (canonicalize-nchw merges it with the head transposes after).
bool TokenRewriter::split_heads(Node& node, Value* x_image, Tokens t) {
  const Shape& s = node.output(0)->shape;
  if (s.size() == 3 && s[0] == t.count && s[1] * s[2] == t.features) {
    Value* heads = reshape(node.name + "_heads", x_image, {s[1], s[2], t.count});
    replacement_[node.output(0)] = transpose(node.name, heads, {2, 0, 1});
  } else if (s.size() == 4 && s[0] == 1 && s[1] == t.count && s[2] * s[3] == t.features) {
    Value* heads = reshape(node.name + "_heads", x_image, {1, s[2], s[3], t.count});
    replacement_[node.output(0)] = transpose(node.name, heads, {0, 3, 1, 2});
  } else if (s.size() == 4 && s[0] > 1 && s[0] * s[1] == t.count && s[2] * s[3] == t.features &&
             node.input(0)->shape == Shape{s[0], s[1], t.features}) {
    // Sets of tokens [W, L, C] (batched-attention's batch-major heads): [W, L, h, d] of the
    // image read as [h, d, W, L], the windowed form Swin's heads have.
    Value* heads = reshape(node.name + "_heads", x_image, {s[2], s[3], s[0], s[1]});
    replacement_[node.output(0)] = transpose(node.name, heads, {2, 3, 0, 1});
  } else {
    return false;
  }
  stats_.add("attention heads split from images");
  return true;
}

// MatMul(x, W [C, C']) or Gemm(x, B) (+ bias): a 1x1 Conv of C' filters.
bool TokenRewriter::linear(Node& node, Value* x_image, Tokens t) {
  const Tensor* w = node.constant_input(1);
  if (!is_f32_constant(w) || w->rank() != 2) return false;
  const bool gemm = node.op == OpKind::Gemm;
  const bool trans_b = gemm && node.attrs.get_int("transB", 0) != 0;
  if (gemm && (node.attrs.get_int("transA", 0) != 0 || node.attrs.get_float("alpha", 1.0f) != 1.0f)) return false;
  if (gemm && node.input(0)->shape.size() != 2) return false;
  const std::int64_t c_in = trans_b ? w->shape()[1] : w->shape()[0];
  const std::int64_t c_out = trans_b ? w->shape()[0] : w->shape()[1];
  if (c_in != t.features) return false;
  std::optional<Tensor> bias;
  if (gemm && node.inputs.size() > 2 && node.input(2) != nullptr) {
    const Tensor* c = node.constant_input(2);
    if (!is_f32_constant(c) || c->numel() != c_out) return false;
    const float beta = node.attrs.get_float("beta", 1.0f);
    Tensor b(DType::F32, {c_out});
    for (std::int64_t o = 0; o < c_out; ++o) b.data<float>()[o] = beta * c->data<float>()[o];
    bias = std::move(b);
  }
  Tensor weights = (trans_b ? *w : rewrite::transposed_matrix(*w)).reshaped({c_out, c_in, 1, 1});
  std::vector<Value*> inputs{x_image, constant(node.name + "_conv_weight", std::move(weights))};
  if (bias) inputs.push_back(constant(node.name + "_conv_bias", std::move(*bias)));
  Attributes attrs;
  attrs.set("kernel_shape", Ints{1, 1});
  set_image(node.output(0), emit(OpKind::Conv, node.name, std::move(inputs), std::move(attrs)));
  stats_.add("token Linears as 1x1 convolutions");
  return true;
}

// A scalar constant, or one over the features alone ([C], [1, 1, 1, C]...), as [C, 1, 1].
Value* TokenRewriter::feature_constant(const Node& node, std::size_t at, Tokens t) {
  const Tensor* c = node.constant_input(at);
  if (!is_f32_constant(c)) return nullptr;
  if (c->numel() == 1) return node.input(at);
  if (c->rank() == 0 || c->shape().back() != t.features || c->numel() != t.features) return nullptr;
  return constant(node.name + "_per_channel", c->reshaped({t.features, 1, 1}));
}

// A constant operand of an elementwise op on tokens, as an image operand: a scalar stays one,
// a constant over the features becomes [C, 1, 1], one over tokens and features [1, C, 1, T].
Value* TokenRewriter::image_constant(const Node& node, std::size_t at, Tokens t, const Shape& token_shape) {
  const Tensor* c = node.constant_input(at);
  if (!is_f32_constant(c)) return nullptr;
  if (c->numel() == 1) return node.input(at);
  const Shape& s = c->shape();
  if (s.size() > token_shape.size()) return nullptr;
  // Right-aligned against the token layout: every axis but the features 1, or exactly T x C.
  const std::size_t offset = token_shape.size() - s.size();
  const std::int64_t taxis = token_axis(token_shape);
  bool features_only = s.back() == t.features;
  bool tokens_and_features = s.back() == t.features;
  for (std::size_t d = 0; d + 1 < s.size(); ++d) {
    const auto axis = static_cast<std::int64_t>(d + offset);
    features_only = features_only && s[d] == 1;
    tokens_and_features = tokens_and_features && s[d] == (axis == taxis ? t.count : 1);
  }
  if (features_only) return constant(node.name + "_per_channel", c->reshaped({t.features, 1, 1}));
  if (tokens_and_features && c->numel() == t.count * t.features) {
    return constant(node.name + "_per_pixel",
                    rewrite::transposed_matrix(c->reshaped({t.count, t.features})).reshaped({1, t.features, 1, t.count}));
  }
  return nullptr;
}

// An elementwise op of two images of one shape, or of an image and a constant (image_constant;
// over tokens and features only for a token sequence).
bool TokenRewriter::binary(Node& node, const Value* x, Tokens t) {
  const Shape& out = node.output(0)->shape;
  const Shape& picture = image_of(x)->shape;
  const bool tokens = picture[2] == 1 && (is_token_layout(out, t) || is_windowed_layout(out, t));
  if (node.inputs.size() != 2 || (!tokens && !(out == x->shape && is_nhwc_of(out, picture)))) return false;
  std::vector<Value*> inputs(2);
  for (std::size_t i = 0; i < 2; ++i) {
    Value* in = node.input(i);
    if (Value* image = image_of(in); image != nullptr && image->shape == picture) {
      inputs[i] = image;
    } else if (tokens) {
      inputs[i] = image_constant(node, i, t, out);
    } else {
      inputs[i] = feature_constant(node, i, t);
    }
    if (inputs[i] == nullptr) return false;
  }
  set_image(node.output(0), emit(node.op, node.name, std::move(inputs), node.attrs));
  return true;
}

// A Concat of tokens (and constant tokens: the class token) along the token axis, or of
// features along the last axis.
bool TokenRewriter::concat(Node& node, const Value* x, Tokens t) {
  const Shape& layout = x->shape;
  const auto rank = static_cast<std::int64_t>(layout.size());
  const std::int64_t axis = normalize_axis(node.attrs.get_int("axis", 0), rank);
  const Shape& picture = image_of(x)->shape;
  const bool along_tokens = picture[2] == 1 && is_token_layout(layout, t) && axis == token_axis(layout);
  if (!along_tokens && axis != rank - 1) return false;
  std::vector<Value*> inputs;
  for (std::size_t i = 0; i < node.inputs.size(); ++i) {
    Value* in = node.input(i);
    if (Value* image = image_of(in);
        image != nullptr && in->shape.size() == layout.size() && token_axis(in->shape) == token_axis(layout)) {
      const Shape& u = image->shape;
      // Tokens: the same features; channels: the same pixels.
      if ((along_tokens && u[1] != picture[1]) || (!along_tokens && (u[2] != picture[2] || u[3] != picture[3]))) {
        return false;
      }
      inputs.push_back(image);
      continue;
    }
    const Tensor* c = node.constant_input(i);
    if (!along_tokens || !is_f32_constant(c) || c->rank() != rank) return false;
    // Constant tokens in the same layout as x: k tokens of C features.
    Shape expected = layout;
    const std::int64_t k = c->shape()[static_cast<std::size_t>(axis)];
    expected[static_cast<std::size_t>(axis)] = k;
    if (c->shape() != expected) return false;
    inputs.push_back(constant(node.name + "_tokens",
                              rewrite::transposed_matrix(c->reshaped({k, t.features})).reshaped({1, t.features, 1, k})));
  }
  Attributes attrs;
  attrs.set("axis", std::int64_t{along_tokens ? 3 : 1});
  set_image(node.output(0), emit(OpKind::Concat, node.name, std::move(inputs), std::move(attrs)));
  return true;
}

// A Slice of consecutive features (Q, K, V of the in-projection) or tokens, step 1.
bool TokenRewriter::slice_tokens(Node& node, const Value* x, Value* x_image) {
  if (node.inputs.size() < 3 || node.inputs.size() > 5) return false;
  const Tensor* starts = node.constant_input(1);
  const Tensor* ends = node.constant_input(2);
  const Tensor* axes = node.inputs.size() > 3 && node.input(3) != nullptr ? node.constant_input(3) : nullptr;
  if (starts == nullptr || ends == nullptr || starts->numel() != 1 || ends->numel() != 1) return false;
  if (node.inputs.size() > 3 && node.input(3) != nullptr && axes == nullptr) return false;
  if (node.inputs.size() > 4 && node.input(4) != nullptr) {
    const Tensor* steps = node.constant_input(4);
    if (steps == nullptr || steps->numel() != 1 || steps->as_int64(0) != 1) return false;
  }
  const auto rank = static_cast<std::int64_t>(x->shape.size());
  const std::int64_t axis = normalize_axis(axes != nullptr ? axes->as_int64(0) : 0, rank);
  const Shape& out = node.output(0)->shape;
  std::int64_t image_axis = 0, begin = 0, length = 0;
  if (axis == rank - 1) {
    image_axis = 1, length = out.back();
  } else if (x_image->shape[2] == 1 && is_token_layout(x->shape, tokens_of(x_image)) && axis == token_axis(x->shape)) {
    image_axis = 3, length = out[static_cast<std::size_t>(axis)];
  } else {
    return false;
  }
  const std::int64_t size = x->shape[static_cast<std::size_t>(axis)];
  begin = starts->as_int64(0);
  if (begin < 0) begin += size;
  begin = std::clamp<std::int64_t>(begin, 0, size);
  if (length <= 0) return false;
  set_image(node.output(0), slice(node.name, x_image, image_axis, begin, begin + length));
  return true;
}

// Gather of one token ([1, T, C] -> [1, C]: the class token into the head): one pixel.
bool TokenRewriter::gather_token(Node& node, const Value* x, Value* x_image) {
  const Tensor* index = node.constant_input(1);
  const auto rank = static_cast<std::int64_t>(x->shape.size());
  if (index == nullptr || index->numel() != 1 || index->rank() != 0) return false;
  if (normalize_axis(node.attrs.get_int("axis", 0), rank) != token_axis(x->shape)) return false;
  const Tokens t = tokens_of(x_image);
  std::int64_t i = index->as_int64(0);
  if (i < 0) i += t.count;
  // The first token (the class token) is a 1x1 max pool of stride T: one window, that pixel
  // (a strided copy, which both targets' pool units run); another token a Slice.
  Value* pixel = nullptr;
  if (i == 0) {
    Attributes attrs;
    attrs.set("kernel_shape", Ints{1, 1});
    attrs.set("strides", Ints{1, t.count});
    pixel = emit(OpKind::MaxPool, node.name + "_pixel", {x_image}, std::move(attrs));
  } else {
    pixel = slice(node.name + "_pixel", x_image, 3, i, i + 1);
  }
  replacement_[node.output(0)] = reshape(node.name, pixel, node.output(0)->shape);
  stats_.add("token gathers as one pixel");
  return true;
}

}  // namespace wb::token_rewrite
