#include "compiler/frontend/input_shapes.h"

#include <gtest/gtest.h>

#include "compiler/frontend/onnx_import.h"
#include "support/error.h"
#include "tests/support/onnx_builder.h"
#include "tests/support/user_error_testing.h"

namespace wb {
namespace {

using test::OnnxBuilder;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A conv over an image exported with dynamic_axes={"input": {0: "batch", 2: "h", 3: "w"}}.
OnnxBuilder dynamic_conv(const std::vector<std::string>& dims) {
  OnnxBuilder b;
  b.symbolic_input("input", dims).initializer("w", test::random_tensor({4, 3, 3, 3}, 1)).output("y");
  b.node("Conv", {"input", "w"}, {"y"}, "conv");
  return b;
}

ImportedModel import_with(const OnnxBuilder& b, std::vector<GivenShape> shapes, std::vector<GivenShape> files = {}) {
  ImportOptions options;
  options.given_shapes = std::move(shapes);
  options.input_file_shapes = std::move(files);
  return import_onnx_model(b.proto(), std::nullopt, options);
}

TEST(InputShapes, ASymbolicHeightWithoutAShapeNamesTheDimensionAndBothWaysToGiveIt) {
  const std::string message = test::user_error_of([] { import_with(dynamic_conv({"batch", "3", "h", "w"}), {}); });
  EXPECT_TRUE(contains(message, "graph input 'input' [batch,3,h,w]")) << message;
  EXPECT_TRUE(contains(message, "dimension 2 ('h')")) << message;
  EXPECT_TRUE(contains(message, "--shape input=1x3x<h>x<w>")) << message;
  EXPECT_TRUE(contains(message, "--input")) << message;
}

TEST(InputShapes, AnUnnamedUnknownDimensionIsNeverOne) {
  const std::string message = test::user_error_of([] { import_with(dynamic_conv({"1", "3", "?", "8"}), {}); });
  EXPECT_TRUE(contains(message, "dimension 2 (unnamed)")) << message;
}

TEST(InputShapes, ASymbolicBatchAloneBecomesOneWithANoteNamingIt) {
  const ImportedModel m = import_with(dynamic_conv({"N", "3", "8", "8"}), {});
  EXPECT_EQ(m.graph.inputs()[0]->shape, (Shape{1, 3, 8, 8}));
  EXPECT_EQ(m.graph.outputs()[0]->shape, (Shape{1, 4, 6, 6}));
  ASSERT_EQ(m.notes.size(), 1u);
  EXPECT_TRUE(contains(m.notes[0], "symbolic batch dimension 'N' is taken as 1")) << m.notes[0];
  EXPECT_EQ(m.inputs[0].source, "batch 1");
  EXPECT_EQ(m.inputs[0].declared, "[N,3,8,8]");
}

TEST(InputShapes, AGivenShapeFillsEverySymbolAndShapesFollowIt) {
  const ImportedModel m =
      import_with(dynamic_conv({"batch", "3", "h", "w"}), {parse_shape_option("input=1x3x32x28")});
  EXPECT_EQ(m.graph.inputs()[0]->shape, (Shape{1, 3, 32, 28}));
  EXPECT_EQ(m.graph.outputs()[0]->shape, (Shape{1, 4, 30, 26}));
  EXPECT_TRUE(m.notes.empty());
  EXPECT_EQ(m.inputs[0].source, "--shape input=1x3x32x28");
}

TEST(InputShapes, AnInputFilesShapeGivesTheSizesByPosition) {
  const ImportedModel m =
      import_with(dynamic_conv({"batch", "3", "h", "w"}), {}, {{"", {2, 3, 16, 16}, "--input x.npy"}});
  EXPECT_EQ(m.graph.inputs()[0]->shape, (Shape{2, 3, 16, 16}));
  EXPECT_EQ(m.inputs[0].source, "--input x.npy");
}

TEST(InputShapes, AGivenShapeMustKeepTheSizesTheModelFixes) {
  const std::string rank = test::user_error_of(
      [] { import_with(dynamic_conv({"batch", "3", "h", "w"}), {parse_shape_option("input=3x32x32")}); });
  EXPECT_TRUE(contains(rank, "has shape [batch,3,h,w] (4 dimensions), not [3,32,32]")) << rank;
  const std::string channels = test::user_error_of(
      [] { import_with(dynamic_conv({"batch", "3", "h", "w"}), {parse_shape_option("input=1x1x32x32")}); });
  EXPECT_TRUE(contains(channels, "dimension 1 is 3, not 1")) << channels;
  // A static model refuses an input file of another shape at import, before any calibration.
  const std::string file = test::user_error_of(
      [] { import_with(dynamic_conv({"1", "3", "8", "8"}), {}, {{"", {1, 3, 28, 28}, "--input big.npy"}}); });
  EXPECT_TRUE(contains(file, "--input big.npy: graph input 'input' is [1,3,8,8]")) << file;
}

TEST(InputShapes, AShapeAndAFileForOneInputMustAgree) {
  const OnnxBuilder b = dynamic_conv({"batch", "3", "h", "w"});
  const ImportedModel same =
      import_with(b, {parse_shape_option("input=1x3x8x8")}, {{"input", {1, 3, 8, 8}, "--input input=a.npy"}});
  EXPECT_EQ(same.graph.inputs()[0]->shape, (Shape{1, 3, 8, 8}));
  const std::string message = test::user_error_of(
      [&] { import_with(b, {parse_shape_option("input=1x3x8x8")}, {{"", {1, 3, 9, 9}, "--input a.npy"}}); });
  EXPECT_TRUE(contains(message, "--input a.npy is [1,3,9,9], but --shape input=1x3x8x8 says")) << message;
}

TEST(InputShapes, ShapesAreBoundByNameThenInTheGraphsOrder) {
  const std::vector<std::string> inputs = {"ids", "mask", "past"};
  const std::vector<GivenShape> files = {{"", {1, 4}, "a"}, {"mask", {1, 1, 4, 4}, "b"}, {"", {1, 8}, "c"}};
  const auto bound = bind_given_shapes(inputs, {}, files);
  EXPECT_EQ(bound[0], &files[0]);
  EXPECT_EQ(bound[1], &files[1]);
  EXPECT_EQ(bound[2], &files[2]);
}

TEST(InputShapes, BindingRefusesUnknownNamesExtraShapesAndTwoForOneInput) {
  const std::vector<std::string> inputs = {"input_ids", "attention_mask"};
  const std::string unknown =
      test::user_error_of([&] { bind_given_shapes(inputs, {parse_shape_option("input_id=1x4")}, {}); });
  EXPECT_TRUE(contains(unknown, "no graph input 'input_id' (did you mean 'input_ids'?)")) << unknown;
  EXPECT_TRUE(contains(unknown, "its inputs: input_ids, attention_mask")) << unknown;
  const std::string extra = test::user_error_of(
      [&] { bind_given_shapes(inputs, {}, {{"", {1}, "a"}, {"", {1}, "b"}, {"", {1}, "c"}}); });
  EXPECT_TRUE(contains(extra, "c: the model has only 2 graph inputs (input_ids, attention_mask), each given already")) << extra;
  const std::string twice = test::user_error_of([&] {
    bind_given_shapes(inputs, {parse_shape_option("input_ids=1x4"), parse_shape_option("input_ids=1x4")}, {});
  });
  EXPECT_TRUE(contains(twice, "already has --shape input_ids=1x4")) << twice;
}

TEST(InputShapes, ShapeTextsAreSizesSeparatedByX) {
  EXPECT_EQ(parse_shape_text("1x3x224x224", "s"), (Shape{1, 3, 224, 224}));
  EXPECT_EQ(parse_shape_text("1,16", "s"), (Shape{1, 16}));
  for (const char* bad : {"", "1x", "x3", "1x0x2", "1x-3", "1xhx2", "1.5x2"}) {
    EXPECT_THROW(parse_shape_text(bad, "s"), UserError) << bad;
  }
  EXPECT_THROW(parse_shape_option("1x3x224x224"), UserError);
  EXPECT_THROW(parse_shape_option("=1x3"), UserError);
  const GivenShape g = parse_shape_option("pixel_values=1x3x32x32");
  EXPECT_EQ(g.input, "pixel_values");
  EXPECT_EQ(g.shape, (Shape{1, 3, 32, 32}));
}

}  // namespace
}  // namespace wb
