#include "tests/unit/compiler/pulp/pulp_testing.h"

#include <cmath>

namespace wb::test {

namespace {

quant::QGraph pulp_qgraph(const OnnxBuilder& model) {
  quant::QuantizeOptions options;
  options.scheme = quant::Scheme::Pulp;
  return quantize_model(model, options).qgraph;
}

// The classifier every test network ends with: GlobalAveragePool "gap" of `features` (of
// `channels` channels) -> Flatten -> Gemm "fc" (10 classes, weights seeded `seed`, bias
// `seed + 1`) -> y.
void pool_and_classify(OnnxBuilder& b, const std::string& features, std::int64_t channels, std::uint32_t seed) {
  b.node("GlobalAveragePool", {features}, {"gap"}, "gap");
  b.node("Flatten", {"gap"}, {"flat"}, "flatten");
  b.initializer("wf", random_tensor({10, channels}, seed)).initializer("bf", random_tensor({10}, seed + 1));
  set_attr(b.node("Gemm", {"flat", "wf", "bf"}, {"y"}, "fc"), "transB", std::int64_t{1});
}

}  // namespace

OnnxBuilder small_pulp_cnn() {
  OnnxBuilder b;
  b.input("x", {1, 3, 32, 32}).output("y");
  const auto pads = std::vector<std::int64_t>{1, 1, 1, 1};
  b.initializer("w1", random_tensor({16, 3, 3, 3}, 21)).initializer("b1", random_tensor({16}, 22));
  Tensor var = random_tensor({16}, 23);
  for (float& v : var.span<float>()) v = 0.2f + std::abs(v);
  b.initializer("gamma", random_tensor({16}, 24)).initializer("beta", random_tensor({16}, 25));
  b.initializer("mean", random_tensor({16}, 26)).initializer("var", var);
  auto& c1 = b.node("Conv", {"x", "w1", "b1"}, {"c1"}, "conv1");
  set_attr(c1, "pads", pads);
  set_attr(c1, "strides", std::vector<std::int64_t>{2, 2});
  b.node("BatchNormalization", {"c1", "gamma", "beta", "mean", "var"}, {"bn1"}, "bn1");
  b.node("Relu", {"bn1"}, {"r1"}, "relu1");
  b.initializer("wd", random_tensor({16, 1, 3, 3}, 27)).initializer("bd", random_tensor({16}, 28));
  auto& dw = b.node("Conv", {"r1", "wd", "bd"}, {"cd"}, "depthwise");
  set_attr(dw, "pads", pads);
  set_attr(dw, "group", std::int64_t{16});
  b.node("Relu", {"cd"}, {"rd"}, "relu_d");
  b.initializer("wp", random_tensor({16, 16, 1, 1}, 29)).initializer("bp", random_tensor({16}, 30));
  b.node("Conv", {"rd", "wp", "bp"}, {"cp"}, "pointwise");
  b.node("Relu", {"cp"}, {"rp"}, "relu_p");
  b.node("Add", {"rp", "r1"}, {"sum"}, "residual");
  b.node("Relu", {"sum"}, {"rs"}, "relu_s");
  auto& pool = b.node("MaxPool", {"rs"}, {"mp"}, "maxpool");
  set_attr(pool, "kernel_shape", std::vector<std::int64_t>{2, 2});
  set_attr(pool, "strides", std::vector<std::int64_t>{2, 2});
  b.initializer("w3", random_tensor({32, 16, 3, 3}, 31)).initializer("b3", random_tensor({32}, 32));
  set_attr(b.node("Conv", {"mp", "w3", "b3"}, {"c3"}, "conv3"), "pads", pads);
  b.node("Relu", {"c3"}, {"r3"}, "relu3");
  pool_and_classify(b, "r3", 32, 33);
  return b;
}

OnnxBuilder inception_pulp_cnn() {
  OnnxBuilder b;
  b.input("x", {1, 3, 32, 32}).output("y");
  const auto pads = std::vector<std::int64_t>{1, 1, 1, 1};
  std::uint32_t seed = 50;
  const auto conv = [&](const std::string& in, const std::string& name, std::int64_t c_in, std::int64_t c_out,
                        std::int64_t k) -> onnx::NodeProto& {
    b.initializer("w_" + name, random_tensor({c_out, c_in, k, k}, seed++));
    b.initializer("b_" + name, random_tensor({c_out}, seed++));
    auto& node = b.node("Conv", {in, "w_" + name, "b_" + name}, {"c_" + name}, name);
    if (k == 3) set_attr(node, "pads", pads);
    b.node("Relu", {"c_" + name}, {"r_" + name}, "relu_" + name);
    return node;
  };
  conv("x", "conv_in", 3, 16, 3);
  conv("r_conv_in", "branch_1x1", 16, 8, 1);
  conv("r_conv_in", "branch_3x3", 16, 16, 3);
  auto& pool = b.node("MaxPool", {"r_conv_in"}, {"pooled"}, "branch_maxpool");
  set_attr(pool, "kernel_shape", std::vector<std::int64_t>{3, 3});
  set_attr(pool, "pads", pads);
  conv("pooled", "branch_pool", 16, 8, 1);
  set_attr(b.node("Concat", {"r_branch_1x1", "r_branch_3x3", "r_branch_pool"}, {"cat"}, "concat"), "axis",
           std::int64_t{1});
  set_attr(conv("cat", "conv_out", 32, 16, 3), "strides", std::vector<std::int64_t>{2, 2});
  pool_and_classify(b, "r_conv_out", 16, seed);
  return b;
}

OnnxBuilder grouped_pulp_cnn() {
  OnnxBuilder b;
  b.input("x", {1, 8, 16, 16}).output("y");
  std::uint32_t seed = 80;
  std::string in = "x";
  const auto conv = [&](const std::string& name, std::int64_t c_in, std::int64_t c_out, std::int64_t groups,
                        std::int64_t k, std::int64_t stride) {
    b.initializer("w_" + name, random_tensor({c_out, c_in / groups, k, k}, seed++));
    b.initializer("b_" + name, random_tensor({c_out}, seed++));
    auto& node = b.node("Conv", {in, "w_" + name, "b_" + name}, {"c_" + name}, name);
    const std::int64_t pad = k / 2;
    set_attr(node, "pads", std::vector<std::int64_t>{pad, pad, pad, pad});
    set_attr(node, "strides", std::vector<std::int64_t>{stride, stride});
    set_attr(node, "group", groups);
    b.node("Relu", {"c_" + name}, {"r_" + name}, "relu_" + name);
    in = "r_" + name;
  };
  conv("conv_in", 8, 16, 1, 3, 1);
  conv("grouped_4x4", 16, 16, 4, 3, 1);
  conv("grouped_s2", 16, 24, 2, 3, 2);
  conv("grouped_1x1", 24, 16, 8, 1, 1);
  conv("multiplier", 16, 32, 16, 3, 1);
  pool_and_classify(b, in, 32, seed);
  return b;
}

OnnxBuilder dilated_pulp_cnn() {
  OnnxBuilder b;
  b.input("x", {1, 8, 20, 20}).output("y");
  std::uint32_t seed = 300;
  std::string in = "x";
  const auto conv = [&](const std::string& name, std::int64_t c_in, std::int64_t c_out, std::int64_t groups,
                        std::int64_t dilation_h, std::int64_t dilation_w, std::int64_t stride) {
    b.initializer("w_" + name, random_tensor({c_out, c_in / groups, 3, 3}, seed++));
    b.initializer("b_" + name, random_tensor({c_out}, seed++));
    auto& node = b.node("Conv", {in, "w_" + name, "b_" + name}, {"c_" + name}, name);
    set_attr(node, "pads", std::vector<std::int64_t>{dilation_h, dilation_w, dilation_h, dilation_w});
    set_attr(node, "dilations", std::vector<std::int64_t>{dilation_h, dilation_w});
    set_attr(node, "strides", std::vector<std::int64_t>{stride, stride});
    set_attr(node, "group", groups);
    b.node("Relu", {"c_" + name}, {"r_" + name}, "relu_" + name);
    in = "r_" + name;
  };
  conv("dilated_conv", 8, 16, 1, 2, 2, 1);
  conv("dilated_dw", 16, 16, 16, 3, 3, 1);
  conv("dilated_grouped", 16, 16, 2, 2, 2, 2);
  conv("dilated_rows", 16, 16, 1, 2, 1, 1);
  conv("atrous_12", 16, 8, 1, 12, 12, 1);
  pool_and_classify(b, in, 8, seed);
  return b;
}

OnnxBuilder resize_pulp_cnn() {
  OnnxBuilder b;
  b.input("x", {1, 8, 12, 12}).output("y");
  b.initializer("w_stem", random_tensor({8, 8, 3, 3}, 400)).initializer("b_stem", random_tensor({8}, 401));
  b.initializer("w_head", random_tensor({4, 8, 3, 3}, 402)).initializer("b_head", random_tensor({4}, 403));
  b.initializer("twice", Tensor::from_vector<float>({4}, {1, 1, 2, 2}));
  b.initializer("three_quarters", Tensor::from_vector<float>({4}, {1, 1, 0.75f, 0.75f}));
  set_attr(b.node("Conv", {"x", "w_stem", "b_stem"}, {"c_stem"}, "stem"), "pads", std::vector<std::int64_t>{1, 1, 1, 1});
  b.node("Relu", {"c_stem"}, {"r_stem"}, "relu_stem");
  auto& bilinear = b.node("Resize", {"r_stem", "", "twice"}, {"up1"}, "up_bilinear");
  set_attr(bilinear, "mode", std::string("linear"));
  set_attr(bilinear, "coordinate_transformation_mode", std::string("pytorch_half_pixel"));
  set_attr(b.node("Conv", {"up1", "w_head", "b_head"}, {"head"}, "head"), "pads", std::vector<std::int64_t>{1, 1, 1, 1});
  b.node("Resize", {"head", "", "twice"}, {"up2"}, "up_nearest");
  auto& aligned = b.node("Resize", {"up2", "", "three_quarters"}, {"y"}, "down_aligned");
  set_attr(aligned, "mode", std::string("linear"));
  set_attr(aligned, "coordinate_transformation_mode", std::string("align_corners"));
  return b;
}

OnnxBuilder se_pulp_cnn() {
  OnnxBuilder b;
  b.input("x", {1, 8, 16, 16}).output("y");
  std::uint32_t seed = 120;
  const auto conv = [&](const std::string& name, const std::string& in, std::int64_t c_in, std::int64_t c_out,
                        std::int64_t groups, std::int64_t k) {
    b.initializer("w_" + name, random_tensor({c_out, c_in / groups, k, k}, seed++));
    b.initializer("b_" + name, random_tensor({c_out}, seed++));
    auto& node = b.node("Conv", {in, "w_" + name, "b_" + name}, {"c_" + name}, name);
    set_attr(node, "pads", std::vector<std::int64_t>{k / 2, k / 2, k / 2, k / 2});
    set_attr(node, "group", groups);
    return "c_" + name;
  };
  const auto gemm = [&](const std::string& name, const std::string& in, std::int64_t k, std::int64_t n) {
    b.initializer("w_" + name, random_tensor({n, k}, seed++));
    b.initializer("b_" + name, random_tensor({n}, seed++));
    set_attr(b.node("Gemm", {in, "w_" + name, "b_" + name}, {"g_" + name}, name), "transB", std::int64_t{1});
    return "g_" + name;
  };
  const std::string c_in = conv("conv_in", "x", 8, 16, 1, 3);
  b.node("Sigmoid", {c_in}, {"sig_in"}, "sigmoid_in");
  b.node("Mul", {c_in, "sig_in"}, {"silu_in"}, "silu_in");
  const std::string dw = conv("depthwise", "silu_in", 16, 16, 16, 3);
  b.node("HardSwish", {dw}, {"hs_dw"}, "hardswish_dw");
  b.node("GlobalAveragePool", {"hs_dw"}, {"se_pool"}, "se_pool");
  b.node("Relu", {conv("se_reduce", "se_pool", 16, 4, 1, 1)}, {"se_relu"}, "se_relu");
  b.node("HardSigmoid", {conv("se_expand", "se_relu", 4, 16, 1, 1)}, {"gate"}, "gate");
  b.node("Mul", {"gate", "hs_dw"}, {"scaled"}, "se_scale");
  b.node("Tanh", {"scaled"}, {"tanh"}, "tanh");
  b.node("Mul", {"tanh", "scaled"}, {"product"}, "product");
  b.node("Relu", {conv("pointwise", "product", 16, 8, 1, 1)}, {"pw"}, "relu_pw");
  b.node("GlobalAveragePool", {"pw"}, {"gap"}, "gap");
  b.node("Flatten", {"gap"}, {"flat"}, "flatten");
  b.node("HardSwish", {gemm("fc1", "flat", 8, 12)}, {"fc_act"}, "fc_act");
  b.node("Identity", {gemm("fc2", "fc_act", 12, 10)}, {"y"}, "out");
  return b;
}

OnnxBuilder dense_pulp_cnn() {
  OnnxBuilder b;
  b.input("x", {1, 4, 16, 16}).output("y");
  std::uint32_t seed = 160;
  const auto conv = [&](const std::string& name, const std::string& in, std::int64_t c_in, std::int64_t c_out,
                        std::int64_t k, const std::string& out) {
    b.initializer("w_" + name, random_tensor({c_out, c_in, k, k}, seed++));
    b.initializer("b_" + name, random_tensor({c_out}, seed++));
    set_attr(b.node("Conv", {in, "w_" + name, "b_" + name}, {"c_" + name}, name), "pads",
             std::vector<std::int64_t>{k / 2, k / 2, k / 2, k / 2});
    b.node("Relu", {"c_" + name}, {out}, "relu_" + name);
  };
  // BatchNorm + Relu on a concat, as DenseNet's: left unfolded, a per-channel scale and shift.
  const auto bn_relu = [&](const std::string& name, const std::string& in, std::int64_t channels) {
    Tensor var = random_tensor({channels}, seed++);
    for (float& v : var.span<float>()) v = 0.2f + std::abs(v);
    for (const char* p : {"gamma_", "beta_", "mean_"}) b.initializer(p + name, random_tensor({channels}, seed++));
    b.initializer("var_" + name, var);
    b.node("BatchNormalization", {in, "gamma_" + name, "beta_" + name, "mean_" + name, "var_" + name},
           {"bn_" + name}, "bn_" + name);
    b.node("Relu", {"bn_" + name}, {"bnr_" + name}, "bnrelu_" + name);
    return "bnr_" + name;
  };
  const auto concat = [&](const std::string& name, const std::vector<std::string>& inputs) {
    set_attr(b.node("Concat", inputs, {name}, name), "axis", std::int64_t{1});
  };
  conv("stem_conv", "x", 4, 8, 3, "stem");
  concat("cat_1", {"stem"});
  conv("dense_1", bn_relu("1", "cat_1", 8), 8, 4, 3, "y_1");
  concat("cat_2", {"stem", "y_1"});
  conv("dense_2", bn_relu("2", "cat_2", 12), 12, 4, 3, "y_2");
  concat("cat_3", {"stem", "y_1", "y_2"});
  b.initializer("w_transition", random_tensor({8, 16, 1, 1}, seed++));
  b.node("Conv", {bn_relu("3", "cat_3", 16), "w_transition"}, {"transition"}, "transition");
  pool_and_classify(b, "transition", 8, seed);
  return b;
}

const quant::QGraph& shuffle_pulp_cnn_qgraph() {
  static const quant::QGraph graph = pulp_qgraph(shuffle_cnn());
  return graph;
}

const quant::QGraph& softmax_pulp_cnn_qgraph() {
  static const quant::QGraph graph = pulp_qgraph(softmax_cnn());
  return graph;
}

const quant::QGraph& dense_pulp_cnn_qgraph() {
  static const quant::QGraph graph = pulp_qgraph(dense_pulp_cnn());
  return graph;
}

const quant::QGraph& se_pulp_cnn_qgraph() {
  static const quant::QGraph graph = pulp_qgraph(se_pulp_cnn());
  return graph;
}

OnnxBuilder layernorm_pulp_cnn() {
  OnnxBuilder b(17);  // LayerNormalization is opset 17's
  b.input("x", {1, 8, 6, 6}).output("y");
  b.initializer("w_in", random_tensor({16, 8, 3, 3}, 500)).initializer("b_in", random_tensor({16}, 501));
  b.initializer("w_out", random_tensor({8, 16, 1, 1}, 502)).initializer("b_out", random_tensor({8}, 503));
  std::vector<float> gamma16(16), beta16(16), gamma8(8), beta8(8);
  for (std::size_t i = 0; i < 16; ++i) {
    gamma16[i] = 0.5f + 0.07f * static_cast<float>(i);
    beta16[i] = 0.1f * static_cast<float>(i % 5) - 0.2f;
  }
  for (std::size_t i = 0; i < 8; ++i) {
    gamma8[i] = 1.5f - 0.1f * static_cast<float>(i);
    beta8[i] = 0.05f * static_cast<float>(i) - 0.1f;
  }
  b.initializer("gamma", Tensor::from_vector<float>({16}, gamma16)).initializer("beta", Tensor::from_vector<float>({16}, beta16));
  b.initializer("gamma_row", Tensor::from_vector<float>({8}, gamma8)).initializer("beta_row", Tensor::from_vector<float>({8}, beta8));
  set_attr(b.node("Conv", {"x", "w_in", "b_in"}, {"c_in"}, "conv_in"), "pads", std::vector<std::int64_t>{1, 1, 1, 1});
  set_attr(b.node("Transpose", {"c_in"}, {"nhwc"}, "to_nhwc"), "perm", std::vector<std::int64_t>{0, 2, 3, 1});
  auto& ln = b.node("LayerNormalization", {"nhwc", "gamma", "beta"}, {"normed"}, "ln");
  set_attr(ln, "axis", std::int64_t{-1});
  set_attr(ln, "epsilon", 1e-6f);
  set_attr(b.node("Transpose", {"normed"}, {"nchw"}, "to_nchw"), "perm", std::vector<std::int64_t>{0, 3, 1, 2});
  b.node("Conv", {"nchw", "w_out", "b_out"}, {"c_out"}, "conv_out");
  b.node("Relu", {"c_out"}, {"r_out"}, "relu_out");
  b.node("GlobalAveragePool", {"r_out"}, {"gap"}, "gap");
  b.node("Flatten", {"gap"}, {"flat"}, "flatten");
  auto& row = b.node("LayerNormalization", {"flat", "gamma_row", "beta_row"}, {"flat_normed"}, "ln_row");
  set_attr(row, "axis", std::int64_t{1});
  b.initializer("wf", random_tensor({10, 8}, 504)).initializer("bf", random_tensor({10}, 505));
  set_attr(b.node("Gemm", {"flat_normed", "wf", "bf"}, {"y"}, "fc"), "transB", std::int64_t{1});
  return b;
}

const quant::QGraph& layernorm_pulp_cnn_qgraph() {
  static const quant::QGraph graph = pulp_qgraph(layernorm_pulp_cnn());
  return graph;
}

const quant::QGraph& resize_pulp_cnn_qgraph() {
  static const quant::QGraph graph = pulp_qgraph(resize_pulp_cnn());
  return graph;
}

const quant::QGraph& dilated_pulp_cnn_qgraph() {
  static const quant::QGraph graph = pulp_qgraph(dilated_pulp_cnn());
  return graph;
}

const quant::QGraph& grouped_pulp_cnn_qgraph() {
  static const quant::QGraph graph = pulp_qgraph(grouped_pulp_cnn());
  return graph;
}

const quant::QGraph& inception_pulp_cnn_qgraph() {
  static const quant::QGraph graph = pulp_qgraph(inception_pulp_cnn());
  return graph;
}

const quant::QGraph& small_pulp_cnn_qgraph() {
  static const quant::QGraph graph = pulp_qgraph(small_pulp_cnn());
  return graph;
}

}  // namespace wb::test
