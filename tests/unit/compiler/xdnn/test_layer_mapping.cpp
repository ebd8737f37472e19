// Layer mapping and the op counts of DESIGN.md §4.4, layer by layer; Lut, Mul and Softmax as
// host layers and channel gathers (ShuffleNet's shuffle and split) on the DDR engine, compiled
// and simulated bit-exactly against the golden model.
#include <fmt/format.h>
#include <gmock/gmock.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <gtest/gtest.h>
#include <map>
#include <unistd.h>

#include "compiler/golden/integer_executor.h"
#include "compiler/xdnn/buffer_plan.h"
#include "compiler/xdnn/compile.h"
#include "compiler/xdnn/layer_mapping.h"
#include "support/error.h"
#include "isa/xdnn_program.h"
#include "sim/xdnn/xdnn_sim.h"
#include "tests/support/transformer_models.h"
#include "tests/unit/compiler/xdnn/shuffle_testing.h"
#include "tests/unit/compiler/xdnn/xdnn_compile_testing.h"
#include "tests/unit/compiler/xdnn/xdnn_testing.h"

namespace wb::xdnn {
namespace {

using quant::QOpKind;
using test::node_named;
using testing::HasSubstr;

std::uint64_t elements(const quant::QTensor& t) {
  std::uint64_t n = 1;
  for (const auto d : t.shape) n *= static_cast<std::uint64_t>(d);
  return n;
}

// Ops of one QGraph node by DESIGN.md §4.4, computed from the shapes here (not by the
// compiler's code): 2 x MACs for a conv, k_h x k_w per output element for a pool, 1 per
// output element for an eltwise add.
std::uint64_t expected_ops(const quant::QGraph& g, const quant::QNode& n) {
  const auto& out = g.tensor(n.output);
  switch (n.kind) {
    case QOpKind::Conv: {
      const auto& in = g.tensor(n.inputs[0]);
      const std::uint64_t cin_g = static_cast<std::uint64_t>(in.shape[1] / n.group);
      return 2 * elements(out) * cin_g * static_cast<std::uint64_t>(n.kernel[0] * n.kernel[1]);
    }
    case QOpKind::MaxPool:
    case QOpKind::AvgPool: return elements(out) * static_cast<std::uint64_t>(n.kernel[0] * n.kernel[1]);
    case QOpKind::Add: return elements(out);
    default: return 0;
  }
}

// Every compiler switch off: no schedule search, replication, pipelining, weight ping-pong,
// concat placement (concats copied) or input streaming.
CompileOptions every_switch_off() {
  CompileOptions off;
  off.schedule_search = false;
  off.replication = false;
  off.pool_pipelining = false;
  off.weight_pingpong = false;
  off.concat_placement = false;
  off.input_streaming = false;
  off.weight_staging = false;
  off.sibling_merge = false;
  return off;
}

TEST(XdnnLayerMapping, OpsFollowTheDesignLayerByLayer) {
  const quant::QGraph& g = test::small_cnn_xdnn();
  const LayerMapping mapping = map_layers(g, test::xdnn_config("v3_96").xdnn(), {});
  ASSERT_TRUE(mapping.unsupported.empty());
  std::vector<std::string> types;
  for (const XLayer& layer : mapping.layers) types.push_back(layer.type);
  EXPECT_THAT(types, testing::ElementsAre("conv+maxpool", "conv", "conv", "conv", "eltwise", "avgpool", "fc"));
  std::uint64_t total = 0;
  for (const auto& node : g.nodes) total += expected_ops(g, node);
  std::uint64_t mapped = 0;
  for (const XLayer& layer : mapping.layers) {
    std::uint64_t expected = 0;
    for (const int n : {layer.conv_node, layer.pool_node, layer.eltwise_node}) {
      if (n >= 0) expected += expected_ops(g, g.nodes[static_cast<std::size_t>(n)]);
    }
    EXPECT_EQ(layer.ops, expected) << layer.name;
    EXPECT_GT(layer.ops, 0u) << layer.name;
    if (layer.kind == XLayerKind::Conv) {
      const std::uint64_t pool_ops =
          layer.pool_node >= 0 ? expected_ops(g, g.nodes[static_cast<std::size_t>(layer.pool_node)]) : 0;
      EXPECT_EQ(layer.ops, 2 * layer.macs + pool_ops);
    }
    mapped += layer.ops;
  }
  EXPECT_EQ(mapped, total);
  // The compile report carries the same figures.
  const CompileResult compiled = compile_xdnn(g, test::xdnn_config("v3_96"), {});
  EXPECT_EQ(compiled.report.at("ops").get<std::uint64_t>(), total);
  for (const auto& row : compiled.report.at("layers")) {
    for (const XLayer& layer : mapping.layers) {
      if (layer.name == row.at("name").get<std::string>()) {
        EXPECT_EQ(row.at("ops").get<std::uint64_t>(), layer.ops);
      }
    }
  }
}

TEST(XdnnLayerMapping, PoolPipeliningCanBeSwitchedOff) {
  CompileOptions options;
  options.pool_pipelining = false;
  const LayerMapping mapping = map_layers(test::small_cnn_xdnn(), test::xdnn_config("v3_96").xdnn(), options);
  EXPECT_EQ(mapping.layers.at(0).type, "conv");
  EXPECT_EQ(mapping.layers.at(1).type, "maxpool");
  EXPECT_EQ(mapping.layers.size(), 8u);
}

TEST(XdnnLayerMapping, ConcatIsPlacedAtChannelOffsets) {
  const quant::QGraph& g = test::small_cnn_xdnn();
  const LayerMapping mapping = map_layers(g, test::xdnn_config("v3_96").xdnn(), {});
  ASSERT_EQ(mapping.concats.size(), 1u);
  const int ra = g.find_tensor("ra");
  const int rb = g.find_tensor("rb");
  ASSERT_GE(ra, 0);
  ASSERT_GE(rb, 0);
  EXPECT_EQ(mapping.placements.at(ra).channel_offset, 0u);
  EXPECT_EQ(mapping.placements.at(rb).channel_offset, 4u);
  EXPECT_EQ(mapping.placements.at(ra).buffer_tensor, g.find_tensor("cat"));
}

TEST(XdnnLayerMapping, ConcatIsCopiedWhenPlacementIsOff) {
  const quant::QGraph& g = test::small_cnn_xdnn();
  CompileOptions options;
  options.concat_placement = false;
  const LayerMapping mapping = map_layers(g, test::xdnn_config("v3_96").xdnn(), options);
  EXPECT_TRUE(mapping.placements.empty());
  EXPECT_TRUE(mapping.concats.empty());
  const auto concat = std::find_if(mapping.layers.begin(), mapping.layers.end(),
                                   [](const XLayer& l) { return l.kind == XLayerKind::Concat; });
  ASSERT_NE(concat, mapping.layers.end());
  EXPECT_EQ(concat->inputs.size(), 2u);
  EXPECT_EQ(concat->ops, 0u);
  // The copies go through DDR: the compile report counts them as intermediate traffic.
  const CompileResult copied = compile_xdnn(g, test::xdnn_config("v3_96"), options);
  const CompileResult placed = compile_xdnn(g, test::xdnn_config("v3_96"), {});
  EXPECT_GT(copied.report.at("ddr_spill_bytes").get<std::uint64_t>(), 0u);
  EXPECT_EQ(placed.report.at("ddr_spill_bytes").get<std::uint64_t>(), 0u);
}

TEST(XdnnLayerMapping, WhatTheArrayCannotRunGoesToTheHost) {
  quant::QGraph g = test::small_cnn_xdnn();
  // A 13x13 kernel over 64 channels (10816 elements > 9792) and a stride of 3.
  g.nodes[0].kernel = {13, 13};
  g.tensors[static_cast<std::size_t>(g.nodes[0].inputs[0])].shape = {1, 64, 12, 12};
  g.nodes[2].strides = {3, 3};
  const LayerMapping mapping = map_layers(g, test::xdnn_config("v3_96").xdnn(), {});
  // What the array cannot run goes to the host, each with its reason.
  EXPECT_TRUE(mapping.unsupported.empty());
  std::vector<const XLayer*> on_host;
  for (const XLayer& layer : mapping.layers) {
    if (layer.on_host) on_host.push_back(&layer);
  }
  ASSERT_EQ(on_host.size(), 2u);
  EXPECT_THAT(on_host[0]->host_reason, HasSubstr("13x13x64 = 10816 elements exceeds the array's limit of 9792"));
  EXPECT_THAT(on_host[1]->host_reason, HasSubstr("stride 3x3"));
  EXPECT_STREQ(layer_unit(*on_host[0]), "host");
  // Neither can run a batch of two: that is still refused, naming the node.
  g.tensors[static_cast<std::size_t>(g.nodes[2].inputs[0])].shape[0] = 2;
  const LayerMapping batched = map_layers(g, test::xdnn_config("v3_96").xdnn(), {});
  EXPECT_THAT(batched.unsupported,
              testing::Contains(HasSubstr(fmt::format("node '{}' (Conv): batch size must be 1", g.nodes[2].name))));
}

TEST(XdnnLayerMapping, FcGoesToTheHostWhenConfigured) {
  const LayerMapping on_array = map_layers(test::small_cnn_xdnn(), test::xdnn_config("v3_96").xdnn(), {});
  EXPECT_FALSE(on_array.layers.back().on_host);
  const LayerMapping on_host =
      map_layers(test::small_cnn_xdnn(), test::xdnn_config("v3_96", {"host_fc_softmax=true"}).xdnn(), {});
  EXPECT_EQ(on_host.layers.back().type, "fc");
  EXPECT_TRUE(on_host.layers.back().on_host);
}

// --- Lut and Mul: host layers ------------------------------------------------------------

const XLayer& layer_named(const LayerMapping& mapping, const std::string& name) {
  for (const XLayer& layer : mapping.layers) {
    if (layer.name == name) return layer;
  }
  throw std::invalid_argument("no layer " + name);
}

const nlohmann::json& report_row(const CompileResult& compiled, const std::string& name) {
  for (const auto& row : compiled.report.at("layers")) {
    if (row.at("name").get<std::string>() == name) return row;
  }
  throw std::invalid_argument("no report row " + name);
}

TEST(XdnnLayerMapping, LutAndMulRunOnTheHostWithTheirReasons) {
  const quant::QGraph g = test::squeeze_excite_qgraph();
  const LayerMapping mapping = map_layers(g, test::xdnn_config("v3_96").xdnn(), {});
  ASSERT_TRUE(mapping.unsupported.empty());
  std::vector<std::string> types;
  for (const XLayer& layer : mapping.layers) types.push_back(layer.type);
  EXPECT_THAT(types, testing::ElementsAre("conv", "lut", "avgpool", "fc", "lut", "mul"));
  for (const char* name : {"hswish", "gate", "scale"}) {
    const XLayer& layer = layer_named(mapping, name);
    EXPECT_EQ(layer.kind, XLayerKind::HostElementwise) << name;
    EXPECT_TRUE(layer.on_host) << name;
    EXPECT_STREQ(layer_unit(layer), "host") << name;
    EXPECT_EQ(layer.macs, 0u) << name;
  }
  EXPECT_EQ(layer_named(mapping, "hswish").host_reason, "no lookup-table unit on the overlay");
  EXPECT_EQ(layer_named(mapping, "scale").host_reason, "the eltwise block adds; it does not multiply");
  // 1 op per output element: 16 x 6 x 6 for the hardswish and the multiply, 16 for the gate.
  EXPECT_EQ(layer_named(mapping, "hswish").ops, 576u);
  EXPECT_EQ(layer_named(mapping, "gate").ops, 16u);
  EXPECT_EQ(layer_named(mapping, "scale").ops, 576u);
  EXPECT_THAT(layer_named(mapping, "scale").inputs, testing::ElementsAre(g.find_tensor("h"), g.find_tensor("g")));
}

TEST(XdnnLayerMapping, WhatTheHostModelCannotTakeIsListed) {
  quant::QGraph g = test::squeeze_excite_qgraph();
  // The gate's output as [1, 16, 2, 1]: the lut changes the shape, and the gate no longer
  // broadcasts to the multiply's [1, 16, 6, 6].
  g.tensors[static_cast<std::size_t>(g.find_tensor("g"))].shape = {1, 16, 2, 1};
  LayerMapping mapping = map_layers(g, test::xdnn_config("v3_96").xdnn(), {});
  EXPECT_THAT(mapping.unsupported, testing::ElementsAre("node 'gate' (Lut): a lookup table keeps the shape",
                                                        "node 'scale' (Mul): input 'g' does not broadcast to the output"));
  // Three dimensions: the buffers hold N x C x H x W or N x C.
  g.tensors[static_cast<std::size_t>(g.find_tensor("g"))].shape = {1, 16, 1};
  mapping = map_layers(g, test::xdnn_config("v3_96").xdnn(), {});
  EXPECT_THAT(mapping.unsupported, testing::Contains(HasSubstr("node 'gate' (Lut): tensor 'g' has 3 dimensions")));
  try {
    compile_xdnn(g, test::xdnn_config("v3_96"), {});
    FAIL() << "expected a UserError";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("node 'scale' (Mul): tensor 'g' has 3 dimensions"));
  }
}

TEST(XdnnCompileHostLayers, OperandsGoToDdrCompactlyAndResultsComeBack) {
  const quant::QGraph g = test::squeeze_excite_qgraph();
  const CompileResult compiled = compile_xdnn(g, test::xdnn_config("v3_96"), {});
  const isa::xdnn::Program& program = compiled.program;
  EXPECT_EQ(program.header().format_version(), isa::xdnn::kXdnnFormatVersion);
  // Compact DDR images, not 96-lane AM words: the hardswish takes c (16 x 6 x 6 = 576 bytes)
  // down and brings h (576) back; the gate takes e down (16) and leaves g in DDR, where only
  // the host's multiply reads it (a host-only buffer takes no AM). The multiply finds h and g in
  // DDR where the host left them (nothing wrote them since) and brings y back (576); the
  // network output y is already in its DDR home, so it does not go down again.
  EXPECT_EQ(report_row(compiled, "hswish").at("download_bytes").get<std::uint64_t>(), 576u);
  EXPECT_EQ(report_row(compiled, "hswish").at("upload_bytes").get<std::uint64_t>(), 576u);
  EXPECT_EQ(report_row(compiled, "gate").at("download_bytes").get<std::uint64_t>(), 16u);
  EXPECT_EQ(report_row(compiled, "gate").at("upload_bytes").get<std::uint64_t>(), 0u);
  EXPECT_EQ(report_row(compiled, "scale").at("download_bytes").get<std::uint64_t>(), 0u);
  EXPECT_EQ(report_row(compiled, "scale").at("upload_bytes").get<std::uint64_t>(), 576u);
  EXPECT_EQ(report_row(compiled, "scale").at("unit").get<std::string>(), "host");
  EXPECT_EQ(report_row(compiled, "scale").at("ops").get<std::uint64_t>(), 576u);
  std::uint64_t moved = 0;
  for (const auto& row : compiled.report.at("layers")) {
    moved += row.at("upload_bytes").get<std::uint64_t>() + row.at("download_bytes").get<std::uint64_t>();
  }
  EXPECT_EQ(compiled.report.at("ddr_activation_bytes").get<std::uint64_t>(), moved);
  EXPECT_EQ(compiled.report.at("ddr_input_output_bytes").get<std::uint64_t>(), moved);
  // The host's operands and results are not intermediate activations (xfDNN's host code read
  // and wrote them): moveops stays 0, as ddr_spill_bytes does.
  EXPECT_EQ(compiled.report.at("moveops").get<std::uint64_t>(), 0u);
  EXPECT_EQ(compiled.report.at("ddr_spill_bytes").get<std::uint64_t>(), 0u);

  std::vector<const isa::xdnn::Instr*> host;
  for (const auto& instr : program.instrs()) {
    if (instr.has_host_elementwise()) host.push_back(&instr);
  }
  ASSERT_EQ(host.size(), 3u);
  for (const auto* instr : host) {
    const auto& h = instr->host_elementwise();
    for (const auto* r : {&h.a(), &h.output()}) {
      EXPECT_EQ(r->memory(), isa::xdnn::MEMORY_DDR) << instr->layer();
      EXPECT_EQ(r->layout().section_channels(), r->layout().buffer_channels()) << instr->layer();
      EXPECT_EQ(r->layout().width_stride(), r->layout().width()) << instr->layer();
    }
    // The instruction after it brings its result back, once it is done: unless only host
    // layers read it (the gate's g).
    if (instr->layer() == "gate") continue;
    const auto& next = program.instrs(static_cast<int>(instr->id()) + 1);
    EXPECT_TRUE(next.has_upload()) << instr->layer();
    EXPECT_TRUE(next.wait().host()) << instr->layer();
  }
  // The luts' operands came down first: they wait for the download unit.
  EXPECT_TRUE(host[0]->wait().download());
  EXPECT_TRUE(host[1]->wait().download());
  EXPECT_EQ(host[0]->host_elementwise().kind(), isa::xdnn::HOST_LUT);
  EXPECT_EQ(host[0]->host_elementwise().table_size(), 256);
  EXPECT_FALSE(host[0]->host_elementwise().has_b());
  const auto& mul = host[2]->host_elementwise();
  EXPECT_EQ(mul.kind(), isa::xdnn::HOST_MUL);
  EXPECT_EQ(mul.requant().multiplier_size(), 1);
  // The gate is moved as its own 16 x 1 x 1 tensor.
  EXPECT_EQ(mul.b().layout().channels(), 16u);
  EXPECT_EQ(mul.b().layout().height(), 1u);
  EXPECT_EQ(mul.b().layout().width(), 1u);
  EXPECT_THAT(compiled.cmd, HasSubstr("XNLut(host) hswish in=DDR@"));
  EXPECT_THAT(compiled.cmd, HasSubstr("table[256]={"));
  EXPECT_THAT(compiled.cmd, HasSubstr("XNMul(host) scale a=DDR@"));
}

TEST(XdnnCompileHostLayers, ConcatOfLutOutputsIsCopiedNotPlaced) {
  const quant::QGraph g = test::concat_of_luts_qgraph();
  const LayerMapping mapping = map_layers(g, test::xdnn_config("v3_96").xdnn(), {});
  ASSERT_TRUE(mapping.unsupported.empty());
  EXPECT_TRUE(mapping.concats.empty());
  EXPECT_TRUE(mapping.placements.empty());
  EXPECT_EQ(layer_named(mapping, "cat").kind, XLayerKind::Concat);
}

TEST(XdnnProgramFormat, AProgramOfTheFormerVersionIsRefused) {
  isa::xdnn::Program program = compile_xdnn(test::squeeze_excite_qgraph(), test::xdnn_config("v3_96"), {}).program;
  // Format 19 added without_pingpong (a conv filling the DSPs' weight memory, and its load), 18 throughput mode (Instr.block, the image queue, Wait.dedicated), 17 LayerNorm.rms (an RMSNorm), 16 a softmax's causal mask, 15 HOST_EMBEDDING (token ids to rows on the host), 14 Window.input_dilation (a transposed conv on the array), 13 Swin's windowed attention (matmul_windows, matmul_bias, softmax_labels), 12 HOST_HWC_RESHAPE (a detection head's tokens) and outputs of tokens, 11 IoTensor.source_shape (an input of tokens), 10 the host matmul and softmax over rows, 9 the host layer norm, 8 the host resize, 7 merged convs' output parts, 6 staged weights in AM, 5
  // marked the intermediate copies, 4 added the payload and model digests, 3 HOST_SOFTMAX: a program of an earlier
  // format is refused, to be compiled again.
  const std::uint32_t current = isa::xdnn::kXdnnFormatVersion;
  EXPECT_EQ(current, 19u);
  const auto path = std::filesystem::temp_directory_path() / fmt::format("wb_test_xdnn_v2_{}.xdnn", ::getpid());
  isa::xdnn::save_program(program, path);
  EXPECT_EQ(isa::xdnn::load_program(path).header().format_version(), current);
  for (std::uint32_t old = current - 1; old >= 1; --old) {
    program.mutable_header()->set_format_version(old);
    isa::xdnn::save_program(program, path);
    try {
      isa::xdnn::load_program(path);
      FAIL() << "expected a UserError";
    } catch (const UserError& e) {
      EXPECT_THAT(e.what(), HasSubstr(fmt::format("program format version {}, this workbench reads version {}", old, current)));
    }
  }
  std::filesystem::remove(path);
}


TEST(XdnnSimHostLayers, SqueezeExciteIsBitExactOnEveryConfig) {
  const quant::QGraph g = test::squeeze_excite_qgraph();
  const sim::xdnn::SimResult v3 = expect_bit_exact(g, test::xdnn_config("v3_96"));
  // The host ran three layers, and its time is the report's.
  std::uint64_t host = 0;
  for (const auto& layer : v3.layers) {
    if (layer.unit == "host") {
      EXPECT_GT(layer.host_cycles, 0u) << layer.name;
      host += layer.host_cycles;
    }
  }
  EXPECT_EQ(host, v3.host_cycles);
  EXPECT_GT(host, 0u);
  // v2: 28-lane sections, rows aligned to 8 words in AM, compact in DDR.
  expect_bit_exact(g, test::xdnn_config("v2_28"));
  expect_bit_exact(g, test::xdnn_config("v2_56"));
  // Every switch off: no streaming, no pipelining, no schedule search.
  const CompileOptions off = every_switch_off();
  expect_bit_exact(g, test::xdnn_config("v3_96"), off);
  // Timing only: the same cycles.
  const CompileResult compiled = compile_xdnn(g, test::xdnn_config("v3_96"), {});
  sim::SimOptions timing;
  timing.data = false;
  EXPECT_EQ(sim::xdnn::simulate(compiled.program, test::xdnn_config("v3_96"), {}, timing).total_cycles, v3.total_cycles);
}

// ConvNeXt's LayerNorms (over each pixel's channels, over an [N, C] row): host layers whose
// own arithmetic (sim/common/layernorm.h) equals the golden model's, on every config.
TEST(XdnnSimHostLayers, LayerNormsRunOnTheHostBitExactly) {
  quant::QuantizeOptions options;
  options.scheme = quant::Scheme::Xdnn;
  const quant::QGraph g = test::quantize_model(test::layernorm_cnn(), options).qgraph;
  const CompileResult compiled = compile_xdnn(g, test::xdnn_config("v3_96"), {});
  for (const char* name : {"ln_pixels", "ln_row"}) {
    const auto& row = report_row(compiled, name);
    EXPECT_EQ(row.at("unit"), "host") << name;
    EXPECT_EQ(row.at("type"), "layernorm") << name;
  }
  int host_layernorms = 0;
  for (const auto& instr : compiled.program.instrs()) {
    if (instr.has_host_elementwise() && instr.host_elementwise().kind() == isa::xdnn::HOST_LAYERNORM) {
      ++host_layernorms;
      EXPECT_GE(instr.host_elementwise().layernorm().shift(), 40);
    }
  }
  EXPECT_EQ(host_layernorms, 2);
  const sim::xdnn::SimResult v3 = expect_bit_exact(g, test::xdnn_config("v3_96"));
  EXPECT_GT(v3.host_cycles, 0u);
  expect_bit_exact(g, test::xdnn_config("v2_28"));
}

// A program whose layer norm parameters could overflow is refused before the run, naming it.
TEST(XdnnSimHostLayers, ALayerNormWithABadShiftIsRefusedBeforeTheRun) {
  quant::QuantizeOptions options;
  options.scheme = quant::Scheme::Xdnn;
  const quant::QGraph g = test::quantize_model(test::layernorm_cnn(), options).qgraph;
  CompileResult compiled = compile_xdnn(g, test::xdnn_config("v3_96"), {});
  for (auto& instr : *compiled.program.mutable_instrs()) {
    if (instr.has_host_elementwise() && instr.host_elementwise().kind() == isa::xdnn::HOST_LAYERNORM) {
      instr.mutable_host_elementwise()->mutable_layernorm()->set_shift(70);
    }
  }
  try {
    sim::xdnn::simulate(compiled.program, test::xdnn_config("v3_96"), {}, {});
    FAIL() << "expected the program to be refused";
  } catch (const std::exception& e) {
    EXPECT_THAT(e.what(), HasSubstr("shift 70 outside 1..62"));
  }
}

TEST(XdnnSimHostLayers, LutOfTheNetworkInputSquaredIsBitExact) {
  const quant::QGraph g = test::squared_lut_of_input_qgraph();
  // The input's home holds it already and the square reads t twice: nothing goes down.
  const CompileResult compiled = compile_xdnn(g, test::xdnn_config("v3_96"), {});
  EXPECT_EQ(report_row(compiled, "t").at("download_bytes").get<std::uint64_t>(), 0u);
  EXPECT_EQ(report_row(compiled, "sq").at("download_bytes").get<std::uint64_t>(), 0u);
  // The 3x3 conv reads sq replicated 3 times (12 of 96 lanes): the host writes every copy.
  EXPECT_EQ(report_row(compiled, "sq").at("upload_bytes").get<std::uint64_t>(), 3u * 4 * 5 * 5);
  expect_bit_exact(g, test::xdnn_config("v3_96"));
  expect_bit_exact(g, test::xdnn_config("v2_28"));
}

TEST(XdnnSimHostLayers, SpilledHostOperandsAreBitExact) {
  const quant::QGraph g = test::late_gate_qgraph();
  // Three 16 x 6 x 6 buffers (3456 bytes each in AM) are live at h2; no step touches more
  // than two of them and the gate (96): AM of 7008 bytes spills h1 around the chain.
  const HwConfig small_am = test::xdnn_config("v3_96", {"am_bytes=7008"});
  const CompileResult compiled = compile_xdnn(g, small_am, {});
  EXPECT_EQ(compiled.report.at("allocation").at("strategy").get<std::string>(), "spill");
  EXPECT_GT(compiled.report.at("ddr_spill_bytes").get<std::uint64_t>(), 0u);
  expect_bit_exact(g, small_am);
  expect_bit_exact(g, test::xdnn_config("v3_96"));
}

TEST(XdnnSimHostLayers, ConcatOfLutOutputsIsBitExact) {
  expect_bit_exact(test::concat_of_luts_qgraph(), test::xdnn_config("v3_96"));
  expect_bit_exact(test::concat_of_luts_qgraph(), test::xdnn_config("v2_28"));
}

TEST(XdnnSimHostLayers, AHostConvFeedingAConcatIsCopiedAndBitExact) {
  // With max_filter_elements = 32 the 3x3 convs over 8 channels (72 elements) run on the host,
  // one of them a concat branch: its upload would overwrite the other branch in a shared
  // buffer, so that concat is copied, not placed.
  const HwConfig small_filters = test::xdnn_config("v3_96", {"max_filter_elements=32"});
  const quant::QGraph& g = test::small_cnn_xdnn();
  const LayerMapping mapping = map_layers(g, small_filters.xdnn(), {});
  ASSERT_TRUE(mapping.unsupported.empty());
  EXPECT_TRUE(layer_named(mapping, "branch_b").on_host);
  EXPECT_FALSE(layer_named(mapping, "branch_a").on_host);
  EXPECT_TRUE(mapping.concats.empty()) << "placed although a member comes from the host";
  expect_bit_exact(g, small_filters);
}

TEST(XdnnSimHostLayers, LutsOfAPlacedConcatAndOfOneMemberAreBitExact) {
  const quant::QGraph g = test::concat_member_lut_qgraph();
  const LayerMapping mapping = map_layers(g, test::xdnn_config("v3_96").xdnn(), {});
  EXPECT_THAT(mapping.concats, testing::ElementsAre("cat"));  // read by host layers, still placed
  expect_bit_exact(g, test::xdnn_config("v3_96"));
  expect_bit_exact(g, test::xdnn_config("v2_28"));
}

// --- Softmax: a classifier's probabilities on the host, as ML Suite ran them ---------------------

constexpr const char* kSoftmaxReason = "no softmax unit on the overlay (ML Suite ran it on the host)";

// The host's time for a softmax over C channels by docs/xdnn.md: 4 ops per element (max, exp
// lookup, sum, division) at host_gops, and C bytes in and C bytes out over host_link_gbps.
std::uint64_t softmax_host_cycles(const HwConfig& hw, std::uint64_t channels) {
  const double seconds = 4.0 * static_cast<double>(channels) / (hw.xdnn().host_gops * 1e9) +
                         2.0 * static_cast<double>(channels) / (hw.xdnn().host_link_gbps * 1e9);
  return static_cast<std::uint64_t>(std::ceil(seconds * hw.clock_mhz * 1e6));
}

TEST(XdnnLayerMapping, SoftmaxRunsOnTheHostWithItsReason) {
  const quant::QGraph& g = test::softmax_cnn_xdnn();
  ASSERT_EQ(node_named(g, "softmax").kind, QOpKind::Softmax);
  for (const bool host_fc : {false, true}) {
    const LayerMapping mapping =
        map_layers(g, test::xdnn_config("v3_96", {fmt::format("host_fc_softmax={}", host_fc)}).xdnn(), {});
    ASSERT_TRUE(mapping.unsupported.empty()) << mapping.unsupported.front();
    const XLayer& softmax = layer_named(mapping, "softmax");
    EXPECT_EQ(softmax.kind, XLayerKind::HostElementwise);
    EXPECT_EQ(softmax.type, "softmax");
    EXPECT_TRUE(softmax.on_host);
    EXPECT_STREQ(layer_unit(softmax), "host");
    EXPECT_EQ(softmax.host_reason, kSoftmaxReason);
    EXPECT_EQ(softmax.macs, 0u);
    // 4 ops per output element over [1, 10]: max, exp lookup, sum, division.
    EXPECT_EQ(softmax.ops, 40u);
    EXPECT_EQ(softmax.output, g.outputs[0]);
    EXPECT_THAT(softmax.inputs, testing::ElementsAre(node_named(g, "fc").output));
    // The FC goes to the host only when configured; the softmax always does.
    EXPECT_EQ(layer_named(mapping, "fc").on_host, host_fc);
    EXPECT_EQ(&mapping.layers.back(), &softmax);
  }
}

TEST(XdnnLayerMapping, WhatTheHostSoftmaxCannotTakeIsListed) {
  const auto problems = [](quant::QGraph g, const std::function<void(quant::QGraph&, quant::QNode&)>& change) {
    for (quant::QNode& node : g.nodes) {
      if (node.kind == QOpKind::Softmax) change(g, node);
    }
    return map_layers(g, test::xdnn_config("v3_96").xdnn(), {}).unsupported;
  };
  const quant::QGraph& g = test::softmax_cnn_xdnn();
  EXPECT_TRUE(problems(g, [](quant::QGraph&, quant::QNode&) {}).empty());
  EXPECT_THAT(problems(g, [](quant::QGraph&, quant::QNode& n) { n.softmax_exp_table.pop_back(); }),
              testing::ElementsAre("node 'softmax' (Softmax): the exp table has 255 entries, not 256"));
  EXPECT_THAT(problems(g, [](quant::QGraph& q, quant::QNode& n) { q.tensors[static_cast<std::size_t>(n.output)].is_signed = true; }),
              testing::ElementsAre("node 'softmax' (Softmax): a softmax takes an 8-bit input to a uint8 output"));
  EXPECT_THAT(problems(g, [](quant::QGraph& q, quant::QNode& n) { q.tensors[static_cast<std::size_t>(n.inputs[0])].bits = 16; }),
              testing::Contains("node 'softmax' (Softmax): a softmax takes an 8-bit input to a uint8 output"));
  // Over a 5 x 2 x 1 image rather than a row of channels.
  EXPECT_THAT(problems(g,
                       [](quant::QGraph& q, quant::QNode& n) {
                         for (const int t : {n.inputs[0], n.output}) q.tensors[static_cast<std::size_t>(t)].shape = {1, 5, 2, 1};
                       }),
              testing::Contains(HasSubstr("node 'softmax' (Softmax): tensor '")));
  EXPECT_THAT(problems(g,
                       [](quant::QGraph& q, quant::QNode& n) {
                         for (const int t : {n.inputs[0], n.output}) q.tensors[static_cast<std::size_t>(t)].shape = {1, 5, 2, 1};
                       }),
              testing::Contains(HasSubstr("is 2 x 1 pixels; the host's softmax takes one row of channels")));
  // A batch of two rows.
  EXPECT_THAT(problems(g,
                       [](quant::QGraph& q, quant::QNode& n) {
                         for (const int t : {n.inputs[0], n.output}) q.tensors[static_cast<std::size_t>(t)].shape = {2, 5};
                       }),
              testing::Contains(HasSubstr("(Softmax): tensor '")));
}

TEST(XdnnCompileHostLayers, SoftmaxRowGoesToDdrAndItsProbabilitiesAreTheNetworkOutput) {
  const quant::QGraph& g = test::softmax_cnn_xdnn();
  const CompileResult compiled = compile_xdnn(g, test::xdnn_config("v3_96"), {});
  const isa::xdnn::Program& program = compiled.program;
  EXPECT_EQ(program.header().format_version(), isa::xdnn::kXdnnFormatVersion);
  const auto& row = report_row(compiled, "softmax");
  EXPECT_EQ(row.at("type").get<std::string>(), "softmax");
  EXPECT_EQ(row.at("unit").get<std::string>(), "host");
  EXPECT_EQ(row.at("host_reason").get<std::string>(), kSoftmaxReason);
  EXPECT_EQ(row.at("ops").get<std::uint64_t>(), 40u);
  EXPECT_EQ(row.at("macs").get<std::uint64_t>(), 0u);
  // The 10 logits go down compactly (not a 96-lane AM word) and the 10 probabilities come back.
  EXPECT_EQ(row.at("download_bytes").get<std::uint64_t>(), 10u);
  EXPECT_EQ(row.at("upload_bytes").get<std::uint64_t>(), 10u);
  std::uint64_t ops = 0;
  for (const auto& r : compiled.report.at("layers")) ops += r.at("ops").get<std::uint64_t>();
  EXPECT_EQ(compiled.report.at("ops").get<std::uint64_t>(), ops);

  int at = -1;
  for (const auto& instr : program.instrs()) {
    if (instr.has_host_elementwise()) {
      EXPECT_EQ(at, -1) << "one host instruction";
      at = static_cast<int>(instr.id());
    }
  }
  ASSERT_GE(at, 0);
  const isa::xdnn::Instr& instr = program.instrs(at);
  EXPECT_EQ(instr.layer(), "softmax");
  EXPECT_EQ(isa::xdnn::instr_mnemonic(instr), "XNSoftmax(host)");
  const auto& h = instr.host_elementwise();
  EXPECT_EQ(h.kind(), isa::xdnn::HOST_SOFTMAX);
  const auto& table = node_named(g, "softmax").softmax_exp_table;
  ASSERT_EQ(h.exp_table_size(), 256);
  for (int i = 0; i < 256; ++i) EXPECT_EQ(h.exp_table(i), table[static_cast<std::size_t>(i)]) << i;
  EXPECT_EQ(h.exp_table(255), 65536);
  EXPECT_EQ(h.table_size(), 0);
  EXPECT_FALSE(h.has_b());
  EXPECT_FALSE(h.has_requant());
  for (const auto* r : {&h.a(), &h.output()}) {
    EXPECT_EQ(r->memory(), isa::xdnn::MEMORY_DDR);
    EXPECT_EQ(r->layout().channels(), 10u);
    EXPECT_EQ(r->layout().height(), 1u);
    EXPECT_EQ(r->layout().width(), 1u);
    EXPECT_EQ(r->layout().section_channels(), 10u);  // compact
  }
  EXPECT_TRUE(h.a().layout().is_signed());
  EXPECT_FALSE(h.output().layout().is_signed());
  // The logits came down first; the probabilities are where the network output is read, so
  // nothing downloads them again: the only instruction after the host's is the upload that
  // brings them back to AM (for the per-layer check), once the host is done.
  EXPECT_TRUE(instr.wait().download());
  ASSERT_EQ(program.outputs_size(), 1);
  EXPECT_EQ(program.outputs(0).region().memory(), isa::xdnn::MEMORY_DDR);
  EXPECT_EQ(program.outputs(0).region().address(), h.output().address());
  EXPECT_EQ(program.outputs(0).bits(), 8u);
  ASSERT_EQ(program.instrs_size(), at + 2);
  EXPECT_TRUE(program.instrs(at + 1).has_upload());
  EXPECT_TRUE(program.instrs(at + 1).wait().host());
  EXPECT_THAT(compiled.cmd, HasSubstr("XNSoftmax(host) softmax in=DDR@"));
  EXPECT_THAT(compiled.cmd, HasSubstr("exp_table[256]={"));
  EXPECT_THAT(compiled.cmd, HasSubstr(",65536}"));
}

TEST(XdnnSimHostLayers, SoftmaxClassifierIsBitExactOnV3AndV2) {
  const quant::QGraph& g = test::softmax_cnn_xdnn();
  for (const char* name : {"v3_96", "v2_28", "v2_56"}) {
    const HwConfig hw = test::xdnn_config(name);
    const sim::xdnn::SimResult r = expect_bit_exact(g, hw);
    const auto& probabilities = r.outputs.at(0).values;
    ASSERT_EQ(probabilities.size(), 10u) << name;
    // Neither uniform nor one-hot: the probabilities tell the classes apart, and add up to
    // about 256 (each rounded to 1/256).
    EXPECT_NE(*std::max_element(probabilities.begin(), probabilities.end()),
              *std::min_element(probabilities.begin(), probabilities.end())) << name;
    EXPECT_LT(*std::max_element(probabilities.begin(), probabilities.end()), 255) << name;
    std::int64_t total = 0;
    for (const auto p : probabilities) total += p;
    EXPECT_NEAR(static_cast<double>(total), 256.0, 10.0) << name;
    bool found = false;
    for (const auto& layer : r.layers) {
      if (layer.name != "softmax") continue;
      found = true;
      EXPECT_EQ(layer.unit, "host") << name;
      EXPECT_EQ(layer.type, "softmax") << name;
      EXPECT_EQ(layer.ops, 40u) << name;
      EXPECT_EQ(layer.host_cycles, softmax_host_cycles(hw, 10)) << name;
      EXPECT_EQ(layer.array_busy_cycles, 0u) << name;
    }
    EXPECT_TRUE(found) << name;
    EXPECT_EQ(r.host_cycles, softmax_host_cycles(hw, 10)) << name << ": the softmax is the only host layer";
  }
  // A slower host: the softmax's time follows host_gops and host_link_gbps.
  const HwConfig slow = test::xdnn_config("v3_96", {"host_gops=0.01", "host_link_gbps=0.02"});
  EXPECT_EQ(expect_bit_exact(g, slow).host_cycles, softmax_host_cycles(slow, 10));
  EXPECT_GT(softmax_host_cycles(slow, 10), softmax_host_cycles(test::xdnn_config("v3_96"), 10));
  // FC on the host too (host_fc_softmax, as ML Suite ran both): the softmax finds the logits in
  // DDR where the FC left them.
  const HwConfig host_fc = test::xdnn_config("v3_96", {"host_fc_softmax=true"});
  const CompileResult compiled = compile_xdnn(g, host_fc, {});
  EXPECT_EQ(report_row(compiled, "softmax").at("download_bytes").get<std::uint64_t>(), 0u);
  EXPECT_EQ(report_row(compiled, "fc").at("unit").get<std::string>(), "host");
  expect_bit_exact(g, host_fc);
  // Timing only: the same cycles.
  sim::SimOptions timing;
  timing.data = false;
  const HwConfig v3 = test::xdnn_config("v3_96");
  EXPECT_EQ(sim::xdnn::simulate(compile_xdnn(g, v3, {}).program, v3, {}, timing).total_cycles,
            expect_bit_exact(g, v3).total_cycles);
}

// --- Channel gathers: ShuffleNet's shuffle and split on the DDR engine ----------------------

// shufflenet_units(channels, units) quantized with the xdnn scheme (the default pipeline turns
// the split's slices and the shuffle into ChannelGather nodes).
const quant::QGraph& shufflenet_xdnn(std::int64_t channels, int units = 2) {
  static std::map<std::pair<std::int64_t, int>, quant::QGraph> cache;
  const auto key = std::make_pair(channels, units);
  auto it = cache.find(key);
  if (it == cache.end()) {
    quant::QuantizeOptions options;
    options.scheme = quant::Scheme::Xdnn;
    it = cache.emplace(key, test::quantize_model(test::shufflenet_units(channels, units), options).qgraph).first;
  }
  return it->second;
}

const quant::QNode& producer_of(const quant::QGraph& g, int tensor) {
  const quant::QNode* node = g.producer(tensor);
  if (node == nullptr) throw std::invalid_argument("no producer of " + g.tensor(tensor).name);
  return *node;
}

TEST(XdnnChannelGather, ShuffleAndSplitAreDdrLayersWhoseOutputsArePlacedAndRead) {
  const quant::QGraph& g = shufflenet_xdnn(8);
  const std::vector<int> gathers = test::gather_nodes(g);
  // Two units, each a split into two halves and a shuffle.
  ASSERT_EQ(gathers.size(), 6u);
  const LayerMapping mapping = map_layers(g, test::xdnn_config("v3_96").xdnn(), {});
  ASSERT_TRUE(mapping.unsupported.empty()) << mapping.unsupported.front();
  for (const int n : gathers) {
    const quant::QNode& node = g.nodes[static_cast<std::size_t>(n)];
    const XLayer& layer = layer_named(mapping, node.name);
    EXPECT_EQ(layer.kind, XLayerKind::ChannelGather) << node.name;
    EXPECT_EQ(layer.type, "channel_gather") << node.name;
    EXPECT_STREQ(layer_unit(layer), "ddr") << node.name;
    EXPECT_FALSE(layer.on_host) << node.name;
    EXPECT_EQ(layer.gather_node, n) << node.name;
    EXPECT_EQ(layer.ops, 0u) << node.name;  // data movement: no arithmetic (DESIGN.md §4.4)
    EXPECT_EQ(layer.macs, 0u) << node.name;
    EXPECT_THAT(layer.inputs, testing::ElementsAre(node.inputs[0]));
    EXPECT_EQ(layer.output, node.output);
  }
  // Each concat is placed; its first member is the split's left half, a gather output, and the
  // shuffle gathers from the concat's buffer.
  int concats = 0;
  for (const quant::QNode& node : g.nodes) {
    if (node.kind != QOpKind::Concat) continue;
    ++concats;
    EXPECT_THAT(mapping.concats, testing::Contains(node.name));
    const int left = node.inputs[0];
    EXPECT_EQ(producer_of(g, left).kind, QOpKind::ChannelGather) << node.name;
    ASSERT_EQ(mapping.placements.count(left), 1u) << node.name;
    EXPECT_EQ(mapping.placements.at(left).buffer_tensor, node.output);
    EXPECT_EQ(mapping.placements.at(left).channel_offset, 0u);
    EXPECT_EQ(mapping.placements.at(node.inputs[1]).channel_offset, 4u);
    bool shuffled = false;
    for (const int n : gathers) shuffled |= g.nodes[static_cast<std::size_t>(n)].inputs[0] == node.output;
    EXPECT_TRUE(shuffled) << "no gather reads " << node.name;
  }
  EXPECT_EQ(concats, 2);
  // The second unit's split reads the first shuffle's output: a gather of a gather.
  int gather_of_gather = 0;
  for (const int n : gathers) {
    const quant::QNode* p = g.producer(g.nodes[static_cast<std::size_t>(n)].inputs[0]);
    if (p != nullptr && p->kind == QOpKind::ChannelGather) ++gather_of_gather;
  }
  EXPECT_EQ(gather_of_gather, 2);
  // The report: unit ddr, 0 ops; the network's ops are its convs' and pool's alone.
  const CompileResult compiled = compile_xdnn(g, test::xdnn_config("v3_96"), {});
  std::uint64_t total = 0;
  for (const auto& node : g.nodes) total += expected_ops(g, node);
  EXPECT_EQ(compiled.report.at("ops").get<std::uint64_t>(), total);
  for (const int n : gathers) {
    const auto& row = report_row(compiled, g.nodes[static_cast<std::size_t>(n)].name);
    EXPECT_EQ(row.at("unit").get<std::string>(), "ddr");
    EXPECT_EQ(row.at("type").get<std::string>(), "channel_gather");
    EXPECT_EQ(row.at("ops").get<std::uint64_t>(), 0u);
  }
}

// The DDR address lies in a network input's or output's home.
bool is_io(const isa::xdnn::Program& program, std::uint64_t address) {
  for (const auto* list : {&program.inputs(), &program.outputs()}) {
    for (const auto& io : *list) {
      const auto& r = io.region();
      if (address >= r.address() && address < r.address() + isa::xdnn::buffer_bytes(r.layout())) return true;
    }
  }
  return false;
}

// Every gather of `g` compiled for `hw`: one download of the AM sections holding its source
// channels, one upload per run (computed here from the indices and the channel offsets of the
// buffer plan), its bytes in the report and in moveops. Returns how many runs the AM sections
// cut (runs beyond those of the indices alone).
std::size_t expect_gather_copies(const quant::QGraph& g, const HwConfig& hw, const CompileOptions& options = {}) {
  const CompileResult compiled = compile_xdnn(g, hw, options);
  const LayerMapping mapping = map_layers(g, hw.xdnn(), options);
  const BufferPlan plan = plan_buffers(g, mapping, hw.xdnn(), options);
  const auto lanes = static_cast<std::int64_t>(hw.xdnn().array.rows);
  const auto align = static_cast<std::uint64_t>(hw.xdnn().am_width_align);
  std::uint64_t gather_bytes = 0;
  std::size_t cut = 0;
  for (const int n : test::gather_nodes(g)) {
    const quant::QNode& node = g.nodes[static_cast<std::size_t>(n)];
    const auto& in = g.tensor(node.inputs[0]);
    const auto& out = g.tensor(node.output);
    const std::uint64_t h = static_cast<std::uint64_t>(out.shape[2]), w = static_cast<std::uint64_t>(out.shape[3]);
    const std::uint64_t eb = out.bits > 8 ? 2 : 1;
    const std::int64_t source_offset = plan.homes.at(node.inputs[0]).channel_offset;
    const std::int64_t target_offset = plan.homes.at(node.output).channel_offset;
    const std::size_t runs = test::gather_runs(node.gather_channels, source_offset, target_offset, lanes);
    cut += runs - test::gather_runs(node.gather_channels, 0, 0, std::int64_t{1} << 40);
    // The layer's own copies; the network input's upload before it and the network output's
    // download after it (copies to or from an input's or output's DDR home) are I/O.
    std::size_t uploads = 0, downloads = 0, others = 0, io = 0;
    std::uint64_t up_bytes = 0, down_bytes = 0, io_up = 0, io_down = 0;
    for (const auto& instr : compiled.program.instrs()) {
      if (instr.layer() != node.name) continue;
      if (instr.has_upload() && is_io(compiled.program, instr.upload().source())) {
        ++io;
        io_up += isa::xdnn::copy_bytes(instr.upload());
      } else if (instr.has_upload()) {
        ++uploads;
        up_bytes += isa::xdnn::copy_bytes(instr.upload());
      } else if (instr.has_download() && is_io(compiled.program, instr.download().destination())) {
        ++io;
        io_down += isa::xdnn::copy_bytes(instr.download());
      } else if (instr.has_download()) {
        ++downloads;
        down_bytes += isa::xdnn::copy_bytes(instr.download());
      } else {
        ++others;
      }
    }
    EXPECT_EQ(uploads, runs) << node.name;
    EXPECT_EQ(downloads, 1u) << node.name;
    EXPECT_EQ(others, 0u) << node.name;
    EXPECT_EQ(io > 0, node.inputs[0] == g.inputs[0] || node.output == g.outputs[0]) << node.name;
    // Up: exactly the output's elements. Down: the AM sections of the source buffer from the
    // lowest to the highest gathered channel, each H rows of the aligned width of full words.
    const auto [lo, hi] = std::minmax_element(node.gather_channels.begin(), node.gather_channels.end());
    const auto sections = static_cast<std::uint64_t>((source_offset + *hi) / lanes - (source_offset + *lo) / lanes + 1);
    const std::uint64_t width_stride = (w + align - 1) / align * align;
    const std::uint64_t up = static_cast<std::uint64_t>(out.shape[1]) * h * w * eb;
    const std::uint64_t down = sections * h * width_stride * static_cast<std::uint64_t>(lanes) * eb;
    EXPECT_EQ(up_bytes, up) << node.name;
    EXPECT_EQ(down_bytes, down) << node.name;
    const auto& row = report_row(compiled, node.name);
    EXPECT_EQ(row.at("upload_bytes").get<std::uint64_t>(), up + io_up) << node.name;
    EXPECT_EQ(row.at("download_bytes").get<std::uint64_t>(), down + io_down) << node.name;
    EXPECT_EQ(row.at("instructions").get<std::uint64_t>(), runs + 1 + io) << node.name;
    EXPECT_EQ(row.at("unit").get<std::string>(), "ddr");
    EXPECT_EQ(in.shape[2], out.shape[2]);
    gather_bytes += up + down;
  }
  // A gather's traffic is intermediate, as a concat copy's: ddr_spill_bytes and moveops are it,
  // and the network's input and output are not counted in them.
  const auto& report = compiled.report;
  std::uint64_t concat_bytes = 0;
  for (const auto& row : report.at("layers")) {
    if (row.at("type").get<std::string>() != "concat") continue;
    concat_bytes += row.at("upload_bytes").get<std::uint64_t>() + row.at("download_bytes").get<std::uint64_t>();
  }
  EXPECT_EQ(concat_bytes > 0, !options.concat_placement);
  EXPECT_GT(gather_bytes, 0u);
  EXPECT_EQ(report.at("allocation").at("spilled_buffers").get<int>(), 0);
  EXPECT_EQ(report.at("ddr_spill_bytes").get<std::uint64_t>(), gather_bytes + concat_bytes);
  EXPECT_EQ(report.at("moveops").get<std::uint64_t>(), gather_bytes + concat_bytes);
  EXPECT_EQ(report.at("ddr_activation_bytes").get<std::uint64_t>(),
            report.at("ddr_input_output_bytes").get<std::uint64_t>() + report.at("ddr_spill_bytes").get<std::uint64_t>());
  return cut;
}

TEST(XdnnChannelGather, OneUploadPerRunOfChannelsAndTheBytesCount) {
  // 8 channels in one 96-lane section: a half is one run, a shuffle of 2 groups one run per channel.
  const quant::QGraph& g = shufflenet_xdnn(8);
  EXPECT_EQ(expect_gather_copies(g, test::xdnn_config("v3_96")), 0u);
  std::size_t shuffle_runs = 0, half_runs = 0;
  for (const int n : test::gather_nodes(g)) {
    const auto& channels = g.nodes[static_cast<std::size_t>(n)].gather_channels;
    (channels.size() == 8 ? shuffle_runs : half_runs) += test::gather_runs(channels, 0, 0, 96);
  }
  EXPECT_EQ(shuffle_runs, 2u * 8);
  EXPECT_EQ(half_runs, 4u * 1);
  // 64 channels on 28-lane sections: runs are cut where either side enters a new section.
  EXPECT_GT(expect_gather_copies(shufflenet_xdnn(64), test::xdnn_config("v2_28")), 0u);
  expect_gather_copies(shufflenet_xdnn(64), test::xdnn_config("v3_96"));
  // Concats copied instead of placed: each gather writes a buffer of its own.
  CompileOptions copied;
  copied.concat_placement = false;
  expect_gather_copies(g, test::xdnn_config("v3_96"), copied);
}

TEST(XdnnChannelGather, MoveopsCountBytesNotRuns) {
  // One unit; the shuffle made an identity: the same bytes move in one upload instead of eight,
  // and moveops is the gathers' downloads and uploads (the network's input and output aside).
  const quant::QGraph& g = shufflenet_xdnn(8, 1);
  quant::QGraph unshuffled = g;
  int shuffle = -1;
  for (const int n : test::gather_nodes(g)) {
    if (g.nodes[static_cast<std::size_t>(n)].gather_channels.size() == 8) shuffle = n;
  }
  ASSERT_GE(shuffle, 0);
  auto& node = unshuffled.nodes[static_cast<std::size_t>(shuffle)];
  for (std::size_t c = 0; c < node.gather_channels.size(); ++c) node.gather_channels[c] = static_cast<std::int64_t>(c);
  const CompileResult with = compile_xdnn(g, test::xdnn_config("v3_96"), {});
  const CompileResult identity = compile_xdnn(unshuffled, test::xdnn_config("v3_96"), {});
  EXPECT_EQ(report_row(with, node.name).at("instructions").get<std::uint64_t>(), 1u + 8);
  EXPECT_EQ(report_row(identity, node.name).at("instructions").get<std::uint64_t>(), 1u + 1);
  EXPECT_EQ(identity.report.at("moveops").get<std::uint64_t>(), with.report.at("moveops").get<std::uint64_t>());
  std::uint64_t gathered = 0;
  for (const int n : test::gather_nodes(g)) {
    const auto& row = report_row(with, g.nodes[static_cast<std::size_t>(n)].name);
    gathered += row.at("upload_bytes").get<std::uint64_t>() + row.at("download_bytes").get<std::uint64_t>();
  }
  // Down: one 96-lane section of 8 x 8 pixels per gather; up: the output's elements.
  EXPECT_EQ(gathered, 3u * 96 * 8 * 8 + (4u + 4 + 8) * 8 * 8);
  EXPECT_EQ(with.report.at("moveops").get<std::uint64_t>(), gathered);
  EXPECT_EQ(with.report.at("ddr_activation_bytes").get<std::uint64_t>(),
            with.report.at("ddr_input_output_bytes").get<std::uint64_t>() + gathered);
  EXPECT_EQ(with.report.at("ddr_spill_bytes").get<std::uint64_t>(), gathered);
}

TEST(XdnnSimChannelGather, ShuffleNetUnitsAreBitExact) {
  const sim::xdnn::SimResult v3 = expect_bit_exact(shufflenet_xdnn(8), test::xdnn_config("v3_96"));
  // The gathers ran on the DDR engine, nothing on the host.
  int ddr = 0;
  for (const auto& layer : v3.layers) {
    if (layer.type != "channel_gather") continue;
    ++ddr;
    EXPECT_EQ(layer.unit, "ddr") << layer.name;
    EXPECT_GT(layer.ddr_read_bytes, 0u) << layer.name;
    EXPECT_GT(layer.ddr_write_bytes, 0u) << layer.name;
    EXPECT_EQ(layer.array_busy_cycles, 0u) << layer.name;
  }
  EXPECT_EQ(ddr, 6);
  EXPECT_EQ(v3.host_cycles, 0u);
  expect_bit_exact(shufflenet_xdnn(8), test::xdnn_config("v2_28"));
  // Runs cut at 28-lane sections, and halves of 32 channels straddling them.
  expect_bit_exact(shufflenet_xdnn(64), test::xdnn_config("v2_28"));
  expect_bit_exact(shufflenet_xdnn(64), test::xdnn_config("v3_96"));
  // Every switch off: the concats are copied, so each split half is a member of a copied concat.
  const CompileOptions off = every_switch_off();
  const LayerMapping copied = map_layers(shufflenet_xdnn(8), test::xdnn_config("v3_96").xdnn(), off);
  EXPECT_TRUE(copied.placements.empty());
  EXPECT_EQ(layer_named(copied, "cat1").kind, XLayerKind::Concat);
  expect_bit_exact(shufflenet_xdnn(8), test::xdnn_config("v3_96"), off);
}

TEST(XdnnSimChannelGather, SpilledGatherOperandsAreBitExact) {
  // An AM too small for the network's peak: buffers spill around the gathers.
  const quant::QGraph& g = shufflenet_xdnn(64);
  const CompileResult roomy = compile_xdnn(g, test::xdnn_config("v3_96"), {});
  const auto peak = roomy.report.at("schedule").at("peak_am_bytes").get<std::uint64_t>();
  const HwConfig small_am = test::xdnn_config("v3_96", {fmt::format("am_bytes={}", peak - 1)});
  const CompileResult spilled = compile_xdnn(g, small_am, {});
  EXPECT_EQ(spilled.report.at("allocation").at("strategy").get<std::string>(), "spill");
  EXPECT_GT(spilled.report.at("allocation").at("spilled_buffers").get<int>(), 0);
  EXPECT_EQ(spilled.report.at("moveops").get<std::uint64_t>(), spilled.report.at("ddr_spill_bytes").get<std::uint64_t>());
  EXPECT_EQ(spilled.report.at("ddr_activation_bytes").get<std::uint64_t>(),
            spilled.report.at("ddr_input_output_bytes").get<std::uint64_t>() +
                spilled.report.at("ddr_spill_bytes").get<std::uint64_t>());
  EXPECT_GT(spilled.report.at("ddr_spill_bytes").get<std::uint64_t>(),
            roomy.report.at("ddr_spill_bytes").get<std::uint64_t>());
  // The simulator counts the copies the compiler marked intermediate: the same bytes.
  const sim::xdnn::SimResult sim = expect_bit_exact(g, small_am);
  std::uint64_t intermediate = 0;
  for (const auto& layer : sim.layers) intermediate += layer.ddr_intermediate_bytes;
  EXPECT_EQ(intermediate, spilled.report.at("ddr_spill_bytes").get<std::uint64_t>());
}

TEST(XdnnSimChannelGather, TheTrackerOrdersTheUploadsAfterTheDownload) {
  // Each gather's first upload reads the scratch its download writes: the tracker flags it.
  // Without the flag the simulator sees the download still in flight: a race.
  const quant::QGraph& g = shufflenet_xdnn(8);
  const HwConfig hw = test::xdnn_config("v3_96");
  CompileResult compiled = compile_xdnn(g, hw, {});
  const std::string shuffle = g.nodes[static_cast<std::size_t>(test::gather_nodes(g)[2])].name;
  ASSERT_EQ(g.nodes[static_cast<std::size_t>(test::gather_nodes(g)[2])].gather_channels.size(), 8u);
  int first_upload = -1;
  for (int i = 0; i < compiled.program.instrs_size(); ++i) {
    const auto& instr = compiled.program.instrs(i);
    if (instr.layer() == shuffle && instr.has_download()) {
      EXPECT_TRUE(instr.wait().conv()) << "the download must follow the branch's conv into the concat";
    }
    if (instr.layer() == shuffle && instr.has_upload()) {
      first_upload = i;
      break;
    }
  }
  ASSERT_GE(first_upload, 0);
  EXPECT_TRUE(compiled.program.instrs(first_upload).wait().download());
  compiled.program.mutable_instrs(first_upload)->mutable_wait()->set_download(false);
  const Tensor x = test::random_quantized(g.tensor(g.inputs[0]), 5);
  sim::IntTensor input{x.shape(), {}};
  for (std::int64_t i = 0; i < x.numel(); ++i) input.values.push_back(static_cast<std::int32_t>(x.as_int64(i)));
  try {
    sim::xdnn::simulate(compiled.program, hw, {input}, {});
    FAIL() << "expected a race";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr(fmt::format("instruction {}", first_upload)));
  }
}

TEST(XdnnSimChannelGather, GathersOfTheNetworkInputAndIntoItsOutputAreBitExact) {
  for (const int bits : {8, 16}) {
    const quant::QGraph g = test::edge_gathers_qgraph(bits);
    for (const char* hw : {"v3_96", "v2_28"}) {
      SCOPED_TRACE(fmt::format("{}-bit on {}", bits, hw));
      const HwConfig config = test::xdnn_config(hw);
      const LayerMapping mapping = map_layers(g, config.xdnn(), {});
      ASSERT_TRUE(mapping.unsupported.empty());
      EXPECT_EQ(layer_named(mapping, "reverse").kind, XLayerKind::ChannelGather);
      // The reversal is 40 runs of one channel. "pick" is 27-29 | 2-4 | 4 | 0, and on v2_28
      // 27 | 28-29 (lane 28 starts the second section).
      const CompileResult compiled = compile_xdnn(g, config, {});
      // (Plus the network input's upload before the reversal, one per section, and the output's
      // download after "pick".)
      const std::uint64_t input_sections = std::string(hw) == "v2_28" ? 2 : 1;
      EXPECT_EQ(report_row(compiled, "reverse").at("instructions").get<std::uint64_t>(), input_sections + 1 + 40);
      EXPECT_EQ(report_row(compiled, "pick").at("instructions").get<std::uint64_t>(),
                1u + (std::string(hw) == "v2_28" ? 5 : 4) + 1);
      // The reversal's input buffer is written by the input upload, its output read by a 3x3
      // conv: a buffer a gather writes is not replicated (40 channels would be on v3_96).
      EXPECT_EQ(compiled.report.at("replicated_buffers").get<int>(), 0);
      expect_gather_copies(g, config);
      expect_bit_exact(g, config);
    }
  }
}

// A gather the DDR engine cannot copy is listed with its reason.
TEST(XdnnChannelGather, WhatTheDdrEngineCannotCopyIsListed) {
  quant::QGraph g = test::edge_gathers_qgraph();
  g.tensors[static_cast<std::size_t>(g.find_tensor("y"))].bits = 16;
  const LayerMapping mapping = map_layers(g, test::xdnn_config("v3_96").xdnn(), {});
  EXPECT_THAT(mapping.unsupported,
              testing::ElementsAre("node 'pick' (ChannelGather): a channel gather copies bytes: its input and output "
                                   "must have one type"));
}

// A transposed conv (a ConvTranspose as the conv over its zero-inserted input) on the array:
// XNDeconv, every geometry U-Nets and FCNs export bit-exact against the golden model's direct
// conv, on both v3 and v2 arrays, with every switch off, and in row stripes.
quant::QGraph deconv_qgraph(const test::Deconv& d) {
  quant::QuantizeOptions options;
  options.scheme = quant::Scheme::Xdnn;
  return test::quantize_model(test::deconv_cnn(d), options).qgraph;
}

TEST(XdnnDeconv, EveryGeometryRunsOnTheArrayBitExactly) {
  const std::vector<test::Deconv> cases = {
      {},                                                         // U-Net's 2x2 stride 2
      {.kernel = 4, .stride = 2, .pad = 1},                       // DCGAN / FCN
      {.kernel = 3, .stride = 2, .pad = 1, .output_padding = 1},  // "same" upsampling
      {.kernel = 3, .stride = 2, .pad = 1, .output_padding = 1, .group = 2},
      {.kernel = 1, .stride = 2, .output_padding = 1},             // outputs between pixels: the bias
      {.kernel = 3, .stride = 2, .pad = 2, .dilation = 2},          // a dilated kernel
      {.kernel = 8, .stride = 4, .pad = 2},                        // 4x upsampling
  };
  for (const test::Deconv& d : cases) {
    SCOPED_TRACE(testing::Message() << "kernel " << d.kernel << " stride " << d.stride << " pad " << d.pad
                                    << " output_padding " << d.output_padding << " group " << d.group);
    const quant::QGraph g = deconv_qgraph(d);
    const quant::QNode& up = node_named(g, "up");
    EXPECT_EQ(up.input_dilations, (std::vector<std::int64_t>{d.stride, d.stride}));
    const LayerMapping mapping = map_layers(g, test::xdnn_config("v3_96").xdnn(), {});
    ASSERT_TRUE(mapping.unsupported.empty());
    EXPECT_EQ(layer_named(mapping, "up").type, "deconv");
    EXPECT_FALSE(layer_named(mapping, "up").on_host) << layer_named(mapping, "up").host_reason;
    expect_bit_exact(g, test::xdnn_config("v3_96"));
    expect_bit_exact(g, test::xdnn_config("v2_28"));
    expect_bit_exact(g, test::xdnn_config("v3_96"), every_switch_off());
  }
}

TEST(XdnnDeconv, TheArrayMultipliesTheInsertedZerosAndAmFeedsOnlyThePixels) {
  const quant::QGraph g = deconv_qgraph({.kernel = 4, .stride = 2, .pad = 1});
  const CompileResult compiled = compile_xdnn(g, test::xdnn_config("v3_96"), {});
  EXPECT_THAT(compiled.cmd, HasSubstr("up=2x2"));
  const sim::xdnn::SimResult r = expect_bit_exact(g, test::xdnn_config("v3_96"));
  for (const auto& layer : r.layers) {
    if (layer.name != "up") continue;
    // A 4x4 window over the zero-inserted input: a quarter of its taps meet pixels, so the MACs
    // counted are a quarter of the conv's K x K per output.
    EXPECT_EQ(layer.macs, 6u * 8 * 12 * 12 * 4);
    EXPECT_GT(layer.cycles, 0u);
  }
}

TEST(XdnnDeconv, AStrideTheArrayDoesNotTakeRunsOnTheHostSayingSo) {
  const quant::QGraph g = deconv_qgraph({.kernel = 3, .stride = 3});
  const LayerMapping mapping = map_layers(g, test::xdnn_config("v3_96").xdnn(), {});
  const XLayer& up = layer_named(mapping, "up");
  EXPECT_TRUE(up.on_host);
  EXPECT_THAT(up.host_reason, HasSubstr("transposed conv of stride 3x3: the array's deconvolution supports strides 1, 2, 4 and 8"));
  expect_bit_exact(g, test::xdnn_config("v3_96"));
}

TEST(XdnnDeconv, RowStripesOfATransposedConvReadTheirInputRows) {
  // x[1,8,24,24] -> conv3x3 (8) -> ConvTranspose 4x4 stride 2 pad 1 (8) "up" -> conv3x3 (4).
  test::OnnxBuilder b;
  b.input("x", {1, 8, 24, 24}).output("y");
  b.initializer("w1", test::random_tensor({8, 8, 3, 3}, 1)).initializer("wt", test::random_tensor({8, 8, 4, 4}, 2));
  b.initializer("w2", test::random_tensor({4, 8, 3, 3}, 3));
  test::set_attr(b.node("Conv", {"x", "w1"}, {"c"}, "conv1"), "pads", std::vector<std::int64_t>{1, 1, 1, 1});
  auto& up = b.node("ConvTranspose", {"c", "wt"}, {"u"}, "up");
  test::set_attr(up, "strides", std::vector<std::int64_t>{2, 2});
  test::set_attr(up, "pads", std::vector<std::int64_t>{1, 1, 1, 1});
  test::set_attr(b.node("Conv", {"u", "w2"}, {"y"}, "conv2"), "pads", std::vector<std::int64_t>{1, 1, 1, 1});
  quant::QuantizeOptions options;
  options.scheme = quant::Scheme::Xdnn;
  const quant::QGraph g = test::quantize_model(b, options).qgraph;
  // AM for a fraction of the deconv's input and output: both stay in DDR and pass through AM in
  // row stripes, each reading the input rows its zero-inserted window reaches.
  const auto tight = test::xdnn_config("v2_28", {"am_bytes=20KiB"});
  const CompileResult compiled = compile_xdnn(g, tight, {});
  EXPECT_GT(compiled.report.at("allocation").at("row_tiled_layers").get<int>(), 0);
  int deconv_stripes = 0;
  for (const auto& instr : compiled.program.instrs()) {
    if (instr.has_conv() && instr.layer() == "up") ++deconv_stripes;
  }
  EXPECT_GT(deconv_stripes, 1);
  expect_bit_exact(g, tight);
}

}  // namespace
}  // namespace wb::xdnn
