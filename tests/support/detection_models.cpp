#include "tests/support/detection_models.h"

#include <string>
#include <vector>

namespace wb::test {
namespace {

using Ints = std::vector<std::int64_t>;

Tensor ints(const Ints& v) { return Tensor::from_vector<std::int64_t>({static_cast<std::int64_t>(v.size())}, v); }

// One level's head: the 1x1 conv of anchors x values, read as [1, H W A, K].
std::string head(OnnxBuilder& b, HeadLayout layout, const std::string& name, const std::string& feature,
                 std::int64_t channels, std::int64_t h, std::int64_t w, std::int64_t anchors, std::int64_t values,
                 std::uint32_t seed) {
  b.initializer(name + ".w", random_tensor({anchors * values, channels, 1, 1}, seed));
  b.initializer(name + ".b", random_tensor({anchors * values}, seed + 1));
  b.node("Conv", {feature, name + ".w", name + ".b"}, {name + "_conv"}, name + "/Conv");
  b.initializer(name + "_tokens_shape", ints({1, h * w * anchors, values}));
  if (layout == HeadLayout::Ssd) {
    b.initializer(name + "_split_shape", ints({1, anchors, values, h, w}));
    b.node("Reshape", {name + "_conv", name + "_split_shape"}, {name + "_split"}, name + "/Reshape");
    set_attr(b.node("Transpose", {name + "_split"}, {name + "_nhwc"}, name + "/Transpose"), "perm", Ints{0, 3, 4, 1, 2});
  } else {
    set_attr(b.node("Transpose", {name + "_conv"}, {name + "_nhwc"}, name + "/Transpose"), "perm", Ints{0, 2, 3, 1});
  }
  b.node("Reshape", {name + "_nhwc", name + "_tokens_shape"}, {name + "_tokens"}, name + "/Reshape_1");
  return name + "_tokens";
}

}  // namespace

OnnxBuilder detection_heads(HeadLayout layout, bool scores) {
  OnnxBuilder b(13);
  b.input("x", {1, 3, 8, 8}).output("boxes");
  if (scores) b.output("scores");
  b.initializer("stem.w", random_tensor({8, 3, 3, 3}, 11)).initializer("stem.b", random_tensor({8}, 12));
  set_attr(b.node("Conv", {"x", "stem.w", "stem.b"}, {"stem"}, "/stem/Conv"), "pads", Ints{1, 1, 1, 1});
  b.node("Relu", {"stem"}, {"level0"}, "/stem/Relu");
  b.initializer("down.w", random_tensor({8, 8, 3, 3}, 13)).initializer("down.b", random_tensor({8}, 14));
  auto& down = b.node("Conv", {"level0", "down.w", "down.b"}, {"down"}, "/down/Conv");
  set_attr(down, "pads", Ints{1, 1, 1, 1});
  set_attr(down, "strides", Ints{2, 2});
  b.node("Relu", {"down"}, {"level1"}, "/down/Relu");
  const auto heads = [&](const std::string& name, std::int64_t values, std::uint32_t seed, const std::string& out) {
    const std::string t0 = head(b, layout, "/" + name + "/0", "level0", 8, 8, 8, 2, values, seed);
    const std::string t1 = head(b, layout, "/" + name + "/1", "level1", 8, 4, 4, 2, values, seed + 2);
    set_attr(b.node("Concat", {t0, t1}, {out}, "/" + name + "/Concat"), "axis", std::int64_t{1});
  };
  heads("boxes", 3, 21, "boxes");
  if (scores) heads("scores", 5, 31, "scores");
  return b;
}

}  // namespace wb::test
