#include "compiler/quant/quantizer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "compiler/frontend/onnx_import.h"
#include "compiler/golden/integer_executor.h"
#include "compiler/golden/reference_executor.h"
#include "isa/error.h"
#include "tests/support/quant_testing.h"

namespace wb::quant {
namespace {

const QTensor& tensor(const QGraph& g, const std::string& name) {
  const int i = g.find_tensor(name);
  EXPECT_GE(i, 0) << name;
  return g.tensor(i);
}

const QNode& node(const QGraph& g, const std::string& name) {
  for (const QNode& n : g.nodes) {
    if (n.name == name) return n;
  }
  throw std::out_of_range(name);
}

bool is_power_of_two(double v) {
  int e = 0;
  return std::frexp(v, &e) == 0.5;
}

QuantizeOptions scheme(Scheme s) {
  QuantizeOptions o;
  o.scheme = s;
  return o;
}

TEST(Quantizer, Pow2ScalesArePowersOfTwoAndSharedWhereNeeded) {
  const auto m = test::quantize_model(test::small_cnn(), scheme(Scheme::Pow2));
  const QGraph& g = m.qgraph;
  for (const QTensor& t : g.tensors) EXPECT_TRUE(is_power_of_two(t.scale)) << t.name << " " << t.scale;
  for (const QNode& n : g.nodes) {
    if (n.kind != QOpKind::Conv) continue;
    ASSERT_EQ(n.weight_scale.size(), 1u) << n.name;  // per tensor
    EXPECT_TRUE(is_power_of_two(n.weight_scale[0]));
    EXPECT_EQ(n.requant.multiplier, std::vector<std::int64_t>{1});
  }
  // Concat inputs and output, MaxPool in/out, Add inputs: one scale.
  EXPECT_EQ(tensor(g, "ra").scale, tensor(g, "cat").scale);
  EXPECT_EQ(tensor(g, "rb").scale, tensor(g, "cat").scale);
  EXPECT_EQ(tensor(g, "r1").scale, tensor(g, "p1").scale);
  const QNode& add = node(g, "residual");
  EXPECT_EQ(g.tensor(add.inputs[0]).scale, g.tensor(add.inputs[1]).scale);
  // pow2 turns the global average pool into a depthwise conv.
  EXPECT_EQ(node(g, "gap").kind, QOpKind::Conv);
}

TEST(Quantizer, ReluOutputsAreUnsignedAndTheInputSigned) {
  const auto m = test::quantize_model(test::small_cnn(), scheme(Scheme::Xdnn));
  const QGraph& g = m.qgraph;
  EXPECT_TRUE(tensor(g, "x").is_signed);
  EXPECT_FALSE(tensor(g, "r1").is_signed);
  EXPECT_FALSE(tensor(g, "cat").is_signed);
  EXPECT_FALSE(tensor(g, "r3").is_signed);  // Add + Relu absorbed into one node
  EXPECT_TRUE(tensor(g, "y").is_signed);     // logits
  EXPECT_EQ(g.find_tensor("sum"), -1);       // the Add's pre-activation value is not a tensor
  EXPECT_EQ(node(g, "residual").act_min, 0.0f);
}

TEST(Quantizer, XdnnWeightsPerChannelPulpOnlyWhereABatchNormWasFolded) {
  const auto x = test::quantize_model(test::small_cnn(), scheme(Scheme::Xdnn));
  EXPECT_EQ(node(x.qgraph, "conv1").weight_scale.size(), 8u);
  EXPECT_EQ(node(x.qgraph, "conv3").weight_scale.size(), 8u);
  EXPECT_EQ(node(x.qgraph, "gap").kind, QOpKind::AvgPool);
  const auto p = test::quantize_model(test::small_cnn(), scheme(Scheme::Pulp));
  EXPECT_TRUE(node(p.qgraph, "conv1").folded_batchnorm);
  EXPECT_EQ(node(p.qgraph, "conv1").weight_scale.size(), 8u);
  EXPECT_EQ(node(p.qgraph, "conv1").requant.intermediate_bits, 0);
  EXPECT_EQ(node(p.qgraph, "conv3").weight_scale.size(), 1u);
  EXPECT_EQ(node(p.qgraph, "conv3").requant.intermediate_bits, 16);
}

TEST(Quantizer, SixteenBitsAndFirstLastOverrides) {
  QuantizeOptions o = scheme(Scheme::Pow2);
  o.bits = 16;
  const auto wide = test::quantize_model(test::small_cnn(), o);
  EXPECT_EQ(tensor(wide.qgraph, "r3").dtype(), DType::U16);
  EXPECT_EQ(node(wide.qgraph, "conv3").weights.dtype(), DType::I16);
  o.bits = 8;
  o.first_layer_bits = 16;
  o.last_layer_bits = 16;
  const auto mixed = test::quantize_model(test::small_cnn(), o);
  EXPECT_EQ(node(mixed.qgraph, "conv1").weight_bits, 16);
  EXPECT_EQ(tensor(mixed.qgraph, "r1").bits, 16);
  EXPECT_EQ(tensor(mixed.qgraph, "p1").bits, 16);  // a MaxPool keeps its input's type
  EXPECT_EQ(node(mixed.qgraph, "fc").weight_bits, 16);
  EXPECT_EQ(node(mixed.qgraph, "conv3").weight_bits, 8);
  EXPECT_EQ(tensor(mixed.qgraph, "cat").bits, 8);
}

// The integer network approximates the float one: a sanity bound, far below what a broken
// scale or shift would give (~0 dB).
TEST(Quantizer, IntegerResultTracksTheFloatOne) {
  for (Scheme s : {Scheme::Pow2, Scheme::Xdnn, Scheme::Pulp}) {
    const auto m = test::quantize_model(test::small_cnn(), scheme(s));
    const auto inputs = random_inputs(m.graph, 99);
    const Tensor f = ReferenceExecutor(m.graph).run(inputs)[0];
    const golden::IntegerExecutor exec(m.qgraph);
    const Tensor q = golden::dequantize(m.qgraph.tensor(m.qgraph.outputs[0]), exec.run(inputs)[0]);
    double signal = 0;
    double noise = 0;
    for (std::int64_t i = 0; i < f.numel(); ++i) {
      signal += f.as_double(i) * f.as_double(i);
      noise += (f.as_double(i) - q.as_double(i)) * (f.as_double(i) - q.as_double(i));
    }
    EXPECT_GT(10 * std::log10(signal / noise), 15.0) << scheme_name(s);
  }
}

TEST(Quantizer, ReshapeWithAConstantShape) {
  test::OnnxBuilder b;
  b.input("x", {1, 2, 4, 4}).initializer("w", test::random_tensor({4, 2, 1, 1}, 1)).output("y");
  b.initializer("shape", Tensor::from_vector<std::int64_t>({2}, {1, 64}));
  b.node("Conv", {"x", "w"}, {"c"}, "conv");
  b.node("Relu", {"c"}, {"r"}, "relu");
  b.node("Reshape", {"r", "shape"}, {"y"}, "reshape");
  const auto m = test::quantize_model(b, scheme(Scheme::Xdnn));
  const QNode& reshape = node(m.qgraph, "reshape");
  EXPECT_EQ(reshape.kind, QOpKind::Reshape);
  EXPECT_EQ(reshape.inputs.size(), 1u);
  EXPECT_FALSE(tensor(m.qgraph, "y").is_signed);
  EXPECT_EQ(tensor(m.qgraph, "y").scale, tensor(m.qgraph, "r").scale);
  EXPECT_EQ(tensor(m.qgraph, "y").shape, (Shape{1, 64}));
}

TEST(Quantizer, UnsupportedNodesAreListedTogether) {
  test::OnnxBuilder b;
  b.input("x", {1, 4}).output("y");
  b.node("Sigmoid", {"x"}, {"s"}, "sig");
  b.node("Softmax", {"s"}, {"y"}, "soft");
  try {
    test::quantize_model(b, scheme(Scheme::Xdnn));
    FAIL() << "expected a UserError";
  } catch (const UserError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("sig (Sigmoid)"), std::string::npos) << what;
    EXPECT_NE(what.find("soft (Softmax)"), std::string::npos) << what;
  }
}

TEST(Quantizer, NonFiniteWeightsAreAnError) {
  test::OnnxBuilder b;
  Tensor w = test::random_tensor({2, 1, 1, 1}, 1);
  w.data<float>()[1] = std::numeric_limits<float>::infinity();
  b.input("x", {1, 1, 2, 2}).initializer("w", w).output("y");
  b.node("Conv", {"x", "w"}, {"y"}, "conv");
  try {
    test::quantize_model(b, scheme(Scheme::Pow2));
    FAIL() << "expected a UserError";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("conv"), std::string::npos);
  }
}

TEST(Quantizer, AllZeroActivationIsNamed) {
  test::OnnxBuilder b;
  b.input("x", {1, 1, 2, 2}).initializer("w", Tensor(DType::F32, {1, 1, 1, 1})).output("y");
  b.node("Conv", {"x", "w"}, {"y"}, "conv");
  try {
    test::quantize_model(b, scheme(Scheme::Xdnn));
    FAIL() << "expected a UserError";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("tensor y is zero"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace wb::quant
