#include "tests/support/quant_testing.h"

#include <cmath>
#include <random>

#include "compiler/frontend/onnx_import.h"
#include "compiler/passes/pass_manager.h"
#include "workbench/quantize.h"

namespace wb::test {

OnnxBuilder small_cnn() {
  OnnxBuilder b;
  b.input("x", {1, 3, 12, 12}).output("y");
  b.initializer("w1", random_tensor({8, 3, 3, 3}, 1)).initializer("b1", random_tensor({8}, 2));
  Tensor var = random_tensor({8}, 6);
  for (float& v : var.span<float>()) v = 0.2f + std::abs(v);
  b.initializer("gamma", random_tensor({8}, 3)).initializer("beta", random_tensor({8}, 4));
  b.initializer("mean", random_tensor({8}, 5)).initializer("var", var);
  set_attr(b.node("Conv", {"x", "w1", "b1"}, {"c1"}, "conv1"), "pads", std::vector<std::int64_t>{1, 1, 1, 1});
  b.node("BatchNormalization", {"c1", "gamma", "beta", "mean", "var"}, {"bn1"}, "bn1");
  b.node("Relu", {"bn1"}, {"r1"}, "relu1");
  auto& pool = b.node("MaxPool", {"r1"}, {"p1"}, "pool1");
  set_attr(pool, "kernel_shape", std::vector<std::int64_t>{2, 2});
  set_attr(pool, "strides", std::vector<std::int64_t>{2, 2});
  b.initializer("wa", random_tensor({4, 8, 1, 1}, 7)).initializer("wb", random_tensor({4, 8, 3, 3}, 8));
  b.node("Conv", {"p1", "wa"}, {"ca"}, "branch_a");
  b.node("Relu", {"ca"}, {"ra"}, "relu_a");
  set_attr(b.node("Conv", {"p1", "wb"}, {"cb"}, "branch_b"), "pads", std::vector<std::int64_t>{1, 1, 1, 1});
  b.node("Relu", {"cb"}, {"rb"}, "relu_b");
  set_attr(b.node("Concat", {"ra", "rb"}, {"cat"}, "concat"), "axis", std::int64_t{1});
  b.initializer("w3", random_tensor({8, 8, 3, 3}, 9)).initializer("b3", random_tensor({8}, 10));
  set_attr(b.node("Conv", {"cat", "w3", "b3"}, {"c3"}, "conv3"), "pads", std::vector<std::int64_t>{1, 1, 1, 1});
  b.node("Add", {"c3", "p1"}, {"sum"}, "residual");
  b.node("Relu", {"sum"}, {"r3"}, "relu3");
  b.node("GlobalAveragePool", {"r3"}, {"gap"}, "gap");
  b.node("Flatten", {"gap"}, {"flat"}, "flatten");
  b.initializer("wf", random_tensor({10, 8}, 11)).initializer("bf", random_tensor({10}, 12));
  set_attr(b.node("Gemm", {"flat", "wf", "bf"}, {"y"}, "fc"), "transB", std::int64_t{1});
  return b;
}

OnnxBuilder activation_cnn() {
  OnnxBuilder b;
  b.input("x", {1, 4, 8, 8}).output("y");
  b.initializer("w1", random_tensor({8, 4, 3, 3}, 21)).initializer("b1", random_tensor({8}, 22));
  set_attr(b.node("Conv", {"x", "w1", "b1"}, {"c1"}, "conv1"), "pads", std::vector<std::int64_t>{1, 1, 1, 1});
  b.node("Sigmoid", {"c1"}, {"s1"}, "silu");
  b.node("Mul", {"c1", "s1"}, {"f"}, "silu_mul");
  b.node("GlobalAveragePool", {"f"}, {"squeezed"}, "squeeze");
  b.initializer("wr", random_tensor({4, 8, 1, 1}, 23)).initializer("br", random_tensor({4}, 24));
  b.node("Conv", {"squeezed", "wr", "br"}, {"reduced"}, "se_reduce");
  b.node("Relu", {"reduced"}, {"reduced_relu"}, "se_relu");
  b.initializer("we", random_tensor({8, 4, 1, 1}, 25)).initializer("be", random_tensor({8}, 26));
  b.node("Conv", {"reduced_relu", "we", "be"}, {"expanded"}, "se_expand");
  set_attr(b.node("HardSigmoid", {"expanded"}, {"gate"}, "gate"), "alpha", 1.0f / 6.0f);
  b.node("Mul", {"gate", "f"}, {"scaled"}, "scale");
  b.initializer("w2", random_tensor({6, 8, 1, 1}, 27)).initializer("b2", random_tensor({6}, 28));
  b.node("Conv", {"scaled", "w2", "b2"}, {"c2"}, "conv2");
  set_attr(b.node("HardSigmoid", {"c2"}, {"hs"}, "hswish"), "alpha", 1.0f / 6.0f);
  b.node("Mul", {"c2", "hs"}, {"h"}, "hswish_mul");
  b.node("Tanh", {"h"}, {"y"}, "tanh");
  return b;
}

OnnxBuilder gelu_cnn() {
  OnnxBuilder b;
  b.input("x", {1, 4, 8, 8}).output("y");
  b.initializer("w1", random_tensor({8, 4, 3, 3}, 41)).initializer("b1", random_tensor({8}, 42));
  set_attr(b.node("Conv", {"x", "w1", "b1"}, {"c1"}, "conv1"), "pads", std::vector<std::int64_t>{1, 1, 1, 1});
  b.initializer("root2", Tensor::scalar<float>(1.4142135f)).initializer("one", Tensor::scalar<float>(1.0f));
  b.initializer("half", Tensor::scalar<float>(0.5f));
  b.node("Div", {"c1", "root2"}, {"scaled"}, "/act/Div");
  b.node("Erf", {"scaled"}, {"erf"}, "/act/Erf");
  b.node("Add", {"erf", "one"}, {"plus_one"}, "/act/Add");
  b.node("Mul", {"c1", "plus_one"}, {"product"}, "/act/Mul");
  b.node("Mul", {"product", "half"}, {"g"}, "/act/Mul_1");
  b.initializer("w2", random_tensor({6, 8, 1, 1}, 43)).initializer("b2", random_tensor({6}, 44));
  b.node("Conv", {"g", "w2", "b2"}, {"y"}, "conv2");
  return b;
}

OnnxBuilder layernorm_cnn() {
  OnnxBuilder b(17);
  b.input("x", {1, 4, 6, 6}).output("y");
  b.initializer("w1", random_tensor({8, 4, 3, 3}, 61)).initializer("b1", random_tensor({8}, 62));
  b.initializer("gamma1", random_tensor({8}, 63)).initializer("beta1", random_tensor({8}, 64));
  b.initializer("w2", random_tensor({6, 8, 1, 1}, 65)).initializer("b2", random_tensor({6}, 66));
  b.initializer("gamma2", random_tensor({6}, 67)).initializer("beta2", random_tensor({6}, 68));
  b.initializer("wf", random_tensor({5, 6}, 69)).initializer("bf", random_tensor({5}, 70));
  set_attr(b.node("Conv", {"x", "w1", "b1"}, {"c1"}, "conv1"), "pads", std::vector<std::int64_t>{1, 1, 1, 1});
  set_attr(b.node("Transpose", {"c1"}, {"nhwc"}, "to_nhwc"), "perm", std::vector<std::int64_t>{0, 2, 3, 1});
  auto& ln = b.node("LayerNormalization", {"nhwc", "gamma1", "beta1"}, {"normed"}, "ln_pixels");
  set_attr(ln, "axis", std::int64_t{-1});
  set_attr(ln, "epsilon", 1e-6f);
  set_attr(b.node("Transpose", {"normed"}, {"n1"}, "to_nchw"), "perm", std::vector<std::int64_t>{0, 3, 1, 2});
  b.node("Conv", {"n1", "w2", "b2"}, {"c2"}, "conv2");
  b.node("GlobalAveragePool", {"c2"}, {"gap"}, "gap");
  set_attr(b.node("Flatten", {"gap"}, {"flat"}, "flatten"), "axis", std::int64_t{1});
  set_attr(b.node("LayerNormalization", {"flat", "gamma2", "beta2"}, {"row"}, "ln_row"), "axis", std::int64_t{1});
  set_attr(b.node("Gemm", {"row", "wf", "bf"}, {"y"}, "fc"), "transB", std::int64_t{1});
  return b;
}

OnnxBuilder resize_cnn(const std::string& mode) {
  OnnxBuilder b;
  b.input("x", {1, 4, 6, 6}).output("y");
  b.initializer("w1", random_tensor({8, 4, 3, 3}, 51)).initializer("b1", random_tensor({8}, 52));
  set_attr(b.node("Conv", {"x", "w1", "b1"}, {"c1"}, "conv1"), "pads", std::vector<std::int64_t>{1, 1, 1, 1});
  b.initializer("scales", Tensor::from_vector<float>({4}, {1, 1, 2, 2}));
  auto& resize = b.node("Resize", {"c1", "", "scales"}, {"up"}, "upsample");
  set_attr(resize, "mode", mode);
  set_attr(resize, "coordinate_transformation_mode", std::string(mode == "linear" ? "pytorch_half_pixel" : "asymmetric"));
  if (mode != "linear") set_attr(resize, "nearest_mode", std::string("floor"));
  b.initializer("w2", random_tensor({3, 8, 1, 1}, 53)).initializer("b2", random_tensor({3}, 54));
  b.node("Conv", {"up", "w2", "b2"}, {"y"}, "conv2");
  return b;
}

OnnxBuilder deconv_cnn(const Deconv& d) {
  OnnxBuilder b;
  b.input("x", {1, 4, 6, 6}).output("y");
  b.initializer("w1", random_tensor({8, 4, 3, 3}, 61)).initializer("b1", random_tensor({8}, 62));
  set_attr(b.node("Conv", {"x", "w1", "b1"}, {"c1"}, "conv1"), "pads", std::vector<std::int64_t>{1, 1, 1, 1});
  b.node("Relu", {"c1"}, {"r1"}, "relu1");
  b.initializer("wt", random_tensor({8, 6 / d.group, d.kernel, d.kernel}, 63)).initializer("bt", random_tensor({6}, 64));
  auto& up = b.node("ConvTranspose", {"r1", "wt", "bt"}, {"u"}, "up");
  set_attr(up, "strides", std::vector<std::int64_t>{d.stride, d.stride});
  set_attr(up, "pads", std::vector<std::int64_t>{d.pad, d.pad, d.pad, d.pad});
  set_attr(up, "output_padding", std::vector<std::int64_t>{d.output_padding, d.output_padding});
  set_attr(up, "dilations", std::vector<std::int64_t>{d.dilation, d.dilation});
  set_attr(up, "group", d.group);
  const std::int64_t size = (6 - 1) * d.stride + (d.kernel - 1) * d.dilation + 1 - 2 * d.pad + d.output_padding;
  Tensor variance = random_tensor({6}, 67);
  for (float& v : variance.span<float>()) v = 0.5f + std::abs(v);
  b.initializer("bn_scale", random_tensor({6}, 68)).initializer("bn_bias", random_tensor({6}, 69));
  b.initializer("bn_mean", random_tensor({6}, 70)).initializer("bn_var", variance);
  b.node("BatchNormalization", {"u", "bn_scale", "bn_bias", "bn_mean", "bn_var"}, {"n"}, "bn");
  b.node("Relu", {"n"}, {"r2"}, "relu2");
  b.initializer("skip_sizes", Tensor::from_vector<std::int64_t>({4}, {1, 4, size, size}));
  auto& skip = b.node("Resize", {"x", "", "", "skip_sizes"}, {"s"}, "skip");
  set_attr(skip, "mode", std::string("nearest"));
  b.node("Concat", {"r2", "s"}, {"cat"}, "cat");
  set_attr(*b.model().mutable_graph()->mutable_node(b.model().graph().node_size() - 1), "axis", std::int64_t{1});
  b.initializer("w2", random_tensor({4, 10, 3, 3}, 65)).initializer("b2", random_tensor({4}, 66));
  set_attr(b.node("Conv", {"cat", "w2", "b2"}, {"y"}, "conv2"), "pads", std::vector<std::int64_t>{1, 1, 1, 1});
  return b;
}

OnnxBuilder recurrent_model(const Recurrent& r) {
  const std::int64_t gates = r.op == "LSTM" ? 4 : r.op == "GRU" ? 3 : 1;
  const std::int64_t directions = r.direction == "bidirectional" ? 2 : 1;
  OnnxBuilder b;
  b.input("x", {1, r.steps, r.input});
  if (r.y_output) b.output("y");
  b.output("y_h");
  b.initializer("w", random_tensor({directions, gates * r.hidden, r.input}, 71));
  b.initializer("r", random_tensor({directions, gates * r.hidden, r.hidden}, 72));
  b.initializer("b", random_tensor({directions, 2 * gates * r.hidden}, 73));
  set_attr(b.node("Transpose", {"x"}, {"xt"}, "time_major"), "perm", std::vector<std::int64_t>{1, 0, 2});
  auto& node = b.node(r.op, {"xt", "w", "r", "b"}, {"y", "y_h"}, "rnn");
  set_attr(node, "hidden_size", r.hidden);
  set_attr(node, "direction", r.direction);
  if (r.op == "GRU") set_attr(node, "linear_before_reset", r.linear_before_reset);
  return b;
}

OnnxBuilder shuffle_cnn(std::int64_t opset) {
  OnnxBuilder b(opset);
  b.input("x", {1, 4, 8, 8}).output("y");
  b.initializer("w1", random_tensor({8, 4, 3, 3}, 31)).initializer("b1", random_tensor({8}, 32));
  set_attr(b.node("Conv", {"x", "w1", "b1"}, {"c1"}, "conv1"), "pads", std::vector<std::int64_t>{1, 1, 1, 1});
  b.node("Relu", {"c1"}, {"r1"}, "relu1");
  const std::vector<std::int64_t> halves{4, 4};
  if (opset >= 13) {
    b.initializer("halves", Tensor::from_vector<std::int64_t>({2}, halves));
    set_attr(b.node("Split", {"r1", "halves"}, {"left", "right"}, "split"), "axis", std::int64_t{1});
  } else {
    auto& split = b.node("Split", {"r1"}, {"left", "right"}, "split");
    set_attr(split, "axis", std::int64_t{1});
    set_attr(split, "split", halves);
  }
  b.initializer("wb", random_tensor({4, 4, 1, 1}, 33)).initializer("bb", random_tensor({4}, 34));
  b.node("Conv", {"right", "wb", "bb"}, {"cb"}, "branch");
  b.node("Relu", {"cb"}, {"rb"}, "relu_branch");
  set_attr(b.node("Concat", {"left", "rb"}, {"cat"}, "concat"), "axis", std::int64_t{1});
  b.initializer("grouped_shape", Tensor::from_vector<std::int64_t>({5}, {1, 2, 4, 8, 8}));
  b.initializer("flat_shape", Tensor::from_vector<std::int64_t>({4}, {1, -1, 8, 8}));
  b.node("Reshape", {"cat", "grouped_shape"}, {"grouped"}, "group");
  set_attr(b.node("Transpose", {"grouped"}, {"transposed"}, "transpose"), "perm", std::vector<std::int64_t>{0, 2, 1, 3, 4});
  b.node("Reshape", {"transposed", "flat_shape"}, {"shuffled"}, "shuffle");
  b.initializer("w2", random_tensor({6, 8, 3, 3}, 35)).initializer("b2", random_tensor({6}, 36));
  set_attr(b.node("Conv", {"shuffled", "w2", "b2"}, {"y"}, "conv2"), "pads", std::vector<std::int64_t>{1, 1, 1, 1});
  return b;
}

OnnxBuilder softmax_cnn() {
  OnnxBuilder b;
  b.input("x", {1, 4, 8, 8}).output("y");
  b.initializer("w1", random_tensor({8, 4, 3, 3}, 41)).initializer("b1", random_tensor({8}, 42));
  set_attr(b.node("Conv", {"x", "w1", "b1"}, {"c1"}, "conv1"), "pads", std::vector<std::int64_t>{1, 1, 1, 1});
  b.node("Relu", {"c1"}, {"r1"}, "relu1");
  b.node("GlobalAveragePool", {"r1"}, {"gap"}, "gap");
  set_attr(b.node("Flatten", {"gap"}, {"flat"}, "flatten"), "axis", std::int64_t{1});
  // Logits a few units apart, so the probabilities are neither all equal nor all one-hot.
  Tensor w = random_tensor({10, 8}, 43);
  for (float& v : w.span<float>()) v *= 4.0f;
  b.initializer("wf", w).initializer("bf", random_tensor({10}, 44));
  set_attr(b.node("Gemm", {"flat", "wf", "bf"}, {"logits"}, "fc"), "transB", std::int64_t{1});
  set_attr(b.node("Softmax", {"logits"}, {"y"}, "softmax"), "axis", std::int64_t{1});
  return b;
}

QuantizedModel quantize_model(const OnnxBuilder& builder, const quant::QuantizeOptions& options,
                              quant::CalibrationMethod method, int samples) {
  QuantizedModel result{import_onnx_model(builder.proto(), {}).graph, {}};
  quant::check_finite_constants(result.graph);
  PassManager::from_pipeline(quant::quantization_pipeline(options.scheme)).run(result.graph);
  quant::CalibrationOptions calibration;
  calibration.method = method;
  const quant::Calibrator calibrator =
      calibrate(result.graph, synthetic_input_set(result.graph, samples, 0), calibration);
  result.qgraph = quant::build_qgraph(result.graph, calibrator, options);
  return result;
}

quant::QGraph single_conv(quant::Scheme scheme, quant::QTensor x, quant::QTensor y, Tensor weights,
                          std::vector<double> weight_scale, Tensor bias) {
  quant::QGraph g;
  g.scheme = scheme;
  g.tensors = {std::move(x), std::move(y)};
  g.inputs = {0};
  g.outputs = {1};
  quant::QNode conv;
  conv.kind = quant::QOpKind::Conv;
  conv.name = "conv";
  conv.inputs = {0};
  conv.output = 1;
  conv.kernel = {weights.shape()[2], weights.shape()[3]};
  conv.weights = std::move(weights);
  conv.weight_scale = std::move(weight_scale);
  conv.bias = std::move(bias);
  g.nodes.push_back(std::move(conv));
  return g;
}

Tensor random_quantized(const quant::QTensor& t, std::uint32_t seed) {
  Tensor out(t.dtype(), t.shape);
  std::mt19937 rng(seed);
  std::uniform_int_distribution<std::int64_t> dist(t.lo(), t.hi());
  for (std::int64_t i = 0; i < out.numel(); ++i) {
    const std::int64_t v = dist(rng);
    switch (t.dtype()) {
      case DType::I8: out.data<std::int8_t>()[i] = static_cast<std::int8_t>(v); break;
      case DType::U8: out.data<std::uint8_t>()[i] = static_cast<std::uint8_t>(v); break;
      case DType::I16: out.data<std::int16_t>()[i] = static_cast<std::int16_t>(v); break;
      default: out.data<std::uint16_t>()[i] = static_cast<std::uint16_t>(v); break;
    }
  }
  return out;
}

}  // namespace wb::test
