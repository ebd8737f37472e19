#include "tests/support/swin_models.h"

#include <string>
#include <vector>

namespace wb::test {
namespace {

using Ints = std::vector<std::int64_t>;

Tensor ints(const Ints& v) { return Tensor::from_vector<std::int64_t>({static_cast<std::int64_t>(v.size())}, v); }

// roll(x, by, axis) for 0 < by < size as torch exports it: x[size - by:] ++ x[:size - by].
void roll(OnnxBuilder& b, const std::string& x, const std::string& y, std::int64_t by, std::int64_t size,
          std::int64_t axis) {
  const std::string at = y + "_at", end = y + "_end", zero = y + "_zero", ax = y + "_axis";
  b.initializer(at, ints({size - by})).initializer(end, ints({size})).initializer(zero, ints({0}));
  b.initializer(ax, ints({axis}));
  b.node("Slice", {x, at, end, ax}, {y + "_tail"});
  b.node("Slice", {x, zero, at, ax}, {y + "_head"});
  set_attr(b.node("Concat", {y + "_tail", y + "_head"}, {y}), "axis", axis);
}

}  // namespace

OnnxBuilder shifted_window_block(bool reverse, ShiftedWindowSizes sizes) {
  const std::int64_t c = sizes.channels, s = sizes.size, w = sizes.window, n = s / w;
  OnnxBuilder b(17);
  b.input("x", {1, c, s, s}).output("y");
  b.initializer("stem_w", random_tensor({c, c, 1, 1}, 1)).initializer("stem_b", random_tensor({c}, 4));
  b.initializer("gamma", random_tensor({c}, 2)).initializer("beta", random_tensor({c}, 3));
  b.initializer("w", random_tensor({c, c}, 5));
  b.initializer("windows6", ints({1, n, w, n, w, c})).initializer("windows", ints({n * n, w * w, c}));
  b.initializer("stage", ints({1, s, s, c}));
  b.node("Conv", {"x", "stem_w", "stem_b"}, {"stem"});
  set_attr(b.node("Transpose", {"stem"}, {"nhwc"}), "perm", Ints{0, 2, 3, 1});
  set_attr(b.node("LayerNormalization", {"nhwc", "gamma", "beta"}, {"normed"}), "axis", std::int64_t{-1});
  std::string rolled = "normed";
  if (sizes.shift != 0) {
    roll(b, "normed", "rolled_h", s - sizes.shift, s, 1);
    roll(b, "rolled_h", "rolled", s - sizes.shift, s, 2);
    rolled = "rolled";
  }
  b.node("Reshape", {rolled, "windows6"}, {"split"});
  set_attr(b.node("Transpose", {"split"}, {"grouped"}), "perm", Ints{0, 1, 3, 2, 4, 5});
  b.node("Reshape", {"grouped", "windows"}, {"tokens"});
  b.node("MatMul", {"tokens", "w"}, {"mixed"});
  if (!reverse) {
    b.node("Relu", {"mixed"}, {"y"});
    return b;
  }
  b.node("Reshape", {"mixed", "windows6"}, {"back_split"});
  set_attr(b.node("Transpose", {"back_split"}, {"back_grouped"}), "perm", Ints{0, 1, 3, 2, 4, 5});
  b.node("Reshape", {"back_grouped", "stage"}, {"back"});
  std::string unrolled = "back";
  if (sizes.shift != 0) {
    roll(b, "back", "unrolled_h", sizes.shift, s, 1);
    roll(b, "unrolled_h", "unrolled", sizes.shift, s, 2);
    unrolled = "unrolled";
  }
  b.node("Add", {"nhwc", unrolled}, {"sum"});
  set_attr(b.node("Transpose", {"sum"}, {"y"}), "perm", Ints{0, 3, 1, 2});
  return b;
}

OnnxBuilder window_attention(bool bias, bool masked) {
  OnnxBuilder b(17);
  b.input("x", {1, 8, 4, 4}).output("y");
  b.initializer("gamma", random_tensor({8}, 2)).initializer("beta", random_tensor({8}, 3));
  b.initializer("windows6", ints({1, 2, 2, 2, 2, 8})).initializer("windows", ints({4, 4, 8}));
  b.initializer("stage", ints({1, 4, 4, 8}));
  b.initializer("qkv_w", random_tensor({8, 24}, 6)).initializer("qkv_b", random_tensor({24}, 7));
  b.initializer("split", ints({4, 4, 3, 2, 4})).initializer("scale", Tensor::scalar(0.5f));
  for (std::int64_t i = 0; i < 3; ++i) b.initializer("index" + std::to_string(i), Tensor::scalar<std::int64_t>(i));
  set_attr(b.node("Transpose", {"x"}, {"nhwc"}), "perm", Ints{0, 2, 3, 1});
  set_attr(b.node("LayerNormalization", {"nhwc", "gamma", "beta"}, {"normed"}), "axis", std::int64_t{-1});
  b.node("Reshape", {"normed", "windows6"}, {"split6"});
  set_attr(b.node("Transpose", {"split6"}, {"grouped"}), "perm", Ints{0, 1, 3, 2, 4, 5});
  b.node("Reshape", {"grouped", "windows"}, {"tokens"});
  b.node("MatMul", {"tokens", "qkv_w"}, {"qkv_raw"});
  b.node("Add", {"qkv_raw", "qkv_b"}, {"qkv"});
  b.node("Reshape", {"qkv", "split"}, {"qkv5"});
  set_attr(b.node("Transpose", {"qkv5"}, {"qkv_heads"}), "perm", Ints{2, 0, 3, 1, 4});
  for (std::int64_t i = 0; i < 3; ++i) {
    set_attr(b.node("Gather", {"qkv_heads", "index" + std::to_string(i)}, {std::string("qkv").substr(i, 1)}),
             "axis", std::int64_t{0});
  }
  b.node("Mul", {"q", "scale"}, {"q_scaled"});
  set_attr(b.node("Transpose", {"k"}, {"k_t"}), "perm", Ints{0, 1, 3, 2});
  b.node("MatMul", {"q_scaled", "k_t"}, {"scores"});
  std::string scores = "scores";
  if (bias) {
    Tensor table = random_tensor({1, 2, 4, 4}, 8);
    b.initializer("position_bias", table);
    b.node("Add", {scores, "position_bias"}, {"biased"});
    scores = "biased";
  }
  if (masked) {
    // Pixel (r, c) of the 4x4 stage lies in region (r, c) of the shift's [0, 2), [2, 3), [3, 4).
    const auto region = [](std::int64_t v) { return v < 2 ? 0 : v < 3 ? 1 : 2; };
    Tensor mask(DType::F32, {1, 4, 1, 4, 4});
    for (std::int64_t w = 0; w < 4; ++w) {
      for (std::int64_t i = 0; i < 4; ++i) {
        for (std::int64_t j = 0; j < 4; ++j) {
          const auto id = [&](std::int64_t t) {
            return region(w / 2 * 2 + t / 2) * 3 + region(w % 2 * 2 + t % 2);
          };
          mask.data<float>()[(w * 4 + i) * 4 + j] = id(i) == id(j) ? 0.0f : -100.0f;
        }
      }
    }
    b.initializer("mask", mask).initializer("mask_split", ints({1, 4, 2, 4, 4})).initializer("mask_back", ints({4, 2, 4, 4}));
    b.node("Reshape", {scores, "mask_split"}, {"split_scores"});
    b.node("Add", {"split_scores", "mask"}, {"masked_split"});
    b.node("Reshape", {"masked_split", "mask_back"}, {"masked"});
    scores = "masked";
  }
  set_attr(b.node("Softmax", {scores}, {"p"}), "axis", std::int64_t{-1});
  b.node("MatMul", {"p", "v"}, {"context"});
  set_attr(b.node("Transpose", {"context"}, {"merged"}), "perm", Ints{0, 2, 1, 3});
  b.node("Reshape", {"merged", "windows"}, {"attended"});
  b.node("Reshape", {"attended", "windows6"}, {"back_split"});
  set_attr(b.node("Transpose", {"back_split"}, {"back_grouped"}), "perm", Ints{0, 1, 3, 2, 4, 5});
  b.node("Reshape", {"back_grouped", "stage"}, {"back"});
  set_attr(b.node("Transpose", {"back"}, {"y"}), "perm", Ints{0, 3, 1, 2});
  return b;
}

}  // namespace wb::test
