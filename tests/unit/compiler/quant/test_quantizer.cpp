#include "compiler/quant/quantizer.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "compiler/frontend/onnx_import.h"
#include "compiler/golden/integer_executor.h"
#include "compiler/golden/reference_executor.h"
#include "support/error.h"
#include "tests/support/detection_models.h"
#include "tests/support/quant_testing.h"
#include "tests/support/swin_models.h"
#include "tests/support/transformer_models.h"
#include "tests/support/user_error_testing.h"
#include "compiler/quant/qgraph_queries.h"
#include "compiler/quant/requant_params.h"

namespace wb::quant {
namespace {

using testing::HasSubstr;

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

// The integer network's output against the float one's on seeded random inputs, as a
// signal-to-noise ratio in dB.
double integer_snr_db(const test::QuantizedModel& m, std::uint32_t seed) {
  const auto inputs = random_inputs(m.graph, seed);
  const Tensor f = ReferenceExecutor(m.graph).run(inputs)[0];
  const Tensor q =
      golden::dequantize(m.qgraph.tensor(m.qgraph.outputs[0]), golden::IntegerExecutor(m.qgraph).run(inputs)[0]);
  double signal = 0, noise = 0;
  for (std::int64_t i = 0; i < f.numel(); ++i) {
    signal += f.as_double(i) * f.as_double(i);
    noise += (f.as_double(i) - q.as_double(i)) * (f.as_double(i) - q.as_double(i));
  }
  return 10 * std::log10(signal / noise);
}

// torch's GELU export (fuse-gelu makes it one Gelu) is a table of x * Phi(x): signed, and
// each entry within a step of the real function at that input.
TEST(Quantizer, GeluBecomesATableOfTheRealFunction) {
  for (Scheme s : {Scheme::Pow2, Scheme::Xdnn, Scheme::Pulp}) {
    const auto m = test::quantize_model(test::gelu_cnn(), scheme(s));
    const QGraph& g = m.qgraph;
    const QNode& gelu = node(g, "/act/Gelu");
    EXPECT_EQ(gelu.kind, QOpKind::Lut);
    EXPECT_EQ(gelu.lut_function, "gelu");
    const QTensor& in = g.tensor(gelu.inputs[0]);
    const QTensor& out = g.tensor(gelu.output);
    EXPECT_TRUE(out.is_signed) << "GELU dips below 0";
    ASSERT_EQ(gelu.lut_table.size(), 256u);
    for (std::int64_t i = 0; i < 256; ++i) {
      const double x = static_cast<double>(in.lo() + i) * in.scale;
      const double real = std::clamp(0.5 * x * (1 + std::erf(x / std::sqrt(2.0))), out.lo() * out.scale, out.hi() * out.scale);
      EXPECT_NEAR(static_cast<double>(gelu.lut_table[static_cast<std::size_t>(i)]) * out.scale, real, out.scale)
          << scheme_name(s) << " entry " << i;
    }
    EXPECT_GT(integer_snr_db(m, 7), 15.0) << scheme_name(s);
  }
}

// The integer Resize (docs/quant.md): nearest copies the input's integers; bilinear is within
// one step of the real bilinear interpolation of the same integers (half a step from the final
// rounding, at most half from the weights' 8 bits), and keeps the input's scale and type.
TEST(Quantizer, ResizeIsWithinAStepOfTheRealInterpolation) {
  for (const std::string mode : {"linear", "nearest"}) {
    const auto m = test::quantize_model(test::resize_cnn(mode), scheme(Scheme::Pow2));
    const QGraph& g = m.qgraph;
    const QNode& up = node(g, "upsample");
    ASSERT_EQ(up.kind, QOpKind::Resize);
    const QTensor& in = g.tensor(up.inputs[0]);
    const QTensor& out = g.tensor(up.output);
    EXPECT_EQ(in.scale, out.scale);
    EXPECT_EQ(in.dtype(), out.dtype());
    Tensor x, y;
    golden::IntegerExecutor(g).run(random_inputs(m.graph, 3), [&](int index, const Tensor& t) {
      if (index == up.inputs[0]) x = t;
      if (index == up.output) y = t;
    });
    ASSERT_EQ(y.shape(), (Shape{1, 8, 12, 12}));
    const auto source = [&](std::int64_t o) { return mode == "linear" ? std::max(0.0, (o + 0.5) / 2 - 0.5) : o / 2.0; };
    double worst = 0;
    for (std::int64_t c = 0; c < 8; ++c) {
      for (std::int64_t r = 0; r < 12; ++r) {
        for (std::int64_t k = 0; k < 12; ++k) {
          const auto at = [&](std::int64_t i, std::int64_t j) { return x.as_double((c * 6 + std::min<std::int64_t>(i, 5)) * 6 + std::min<std::int64_t>(j, 5)); };
          const double sr = source(r), sk = source(k);
          double real = 0;
          if (mode == "linear") {
            const auto r0 = static_cast<std::int64_t>(sr), k0 = static_cast<std::int64_t>(sk);
            const double fr = sr - static_cast<double>(r0), fk = sk - static_cast<double>(k0);
            real = (1 - fr) * ((1 - fk) * at(r0, k0) + fk * at(r0, k0 + 1)) + fr * ((1 - fk) * at(r0 + 1, k0) + fk * at(r0 + 1, k0 + 1));
          } else {
            real = at(static_cast<std::int64_t>(sr), static_cast<std::int64_t>(sk));
          }
          worst = std::max(worst, std::abs(y.as_double((c * 12 + r) * 12 + k) - real));
        }
      }
    }
    EXPECT_LE(worst, mode == "linear" ? 1.0 : 0.0) << mode;
    EXPECT_GT(integer_snr_db(m, 7), 15.0) << mode;
  }
}

// The integer network approximates the float one: a sanity bound, far below what a broken
// scale or shift would give (~0 dB).
TEST(Quantizer, IntegerResultTracksTheFloatOne) {
  for (Scheme s : {Scheme::Pow2, Scheme::Xdnn, Scheme::Pulp}) {
    const auto m = test::quantize_model(test::small_cnn(), scheme(s));
    EXPECT_GT(integer_snr_db(m, 99), 15.0) << scheme_name(s);
  }
}

// Sigmoid-like activations become lookup tables (x * sigmoid(x) and x * hardsigmoid(x) one
// table each), the squeeze-and-excitation scale a broadcasting Mul.
TEST(Quantizer, ActivationsBecomeTablesAndTheExcitationAMul) {
  for (Scheme s : {Scheme::Pow2, Scheme::Xdnn, Scheme::Pulp}) {
    const auto m = test::quantize_model(test::activation_cnn(), scheme(s));
    const QGraph& g = m.qgraph;
    const QNode& silu = node(g, "silu");
    EXPECT_EQ(silu.kind, QOpKind::Lut);
    EXPECT_EQ(silu.lut_function, "silu");
    EXPECT_EQ(g.tensor(silu.output).name, "f");  // the absorbed Mul's output
    EXPECT_EQ(silu.lut_table.size(), 256u);
    const QNode& gate = node(g, "gate");
    EXPECT_EQ(gate.lut_function, "hardsigmoid");
    EXPECT_FLOAT_EQ(gate.lut_alpha, 1.0f / 6.0f);
    EXPECT_FALSE(g.tensor(gate.output).is_signed) << "hardsigmoid lies in [0, 1]";
    EXPECT_EQ(node(g, "hswish").lut_function, "hardswish");
    EXPECT_TRUE(tensor(g, "h").is_signed) << "hardswish dips below 0";
    EXPECT_EQ(node(g, "tanh").lut_function, "tanh");
    const QNode& scale = node(g, "scale");
    EXPECT_EQ(scale.kind, QOpKind::Mul);
    EXPECT_EQ(g.tensor(scale.inputs[0]).shape, (Shape{1, 8, 1, 1}));
    EXPECT_EQ(scale.requant.channels(), 1u);
    for (const QNode& n : g.nodes) EXPECT_NE(n.name, "silu_mul") << "absorbed into the table";
    // Every table is monotone where its function is (sigmoid, hardsigmoid, tanh).
    for (const char* name : {"gate", "tanh"}) {
      const auto& t = node(g, name).lut_table;
      EXPECT_TRUE(std::is_sorted(t.begin(), t.end())) << name << " " << scheme_name(s);
    }
    // The integer network still tracks the float one.
    EXPECT_GT(integer_snr_db(m, 7), 15.0) << scheme_name(s);
  }
}

// ShuffleNet's Split halves and channel shuffle become ChannelGathers of the input's scale and
// type, at every opset torch exports them with (Split's sizes an attribute before 13).
TEST(Quantizer, ChannelSplitsAndShufflesBecomeGathers) {
  for (const std::int64_t opset : {9, 11, 13}) {
    for (Scheme s : {Scheme::Pow2, Scheme::Xdnn, Scheme::Pulp}) {
      SCOPED_TRACE(fmt::format("opset {} {}", opset, scheme_name(s)));
      const auto m = test::quantize_model(test::shuffle_cnn(opset), scheme(s));
      const QGraph& g = m.qgraph;
      const QNode& left = node(g, "split");
      EXPECT_EQ(left.kind, QOpKind::ChannelGather);
      EXPECT_EQ(left.gather_channels, (std::vector<std::int64_t>{0, 1, 2, 3}));
      const QNode& shuffle = node(g, "shuffle");
      EXPECT_EQ(shuffle.kind, QOpKind::ChannelGather);
      EXPECT_EQ(shuffle.gather_channels, (std::vector<std::int64_t>{0, 4, 1, 5, 2, 6, 3, 7}));
      for (const QNode* gather : {&left, &shuffle}) {
        EXPECT_EQ(g.tensor(gather->inputs[0]).scale, g.tensor(gather->output).scale);
        EXPECT_EQ(g.tensor(gather->inputs[0]).dtype(), g.tensor(gather->output).dtype());
      }
      int gathers = 0;
      for (const QNode& n : g.nodes) gathers += n.kind == QOpKind::ChannelGather ? 1 : 0;
      EXPECT_EQ(gathers, 3) << "both halves and the shuffle";
      EXPECT_GT(integer_snr_db(m, 9), 20.0);
    }
  }
}

// Swin's moved pixels (tests/support/swin_models: 4x4 pixels, 2x2 windows, shifted by 1): the
// roll and window partition one PixelGather from the stage's image to the windows' tokens in
// window-major order, the window reverse and roll back another to the stage's image; the
// flattening Reshapes around each are absorbed. Expected tables from the roll's definition.
TEST(Quantizer, SwinsMovedPixelsBecomePixelGathers) {
  // Token j of window-major order: window j / 4 (its row and column of 2 x 2 windows), pixel
  // j % 4 inside it; rolled by (-1, -1) it reads pixel (r + 1, c + 1) mod 4.
  std::vector<std::int64_t> into_windows(16), back(16);
  for (std::int64_t j = 0; j < 16; ++j) {
    const std::int64_t window = j / 4, k = j % 4;
    const std::int64_t r = window / 2 * 2 + k / 2, c = window % 2 * 2 + k % 2;
    into_windows[static_cast<std::size_t>(j)] = (r + 1) % 4 * 4 + (c + 1) % 4;
    back[static_cast<std::size_t>(into_windows[static_cast<std::size_t>(j)])] = j;  // its inverse
  }
  for (Scheme s : {Scheme::Pow2, Scheme::Xdnn, Scheme::Pulp}) {
    SCOPED_TRACE(scheme_name(s));
    const auto m = test::quantize_model(test::shifted_window_block(true), scheme(s));
    const QGraph& g = m.qgraph;
    std::vector<const QNode*> gathers;
    for (const QNode& n : g.nodes) {
      if (n.kind == QOpKind::PixelGather) gathers.push_back(&n);
      EXPECT_NE(n.kind, QOpKind::Reshape) << n.name << ": the flattening views are the gathers'";
    }
    ASSERT_EQ(gathers.size(), 2u);
    EXPECT_EQ(g.tensor(gathers[0]->inputs[0]).shape, (Shape{1, 3, 4, 4}));
    EXPECT_EQ(g.tensor(gathers[0]->output).shape, (Shape{1, 3, 1, 16}));
    EXPECT_EQ(gathers[0]->gather_pixels, into_windows);
    EXPECT_EQ(g.tensor(gathers[1]->output).shape, (Shape{1, 3, 4, 4}));
    EXPECT_EQ(gathers[1]->gather_pixels, back);
    for (const QNode* gather : gathers) {
      EXPECT_EQ(g.tensor(gather->inputs[0]).scale, g.tensor(gather->output).scale);
      EXPECT_EQ(g.tensor(gather->inputs[0]).dtype(), g.tensor(gather->output).dtype());
    }
    EXPECT_GT(integer_snr_db(m, 9), 20.0);
  }
}

// Swin's window attention (tests/support/swin_models window_attention: 4 windows of 4 tokens, 2
// heads of 4): the scores and context are MatMuls of 4 windows, the scores and probabilities the
// rows [W h, L, L] = [8, 4, 4]; the integer model tracks the float one.
TEST(Quantizer, WindowAttentionsProductsPairTokensOfOneWindow) {
  for (Scheme s : {Scheme::Pow2, Scheme::Xdnn, Scheme::Pulp}) {
    SCOPED_TRACE(scheme_name(s));
    const auto m = test::quantize_model(test::window_attention(), scheme(s));
    const QGraph& g = m.qgraph;
    int products = 0;
    for (const QNode& n : g.nodes) {
      if (n.kind == QOpKind::Softmax) {
        EXPECT_EQ(g.tensor(n.inputs[0]).shape, (Shape{8, 4, 4}));
        EXPECT_EQ(g.tensor(n.output).shape, (Shape{8, 4, 4}));
      }
      if (n.kind != QOpKind::MatMul) continue;
      ++products;
      EXPECT_EQ(n.matmul_windows, 4) << n.name;
      EXPECT_EQ(n.matmul_heads, 2) << n.name;
      if (n.matmul_form == MatMulForm::Scores) {
        EXPECT_EQ(g.tensor(n.output).shape, (Shape{8, 4, 4}));
        EXPECT_FLOAT_EQ(n.matmul_factor, 0.5f);
        EXPECT_EQ(matmul_macs(g, n), 4u * 2u * 4u * 4u * 4u) << "W h L L' d";
      } else {
        EXPECT_EQ(g.tensor(n.output).shape, (Shape{1, 8, 1, 16}));
      }
    }
    EXPECT_EQ(products, 2);
    EXPECT_GT(integer_snr_db(m, 9), 20.0);
  }
}

// Swin's relative-position bias is the scores' I32 [h, L, L] at the sums' scale, and its
// shifted-window mask the Softmax's region labels (the mask's Reshapes and Add absorbed): 9
// regions of the 4x4 stage shifted by 1, the 4 windows' tokens labelled by the first token of
// their region. The masked probabilities are 0 in the integer model as in the float one.
TEST(Quantizer, SwinsPositionBiasAndMaskBelongToTheScoresAndTheSoftmax) {
  for (Scheme s : {Scheme::Pow2, Scheme::Xdnn, Scheme::Pulp}) {
    SCOPED_TRACE(scheme_name(s));
    const auto m = test::quantize_model(test::window_attention(true, true), scheme(s));
    const QGraph& g = m.qgraph;
    for (const QNode& n : g.nodes) {
      EXPECT_NE(n.kind, QOpKind::Add) << n.name << ": the bias and the mask are not adds";
      if (n.kind == QOpKind::MatMul && n.matmul_form == MatMulForm::Scores) {
        ASSERT_EQ(n.bias.shape(), (Shape{2, 4, 4}));
        // The bias in the sums' units: within half a unit of the float table's entry.
        const Tensor table = test::random_tensor({1, 2, 4, 4}, 8);
        const double unit = g.tensor(n.inputs[0]).scale * g.tensor(n.inputs[1]).scale * n.matmul_factor;
        for (std::int64_t i = 0; i < 32; ++i) {
          EXPECT_NEAR(static_cast<double>(n.bias.as_int64(i)) * unit, table.as_double(i), unit / 2 + 1e-12) << i;
        }
      }
      if (n.kind == QOpKind::Softmax) {
        // Window 0 holds pixels (0, 0), (0, 1), (1, 0), (1, 1): one region; window 1 (0, 2), (0, 3),
        // (1, 2), (1, 3): two columns' regions; window 2 two rows'; window 3 (2, 2), (2, 3),
        // (3, 2), (3, 3): four.
        EXPECT_EQ(n.softmax_labels, (std::vector<std::int64_t>{0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0, 1, 2, 3}));
      }
    }
    EXPECT_GT(integer_snr_db(m, 9), 20.0);
  }
}

// A classifier's Softmax: uint8 probabilities at 1/256 from an exp table of the logits' scale.
TEST(Quantizer, SoftmaxGivesProbabilitiesAtOneIn256) {
  for (Scheme s : {Scheme::Pow2, Scheme::Xdnn, Scheme::Pulp}) {
    SCOPED_TRACE(scheme_name(s));
    const auto m = test::quantize_model(test::softmax_cnn(), scheme(s));
    const QGraph& g = m.qgraph;
    const QNode& softmax = node(g, "softmax");
    ASSERT_EQ(softmax.kind, QOpKind::Softmax);
    const QTensor& out = g.tensor(softmax.output);
    EXPECT_EQ(out.scale, 1.0 / 256);
    EXPECT_FALSE(out.is_signed);
    const auto& table = softmax.softmax_exp_table;
    ASSERT_EQ(table.size(), 256u);
    EXPECT_EQ(table.back(), 65536) << "exp(0) in Q16";
    EXPECT_TRUE(std::is_sorted(table.begin(), table.end()));
    const double s_x = g.tensor(softmax.inputs[0]).scale;
    EXPECT_EQ(table[254], static_cast<std::int64_t>(std::nearbyint(65536 * std::exp(-s_x))));
    // The probabilities sum to 1 within the rounding of each of the 10, and track the float ones.
    const auto inputs = random_inputs(m.graph, 11);
    const Tensor f = ReferenceExecutor(m.graph).run(inputs)[0];
    const Tensor levels = golden::IntegerExecutor(g).run(inputs)[0];
    std::int64_t sum = 0;
    double worst = 0;
    for (std::int64_t i = 0; i < levels.numel(); ++i) {
      sum += levels.as_int64(i);
      worst = std::max(worst, std::abs(f.as_double(i) - static_cast<double>(levels.as_int64(i)) / 256));
    }
    EXPECT_NEAR(static_cast<double>(sum), 256.0, 5.0);
    EXPECT_LT(worst, 0.05) << "logits quantized to 8 bits move the probabilities by a few 1/256 steps";
  }
}

// A LayerNorm over each pixel's channels (ConvNeXt's NHWC view) and over an [N, C] row: one
// LayerNorm node each, signed 8-bit outputs, parameters made for their tensors, the integer
// network close to the float one in every scheme.
TEST(Quantizer, LayerNormsOverChannelsAreIntegerNodes) {
  for (Scheme s : {Scheme::Pow2, Scheme::Xdnn, Scheme::Pulp}) {
    SCOPED_TRACE(scheme_name(s));
    const auto m = test::quantize_model(test::layernorm_cnn(), scheme(s));
    const QGraph& g = m.qgraph;
    for (const char* name : {"ln_pixels", "ln_row"}) {
      const QNode& ln = node(g, name);
      ASSERT_EQ(ln.kind, QOpKind::LayerNorm) << name;
      const QTensor& in = g.tensor(ln.inputs[0]);
      const QTensor& out = g.tensor(ln.output);
      EXPECT_TRUE(out.is_signed) << name;
      EXPECT_EQ(in.shape, out.shape) << name;
      EXPECT_EQ(ln.layernorm.n, static_cast<std::size_t>(in.shape[1])) << name;
      EXPECT_EQ(ln.layernorm.output_lo, out.lo()) << name;
      EXPECT_GE(ln.layernorm.shift, 40) << name;
    }
    EXPECT_EQ(g.tensor(node(g, "ln_pixels").inputs[0]).shape, (Shape{1, 8, 6, 6})) << "reads the NCHW conv output";
    EXPECT_FLOAT_EQ(node(g, "ln_pixels").layernorm_epsilon, 1e-6f);
    for (const QNode& n : g.nodes) EXPECT_TRUE(n.name != "to_nhwc" && n.name != "to_nchw") << "the view is the LayerNorm's";
    EXPECT_GT(integer_snr_db(m, 9), 20.0);
  }
}

// A ViT block (torch's export, after tokens-as-image): attention's scores and context are
// MatMul nodes on the token images, the 1 / sqrt(d) folded into the scores' requant; the softmax
// is over the keys of [h, T, T]; the class token and the position embedding are constant
// tensors; the class token is concatenated along W. The integer network stays close to the
// float one in every scheme.
TEST(Quantizer, AttentionIsIntegerInEveryScheme) {
  for (Scheme s : {Scheme::Pow2, Scheme::Xdnn, Scheme::Pulp}) {
    SCOPED_TRACE(scheme_name(s));
    const auto m = test::quantize_model(test::tiny_vit(), scheme(s));
    const QGraph& g = m.qgraph;
    const QNode& scores = node(g, "/attn/MatMul_1");
    ASSERT_EQ(scores.kind, QOpKind::MatMul);
    EXPECT_EQ(scores.matmul_form, MatMulForm::Scores);
    EXPECT_EQ(scores.matmul_heads, 2);
    EXPECT_EQ(scores.matmul_factor, 0.5);
    EXPECT_EQ(g.tensor(scores.inputs[0]).shape, (Shape{1, 8, 1, 5}));  // the queries' image
    EXPECT_EQ(g.tensor(scores.output).shape, (Shape{2, 5, 5}));
    const QNode& context = node(g, "/attn/MatMul_2");
    ASSERT_EQ(context.kind, QOpKind::MatMul);
    EXPECT_EQ(context.matmul_form, MatMulForm::Context);
    EXPECT_EQ(g.tensor(context.inputs[0]).shape, (Shape{2, 5, 5}));  // the probabilities
    EXPECT_EQ(g.tensor(context.output).shape, (Shape{1, 8, 1, 5}));
    EXPECT_FALSE(g.tensor(context.inputs[0]).is_signed);
    const QNode& softmax = node(g, "/attn/Softmax");
    EXPECT_EQ(softmax.kind, QOpKind::Softmax);
    EXPECT_EQ(softmax.inputs[0], scores.output);
    EXPECT_EQ(node(g, "/Concat").concat_axis, 3);
    std::vector<std::string> constants;
    for (const QTensor& t : g.tensors) {
      if (t.is_constant()) constants.push_back(fmt::format("{}{}", t.name, format_shape(t.shape)));
    }
    EXPECT_EQ(constants, (std::vector<std::string>{"/Concat_tokens[1,8,1,1]", "/encoder/Add_per_pixel[1,8,1,5]"}));
    for (const QTensor& t : g.tensors) {  // the head views [h, d, T] are the MatMuls' own
      if (t.shape.size() == 3) {
        EXPECT_EQ(t.shape, (Shape{2, 5, 5})) << t.name;
      }
    }
    EXPECT_GT(integer_snr_db(m, 9), 20.0);
  }
}

// A BERT-like encoder's float embeddings [1, T, C]: the QGraph's input is their image
// [1, C, 1, T] (the view tokens-as-image writes is absorbed), given by users as [1, T, C]
// (source_shape); the first node reads it directly; the float graph keeps its input.
TEST(Quantizer, AnInputOfTokensIsTheImageGivenAsTokens) {
  for (Scheme s : {Scheme::Pow2, Scheme::Xdnn, Scheme::Pulp}) {
    SCOPED_TRACE(scheme_name(s));
    const auto m = test::quantize_model(test::tiny_bert(), scheme(s));
    const QGraph& g = m.qgraph;
    ASSERT_EQ(g.inputs.size(), 1u);
    const QTensor& input = g.tensor(g.inputs[0]);
    EXPECT_EQ(input.name, "emb");
    EXPECT_EQ(input.shape, (Shape{1, 8, 1, 5}));
    EXPECT_EQ(input.source_shape, (Shape{1, 5, 8}));
    EXPECT_EQ(input.float_shape(), (Shape{1, 5, 8}));
    EXPECT_EQ(m.graph.inputs()[0]->shape, (Shape{1, 5, 8}));
    // The position embedding's Add reads the input itself: no Reshape or copy before it.
    ASSERT_FALSE(g.nodes.empty());
    EXPECT_EQ(g.nodes[0].name, "/Add");
    EXPECT_EQ(g.nodes[0].kind, QOpKind::Add);
    EXPECT_EQ(g.nodes[0].inputs[0], g.inputs[0]);
    for (const QNode& n : g.nodes) {  // nothing else reads it (no Reshape or copy of it)
      const bool reads_input = std::find(n.inputs.begin(), n.inputs.end(), g.inputs[0]) != n.inputs.end();
      EXPECT_TRUE(!reads_input || n.name == "/Add") << n.name;
    }
    EXPECT_EQ(node(g, "/attn/MatMul_1").matmul_form, MatMulForm::Scores);
    // Only inputs carry a source shape.
    for (const QTensor& t : g.tensors) {
      EXPECT_TRUE(t.name == "emb" || t.source_shape.empty()) << t.name;
    }
    EXPECT_GT(integer_snr_db(m, 9), 20.0);
  }
}

// nn.Embedding from token ids: the QGraph's input is the ids themselves (U16 at scale 1), the
// first node an Embedding of the table, held as the image [1, C, 1, V] of its rows at the
// output's scale, writing the image of the tokens the rest of the encoder reads.
TEST(Quantizer, AnEmbeddingOfTokenIdsWritesTheImageOfItsTablesRows) {
  for (Scheme s : {Scheme::Pow2, Scheme::Xdnn, Scheme::Pulp}) {
    SCOPED_TRACE(scheme_name(s));
    const auto m = test::quantize_model(test::tiny_bert(16), scheme(s));
    const QGraph& g = m.qgraph;
    ASSERT_EQ(g.inputs.size(), 1u);
    const QTensor& ids = g.tensor(g.inputs[0]);
    EXPECT_EQ(ids.name, "ids");
    EXPECT_TRUE(ids.token_ids);
    EXPECT_EQ(ids.dtype(), DType::U16);
    EXPECT_EQ(ids.scale, 1.0);
    EXPECT_EQ(ids.shape, (Shape{1, 5}));
    const QNode& embed = node(g, "/embed/Gather");
    EXPECT_EQ(embed.kind, QOpKind::Embedding);
    ASSERT_EQ(embed.inputs.size(), 2u);
    EXPECT_EQ(embed.inputs[1], g.inputs[0]);
    const QTensor& table = g.tensor(embed.inputs[0]);
    ASSERT_TRUE(table.is_constant());
    EXPECT_EQ(table.shape, (Shape{1, 8, 1, 16}));
    const QTensor& out = g.tensor(embed.output);
    EXPECT_EQ(out.shape, (Shape{1, 8, 1, 5}));
    EXPECT_EQ(out.scale, table.scale);
    // Row v of the float table is column v of the image, each value its level at that scale.
    const Tensor* floats = nullptr;
    for (const Node* n : m.graph.topological_order()) {
      if (n->name == "/embed/Gather") floats = n->constant_input(0);
    }
    ASSERT_NE(floats, nullptr);
    for (std::int64_t v = 0; v < 16; ++v) {
      for (std::int64_t c = 0; c < 8; ++c) {
        const double level = std::nearbyint(floats->as_double(v * 8 + c) / table.scale);
        EXPECT_EQ(static_cast<double>(table.data.as_int64(c * 16 + v)), std::clamp(level, -128.0, 127.0)) << v << "," << c;
      }
    }
    EXPECT_GT(integer_snr_db(m, 9), 20.0);
  }
}

// Seeded inputs draw token ids inside their table, so a run without --input is a valid one.
TEST(Quantizer, SeededTokenIdsLieInsideTheirTable) {
  const auto m = test::quantize_model(test::tiny_bert(16), scheme(Scheme::Pulp));
  std::set<std::int64_t> seen;
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    const Tensor ids = random_inputs(m.graph, seed)[0];
    EXPECT_EQ(ids.dtype(), DType::I64);
    for (std::int64_t i = 0; i < ids.numel(); ++i) {
      EXPECT_GE(ids.as_int64(i), 0);
      EXPECT_LT(ids.as_int64(i), 16);
      seen.insert(ids.as_int64(i));
    }
  }
  EXPECT_GT(seen.size(), 12u) << "spread over the table";
}

// An id outside the table, or outside 16 bits, is an error naming it and where it is.
TEST(Quantizer, ATokenIdOutsideTheTableIsNamed) {
  const auto m = test::quantize_model(test::tiny_bert(16), scheme(Scheme::Xdnn));
  const golden::IntegerExecutor executor(m.qgraph);
  const Tensor ids = Tensor::from_vector<std::int64_t>({1, 5}, {0, 1, 16, 2, 3});
  EXPECT_THAT(test::user_error_of([&] { executor.run({ids}); }),
              AllOf(HasSubstr("input 'ids': token id 16 (position 2)"), HasSubstr("16 rows"), HasSubstr("0..15")));
  const Tensor negative = Tensor::from_vector<std::int64_t>({1, 5}, {0, -1, 1, 2, 3});
  EXPECT_THAT(test::user_error_of([&] { executor.run({negative}); }),
              AllOf(HasSubstr("input 'ids'"), HasSubstr("token id -1 (element 1)")));
  const Tensor floats = Tensor::from_vector<float>({1, 5}, {0, 1, 2, 3, 4});
  EXPECT_THAT(test::user_error_of([&] { executor.run({floats}); }), HasSubstr("expects token ids, int64 or int32"));
}

// A detection head's tokens (SSD's Reshape/Transpose/Reshape of each level's conv, the levels
// concatenated): one HwcReshape per level, whose output is the conv's bytes as K-feature tokens;
// the concat along W; each network output the image [1, K, 1, T], named as the float output and
// given to users as [1, T, K] (source_shape). Both exporters' layouts read the same.
TEST(Quantizer, DetectionHeadsAreTheirConvsPixelsReadAsTokens) {
  for (const auto layout : {test::HeadLayout::Ssd, test::HeadLayout::Flattened}) {
    for (Scheme s : {Scheme::Pow2, Scheme::Xdnn, Scheme::Pulp}) {
      SCOPED_TRACE(scheme_name(s));
      const auto m = test::quantize_model(test::detection_heads(layout, true), scheme(s));
      const QGraph& g = m.qgraph;
      int regrouped = 0;
      for (const QNode& n : g.nodes) {
        if (n.kind != QOpKind::HwcReshape) continue;
        ++regrouped;
        const QTensor& conv = g.tensor(n.inputs[0]);
        const QTensor& tokens = g.tensor(n.output);
        EXPECT_EQ(conv.scale, tokens.scale) << n.name;
        EXPECT_EQ(tokens.shape[2], 1) << n.name;
        EXPECT_EQ(tokens.shape[3] * tokens.shape[1], conv.shape[1] * conv.shape[2] * conv.shape[3]) << n.name;
      }
      EXPECT_EQ(regrouped, 4) << "two levels of two heads";
      ASSERT_EQ(g.outputs.size(), 2u);
      const QTensor& boxes = g.tensor(g.outputs[0]);
      EXPECT_EQ(boxes.name, "boxes");
      EXPECT_EQ(boxes.shape, (Shape{1, 3, 1, 160}));
      EXPECT_EQ(boxes.source_shape, (Shape{1, 160, 3}));
      EXPECT_EQ(node(g, "/boxes/Concat").concat_axis, 3);
      EXPECT_EQ(g.tensor(g.outputs[1]).source_shape, (Shape{1, 160, 5}));
      // Dequantized, the outputs are the float graph's, in its layout.
      EXPECT_GT(integer_snr_db(m, 3), 25.0);
    }
  }
}

// pow2 requantizes by shifts: a 1 / sqrt(d) that is not a power of two is refused by name.
TEST(Quantizer, Pow2RefusesScoresScaledByANonPowerOfTwo) {
  auto m = test::quantize_model(test::tiny_vit(), scheme(Scheme::Pow2));
  for (QNode& n : m.qgraph.nodes) {
    if (n.kind == QOpKind::MatMul && n.matmul_form == MatMulForm::Scores) n.matmul_factor = 1 / std::sqrt(3.0);
  }
  EXPECT_THAT(test::user_error_of([&] { assign_requant(m.qgraph); }),
              HasSubstr("/attn/MatMul_1 (MatMul): the pow2 scheme requantizes by shifts"));
}

// A MatMul of two activations that is not attention's, in tokens-as-image's layout, is named.
TEST(Quantizer, AMatMulOfTwoActivationsOutsideAttentionIsNamed) {
  test::OnnxBuilder b;
  b.input("a", {2, 3, 4}).input("b", {2, 4, 5}).output("y");
  b.node("MatMul", {"a", "b"}, {"y"}, "product");
  EXPECT_THAT(test::user_error_of([&] { test::quantize_model(b, scheme(Scheme::Xdnn)); }),
              HasSubstr("product (MatMul): a MatMul of two activations has an integer form only as attention's"));
}

// An opset < 13 Softmax that normalises two axes jointly (the importer's flatten_at_axis, kept
// because its axis is not the last once the shape is known) is named, not read as one axis's.
TEST(Quantizer, ALegacySoftmaxOverSeveralAxesIsNamed) {
  test::OnnxBuilder b(11);
  b.input("x", {1, 3, 4}).initializer("shape", Tensor::from_vector<std::int64_t>({3}, {1, 3, 4})).output("y");
  b.node("Shape", {"x"}, {"s"});
  b.node("Reshape", {"x", "s"}, {"same"});
  test::set_attr(b.node("Softmax", {"same"}, {"y"}, "softmax"), "axis", std::int64_t{1});
  EXPECT_THAT(test::user_error_of([&] { test::quantize_model(b, scheme(Scheme::Xdnn)); }),
              HasSubstr("softmax (Softmax): an opset < 13 Softmax normalises every axis from 1 on of [1,3,4] jointly"));
}

TEST(Quantizer, ALayerNormOverTheImageIsNamed) {
  test::OnnxBuilder b(17);
  b.input("x", {1, 2, 4, 4}).output("y");
  b.initializer("gamma", Tensor::from_vector<float>({4}, {1, 1, 1, 1}));
  test::set_attr(b.node("LayerNormalization", {"x", "gamma"}, {"y"}, "rows"), "axis", std::int64_t{-1});
  try {
    test::quantize_model(b, scheme(Scheme::Xdnn));
    FAIL() << "expected a UserError";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("rows (LayerNormalization): only a LayerNormalization over the channels"),
              std::string::npos)
        << e.what();
  }
}

TEST(Quantizer, ASoftmaxOverRowsOfAnImageIsNamed) {
  test::OnnxBuilder b;
  b.input("x", {1, 2, 4, 4}).output("y");
  test::set_attr(b.node("Softmax", {"x"}, {"y"}, "spatial"), "axis", std::int64_t{1});
  try {
    test::quantize_model(b, scheme(Scheme::Xdnn));
    FAIL() << "expected a UserError";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("spatial (Softmax): only a Softmax over the channels"), std::string::npos)
        << e.what();
  }
}

TEST(Quantizer, AGatherOfRowsIsNamed) {
  test::OnnxBuilder b;
  b.input("x", {1, 2, 4, 4}).output("y");
  b.initializer("rows", Tensor::from_vector<std::int64_t>({2}, {0, 2}));
  test::set_attr(b.node("Gather", {"x", "rows"}, {"y"}, "rows"), "axis", std::int64_t{2});
  try {
    test::quantize_model(b, scheme(Scheme::Pulp));
    FAIL() << "expected a UserError";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("rows (Gather): only a Gather of constant channels"), std::string::npos)
        << e.what();
  }
}

TEST(Quantizer, ATableNeedsEightBits) {
  QuantizeOptions options = scheme(Scheme::Xdnn);
  options.bits = 16;
  try {
    test::quantize_model(test::activation_cnn(), options);
    FAIL() << "expected a UserError";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("silu (Sigmoid): a lookup table needs 8-bit tensors"), std::string::npos)
        << e.what();
  }
}

TEST(Quantizer, MulByAConstantOrWithoutBroadcastIsNamed) {
  test::OnnxBuilder b;
  // A per-channel constant with no Conv before it to fold into; one of the output's shape (rotary
  // embeddings' tables) is a constant operand.
  b.input("x", {1, 2, 3, 3}).input("z", {3, 3}).output("y").output("w").output("v");
  b.initializer("k", test::random_tensor({1, 2, 1, 1}, 3));
  b.initializer("table", test::random_tensor({1, 2, 3, 3}, 4));
  b.node("Mul", {"x", "k"}, {"y"}, "by_constant");
  b.node("Mul", {"table", "x"}, {"v"}, "by_table");
  b.node("Mul", {"x", "z"}, {"w"}, "mismatched");
  try {
    test::quantize_model(b, scheme(Scheme::Xdnn));
    FAIL() << "expected a UserError";
  } catch (const UserError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("by_constant (Mul): only a Mul of two computed tensors, or of one by a constant of its shape"),
              std::string::npos)
        << what;
    EXPECT_EQ(what.find("by_table"), std::string::npos) << what;
    EXPECT_NE(what.find("mismatched (Mul): inputs [1,2,3,3] and [3,3] do not broadcast by size-1 dimensions of the same rank"), std::string::npos)
        << what;
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
  b.node("LeakyRelu", {"x"}, {"s"}, "leaky");
  b.node("Sub", {"s", "x"}, {"y"}, "difference");
  try {
    test::quantize_model(b, scheme(Scheme::Xdnn));
    FAIL() << "expected a UserError";
  } catch (const UserError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("leaky (LeakyRelu)"), std::string::npos) << what;
    EXPECT_NE(what.find("difference (Sub)"), std::string::npos) << what;
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

// A MatMul by constant weights is a Linear, never "two activations": when its input is no token
// layout, the refusal says so and shows the shape.
TEST(Quantizer, ALinearOverNoTokenLayoutIsNamedAsALinear) {
  test::OnnxBuilder b;
  b.input("x", {1, 2, 3, 8}).initializer("w", test::random_tensor({8, 4}, 7)).output("y");
  b.node("MatMul", {"x", "w"}, {"y"}, "/proj/MatMul");
  const std::string error = test::user_error_of([&] { test::quantize_model(b, scheme(Scheme::Pow2)); });
  EXPECT_NE(error.find("/proj/MatMul (MatMul): a Linear (a MatMul by constant weights)"), std::string::npos) << error;
  EXPECT_NE(error.find("[1,2,3,8]"), std::string::npos) << error;
  EXPECT_EQ(error.find("two activations"), std::string::npos) << error;
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
