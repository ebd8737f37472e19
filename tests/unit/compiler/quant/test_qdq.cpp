// QDQ ONNX export and import: a QGraph survives the round trip exactly, the file is plain
// ONNX our frontend reads, and the one place ONNX's semantics differ from ours is pinned.

#include <gtest/gtest.h>

#include "compiler/frontend/onnx_import.h"
#include "compiler/golden/integer_executor.h"
#include "compiler/golden/reference_executor.h"
#include "compiler/frontend/qdq_export.h"
#include "compiler/quant/qdq_import.h"
#include "compiler/quant/requant_params.h"
#include "support/error.h"
#include "tests/support/quant_testing.h"
#include "tests/support/detection_models.h"
#include "tests/support/swin_models.h"
#include "tests/support/transformer_models.h"
#include "workbench/quantize.h"

namespace wb::quant {
namespace {

ImportedModel reload(const std::string& bytes) {
  onnx::ModelProto proto;
  EXPECT_TRUE(proto.ParseFromString(bytes));
  return import_onnx_model(proto, {});
}

void expect_same_qgraph(const QGraph& a, const QGraph& b) {
  ASSERT_EQ(a.tensors.size(), b.tensors.size());
  ASSERT_EQ(a.nodes.size(), b.nodes.size());
  EXPECT_EQ(a.scheme, b.scheme);
  for (std::size_t i = 0; i < a.tensors.size(); ++i) {
    const QTensor& t = a.tensors[i];
    const int j = b.find_tensor(t.name);
    ASSERT_GE(j, 0) << t.name;
    EXPECT_EQ(t.scale, b.tensor(j).scale) << t.name;
    EXPECT_EQ(t.dtype(), b.tensor(j).dtype()) << t.name;
    EXPECT_TRUE(t.data == b.tensor(j).data) << t.name;
    EXPECT_EQ(t.shape, b.tensor(j).shape) << t.name;
    EXPECT_EQ(t.source_shape, b.tensor(j).source_shape) << t.name;
  }
  ASSERT_EQ(a.inputs.size(), b.inputs.size());
  for (std::size_t i = 0; i < a.inputs.size(); ++i) EXPECT_EQ(a.tensor(a.inputs[i]).name, b.tensor(b.inputs[i]).name);
  for (std::size_t i = 0; i < a.nodes.size(); ++i) {
    const QNode& x = a.nodes[i];
    const QNode& y = b.nodes[i];
    EXPECT_EQ(x.kind, y.kind) << x.name;
    EXPECT_EQ(x.weights, y.weights) << x.name;
    EXPECT_EQ(x.bias, y.bias) << x.name;
    EXPECT_EQ(x.requant.multiplier, y.requant.multiplier) << x.name;
    EXPECT_EQ(x.requant.offset, y.requant.offset) << x.name;
    EXPECT_EQ(x.requant.shift, y.requant.shift) << x.name;
    EXPECT_EQ(x.requant.lo, y.requant.lo) << x.name;
    EXPECT_EQ(x.requant.hi, y.requant.hi) << x.name;
    EXPECT_EQ(x.requant.intermediate_bits, y.requant.intermediate_bits) << x.name;
    EXPECT_EQ(x.input_multiplier, y.input_multiplier) << x.name;
    EXPECT_EQ(x.lut_function, y.lut_function) << x.name;
    EXPECT_EQ(x.lut_table, y.lut_table) << x.name;
    EXPECT_EQ(x.gather_channels, y.gather_channels) << x.name;
    EXPECT_EQ(x.gather_pixels, y.gather_pixels) << x.name;
    EXPECT_EQ(x.softmax_exp_table, y.softmax_exp_table) << x.name;
    EXPECT_EQ(x.softmax_labels, y.softmax_labels) << x.name;
    EXPECT_EQ(x.resize_rows, y.resize_rows) << x.name;
    EXPECT_EQ(x.resize_cols, y.resize_cols) << x.name;
    EXPECT_EQ(x.layernorm_gamma, y.layernorm_gamma) << x.name;
    EXPECT_EQ(x.layernorm_beta, y.layernorm_beta) << x.name;
    EXPECT_EQ(x.layernorm.gamma_multiplier, y.layernorm.gamma_multiplier) << x.name;
    EXPECT_EQ(x.layernorm.beta_offset, y.layernorm.beta_offset) << x.name;
    EXPECT_EQ(x.layernorm.shift, y.layernorm.shift) << x.name;
    EXPECT_EQ(x.layernorm.eps_mantissa, y.layernorm.eps_mantissa) << x.name;
    EXPECT_EQ(x.layernorm_rms, y.layernorm_rms) << x.name;
    EXPECT_EQ(x.layernorm.rms, y.layernorm.rms) << x.name;
    EXPECT_EQ(x.kernel, y.kernel) << x.name;
    EXPECT_EQ(x.strides, y.strides) << x.name;
    EXPECT_EQ(x.dilations, y.dilations) << x.name;
    EXPECT_EQ(x.input_dilations, y.input_dilations) << x.name;
    EXPECT_EQ(x.group, y.group) << x.name;
    EXPECT_EQ(x.pads_begin, y.pads_begin) << x.name;
    EXPECT_EQ(x.pads_end, y.pads_end) << x.name;
    EXPECT_EQ(x.concat_axis, y.concat_axis) << x.name;
    EXPECT_EQ(x.matmul_form, y.matmul_form) << x.name;
    EXPECT_EQ(x.matmul_heads, y.matmul_heads) << x.name;
    EXPECT_EQ(x.matmul_windows, y.matmul_windows) << x.name;
    EXPECT_EQ(x.matmul_factor, y.matmul_factor) << x.name;
  }
}

class QdqRoundTrip : public ::testing::TestWithParam<Scheme> {};

TEST_P(QdqRoundTrip, RebuildsTheSameQGraphAndTheSameIntegers) {
  QuantizeOptions options;
  options.scheme = GetParam();
  // The QDQ model runs in float and rounds to nearest; PULP's kernels truncate (floor) and
  // activation_cnn ends in a tanh of gain 1 onto a 8x finer scale, so its bound is wider.
  for (const auto& [model, steps] : {std::pair{test::small_cnn(), 8.0}, std::pair{test::activation_cnn(), 32.0},
                                     std::pair{test::shuffle_cnn(), 8.0}, std::pair{test::softmax_cnn(), 2.0},
                                     std::pair{test::gelu_cnn(), 8.0}, std::pair{test::resize_cnn(), 8.0},
                                     std::pair{test::resize_cnn("nearest"), 8.0}, std::pair{test::layernorm_cnn(), 8.0},
                                     std::pair{test::tiny_vit(), 8.0}, std::pair{test::tiny_bert(), 8.0},
                                     // RMSNorm: written without the mean and beta, fused back by fuse-rmsnorm
                                     std::pair{test::rms_tokens(), 8.0},
                                     // a KV cache [1, h, P, d] in and out, its view of the image each way
                                     std::pair{test::heads_cache_tokens(), 8.0},
                                     std::pair{test::detection_heads(test::HeadLayout::Ssd, true), 8.0},
                                     std::pair{test::shifted_window_block(true), 8.0},
                                     std::pair{test::window_attention(), 8.0},
                                     std::pair{test::window_attention(true, true), 8.0},
                                     // ConvTranspose: written back as one, its weights in ONNX's layout
                                     std::pair{test::deconv_cnn({.kernel = 4, .stride = 2, .pad = 1}), 8.0},
                                     std::pair{test::deconv_cnn({.kernel = 3, .stride = 2, .pad = 1, .output_padding = 1}), 8.0},
                                     // LSTM and GRU as their steps (GRU's 1 - z: a sigmoid_complement table)
                                     std::pair{test::recurrent_model({.y_output = false}), 8.0},
                                     std::pair{test::recurrent_model({.op = "GRU", .y_output = false}), 8.0}}) {
  const auto m = test::quantize_model(model, options);
  ImportedModel reloaded = reload(export_qdq_model(m.qgraph));
  EXPECT_TRUE(is_qdq_graph(reloaded.graph));
  EXPECT_EQ(reloaded.metadata.at(kSchemeMetadataKey), scheme_name(GetParam()));
  // The scheme comes from the file's metadata, whatever the caller guesses.
  const QGraph back = qgraph_of_qdq_model(reloaded.graph, parse_scheme(reloaded.metadata.at(kSchemeMetadataKey)));
  expect_same_qgraph(m.qgraph, back);
  const auto inputs = random_inputs(m.graph, 5);
  const golden::IntegerExecutor original(m.qgraph);
  const golden::IntegerExecutor rebuilt(back);
  EXPECT_EQ(original.run(inputs)[0], rebuilt.run(inputs)[0]);
  // The QDQ file runs as plain ONNX in the float reference executor, and stays close.
  const Tensor onnx_result = ReferenceExecutor(reloaded.graph).run(inputs)[0];
  const Tensor ours = golden::dequantize(m.qgraph.tensor(m.qgraph.outputs[0]), original.run(inputs)[0]);
  ASSERT_EQ(onnx_result.shape(), ours.shape());
  const double step = m.qgraph.tensor(m.qgraph.outputs[0]).scale;
  double worst = 0;
  for (std::int64_t i = 0; i < ours.numel(); ++i) worst = std::max(worst, std::abs(onnx_result.as_double(i) - ours.as_double(i)));
  EXPECT_LE(worst, steps * step);
  }
}

// The cache [1, h, P, d] is the QGraph's input and output in that layout: each their image
// [1, h d, 1, P] with source_shape, written to the QDQ file as the view each way and read back.
TEST(QdqExport, AKvCacheInTheHeadsLayoutKeepsItsLayoutEachWay) {
  const auto m = test::quantize_model(test::heads_cache_tokens(), {});
  const QTensor& past = m.qgraph.tensor(m.qgraph.find_tensor("past_k"));
  EXPECT_EQ(past.shape, (Shape{1, 8, 1, 5}));
  EXPECT_EQ(past.source_shape, (Shape{1, 2, 5, 4}));
  const QTensor& present = m.qgraph.tensor(m.qgraph.outputs.at(1));
  EXPECT_EQ(present.name, "present_k");
  EXPECT_EQ(present.shape, (Shape{1, 8, 1, 7}));
  EXPECT_EQ(present.source_shape, (Shape{1, 2, 7, 4}));
  ImportedModel reloaded = reload(export_qdq_model(m.qgraph));
  const QGraph back = qgraph_of_qdq_model(reloaded.graph, m.qgraph.scheme);
  EXPECT_EQ(back.tensor(back.outputs.at(1)).source_shape, (Shape{1, 2, 7, 4}));
  const auto inputs = random_inputs(m.graph, 7);
  EXPECT_EQ(golden::IntegerExecutor(m.qgraph).run(inputs)[1], golden::IntegerExecutor(back).run(inputs)[1]);
}

INSTANTIATE_TEST_SUITE_P(Schemes, QdqRoundTrip, ::testing::Values(Scheme::Pow2, Scheme::Xdnn, Scheme::Pulp));

// y = x / 2 through a 1x1 conv: our requantisation rounds ties half up, ONNX's
// QuantizeLinear rounds them to even. That is the only difference for pow2 scales.
TEST(QdqSemantics, TiesRoundHalfUpInOursAndToEvenInOnnx) {
  QGraph g = test::single_conv(Scheme::Pow2, QTensor{"x", {1, 1, 2, 2}, 8, true, 1.0, 127},
                               QTensor{"y", {1, 1, 2, 2}, 8, true, 2.0, 254},
                               Tensor::from_vector<std::int8_t>({1, 1, 1, 1}, {1}), {1.0});
  assign_requant(g);
  const std::vector<Tensor> inputs{Tensor::from_vector<float>({1, 1, 2, 2}, {5, 7, -5, -3})};
  const Tensor ours = golden::IntegerExecutor(g).run(inputs)[0];
  EXPECT_EQ(ours, Tensor::from_vector<std::int8_t>({1, 1, 2, 2}, {3, 4, -2, -1}));
  const ImportedModel reloaded = reload(export_qdq_model(g));
  const Tensor onnx = ReferenceExecutor(reloaded.graph).run(inputs)[0];
  // 2.5 -> 2 and -1.5 -> -2 in ONNX; 3.5 -> 4 and -2.5 -> -2 in both.
  EXPECT_EQ(onnx, Tensor::from_vector<float>({1, 1, 2, 2}, {4, 8, -4, -4}));
}

TEST(QdqImport, AsymmetricZeroPointIsRejected) {
  test::OnnxBuilder b;
  b.input("x", {1, 4}).output("y");
  b.initializer("s", Tensor::scalar(0.1f)).initializer("z", Tensor::scalar(std::uint8_t{128}));
  b.node("QuantizeLinear", {"x", "s", "z"}, {"xq"}, "q");
  b.node("DequantizeLinear", {"xq", "s", "z"}, {"xd"}, "dq");
  b.node("Flatten", {"xd"}, {"f"}, "flat");
  b.node("QuantizeLinear", {"f", "s", "z"}, {"fq"}, "q2");
  b.node("DequantizeLinear", {"fq", "s", "z"}, {"y"}, "dq2");
  const ImportedModel model = import_onnx_model(b.proto(), {});
  try {
    import_qdq_graph(model.graph, Scheme::Xdnn);
    FAIL() << "expected a UserError";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("asymmetric"), std::string::npos) << e.what();
  }
}

// A QLinear model (QLinearConv, then MaxPool on its integers) becomes the same kind of
// QGraph; our integers differ from ONNX's float32-multiplier requantisation by at most 1.
TEST(QdqImport, QLinearConvModel) {
  test::OnnxBuilder b;
  b.input("x", {1, 3, 8, 8}).output("y");
  Tensor w(DType::I8, {4, 3, 3, 3});
  for (std::int64_t i = 0; i < w.numel(); ++i) w.data<std::int8_t>()[i] = static_cast<std::int8_t>((i * 37) % 201 - 100);
  b.initializer("xs", Tensor::scalar(0.05f)).initializer("xz", Tensor::scalar(std::int8_t{0}));
  b.initializer("w", w).initializer("ws", Tensor::from_vector<float>({4}, {0.01f, 0.02f, 0.005f, 0.03f}));
  b.initializer("wz", Tensor(DType::I8, {4})).initializer("ys", Tensor::scalar(0.1f));
  b.initializer("yz", Tensor::scalar(std::uint8_t{0}));
  b.initializer("bias", Tensor::from_vector<std::int32_t>({4}, {100, -200, 300, 0}));
  b.node("QuantizeLinear", {"x", "xs", "xz"}, {"xq"}, "quantize");
  test::set_attr(b.node("QLinearConv", {"xq", "xs", "xz", "w", "ws", "wz", "ys", "yz", "bias"}, {"c"}, "qconv"), "pads",
                 std::vector<std::int64_t>{1, 1, 1, 1});
  auto& pool = b.node("MaxPool", {"c"}, {"p"}, "pool");
  test::set_attr(pool, "kernel_shape", std::vector<std::int64_t>{2, 2});
  test::set_attr(pool, "strides", std::vector<std::int64_t>{2, 2});
  b.node("DequantizeLinear", {"p", "ys", "yz"}, {"y"}, "dequantize");
  const ImportedModel model = import_onnx_model(b.proto(), {});
  ASSERT_TRUE(is_qdq_graph(model.graph));
  const QGraph g = import_qdq_graph(model.graph, Scheme::Xdnn);
  ASSERT_EQ(g.nodes.size(), 2u);
  EXPECT_EQ(g.nodes[0].kind, QOpKind::Conv);
  EXPECT_EQ(g.nodes[1].kind, QOpKind::MaxPool);
  EXPECT_FALSE(g.tensor(g.nodes[0].output).is_signed);
  const auto inputs = random_inputs(model.graph, 3);
  const Tensor ours = golden::dequantize(g.tensor(g.outputs[0]), golden::IntegerExecutor(g).run(inputs)[0]);
  const Tensor onnx = ReferenceExecutor(model.graph).run(inputs)[0];
  ASSERT_EQ(ours.shape(), onnx.shape());
  for (std::int64_t i = 0; i < ours.numel(); ++i) EXPECT_NEAR(ours.as_double(i), onnx.as_double(i), 0.1 + 1e-6) << i;
}

// A weight scale that is neither one value nor one per output channel would leave channels
// without a scale (the fuzzer's empty [0, 0, 0, 60] one was read past its end): refused, naming it.
TEST(QdqImport, AWeightScaleOfAnotherCountIsRefused) {
  for (const Tensor& scale : {Tensor::from_vector<float>({3}, {0.01f, 0.02f, 0.03f}), Tensor(DType::F32, {0, 0, 0, 60}),
                              Tensor::from_vector<float>({2, 2}, {0.01f, 0.02f, 0.03f, 0.04f})}) {
    test::OnnxBuilder b;
    b.input("x", {1, 3, 8, 8}).output("y");
    b.initializer("xs", Tensor::scalar(0.05f)).initializer("xz", Tensor::scalar(std::int8_t{0}));
    b.initializer("w", Tensor(DType::I8, {4, 3, 3, 3})).initializer("ws", scale);
    b.initializer("wz", Tensor::scalar(std::int8_t{0})).initializer("ys", Tensor::scalar(0.1f));
    b.initializer("yz", Tensor::scalar(std::int8_t{0}));
    b.node("QuantizeLinear", {"x", "xs", "xz"}, {"xq"}, "quantize");
    b.node("QLinearConv", {"xq", "xs", "xz", "w", "ws", "wz", "ys", "yz"}, {"c"}, "qconv");
    b.node("DequantizeLinear", {"c", "ys", "yz"}, {"y"}, "dequantize");
    const ImportedModel model = import_onnx_model(b.proto(), {});
    try {
      import_qdq_graph(model.graph, Scheme::Xdnn);
      FAIL() << "expected a UserError for a scale of shape " << format_shape(scale.shape());
    } catch (const UserError& e) {
      EXPECT_NE(std::string(e.what()).find("qconv"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("expected one scale, or one per output channel (4)"), std::string::npos)
          << e.what();
    }
  }
}

TEST(QdqExport, SixteenBitTensorsCannotBeWritten) {
  QuantizeOptions options;
  options.bits = 16;
  const auto m = test::quantize_model(test::small_cnn(), options);
  EXPECT_THROW(export_qdq_model(m.qgraph), UserError);
}

}  // namespace
}  // namespace wb::quant
