// PULP layer mapping: QGraph nodes -> PULP-NN kernels (and ours: LUT, MUL, GATHER, SOFTMAX),
// concat inputs as channel slices, grouped convs, and every unsupported node named at once.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <stdexcept>
#include <tuple>

#include "compiler/pulp/compile.h"
#include "compiler/pulp/layer_mapping.h"
#include "compiler/pulp/memory_plan.h"
#include "compiler/quant/qgraph_queries.h"
#include "isa/op_counts.h"
#include "support/error.h"
#include "tests/unit/compiler/pulp/program_checks.h"
#include "tests/support/detection_models.h"
#include "tests/support/transformer_models.h"
#include "tests/unit/compiler/pulp/pulp_testing.h"

namespace wb::pulp {
namespace {

using testing::HasSubstr;

TEST(PulpLayerMapping, EveryKernelKindOfTheSmallCnn) {
  const auto& graph = test::small_pulp_cnn_qgraph();
  const LayerMapping m = map_layers(graph);
  ASSERT_TRUE(m.unsupported.empty()) << m.unsupported.front();
  std::vector<std::string> types;
  for (const auto& l : m.layers) types.push_back(kernel_type_name(l.kind));
  EXPECT_EQ(types, (std::vector<std::string>{"conv", "depthwise", "pointwise", "add", "maxpool", "conv", "avgpool",
                                             "linear"}));
  for (const auto& l : m.layers) {
    const auto& node = graph.nodes[static_cast<std::size_t>(l.node)];
    if (node.kind == quant::QOpKind::Conv) {
      EXPECT_EQ(l.ops, 2 * l.macs) << l.name;
    }
  }
  // The Flatten is an alias: the linear layer reads the pool's output.
  EXPECT_EQ(m.layers.back().inputs[0], m.layers[6].output);
}

TEST(PulpLayerMapping, ConcatInputsAreChannelSlicesOfItsTensor) {
  const auto& graph = test::inception_pulp_cnn_qgraph();
  const LayerMapping m = map_layers(graph);
  ASSERT_TRUE(m.unsupported.empty()) << m.unsupported.front();
  const int cat = graph.find_tensor("cat");
  ASSERT_EQ(m.slices.size(), 3u);
  std::vector<std::uint32_t> offsets, channels;
  for (const std::string branch : {"r_branch_1x1", "r_branch_3x3", "r_branch_pool"}) {
    const ConcatSlice& slice = m.slices.at(graph.find_tensor(branch));
    EXPECT_EQ(slice.concat, cat);
    offsets.push_back(slice.channel_offset);
    channels.push_back(slice.channels);
  }
  EXPECT_EQ(offsets, (std::vector<std::uint32_t>{0, 8, 24}));
  EXPECT_EQ(channels, (std::vector<std::uint32_t>{8, 16, 8}));
  // No layer for the concat: the conv after it reads the concat's tensor.
  for (const auto& l : m.layers) EXPECT_NE(l.name, "concat");
  EXPECT_TRUE(std::any_of(m.layers.begin(), m.layers.end(),
                          [&](const PLayer& l) { return l.name == "conv_out" && l.inputs.at(0) == cat; }));
}

// x -> conv a, conv c, conv d (dilated, which our conv kernel runs); concat(x, a): a network
// input; concat(c, c): c written twice. Both are reported at once.
test::OnnxBuilder unsupported_cnn() {
  test::OnnxBuilder b;
  b.input("x", {1, 4, 8, 8}).output("cat_input").output("cat_twice").output("rd");
  for (const std::string branch : {"a", "c", "d"}) {
    b.initializer("w" + branch, test::random_tensor({4, 4, 3, 3}, 40 + static_cast<unsigned>(branch[0])));
    auto& conv = b.node("Conv", {"x", "w" + branch}, {"conv_" + branch}, "conv_" + branch);
    const std::int64_t dilation = branch == "d" ? 2 : 1;
    test::set_attr(conv, "pads", std::vector<std::int64_t>{dilation, dilation, dilation, dilation});
    test::set_attr(conv, "dilations", std::vector<std::int64_t>{dilation, dilation});
    b.node("Relu", {"conv_" + branch}, {"r" + branch}, "relu_" + branch);
  }
  test::set_attr(b.node("Concat", {"x", "ra"}, {"cat_input"}, "cat_input"), "axis", std::int64_t{1});
  test::set_attr(b.node("Concat", {"rc", "rc"}, {"cat_twice"}, "cat_twice"), "axis", std::int64_t{1});
  return b;
}

quant::QGraph vit_qgraph() {
  quant::QuantizeOptions options;
  options.scheme = quant::Scheme::Pulp;
  return test::quantize_model(test::tiny_vit(), options).qgraph;
}

// A ViT block on the cluster: attention's products on the matmul kernel, the softmax over the
// keys on the softmax kernel (rows of the scores as pixels), the position embedding read by an
// add, the class token copied into its concat along W by a layer of its own.
TEST(PulpLayerMapping, AVisionTransformerMapsEveryNode) {
  const quant::QGraph graph = with_concat_copies(vit_qgraph());
  const LayerMapping m = map_layers(graph);
  ASSERT_TRUE(m.unsupported.empty()) << m.unsupported.front();
  const auto layer = [&](const std::string& name) {
    const auto it = std::find_if(m.layers.begin(), m.layers.end(), [&](const PLayer& l) { return l.name == name; });
    EXPECT_NE(it, m.layers.end()) << name;
    return it == m.layers.end() ? PLayer{} : *it;
  };
  const PLayer scores = layer("/attn/MatMul_1"), context = layer("/attn/MatMul_2");
  EXPECT_EQ(scores.kind, isa::pulp::KERNEL_MATMUL);
  EXPECT_EQ(context.kind, isa::pulp::KERNEL_MATMUL);
  // 2 heads x 5 queries x 5 keys x 4 channels, both products.
  EXPECT_EQ(scores.macs, 200u);
  EXPECT_EQ(context.macs, 200u);
  EXPECT_EQ(scores.ops, 400u);
  const PLayer softmax = layer("/attn/Softmax");
  EXPECT_EQ(softmax.kind, isa::pulp::KERNEL_SOFTMAX);
  const PixelDims rows = pixel_dims(graph.tensor(softmax.inputs.at(0)));
  EXPECT_EQ((std::vector<std::uint32_t>{rows.c, rows.h, rows.w}), (std::vector<std::uint32_t>{5, 10, 1}))
      << "10 rows (2 heads x 5 queries) of 5 keys";
  // The concat along W: the class token's copy at pixel 0, the 4 patch pixels (the patch
  // conv's 2x2 image) from pixel 1.
  const PLayer copy = layer("/Concat/copy_/Concat_tokens");
  EXPECT_EQ(copy.kind, isa::pulp::KERNEL_MAXPOOL);
  EXPECT_TRUE(graph.tensor(copy.inputs.at(0)).is_constant());
  const ConcatSlice& token = m.slices.at(copy.output);
  const ConcatSlice& patches = m.slices.at(layer("/conv_proj/Conv").output);
  EXPECT_EQ(token.concat, patches.concat);
  using Place = std::vector<std::uint32_t>;  // first pixel, first channel, channels
  EXPECT_EQ((Place{token.pixel_offset, token.channel_offset, token.channels}), (Place{0, 0, 8}));
  EXPECT_EQ((Place{patches.pixel_offset, patches.channel_offset, patches.channels}), (Place{1, 0, 8}));
  const PLayer add = layer("/encoder/Add");
  EXPECT_EQ(add.kind, isa::pulp::KERNEL_ADD);
  EXPECT_EQ(std::count_if(add.inputs.begin(), add.inputs.end(), [&](int t) { return graph.tensor(t).is_constant(); }),
            1);
}

// The table is a constant the layer reads where it lies (no constant-operand refusal), its
// 16-bit ids are not computed with (no 8-bit refusal).
TEST(PulpLayerMapping, AnEmbeddingIsALayerOfRowCopies) {
  quant::QuantizeOptions options;
  options.scheme = quant::Scheme::Pulp;
  const quant::QGraph graph = with_concat_copies(test::quantize_model(test::tiny_bert(16), options).qgraph);
  const LayerMapping m = map_layers(graph);
  ASSERT_TRUE(m.unsupported.empty()) << m.unsupported.front();
  const auto embedding = std::find_if(m.layers.begin(), m.layers.end(), [](const PLayer& l) { return l.name == "/embed/Gather"; });
  ASSERT_NE(embedding, m.layers.end());
  EXPECT_EQ(embedding->kind, isa::pulp::KERNEL_EMBEDDING);
  ASSERT_EQ(embedding->inputs.size(), 2u);
  EXPECT_TRUE(graph.tensor(embedding->inputs[0]).is_constant());
  EXPECT_TRUE(graph.tensor(embedding->inputs[1]).token_ids);
  EXPECT_EQ(embedding->macs, 0u);
}

// Detection heads on the cluster: each level's conv [1, A K, H, W] is its tokens [1, K, 1, H W A]
// in place (an HwcReshape is a view) and is written straight into its run of the concat's bytes
// (a dense slice: the conv's pixels are A K bytes apart, the concat's K); a layer reading the
// regrouped tensor itself is refused by name.
TEST(PulpLayerMapping, DetectionHeadsWriteTheirConvsIntoTheConcatsBytes) {
  quant::QuantizeOptions options;
  options.scheme = quant::Scheme::Pulp;
  const quant::QGraph graph = test::quantize_model(test::detection_heads(), options).qgraph;
  const LayerMapping m = map_layers(graph);
  ASSERT_TRUE(m.unsupported.empty()) << m.unsupported.front();
  EXPECT_EQ(m.regrouped.size(), 2u);
  for (const PLayer& layer : m.layers) EXPECT_NE(layer.name, "/boxes/Concat") << "placed, not copied";
  const auto conv = [&](const std::string& name) {
    const auto it = std::find_if(m.layers.begin(), m.layers.end(), [&](const PLayer& l) { return l.name == name; });
    EXPECT_NE(it, m.layers.end()) << name;
    return it == m.layers.end() ? -1 : it->output;
  };
  const ConcatSlice& level0 = m.slices.at(conv("/boxes/0/Conv"));
  const ConcatSlice& level1 = m.slices.at(conv("/boxes/1/Conv"));
  EXPECT_TRUE(level0.dense && level1.dense);
  EXPECT_EQ(level0.pixel_offset, 0u);
  EXPECT_EQ(level1.pixel_offset, 128u) << "after level 0's 8 x 8 pixels of 2 anchors";
  EXPECT_EQ(level0.concat, level1.concat);

  quant::QGraph reader = graph;  // a conv reading level 0's tokens
  const auto regrouped = *m.regrouped.begin();
  quant::QNode copy = graph.nodes.front();
  for (const quant::QNode& n : graph.nodes) {
    if (n.kind == quant::QOpKind::Conv && graph.tensor(n.output).shape[1] == 6) copy = n;
  }
  copy.name = "reads_tokens";
  copy.inputs = {regrouped};
  reader.tensors.push_back(graph.tensor(copy.output));
  reader.tensors.back().name = "reads_tokens_out";
  copy.output = static_cast<int>(reader.tensors.size()) - 1;
  reader.nodes.push_back(copy);
  const auto named = test::lines_containing(map_layers(reader).unsupported, "regrouped as tokens in place");
  EXPECT_EQ(named, 1u);
}

// Without its copy a concat cannot place a constant (nothing writes it); every other reader of
// a constant but an add is named.
TEST(PulpLayerMapping, AConstantAConcatReadsNeedsItsCopyLayer) {
  const LayerMapping m = map_layers(vit_qgraph());
  ASSERT_EQ(m.unsupported.size(), 1u);
  EXPECT_THAT(m.unsupported[0], HasSubstr("'/Concat' (Concat): input '/Concat_tokens' is a constant; the compiler "
                                          "copies it with a layer of its own first"));
  quant::QGraph graph = vit_qgraph();
  for (quant::QNode& node : graph.nodes) {
    if (node.name == "/attn/Softmax") node.inputs.at(0) = graph.find_tensor("/encoder/Add_per_pixel");
  }
  const auto named = test::lines_containing(map_layers(with_concat_copies(graph)).unsupported,
                                            "'/attn/Softmax' (Softmax): reads the constant '/encoder/Add_per_pixel'");
  EXPECT_EQ(named, 1u);
}

TEST(PulpLayerMapping, ListsEveryUnsupportedNodeAtOnce) {
  quant::QuantizeOptions options;
  options.scheme = quant::Scheme::Pulp;
  const auto graph = test::quantize_model(unsupported_cnn(), options).qgraph;
  const LayerMapping m = map_layers(graph);
  ASSERT_EQ(m.unsupported.size(), 2u);
  EXPECT_THAT(m.unsupported[0], HasSubstr("'cat_input' (Concat): input 'x' is not the output of a conv"));
  EXPECT_THAT(m.unsupported[1], HasSubstr("'cat_twice' (Concat): input 'rc' is already written into another concat "
                                          "(or twice into this one)"));
  EXPECT_TRUE(std::any_of(m.layers.begin(), m.layers.end(), [](const PLayer& l) { return l.name == "conv_d"; }));
  EXPECT_TRUE(m.slices.empty());
  EXPECT_THROW(
      {
        try {
          compile_pulp(graph, test::pulp_config(), {});
        } catch (const UserError& e) {
          // The compiler copies a concat's network input first (with_concat_copies): only the
          // concat that writes one tensor twice is left.
          EXPECT_THAT(e.what(), HasSubstr("1 node(s) the PULP cluster cannot run"));
          EXPECT_THAT(e.what(), HasSubstr("'cat_twice'"));
          throw;
        }
      },
      UserError);
}

TEST(PulpLayerMapping, GrowingConcatsArePrefixesOfTheBlocksLastOne) {
  const auto& graph = test::dense_pulp_cnn_qgraph();
  const LayerMapping m = map_layers(graph);
  ASSERT_TRUE(m.unsupported.empty()) << m.unsupported.front();
  const int last = graph.find_tensor("cat_3");
  // The stem's and both dense layers' outputs are written into the last concat, side by side;
  // the shorter concats are its channel prefixes.
  std::uint32_t offset = 0;
  for (const char* member : {"stem", "y_1", "y_2"}) {
    const int t = graph.find_tensor(member);
    ASSERT_TRUE(m.slices.count(t)) << member;
    EXPECT_EQ(m.slices.at(t).concat, last) << member;
    EXPECT_EQ(m.slices.at(t).channel_offset, offset) << member;
    offset += m.slices.at(t).channels;
  }
  for (const auto& [prefix, channels] : std::map<std::string, std::uint32_t>{{"cat_2", 12}}) {
    const int t = graph.find_tensor(prefix);
    ASSERT_TRUE(m.slices.count(t)) << prefix;
    EXPECT_EQ(m.slices.at(t).concat, last);
    EXPECT_EQ(m.slices.at(t).channel_offset, 0u);
    EXPECT_EQ(m.slices.at(t).channels, channels);
  }
}

TEST(PulpLayerMapping, GroupedConvsRunTheGroupedKernel) {
  const auto& graph = test::grouped_pulp_cnn_qgraph();
  const LayerMapping m = map_layers(graph);
  ASSERT_TRUE(m.unsupported.empty()) << m.unsupported.front();
  std::vector<std::string> types;
  for (const auto& l : m.layers) types.push_back(kernel_type_name(l.kind));
  EXPECT_EQ(types, (std::vector<std::string>{"conv", "grouped_conv", "grouped_conv", "grouped_conv", "grouped_conv",
                                             "avgpool", "linear"}));
  for (const auto& l : m.layers) {
    if (l.kind != isa::pulp::KERNEL_GROUPED_CONV) continue;
    const auto& node = graph.nodes[static_cast<std::size_t>(l.node)];
    EXPECT_EQ(l.macs, quant::conv_macs(graph, node)) << l.name;
    const LayerShape s = layer_shape(graph, l);
    EXPECT_EQ(s.groups, static_cast<std::uint32_t>(node.group)) << l.name;
    EXPECT_EQ(std::make_pair(s.group_c_in(), s.group_c_out()), grouped_layers().at(l.name)) << l.name;
  }
}

TEST(PulpLayerMapping, DilatedConvsRunTheConvKernelsWithTheirDilation) {
  const auto& graph = test::dilated_pulp_cnn_qgraph();
  const LayerMapping m = map_layers(graph);
  ASSERT_TRUE(m.unsupported.empty()) << m.unsupported.front();
  const std::map<std::string, std::tuple<std::string, std::uint32_t, std::uint32_t>> expected{
      {"dilated_conv", {"conv", 2, 2}},         {"dilated_dw", {"depthwise", 3, 3}},
      {"dilated_grouped", {"grouped_conv", 2, 2}}, {"dilated_rows", {"conv", 2, 1}},
      {"atrous_12", {"pointwise", 1, 1}},       {"gap", {"avgpool", 1, 1}}};
  // (trim-dilated-taps left atrous_12 its centre tap: a pointwise conv.)
  std::size_t found = 0;
  for (const auto& l : m.layers) {
    const auto it = expected.find(l.name);
    if (it == expected.end()) continue;
    ++found;
    const LayerShape s = layer_shape(graph, l);
    EXPECT_EQ(std::make_tuple(std::string(kernel_type_name(l.kind)), s.dilation_h, s.dilation_w), it->second)
        << l.name;
    EXPECT_EQ(s.span_h(), (s.k_h - 1) * s.dilation_h + 1) << l.name;
  }
  EXPECT_EQ(found, expected.size());
}

TEST(PulpLayerMapping, ResizesRunTheResizeKernelAndTapsOutOfOrderAreNamed) {
  quant::QGraph graph = test::resize_pulp_cnn_qgraph();
  const LayerMapping m = map_layers(graph);
  ASSERT_TRUE(m.unsupported.empty()) << m.unsupported.front();
  std::size_t resizes = 0;
  for (const auto& l : m.layers) {
    if (l.kind != isa::pulp::KERNEL_RESIZE) continue;
    ++resizes;
    EXPECT_EQ(l.ops, isa::kResizeOpsPerElement * quant::element_count(graph.tensor(l.output))) << l.name;
  }
  EXPECT_EQ(resizes, 3u);
  // Row 1's taps before row 0's: a tile's input span would miss rows.
  const auto up_it =
      std::find_if(graph.nodes.begin(), graph.nodes.end(), [](const quant::QNode& n) { return n.name == "up_bilinear"; });
  ASSERT_NE(up_it, graph.nodes.end());
  quant::QNode& up = *up_it;
  std::swap_ranges(up.resize_rows.begin(), up.resize_rows.begin() + 3, up.resize_rows.end() - 3);
  const LayerMapping bad = map_layers(graph);
  ASSERT_EQ(bad.unsupported.size(), 1u);
  EXPECT_THAT(bad.unsupported[0], HasSubstr("'up_bilinear' (Resize): its taps are not non-decreasing"));
}

TEST(PulpLayerMapping, ADilatedPoolNamesWhatTheKernelCannotDo) {
  test::OnnxBuilder b;
  b.input("x", {1, 8, 8, 8}).output("p");
  auto& pool = b.node("MaxPool", {"x"}, {"p"}, "dilated_pool");
  test::set_attr(pool, "kernel_shape", std::vector<std::int64_t>{2, 2});
  test::set_attr(pool, "dilations", std::vector<std::int64_t>{2, 2});
  quant::QuantizeOptions options;
  options.scheme = quant::Scheme::Pulp;
  const auto graph = test::quantize_model(b, options).qgraph;
  const LayerMapping m = map_layers(graph);
  ASSERT_EQ(m.unsupported.size(), 1u);
  EXPECT_THAT(m.unsupported[0], HasSubstr("'dilated_pool' (MaxPool): dilation 2x2; only the conv kernels dilate"));
}

TEST(PulpLayerMapping, LookupTablesAndProductsRunOurKernelsWithTheFullOperandFirst) {
  const auto& graph = test::se_pulp_cnn_qgraph();
  const LayerMapping m = map_layers(graph);
  ASSERT_TRUE(m.unsupported.empty()) << m.unsupported.front();
  std::map<std::string, const PLayer*> by_name;
  for (const auto& l : m.layers) by_name[l.name] = &l;
  for (const char* lut : {"hardswish_dw", "gate", "tanh", "fc_act"}) {
    ASSERT_TRUE(by_name.count(lut)) << lut;
    EXPECT_EQ(by_name.at(lut)->kind, isa::pulp::KERNEL_LUT) << lut;
    EXPECT_EQ(by_name.at(lut)->ops, quant::element_count(graph.tensor(by_name.at(lut)->output))) << lut;
  }
  const PLayer& scale = *by_name.at("se_scale");
  EXPECT_EQ(scale.kind, isa::pulp::KERNEL_MUL);
  // Written Mul(gate, x): the gate broadcasts, so it goes second.
  EXPECT_EQ(graph.tensor(scale.inputs[0]).shape, (Shape{1, 16, 16, 16}));
  EXPECT_EQ(graph.tensor(scale.inputs[1]).shape, (Shape{1, 16, 1, 1}));
  const LayerShape s = layer_shape(graph, scale);
  EXPECT_EQ(std::vector<std::uint32_t>({s.b_h, s.b_w, s.b_c}), (std::vector<std::uint32_t>{1, 1, 16}));
  const LayerShape same = layer_shape(graph, *by_name.at("product"));
  EXPECT_EQ(std::vector<std::uint32_t>({same.b_h, same.b_w, same.b_c}), (std::vector<std::uint32_t>{16, 16, 16}));
}

TEST(PulpLayerMapping, AProductOfTwoBroadcastOperandsIsRefusedByName) {
  test::OnnxBuilder b;
  b.input("a", {1, 4, 1, 1}).input("b", {1, 1, 8, 8}).output("y");
  b.node("Mul", {"a", "b"}, {"y"}, "outer");
  quant::QuantizeOptions options;
  options.scheme = quant::Scheme::Pulp;
  const LayerMapping m = map_layers(test::quantize_model(b, options).qgraph);
  ASSERT_EQ(m.unsupported.size(), 1u);
  EXPECT_THAT(m.unsupported[0], HasSubstr("node 'outer' (Mul): neither operand has the output's shape"));
}

TEST(PulpLayerMapping, AClassifiersSoftmaxRunsTheSoftmaxKernelOnAOnePixelImage) {
  const auto& graph = test::softmax_pulp_cnn_qgraph();
  const LayerMapping m = map_layers(graph);
  ASSERT_TRUE(m.unsupported.empty()) << m.unsupported.front();
  std::vector<std::string> types;
  for (const auto& l : m.layers) types.push_back(kernel_type_name(l.kind));
  EXPECT_EQ(types, (std::vector<std::string>{"conv", "avgpool", "linear", "softmax"}));
  const PLayer& softmax = m.layers.back();
  EXPECT_EQ(softmax.name, "softmax");
  EXPECT_EQ(softmax.kind, isa::pulp::KERNEL_SOFTMAX);
  EXPECT_EQ(softmax.inputs.at(0), m.layers[2].output);  // the fc's logits
  EXPECT_EQ(softmax.macs, 0u);
  EXPECT_EQ(softmax.ops, 4u * 10u);  // max, exp lookup, sum, division per element
  // [1, 10] is a 1x1 image of 10 channels, reading its 1 KiB exp table.
  const LayerShape s = layer_shape(graph, softmax);
  EXPECT_EQ(std::vector<std::uint32_t>({s.h_in, s.w_in, s.c_in, s.h_out, s.w_out, s.c_out}),
            (std::vector<std::uint32_t>{1, 1, 10, 1, 1, 10}));
  EXPECT_EQ(std::vector<std::uint32_t>({s.k_h, s.k_w, s.stride_h, s.stride_w}), (std::vector<std::uint32_t>{1, 1, 1, 1}));
  EXPECT_EQ(table_bytes(s), 1024u);
}

TEST(PulpLayerMapping, LayerNormsRunTheLayerNormKernelOverEachPixelsChannels) {
  const auto& graph = test::layernorm_pulp_cnn_qgraph();
  const LayerMapping m = map_layers(graph);
  ASSERT_TRUE(m.unsupported.empty()) << m.unsupported.front();
  std::vector<std::string> types;
  for (const auto& l : m.layers) types.push_back(kernel_type_name(l.kind));
  EXPECT_EQ(types, (std::vector<std::string>{"conv", "layernorm", "pointwise", "avgpool", "layernorm", "linear"}));
  const PLayer& ln = m.layers[1];
  EXPECT_EQ(ln.kind, isa::pulp::KERNEL_LAYERNORM);
  EXPECT_EQ(ln.macs, 0u);
  EXPECT_EQ(ln.ops, 5u * 16u * 6u * 6u);  // isa::kLayerNormOpsPerElement
  const LayerShape s = layer_shape(graph, ln);
  EXPECT_EQ(std::vector<std::uint32_t>({s.h_in, s.w_in, s.c_in, s.h_out, s.w_out, s.c_out}),
            (std::vector<std::uint32_t>{6, 6, 16, 6, 6, 16}));
  EXPECT_EQ(table_bytes(s), 12u * 16u);  // int32 gamma + int64 beta per channel
  // The [1, 8] row is a 1x1 image of 8 channels.
  const LayerShape row = layer_shape(graph, m.layers[4]);
  EXPECT_EQ(std::vector<std::uint32_t>({row.h_out, row.w_out, row.c_out}), (std::vector<std::uint32_t>{1, 1, 8}));
  EXPECT_EQ(table_bytes(row), 96u);
}

TEST(PulpLayerMapping, ALayerNormTheKernelCannotRunIsRefusedByName) {
  const auto layernorm_of = [](quant::QGraph& g) -> quant::QNode& {
    for (auto& node : g.nodes) {
      if (node.kind == quant::QOpKind::LayerNorm) return node;
    }
    throw std::logic_error("no LayerNorm");
  };
  quant::QGraph sixteen = test::layernorm_pulp_cnn_qgraph();
  sixteen.tensors[static_cast<std::size_t>(layernorm_of(sixteen).output)].bits = 16;
  LayerMapping m = map_layers(sixteen);
  ASSERT_FALSE(m.unsupported.empty());
  EXPECT_THAT(m.unsupported[0], HasSubstr("node 'ln' (LayerNorm): output"));
  EXPECT_THAT(m.unsupported[0], HasSubstr("is 16-bit; PULP-NN's kernels here are 8-bit"));

  quant::QGraph low_shift = test::layernorm_pulp_cnn_qgraph();
  layernorm_of(low_shift).layernorm.shift = 32;
  m = map_layers(low_shift);
  ASSERT_EQ(m.unsupported.size(), 1u);
  EXPECT_THAT(m.unsupported[0], HasSubstr("node 'ln' (LayerNorm): shift 32 outside 33..61"));

  quant::QGraph bounds = test::layernorm_pulp_cnn_qgraph();
  layernorm_of(bounds).layernorm.output_hi = 100;
  m = map_layers(bounds);
  ASSERT_EQ(m.unsupported.size(), 1u);
  EXPECT_THAT(m.unsupported[0], HasSubstr("are not the 8-bit tensors' ranges"));

  quant::QGraph short_beta = test::layernorm_pulp_cnn_qgraph();
  layernorm_of(short_beta).layernorm.beta_offset.pop_back();
  m = map_layers(short_beta);
  ASSERT_EQ(m.unsupported.size(), 1u);
  EXPECT_THAT(m.unsupported[0], HasSubstr("15 betas, the tensor has 16 channels"));
}

TEST(PulpLayerMapping, ASoftmaxTheKernelCannotRunIsRefusedByName) {
  quant::QGraph signed_output = test::softmax_pulp_cnn_qgraph();
  signed_output.tensors[static_cast<std::size_t>(signed_output.outputs.at(0))].is_signed = true;
  LayerMapping m = map_layers(signed_output);
  ASSERT_EQ(m.unsupported.size(), 1u);
  EXPECT_THAT(m.unsupported[0],
              HasSubstr("node 'softmax' (Softmax): a signed output; the softmax kernel writes uint8 probabilities"));

  quant::QGraph short_table = test::softmax_pulp_cnn_qgraph();
  for (auto& node : short_table.nodes) {
    if (node.kind == quant::QOpKind::Softmax) node.softmax_exp_table.pop_back();
  }
  m = map_layers(short_table);
  ASSERT_EQ(m.unsupported.size(), 1u);
  EXPECT_THAT(m.unsupported[0], HasSubstr("node 'softmax' (Softmax): 255 exp table entries, not 256"));
}

}  // namespace
}  // namespace wb::pulp
