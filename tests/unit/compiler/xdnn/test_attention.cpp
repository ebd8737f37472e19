// A ViT on xDNN (docs/xdnn.md, "Attention"): attention's products and its softmax over the keys
// on the host model, the class token's concat along W, the head's stride-T pool and the patch
// image's view as tokens as DDR-engine pixel copies, the position embedding's Add on the eltwise
// unit with its constant brought up from DDR; bit-exact against the golden model.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/xdnn/buffer_plan.h"
#include "compiler/xdnn/compile.h"
#include "compiler/xdnn/layer_mapping.h"
#include "tests/support/transformer_models.h"
#include "tests/unit/compiler/xdnn/xdnn_compile_testing.h"
#include "tests/unit/compiler/xdnn/xdnn_testing.h"

namespace wb::xdnn {
namespace {

using quant::QOpKind;
using testing::HasSubstr;

quant::QGraph tiny_vit_xdnn() {
  quant::QuantizeOptions options;
  options.scheme = quant::Scheme::Xdnn;
  return test::quantize_model(test::tiny_vit(), options).qgraph;
}

const XLayer& mapped(const LayerMapping& m, const std::string& name) {
  for (const XLayer& layer : m.layers) {
    if (layer.name == name) return layer;
  }
  throw std::invalid_argument("no layer " + name);
}

int node_index(const quant::QGraph& g, const std::string& name) {
  for (std::size_t n = 0; n < g.nodes.size(); ++n) {
    if (g.nodes[n].name == name) return static_cast<int>(n);
  }
  throw std::invalid_argument("no node " + name);
}

TEST(XdnnAttention, EachOpOfAViTGoesToTheUnitThatCanRunIt) {
  const quant::QGraph g = tiny_vit_xdnn();
  const LayerMapping m = map_layers(g, test::xdnn_config("v3_96").xdnn(), {});
  EXPECT_TRUE(m.unsupported.empty()) << m.unsupported.front();
  // T = 5 tokens, C = 8, 2 heads of 4: each product has h T T' d = 2 * 5 * 5 * 4 = 200 MACs,
  // 2 ops each; the softmax 4 ops on each of its h T T' = 50 probabilities.
  for (const std::string name : {"/attn/MatMul_1", "/attn/MatMul_2"}) {
    const XLayer& product = mapped(m, name);
    EXPECT_EQ(product.kind, XLayerKind::HostElementwise) << name;
    EXPECT_EQ(layer_unit(product), std::string("host")) << name;
    EXPECT_EQ(product.type, "matmul");
    EXPECT_EQ(product.macs, 200u) << name;
    EXPECT_EQ(product.ops, 400u) << name;
    EXPECT_THAT(product.host_reason, HasSubstr("products of two activations"));
  }
  const XLayer& softmax = mapped(m, "/attn/Softmax");
  EXPECT_EQ(layer_unit(softmax), std::string("host"));
  EXPECT_EQ(softmax.ops, 200u);
  const XLayer& concat = mapped(m, "/Concat");
  EXPECT_EQ(concat.kind, XLayerKind::PixelCopy);
  EXPECT_EQ(concat.type, "concat_w");
  EXPECT_EQ(layer_unit(concat), std::string("ddr"));
  EXPECT_EQ(concat.ops, 0u);
  const XLayer& position = mapped(m, "/encoder/Add");
  EXPECT_EQ(position.kind, XLayerKind::Eltwise);
  EXPECT_EQ(layer_unit(position), std::string("eltwise"));
  // The head's Gather of token 0: a 1x1 max pool of stride (1, 5), which the pool unit lacks.
  int pixel_copies = 0;
  for (const XLayer& layer : m.layers) {
    if (layer.kind != XLayerKind::PixelCopy || layer.type != "pixel_copy") continue;
    const quant::QNode& node = g.nodes[static_cast<std::size_t>(layer.copy_node)];
    if (node.kind == QOpKind::MaxPool) {
      ++pixel_copies;
      EXPECT_EQ(node.strides[1], 5);
      EXPECT_EQ(layer_unit(layer), std::string("ddr"));
    }
  }
  EXPECT_EQ(pixel_copies, 1);
}

// The patch embedding's image 8 x 2 x 2 viewed as the tokens 8 x 1 x 4: on v3 (rows not
// padded) the same bytes, a view; on v2, whose rows start on multiples of 8 words, a copy.
TEST(XdnnAttention, ThePatchImageIsItsTokensWhereRowsAreNotPadded) {
  const quant::QGraph g = tiny_vit_xdnn();
  int reshape = -1;
  for (std::size_t n = 0; n < g.nodes.size(); ++n) {
    if (g.nodes[n].kind == QOpKind::Reshape && g.tensor(g.nodes[n].inputs[0]).shape == Shape{1, 8, 2, 2}) {
      reshape = static_cast<int>(n);
    }
  }
  ASSERT_GE(reshape, 0);
  const quant::QNode& node = g.nodes[static_cast<std::size_t>(reshape)];
  ASSERT_EQ(g.tensor(node.output).shape, (Shape{1, 8, 1, 4}));
  const LayerMapping v3 = map_layers(g, test::xdnn_config("v3_96").xdnn(), {});
  EXPECT_EQ(resolve_alias(v3, node.output), node.inputs[0]);
  EXPECT_THROW(mapped(v3, node.name), std::invalid_argument);
  const LayerMapping v2 = map_layers(g, test::xdnn_config("v2_28").xdnn(), {});
  EXPECT_EQ(resolve_alias(v2, node.output), node.output);
  EXPECT_EQ(mapped(v2, node.name).kind, XLayerKind::PixelCopy);
}

TEST(XdnnAttention, ScoresAreAnImageOfHeadsTimesQueriesChannelsAndKeysPixels) {
  const quant::QGraph g = tiny_vit_xdnn();
  const LayerMapping m = map_layers(g, test::xdnn_config("v3_96").xdnn(), {});
  const BufferPlan plan = plan_buffers(g, m, test::xdnn_config("v3_96").xdnn(), {});
  const quant::QTensor& scores = g.tensor(g.nodes[static_cast<std::size_t>(node_index(g, "/attn/MatMul_1"))].output);
  ASSERT_EQ(scores.shape, (Shape{2, 5, 5}));
  const Buffer& buffer = plan.buffers[static_cast<std::size_t>(buffer_of(plan, m, g.find_tensor(scores.name)))];
  EXPECT_EQ(buffer.channels, 10u);
  EXPECT_EQ(buffer.height, 1u);
  EXPECT_EQ(buffer.width, 5u);
  // Only host layers touch the scores and the probabilities: they never take AM.
  for (const std::string name : {"/attn/MatMul_1", "/attn/Softmax"}) {
    const int t = g.nodes[static_cast<std::size_t>(node_index(g, name))].output;
    const Buffer& host_only = plan.buffers[static_cast<std::size_t>(buffer_of(plan, m, t))];
    EXPECT_TRUE(host_only.ddr_resident) << name;
    EXPECT_EQ(host_only.bytes, 0u) << name;
  }
  // The context, read by the out-projection on the array, comes back to AM.
  const int context = g.nodes[static_cast<std::size_t>(node_index(g, "/attn/MatMul_2"))].output;
  EXPECT_FALSE(plan.buffers[static_cast<std::size_t>(buffer_of(plan, m, context))].ddr_resident);
  // The class token and the position embedding: constants, their homes holding them from the
  // start. The class token, only copied from its home, takes no AM; the position embedding,
  // an operand of the eltwise unit, comes up.
  int constants = 0;
  for (const Buffer& b : plan.buffers) {
    if (!b.constant) continue;
    ++constants;
    EXPECT_TRUE(b.network_input) << b.name;
    EXPECT_TRUE(g.tensor(b.tensor).is_constant()) << b.name;
    const XLayerKind reader = m.layers[static_cast<std::size_t>(b.readers.at(0))].kind;
    EXPECT_EQ(b.ddr_resident, reader == XLayerKind::PixelCopy) << b.name;
  }
  EXPECT_EQ(constants, 2);
}

// A ViT's image is read by its patch embedding alone, a conv of stride 16 the host runs: the
// image stays in its DDR home, where the host reads it (DeiT-tiny's 3 x 224 x 224 would take
// 4.8 MB of v3's 96-lane words).
TEST(XdnnAttention, ANetworkInputOnlyTheHostReadsTakesNoAm) {
  quant::QGraph g = test::small_cnn_xdnn();
  const auto input_buffer = [&](const quant::QGraph& graph) {
    const LayerMapping m = map_layers(graph, test::xdnn_config("v3_96").xdnn(), {});
    const BufferPlan plan = plan_buffers(graph, m, test::xdnn_config("v3_96").xdnn(), {});
    return plan.buffers[static_cast<std::size_t>(buffer_of(plan, m, graph.inputs[0]))];
  };
  ASSERT_EQ(g.nodes[0].inputs[0], g.inputs[0]);
  EXPECT_FALSE(input_buffer(g).ddr_resident);  // the array's conv reads it from AM (or streams it)
  g.nodes[0].strides = {16, 16};                // the array steps by 1, 2, 4 or 8: the host runs it
  const Buffer on_host = input_buffer(g);
  EXPECT_TRUE(on_host.ddr_resident);
  EXPECT_EQ(on_host.bytes, 0u);
}

TEST(XdnnAttention, TheProgramCarriesTheHostMatMulsAndTheSoftmaxOverRows) {
  const quant::QGraph g = tiny_vit_xdnn();
  const CompileResult compiled = compile_xdnn(g, test::xdnn_config("v3_96"), {});
  int scores = 0, context = 0, rows = 0, channel_softmax = 0;
  for (const auto& instr : compiled.program.instrs()) {
    if (!instr.has_host_elementwise()) continue;
    const auto& h = instr.host_elementwise();
    if (h.kind() == isa::xdnn::HOST_MATMUL) {
      EXPECT_EQ(h.matmul_heads(), 2u);
      (h.matmul_form() == isa::xdnn::MATMUL_SCORES ? scores : context)++;
      for (const auto* r : {&h.a(), &h.b(), &h.output()}) EXPECT_EQ(r->memory(), isa::xdnn::MEMORY_DDR);
    }
    if (h.kind() == isa::xdnn::HOST_SOFTMAX_ROWS) {
      ++rows;
      EXPECT_EQ(h.a().layout().channels(), 10u);
      EXPECT_EQ(h.a().layout().width(), 5u);
    }
    if (h.kind() == isa::xdnn::HOST_SOFTMAX) ++channel_softmax;
  }
  EXPECT_EQ(scores, 1);
  EXPECT_EQ(context, 1);
  EXPECT_EQ(rows, 1);
  EXPECT_EQ(channel_softmax, 0);
}

// The class token's concat along W as the DDR engine does it (v3_96: 96-lane AM words, 8
// channels, 1 + 4 tokens): the constant's 8 bytes from its DDR home to pixel 0 of the output,
// then the 4 patch tokens (down to scratch first: they were in AM) to pixels 1..4, one AM word
// apart.
TEST(XdnnAttention, TheClassTokenLandsAtPixelZeroAndThePatchesAfterIt) {
  const quant::QGraph g = tiny_vit_xdnn();
  const CompileResult compiled = compile_xdnn(g, test::xdnn_config("v3_96"), {});
  const isa::xdnn::Layer* record = nullptr;
  for (const auto& layer : compiled.program.layers()) {
    if (layer.name() == "/Concat") record = &layer;
  }
  ASSERT_NE(record, nullptr);
  EXPECT_EQ(record->unit(), "ddr");
  ASSERT_EQ(record->output_region().memory(), isa::xdnn::MEMORY_AM);
  const std::uint64_t out = record->output_region().address();
  std::vector<const isa::xdnn::Copy*> ups;
  int downs = 0;
  for (const auto& instr : compiled.program.instrs()) {
    if (instr.layer() != "/Concat") continue;
    if (instr.has_upload()) ups.push_back(&instr.upload());
    if (instr.has_download()) ++downs;
  }
  ASSERT_EQ(ups.size(), 2u);
  EXPECT_EQ(downs, 1);
  // The class token: one pixel of 8 channels, from DDR, not an intermediate activation.
  EXPECT_EQ(ups[0]->source_memory(), isa::xdnn::MEMORY_DDR);
  EXPECT_EQ(ups[0]->destination(), out);
  EXPECT_EQ(ups[0]->chunk_bytes(), 8u);
  EXPECT_EQ(ups[0]->count(), 1u);
  EXPECT_FALSE(ups[0]->intermediate());
  // The patches: 4 pixels of 8 channels, each landing one 96-byte word after the last.
  EXPECT_EQ(ups[1]->destination(), out + 96);
  EXPECT_EQ(ups[1]->chunk_bytes(), 8u);
  EXPECT_EQ(ups[1]->count(), 4u);
  EXPECT_EQ(ups[1]->destination_stride(), 96u);
  EXPECT_TRUE(ups[1]->intermediate());
  // The class token's bytes are the constant's integers, at its home inside the weights blob.
  const quant::QTensor& token = g.tensor(g.nodes[static_cast<std::size_t>(node_index(g, "/Concat"))].inputs[0]);
  ASSERT_TRUE(token.is_constant());
  const std::vector<std::int64_t> values = token.data.to_int64_vector();
  ASSERT_EQ(values.size(), 8u);
  ASSERT_LE(ups[0]->source() + 8, compiled.program.weights().size());
  for (std::size_t c = 0; c < 8; ++c) {
    EXPECT_EQ(static_cast<std::int8_t>(compiled.program.weights()[ups[0]->source() + c]), values[c]) << c;
  }
}

TEST(XdnnAttention, TinyVitIsBitExactOnV3AndV2) {
  const quant::QGraph g = tiny_vit_xdnn();
  const sim::xdnn::SimResult v3 = expect_bit_exact(g, test::xdnn_config("v3_96"));
  EXPECT_GT(v3.host_cycles, 0u);
  expect_bit_exact(g, test::xdnn_config("v2_28"));
}

TEST(XdnnAttention, TinyVitIsBitExactWithEveryOptimisationOff) {
  CompileOptions off;
  off.schedule_search = off.replication = off.pool_pipelining = off.weight_pingpong = off.concat_placement =
      off.input_streaming = off.weight_staging = off.sibling_merge = false;
  expect_bit_exact(tiny_vit_xdnn(), test::xdnn_config("v2_28"), off);
}

// nn.Embedding from token ids: the host picks the rows (no instruction of the overlay addresses
// DDR by data), reading the ids and the table from their DDR homes; bit-exact.
TEST(XdnnAttention, AnEmbeddingOfTokenIdsRunsOnTheHostBitExact) {
  quant::QuantizeOptions options;
  options.scheme = quant::Scheme::Xdnn;
  const quant::QGraph g = test::quantize_model(test::tiny_bert(16), options).qgraph;
  const LayerMapping mapping = map_layers(g, test::xdnn_config("v3_96").xdnn(), {});
  ASSERT_TRUE(mapping.unsupported.empty());
  const XLayer& embedding = mapped(mapping, "/embed/Gather");
  EXPECT_TRUE(embedding.on_host);
  EXPECT_EQ(embedding.type, "embedding");
  Tensor ids(DType::U16, {1, 5});
  const std::vector<std::uint16_t> picked{0, 15, 3, 3, 7};
  std::copy(picked.begin(), picked.end(), ids.data<std::uint16_t>());
  const sim::xdnn::SimResult r = expect_bit_exact(g, test::xdnn_config("v3_96"), {}, &ids);
  EXPECT_GT(r.host_cycles, 0u);
}

TEST(XdnnAttention, WhatStillCannotRunIsNamed) {
  const quant::QGraph vit = tiny_vit_xdnn();
  const auto problems = [](const quant::QGraph& g) {
    return map_layers(g, test::xdnn_config("v3_96").xdnn(), {}).unsupported;
  };
  quant::QGraph g = vit;
  g.nodes[static_cast<std::size_t>(node_index(g, "/encoder/Add"))].kind = QOpKind::Lut;
  EXPECT_EQ(test::lines_containing(problems(g), "'/encoder/Add' (Lut): reads the constant '/encoder/Add_per_pixel'; on "
                                                "xDNN only an Add, a Mul, a concat along W or an embedding reads a "
                                                "constant"),
            1u);
  g = vit;  // a Mul by a constant image (rotary embeddings' tables) reads it as an Add does
  g.nodes[static_cast<std::size_t>(node_index(g, "/encoder/Add"))].kind = QOpKind::Mul;
  EXPECT_EQ(test::lines_containing(problems(g), "reads the constant '/encoder/Add_per_pixel'"), 0u);
  g = vit;
  g.nodes[static_cast<std::size_t>(node_index(g, "/attn/MatMul_1"))].matmul_heads = 0;
  EXPECT_EQ(test::lines_containing(problems(g), "'/attn/MatMul_1' (MatMul): a matmul needs at least one head"), 1u);
  g = vit;
  g.nodes[static_cast<std::size_t>(node_index(g, "/attn/MatMul_2"))].matmul_heads = 3;  // 8 channels
  EXPECT_EQ(test::lines_containing(problems(g), "'/attn/MatMul_2' (MatMul): attention's context of 3 heads does not "
                                                "fit its shapes ([2,5,5] by [1,8,1,5] to [1,8,1,5])"),
            1u);
  g = vit;
  g.nodes[static_cast<std::size_t>(node_index(g, "/Concat"))].concat_axis = 2;
  EXPECT_EQ(test::lines_containing(problems(g), "'/Concat' (Concat): reads the constant"), 1u);
}

}  // namespace
}  // namespace wb::xdnn
