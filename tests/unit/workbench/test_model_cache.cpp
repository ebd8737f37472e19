// The quantized-model cache: a QGraph survives the round trip exactly; damaged, truncated or
// foreign entries are detected and rebuilt, never used; the key follows what decides the
// model.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "support/error.h"
#include "support/file_io.h"
#include "tests/support/onnx_builder.h"
#include "tests/support/quant_testing.h"
#include "tests/support/test_paths.h"
#include "tests/support/transformer_models.h"
#include "workbench/model_cache.h"

namespace wb {
namespace {

using testing::HasSubstr;

quant::QuantizedModel small_model() {
  quant::QuantizeOptions options;
  options.scheme = quant::Scheme::Xdnn;
  quant::QuantizedModel model;
  model.graph = test::quantize_model(test::small_cnn(), options).qgraph;
  model.float_inputs.push_back(Tensor::from_vector<float>({1, 3}, {0.5f, -1.0f, 2.0f}));
  return model;
}

void expect_same(const quant::QGraph& a, const quant::QGraph& b) {
  ASSERT_EQ(a.nodes.size(), b.nodes.size());
  ASSERT_EQ(a.tensors.size(), b.tensors.size());
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.scheme, b.scheme);
  EXPECT_EQ(a.inputs, b.inputs);
  EXPECT_EQ(a.outputs, b.outputs);
  for (std::size_t i = 0; i < a.tensors.size(); ++i) {
    EXPECT_EQ(a.tensors[i].name, b.tensors[i].name);
    EXPECT_EQ(a.tensors[i].shape, b.tensors[i].shape);
    EXPECT_EQ(a.tensors[i].source_shape, b.tensors[i].source_shape);
    EXPECT_EQ(a.tensors[i].bits, b.tensors[i].bits);
    EXPECT_EQ(a.tensors[i].is_signed, b.tensors[i].is_signed);
    EXPECT_EQ(a.tensors[i].scale, b.tensors[i].scale);
    EXPECT_EQ(a.tensors[i].threshold, b.tensors[i].threshold);
    EXPECT_TRUE(a.tensors[i].data == b.tensors[i].data) << a.tensors[i].name;
  }
  for (std::size_t i = 0; i < a.nodes.size(); ++i) {
    const quant::QNode& x = a.nodes[i];
    const quant::QNode& y = b.nodes[i];
    EXPECT_EQ(x.kind, y.kind);
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.inputs, y.inputs);
    EXPECT_EQ(x.output, y.output);
    EXPECT_TRUE(x.weights == y.weights) << x.name;
    EXPECT_TRUE(x.bias == y.bias) << x.name;
    EXPECT_EQ(x.weight_scale, y.weight_scale);
    EXPECT_EQ(x.group, y.group);
    EXPECT_EQ(x.kernel, y.kernel);
    EXPECT_EQ(x.strides, y.strides);
    EXPECT_EQ(x.pads_begin, y.pads_begin);
    EXPECT_EQ(x.pads_end, y.pads_end);
    EXPECT_EQ(x.requant.multiplier, y.requant.multiplier);
    EXPECT_EQ(x.requant.offset, y.requant.offset);
    EXPECT_EQ(x.requant.shift, y.requant.shift);
    EXPECT_EQ(x.requant.lo, y.requant.lo);
    EXPECT_EQ(x.requant.hi, y.requant.hi);
    EXPECT_EQ(x.input_multiplier, y.input_multiplier);
    EXPECT_EQ(x.divisor, y.divisor);
    EXPECT_EQ(x.act_min, y.act_min);
    EXPECT_EQ(x.act_max, y.act_max);
    EXPECT_EQ(x.resize_rows, y.resize_rows);
    EXPECT_EQ(x.resize_cols, y.resize_cols);
    EXPECT_EQ(x.resize_mode, y.resize_mode);
    EXPECT_EQ(x.concat_axis, y.concat_axis);
    EXPECT_EQ(x.matmul_form, y.matmul_form);
    EXPECT_EQ(x.matmul_heads, y.matmul_heads);
    EXPECT_EQ(x.matmul_factor, y.matmul_factor);
  }
}

// The last kind of QOpKind, a bilinear Resize after a conv: a cache entry holding it must load
// (the reader once refused every kind after Softmax as "bad kind").
TEST(ModelCache, RoundTripsAResize) {
  test::OnnxBuilder b;
  b.input("x", {1, 4, 8, 8}).output("y");
  b.initializer("w", test::random_tensor({4, 4, 3, 3}, 3));
  b.initializer("scales", Tensor::from_vector<float>({4}, {1, 1, 2, 2}));
  test::set_attr(b.node("Conv", {"x", "w"}, {"a"}, "conv"), "pads", std::vector<std::int64_t>{1, 1, 1, 1});
  auto& resize = b.node("Resize", {"a", "", "scales"}, {"y"}, "upsample");
  test::set_attr(resize, "mode", std::string("linear"));
  quant::QuantizeOptions options;
  options.scheme = quant::Scheme::Pulp;
  quant::QuantizedModel model;
  model.graph = test::quantize_model(b, options).qgraph;
  ASSERT_EQ(model.graph.nodes.back().kind, quant::QOpKind::Resize);
  const test::TempDir dir;
  const ModelCache cache(dir.path());
  cache.store("resize", model);
  const auto loaded = cache.load("resize");
  ASSERT_TRUE(loaded.has_value());
  expect_same(model.graph, loaded->graph);
}

// Attention's products, the class token's concat along W, the constant class token and
// position embedding (their integers live in the entry).
TEST(ModelCache, RoundTripsAVisionTransformer) {
  quant::QuantizeOptions options;
  options.scheme = quant::Scheme::Xdnn;
  quant::QuantizedModel model;
  model.graph = test::quantize_model(test::tiny_vit(), options).qgraph;
  const test::TempDir dir;
  const ModelCache cache(dir.path());
  cache.store("vit", model);
  std::string why;
  const auto loaded = cache.load("vit", &why);
  ASSERT_TRUE(loaded.has_value()) << why;
  expect_same(model.graph, loaded->graph);
  int constants = 0;
  for (const auto& t : loaded->graph.tensors) constants += t.is_constant();
  EXPECT_EQ(constants, 2);
}

// An input of tokens: the image [1, C, 1, T] with the shape users give it, [1, T, C].
TEST(ModelCache, RoundTripsAnInputOfTokens) {
  quant::QuantizeOptions options;
  options.scheme = quant::Scheme::Pulp;
  quant::QuantizedModel model;
  model.graph = test::quantize_model(test::tiny_bert(), options).qgraph;
  const test::TempDir dir;
  const ModelCache cache(dir.path());
  cache.store("bert", model);
  std::string why;
  const auto loaded = cache.load("bert", &why);
  ASSERT_TRUE(loaded.has_value()) << why;
  expect_same(model.graph, loaded->graph);
  const quant::QTensor& input = loaded->graph.tensor(loaded->graph.inputs.at(0));
  EXPECT_EQ(input.shape, (Shape{1, 8, 1, 5}));
  EXPECT_EQ(input.source_shape, (Shape{1, 5, 8}));
}

TEST(ModelCache, RoundTripsAQGraphExactly) {
  const test::TempDir dir;
  const ModelCache cache(dir.path());
  const quant::QuantizedModel model = small_model();
  EXPECT_FALSE(cache.load("k1").has_value());
  cache.store("k1", model);
  const auto loaded = cache.load("k1");
  ASSERT_TRUE(loaded.has_value());
  expect_same(model.graph, loaded->graph);
  ASSERT_EQ(loaded->float_inputs.size(), 1u);
  EXPECT_TRUE(loaded->float_inputs[0] == model.float_inputs[0]);
}

TEST(ModelCache, DamagedOrTruncatedEntriesAreRemovedNotUsed) {
  const test::TempDir dir;
  const ModelCache cache(dir.path());
  cache.store("k", small_model());
  const std::string bytes = read_file_bytes(cache.entry_path("k"));
  const auto rewrite = [&](const std::string& content) {
    std::ofstream out(cache.entry_path("k"), std::ios::binary | std::ios::trunc);
    out << content;
  };
  // A flipped byte in the payload: the digest catches it.
  std::string flipped = bytes;
  flipped[bytes.size() / 2] = static_cast<char>(flipped[bytes.size() / 2] ^ 0x5a);
  rewrite(flipped);
  std::string why;
  EXPECT_FALSE(cache.load("k", &why).has_value());
  EXPECT_THAT(why, HasSubstr("digest mismatch"));
  EXPECT_FALSE(std::filesystem::exists(cache.entry_path("k")));
  // Truncated.
  rewrite(bytes.substr(0, bytes.size() - 100));
  EXPECT_FALSE(cache.load("k", &why).has_value());
  EXPECT_THAT(why, HasSubstr("truncated"));
  // Not an entry at all.
  rewrite("hello");
  EXPECT_FALSE(cache.load("k", &why).has_value());
  EXPECT_THAT(why, HasSubstr("not a quantized-model cache entry"));
  // load_quantized_model says the same as an error naming the file.
  rewrite(flipped);
  try {
    load_quantized_model(cache.entry_path("k"));
    FAIL() << "a damaged entry was loaded";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr(cache.entry_path("k").string()));
  }
}

TEST(ModelCache, TheKeyFollowsWhatDecidesTheModel) {
  QuantizeCommand base;
  base.model = test::workloads_dir() / "tiny_resnet.onnx";
  base.quant.scheme = quant::Scheme::Xdnn;
  const std::string key = quantization_key(base, "aaaa", {});
  EXPECT_EQ(key, quantization_key(base, "aaaa", {}));  // deterministic
  EXPECT_NE(key, quantization_key(base, "bbbb", {}));  // another model file
  std::vector<QuantizeCommand> changed(8, base);
  changed[0].quant.scheme = quant::Scheme::Pow2;
  changed[1].calib_count = 8;
  changed[2].seed = 2;
  changed[3].calibration.method = quant::CalibrationMethod::Entropy;
  changed[4].structure_only = true;
  changed[5].quant.bits = 16;
  changed[6].given_shapes.push_back(parse_shape_option("input=1x3x32x32"));  // a symbolic input's sizes
  changed[7].input_file_shapes.push_back({"", {1, 3, 32, 32}, "--input a.npy"});
  std::set<std::string> keys = {key};
  for (const QuantizeCommand& c : changed) EXPECT_TRUE(keys.insert(quantization_key(c, "aaaa", {})).second);
  // An input file, and the calibration folder's contents, are part of it.
  const test::TempDir dir;
  {
    std::ofstream(dir / "a.npy") << "one";
  }
  EXPECT_TRUE(keys.insert(quantization_key(base, "aaaa", {{"", dir / "a.npy"}})).second);
  // By name or by position: bound to other inputs of a model of several.
  EXPECT_TRUE(keys.insert(quantization_key(base, "aaaa", {{"ids", dir / "a.npy"}})).second);
  QuantizeCommand with_dir = base;
  with_dir.calib_dir = dir.path();
  const std::string before = quantization_key(with_dir, "aaaa", {});
  {
    std::ofstream(dir / "a.npy") << "two";
  }
  EXPECT_NE(before, quantization_key(with_dir, "aaaa", {}));
}

}  // namespace
}  // namespace wb
