#pragma once
// Shared by the xDNN compiler tests: configs, a quantized small CNN and classifier with a
// softmax, and QGraphs built by hand (Lut, Mul and ChannelGather nodes placed where a test wants them).

#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "compiler/quant/qgraph.h"
#include "compiler/quant/requant_params.h"
#include "isa/hw_config.h"
#include "tests/support/cli_testing.h"
#include "tests/support/test_paths.h"
#include "tests/support/quant_testing.h"

namespace wb::test {

// The QGraph node of that name; std::invalid_argument if there is none.
inline const quant::QNode& node_named(const quant::QGraph& g, const std::string& name) {
  for (const quant::QNode& node : g.nodes) {
    if (node.name == name) return node;
  }
  throw std::invalid_argument("no node " + name);
}

inline HwConfig xdnn_config(const std::string& name, const std::vector<std::string>& overrides = {}) {
  return load_hw_config(source_dir() / "configs" / (name + ".yaml"), overrides);
}

// small_cnn() quantized with the xdnn scheme (conv+pool, two branches, concat, residual add,
// global average pool, FC).
inline const quant::QGraph& small_cnn_xdnn() {
  static const quant::QGraph graph = [] {
    quant::QuantizeOptions options;
    options.scheme = quant::Scheme::Xdnn;
    return quantize_model(small_cnn(), options).qgraph;
  }();
  return graph;
}

// softmax_cnn() quantized with the xdnn scheme: x[1,4,8,8] -> conv + relu "conv1" -> global
// average pool "gap" -> Flatten -> Gemm (10) "fc" -> Softmax "softmax" -> y[1,10].
inline const quant::QGraph& softmax_cnn_xdnn() {
  static const quant::QGraph graph = [] {
    quant::QuantizeOptions options;
    options.scheme = quant::Scheme::Xdnn;
    return quantize_model(softmax_cnn(), options).qgraph;
  }();
  return graph;
}

// Builds a QGraph node by node with the xdnn scheme; finish() fills every requant and table
// (quant::assign_requant) and verifies the graph. Tensors are batch 1, symmetric, 8-bit
// unless said otherwise; weights and bias are seeded random integers.
class HandQGraph {
 public:
  explicit HandQGraph(std::string name) {
    graph_.name = std::move(name);
    graph_.scheme = quant::Scheme::Xdnn;
  }

  int tensor(const std::string& name, Shape shape, double scale, bool is_signed = true, int bits = 8) {
    quant::QTensor t;
    t.name = name;
    t.shape = std::move(shape);
    t.is_signed = is_signed;
    t.bits = bits;
    t.scale = scale;
    t.threshold = scale * static_cast<double>(t.hi());
    graph_.tensors.push_back(std::move(t));
    return static_cast<int>(graph_.tensors.size()) - 1;
  }
  int input(const std::string& name, Shape shape, double scale, int bits = 8) {
    const int t = tensor(name, std::move(shape), scale, true, bits);
    graph_.inputs.push_back(t);
    return t;
  }

  // A k x k conv, stride 1, padding k / 2, per-channel weight scales.
  void conv(const std::string& name, int in, int out, std::int64_t k, std::uint32_t seed) {
    const std::int64_t cin = graph_.tensor(in).shape[1], cout = graph_.tensor(out).shape[1];
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> weight(-40, 40), bias(-200, 200);
    std::vector<std::int8_t> w(static_cast<std::size_t>(cout * cin * k * k));
    for (auto& v : w) v = static_cast<std::int8_t>(weight(rng));
    std::vector<std::int32_t> b(static_cast<std::size_t>(cout));
    for (auto& v : b) v = bias(rng);
    quant::QNode& node = add(quant::QOpKind::Conv, name, {in}, out);
    node.weights = Tensor::from_vector<std::int8_t>({cout, cin, k, k}, w);
    node.bias = Tensor::from_vector<std::int32_t>({cout}, b);
    for (std::int64_t c = 0; c < cout; ++c) node.weight_scale.push_back(0.004 * static_cast<double>(1 + c % 4));
    node.kernel = {k, k};
    node.pads_begin = node.pads_end = {k / 2, k / 2};
  }
  // A k x k depthwise conv (one group per channel), stride 1, padding k / 2.
  void depthwise(const std::string& name, int in, int out, std::int64_t k, std::uint32_t seed) {
    const std::int64_t channels = graph_.tensor(out).shape[1];
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> weight(-40, 40), bias(-200, 200);
    std::vector<std::int8_t> w(static_cast<std::size_t>(channels * k * k));
    for (auto& v : w) v = static_cast<std::int8_t>(weight(rng));
    std::vector<std::int32_t> b(static_cast<std::size_t>(channels));
    for (auto& v : b) v = bias(rng);
    quant::QNode& node = add(quant::QOpKind::Conv, name, {in}, out);
    node.weights = Tensor::from_vector<std::int8_t>({channels, 1, k, k}, w);
    node.bias = Tensor::from_vector<std::int32_t>({channels}, b);
    for (std::int64_t c = 0; c < channels; ++c) node.weight_scale.push_back(0.004 * static_cast<double>(1 + c % 4));
    node.group = channels;
    node.kernel = {k, k};
    node.pads_begin = node.pads_end = {k / 2, k / 2};
  }
  void lut(const std::string& name, int in, int out, const std::string& function, float alpha = 0.0f,
           float beta = 0.0f) {
    quant::QNode& node = add(quant::QOpKind::Lut, name, {in}, out);
    node.lut_function = function;
    node.lut_alpha = alpha;
    node.lut_beta = beta;
  }
  void mul(const std::string& name, int a, int b, int out) { add(quant::QOpKind::Mul, name, {a, b}, out); }
  void eltwise_add(const std::string& name, int a, int b, int out) { add(quant::QOpKind::Add, name, {a, b}, out); }
  // Average over the whole image (global average pool).
  void global_avgpool(const std::string& name, int in, int out) {
    const Shape& shape = graph_.tensor(in).shape;
    quant::QNode& node = add(quant::QOpKind::AvgPool, name, {in}, out);
    node.kernel = {shape[2], shape[3]};
    node.divisor = shape[2] * shape[3];
  }
  void concat(const std::string& name, std::vector<int> inputs, int out) {
    add(quant::QOpKind::Concat, name, std::move(inputs), out);
  }
  // out[:, c] = in[:, channels[c]] (out has in's scale and type).
  void gather(const std::string& name, int in, int out, std::vector<std::int64_t> channels) {
    add(quant::QOpKind::ChannelGather, name, {in}, out).gather_channels = std::move(channels);
  }

  quant::QGraph finish(std::vector<int> outputs) {
    graph_.outputs = std::move(outputs);
    quant::assign_requant(graph_);
    quant::verify_qgraph(graph_);
    return graph_;
  }

 private:
  quant::QNode& add(quant::QOpKind kind, const std::string& name, std::vector<int> inputs, int output) {
    quant::QNode node;
    node.kind = kind;
    node.name = name;
    node.inputs = std::move(inputs);
    node.output = output;
    graph_.nodes.push_back(std::move(node));
    return graph_.nodes.back();
  }

  quant::QGraph graph_;
};

// A squeeze-and-excitation block as MobileNetV3 has it: x[1,8,6,6] -> conv3x3 (16) "conv"
// -> Lut hardswish "hswish" -> global average pool "squeeze" [1,16,1,1] -> 1x1 conv "excite"
// -> Lut sigmoid "gate" (unsigned) -> Mul "scale" of the hardswish output by the gate,
// broadcast over H and W -> y[1,16,6,6].
inline quant::QGraph squeeze_excite_qgraph() {
  HandQGraph g("squeeze_excite");
  const int x = g.input("x", {1, 8, 6, 6}, 1.0 / 32);
  const int c = g.tensor("c", {1, 16, 6, 6}, 1.0 / 16);
  const int h = g.tensor("h", {1, 16, 6, 6}, 1.0 / 16);
  const int s = g.tensor("s", {1, 16, 1, 1}, 1.0 / 32);
  const int e = g.tensor("e", {1, 16, 1, 1}, 1.0 / 16);
  const int gate = g.tensor("g", {1, 16, 1, 1}, 1.0 / 255, false);
  const int y = g.tensor("y", {1, 16, 6, 6}, 1.0 / 16);
  g.conv("conv", x, c, 3, 11);
  g.lut("hswish", c, h, "hardswish", 1.0f / 6, 0.5f);
  g.global_avgpool("squeeze", h, s);
  g.conv("excite", s, e, 1, 12);
  g.lut("gate", e, gate, "sigmoid");
  g.mul("scale", h, gate, y);
  return g.finish({y});
}

// A gate computed after a chain of convs scales the chain's first output (which therefore
// stays live across it): x[1,8,6,6] -> conv "c1" (16) -> Lut hardswish "h1" -> conv "c2"
// -> Lut tanh "h2" -> global average pool "s" -> 1x1 conv "e" -> Lut sigmoid "g"
// [1,16,1,1] -> Mul "scale" (h1 * g) -> y[1,16,6,6].
inline quant::QGraph late_gate_qgraph() {
  HandQGraph g("late_gate");
  const int x = g.input("x", {1, 8, 6, 6}, 1.0 / 32);
  const int c1 = g.tensor("c1", {1, 16, 6, 6}, 1.0 / 16);
  const int h1 = g.tensor("h1", {1, 16, 6, 6}, 1.0 / 16);
  const int c2 = g.tensor("c2", {1, 16, 6, 6}, 1.0 / 8);
  const int h2 = g.tensor("h2", {1, 16, 6, 6}, 1.0 / 127);
  const int s = g.tensor("s", {1, 16, 1, 1}, 1.0 / 127);
  const int e = g.tensor("e", {1, 16, 1, 1}, 1.0 / 32);
  const int gate = g.tensor("g", {1, 16, 1, 1}, 1.0 / 255, false);
  const int y = g.tensor("y", {1, 16, 6, 6}, 1.0 / 16);
  g.conv("c1", x, c1, 3, 41);
  g.lut("h1", c1, h1, "hardswish", 1.0f / 6, 0.5f);
  g.conv("c2", h1, c2, 3, 42);
  g.lut("h2", c2, h2, "tanh");
  g.global_avgpool("s", h2, s);
  g.conv("e", s, e, 1, 43);
  g.lut("g", e, gate, "sigmoid");
  g.mul("scale", h1, gate, y);
  return g.finish({y});
}

// Host layers reading a placed concat, whole and one member: x[1,8,6,6] -> convs "a" and
// "b" (8 each) -> Concat "cat" (16, placed) -> Lut tanh "lc"; Lut sigmoid "la" of a alone ->
// 3x3 conv "c" (16) -> Mul "m" (lc * c) -> y[1,16,6,6].
inline quant::QGraph concat_member_lut_qgraph() {
  HandQGraph g("concat_member_lut");
  const int x = g.input("x", {1, 8, 6, 6}, 1.0 / 32);
  const int a = g.tensor("a", {1, 8, 6, 6}, 1.0 / 16);
  const int b = g.tensor("b", {1, 8, 6, 6}, 1.0 / 16);
  const int cat = g.tensor("cat", {1, 16, 6, 6}, 1.0 / 16);
  const int lc = g.tensor("lc", {1, 16, 6, 6}, 1.0 / 127);
  const int la = g.tensor("la", {1, 8, 6, 6}, 1.0 / 127);
  const int c = g.tensor("c", {1, 16, 6, 6}, 1.0 / 16);
  const int y = g.tensor("y", {1, 16, 6, 6}, 1.0 / 16);
  g.conv("a", x, a, 3, 51);
  g.conv("b", x, b, 1, 52);
  g.concat("cat", {a, b}, cat);
  g.lut("lc", cat, lc, "tanh");
  g.lut("la", a, la, "sigmoid");
  g.conv("c", la, c, 3, 53);
  g.mul("m", lc, c, y);
  return g.finish({y});
}

// A Lut straight on the network input, squared: x[1,4,5,5] -> Lut tanh "t" -> Mul "sq"
// (t * t) -> 3x3 conv "conv" (8) -> y.
inline quant::QGraph squared_lut_of_input_qgraph() {
  HandQGraph g("squared_lut_of_input");
  const int x = g.input("x", {1, 4, 5, 5}, 1.0 / 32);
  const int t = g.tensor("t", {1, 4, 5, 5}, 1.0 / 127);
  const int sq = g.tensor("sq", {1, 4, 5, 5}, 1.0 / 127);
  const int y = g.tensor("y", {1, 8, 5, 5}, 1.0 / 16);
  g.lut("t", x, t, "tanh");
  g.mul("sq", t, t, sq);
  g.conv("conv", sq, y, 3, 31);
  return g.finish({y});
}

// Two Lut outputs concatenated: x[1,8,6,6] -> conv "conv" (8) -> Lut tanh "t" and Lut
// sigmoid "sg" -> Concat "cat" (16) -> 1x1 conv "mix" (8) -> y. The concat cannot be placed
// (a host layer's upload brings its whole buffer back), so it is copied through DDR.
inline quant::QGraph concat_of_luts_qgraph() {
  HandQGraph g("concat_of_luts");
  const int x = g.input("x", {1, 8, 6, 6}, 1.0 / 32);
  const int c = g.tensor("c", {1, 8, 6, 6}, 1.0 / 16);
  const int t = g.tensor("t", {1, 8, 6, 6}, 1.0 / 127);
  const int sg = g.tensor("sg", {1, 8, 6, 6}, 1.0 / 127);
  const int cat = g.tensor("cat", {1, 16, 6, 6}, 1.0 / 127);
  const int y = g.tensor("y", {1, 8, 6, 6}, 1.0 / 16);
  g.conv("conv", x, c, 3, 21);
  g.lut("t", c, t, "tanh");
  g.lut("sg", c, sg, "sigmoid");
  g.concat("cat", {t, sg}, cat);
  g.conv("mix", cat, y, 1, 22);
  return g.finish({y});
}

// Channel gathers at the network's edges, on more channels than a v2 section holds:
// x[1,40,5,5] -> ChannelGather "reverse" (channel c is x's 39 - c) -> 3x3 conv "conv" (32)
// -> ChannelGather "pick" (channels 27, 28, 29, 2, 3, 4, 4, 0: a run crossing a 28-lane
// section, a repeated channel) -> y[1,8,5,5], the network output. `bits` of every tensor.
inline quant::QGraph edge_gathers_qgraph(int bits = 8) {
  HandQGraph g("edge_gathers");
  const int x = g.input("x", {1, 40, 5, 5}, 1.0 / 32, bits);
  const int r = g.tensor("r", {1, 40, 5, 5}, 1.0 / 32, true, bits);
  const int c = g.tensor("c", {1, 32, 5, 5}, 1.0 / 16, true, bits);
  const int y = g.tensor("y", {1, 8, 5, 5}, 1.0 / 16, true, bits);
  std::vector<std::int64_t> reversed;
  for (std::int64_t k = 39; k >= 0; --k) reversed.push_back(k);
  g.gather("reverse", x, r, reversed);
  g.conv("conv", r, c, 3, 71);
  g.gather("pick", c, y, {27, 28, 29, 2, 3, 4, 4, 0});
  return g.finish({y});
}

}  // namespace wb::test
