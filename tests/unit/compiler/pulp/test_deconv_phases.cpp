#include "compiler/pulp/deconv_phases.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "compiler/golden/integer_executor.h"
#include "compiler/pulp/layer_mapping.h"
#include "compiler/quant/qgraph_queries.h"
#include "tests/unit/compiler/pulp/pulp_testing.h"

namespace wb::pulp {
namespace {

using quant::QGraph;
using quant::QNode;
using quant::QOpKind;

QGraph deconv_qgraph(const test::Deconv& d) {
  quant::QuantizeOptions options;
  options.scheme = quant::Scheme::Pulp;
  return test::quantize_model(test::deconv_cnn(d), options).qgraph;
}

std::vector<const QNode*> nodes_named_from(const QGraph& g, const std::string& prefix) {
  std::vector<const QNode*> found;
  for (const QNode& n : g.nodes) {
    if (n.name.rfind(prefix, 0) == 0) found.push_back(&n);
  }
  return found;
}

std::uint64_t macs_of(const QGraph& g, const std::vector<const QNode*>& nodes) {
  std::uint64_t macs = 0;
  for (const QNode* n : nodes) {
    if (n->kind == QOpKind::Conv) macs += quant::conv_macs(g, *n);
  }
  return macs;
}

// U-Net's up-conv (2x2, stride 2): four 1x1 phases, their rows concatenated, one gather that
// writes the deconv's own output tensor; the phases' MACs are the deconv's.
TEST(DeconvPhases, AUNetUpConvIsFourPointwisePhasesAndOneGather) {
  const QGraph g = deconv_qgraph({});
  const QGraph lowered = with_deconv_phases(g);
  const QNode& original = *std::find_if(g.nodes.begin(), g.nodes.end(), [](const QNode& n) { return n.name == "up"; });
  const auto parts = nodes_named_from(lowered, "up");
  std::vector<std::string> kinds;
  for (const QNode* n : parts) kinds.push_back(quant::qop_name(n->kind));
  EXPECT_THAT(kinds, testing::ElementsAre("Conv", "Reshape", "Conv", "Reshape", "Conv", "Reshape", "Conv", "Reshape",
                                          "Concat", "PixelGather"));
  for (const QNode* n : parts) {
    if (n->kind != QOpKind::Conv) continue;
    EXPECT_EQ(n->kernel, (std::vector<std::int64_t>{1, 1}));
    EXPECT_EQ(n->input_dilations, (std::vector<std::int64_t>{1, 1}));
    EXPECT_EQ(n->requant.multiplier, original.requant.multiplier);
  }
  EXPECT_EQ(parts.back()->output, original.output);
  EXPECT_EQ(parts.back()->gather_pixels.size(), 12u * 12u);
  EXPECT_EQ(macs_of(lowered, parts), quant::conv_macs(g, original));
  EXPECT_TRUE(map_layers(lowered).unsupported.empty());
}

// The lowered graph computes what the conv over the zero-inserted input computes, bit for bit
// (the golden model runs both): every geometry the exporters write.
TEST(DeconvPhases, ThePhasesComputeTheTransposedConvExactly) {
  const std::vector<test::Deconv> cases = {
      {},
      {.kernel = 4, .stride = 2, .pad = 1},
      {.kernel = 3, .stride = 2, .pad = 1, .output_padding = 1},
      {.kernel = 3, .stride = 2, .pad = 1, .output_padding = 1, .group = 2},
      {.kernel = 1, .stride = 2, .output_padding = 1},  // phases without taps: the bias
      {.kernel = 5, .stride = 3, .pad = 2, .output_padding = 2},
      {.kernel = 3, .stride = 1, .pad = 1},
  };
  for (const test::Deconv& d : cases) {
    SCOPED_TRACE(testing::Message() << "kernel " << d.kernel << " stride " << d.stride << " pad " << d.pad
                                    << " output_padding " << d.output_padding << " group " << d.group);
    const QGraph g = deconv_qgraph(d);
    const QGraph lowered = with_deconv_phases(g);
    quant::verify_qgraph(lowered);
    const Tensor x = test::random_quantized(g.tensor(g.inputs[0]), 7);
    const auto direct = golden::IntegerExecutor(g).run_quantized({x});
    const auto phased = golden::IntegerExecutor(lowered).run_quantized({x});
    ASSERT_EQ(direct.size(), 1u);
    ASSERT_EQ(direct[0].numel(), phased[0].numel());
    for (std::int64_t i = 0; i < direct[0].numel(); ++i) ASSERT_EQ(direct[0].as_int64(i), phased[0].as_int64(i)) << i;
    EXPECT_TRUE(map_layers(lowered).unsupported.empty());
  }
}

// The first refusal names the transposed conv (the concat reading it is refused after it).
TEST(DeconvPhases, ADilatedKernelIsNamedNotLowered) {
  const QGraph g = deconv_qgraph({.kernel = 3, .stride = 2, .pad = 2, .dilation = 2});
  const QGraph lowered = with_deconv_phases(g);
  const LayerMapping mapping = map_layers(lowered);
  ASSERT_FALSE(mapping.unsupported.empty());
  EXPECT_THAT(mapping.unsupported[0], testing::HasSubstr("a transposed conv with a kernel dilation 2x2"));
}

}  // namespace
}  // namespace wb::pulp
