#include "compiler/frontend/onnx_import.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>

#include "compiler/ir/printer.h"
#include "support/error.h"
#include "tests/support/onnx_builder.h"
#include "tests/support/test_paths.h"
#include "tests/support/user_error_testing.h"

namespace wb {
namespace {

using test::OnnxBuilder;
using test::set_attr;

ImportedModel import_built(const OnnxBuilder& b, ImportOptions options = {}) {
  return import_onnx_model(b.proto(), std::nullopt, options);
}

TEST(OnnxImport, ConvReluModelImportsWithShapes) {
  OnnxBuilder b;
  b.input("x", {1, 3, 8, 8}).initializer("w", test::random_tensor({4, 3, 3, 3}, 1)).output("y");
  set_attr(b.node("Conv", {"x", "w"}, {"c"}, "conv"), "pads", std::vector<std::int64_t>{1, 1, 1, 1});
  b.node("Relu", {"c"}, {"y"}, "relu");
  const ImportedModel m = import_built(b);
  EXPECT_EQ(m.graph.opset, 13);
  EXPECT_EQ(m.graph.node_count(), 2u);
  EXPECT_EQ(m.graph.outputs()[0]->shape, (Shape{1, 4, 8, 8}));
  EXPECT_TRUE(m.graph.find_value("w")->is_constant());
}

TEST(OnnxImport, EveryUnsupportedNodeIsListedAtOnce) {
  OnnxBuilder b;
  b.input("x", {1, 4}).output("z");
  b.node("Einsum", {"x"}, {"s"}, "einsum_of_x");
  b.node("Relu", {"x"}, {"r"}, "relu");
  b.node("NonMaxSuppression", {"r"}, {"z"}, "nms");
  const std::string message = test::user_error_of([&] { import_built(b); });
  EXPECT_NE(message.find("2 unsupported nodes"), std::string::npos) << message;
  EXPECT_NE(message.find("'einsum_of_x' (Einsum)"), std::string::npos) << message;
  EXPECT_NE(message.find("'nms' (NonMaxSuppression)"), std::string::npos) << message;
}

// A node that fails only because its input comes from an unsupported one (its shape unknown)
// is a consequence: the error names the cause once and counts the rest; inspect shows both.
TEST(OnnxImport, ARefusalNamesTheRootCauseOnceAndCountsItsConsequences) {
  OnnxBuilder b;
  b.input("x", {1, 4}).output("a").output("c");
  b.node("Einsum", {"x"}, {"e"}, "einsum_of_x");
  set_attr(b.node("Split", {"e"}, {"a", "b"}, "split_of_e"), "axis", std::int64_t{1});
  b.node("Relu", {"b"}, {"c"}, "relu");
  const std::string message = test::user_error_of([&] { import_built(b); });
  EXPECT_NE(message.find("1 unsupported node: 'einsum_of_x' (Einsum); 1 node after them cannot be read"),
            std::string::npos) << message;
  EXPECT_EQ(message.find("split_of_e"), std::string::npos) << message;
  ImportOptions lenient;
  lenient.allow_unsupported = true;
  const ImportedModel m = import_built(b, lenient);
  ASSERT_EQ(m.unsupported.size(), 2u);
  EXPECT_EQ(m.unsupported[1].name, "split_of_e");
  EXPECT_EQ(m.unsupported[1].follows, "einsum_of_x");
}

// A whole detector's export: the op types of the nodes beyond the first ten are counted, and
// the post-processing ops are named with what to do.
TEST(OnnxImport, ManyUnsupportedNodesAreCountedByOpAndPostProcessingIsNamed) {
  OnnxBuilder b;
  b.input("x", {1, 4});
  std::string previous = "x";
  for (int i = 0; i < 12; ++i) {
    const std::string next = fmt::format("t{}", i);
    b.node("Tile", {previous}, {next}, fmt::format("tile_{}", i));
    previous = next;
  }
  b.node("NonZero", {previous}, {"nz"}, "nonzero");
  b.node("TopK", {"nz"}, {"z"}, "topk");
  b.output("z");
  const std::string message = test::user_error_of([&] { import_built(b); });
  EXPECT_NE(message.find("14 unsupported nodes (Tile 12, NonZero 1, TopK 1):"), std::string::npos) << message;
  EXPECT_NE(message.find("and 4 more"), std::string::npos) << message;
  EXPECT_NE(message.find("NonZero, TopK are a detector's post-processing"), std::string::npos) << message;
  EXPECT_NE(message.find("export the network without it"), std::string::npos) << message;
}

TEST(OnnxImport, AClassifiersUnsupportedNodesGetNoDetectionHint) {
  OnnxBuilder b;
  b.input("x", {1, 4}).output("z");
  b.node("Hardmax", {"x"}, {"z"}, "hardmax");
  const std::string message = test::user_error_of([&] { import_built(b); });
  EXPECT_NE(message.find("1 unsupported node: 'hardmax' (Hardmax)"), std::string::npos) << message;
  EXPECT_EQ(message.find("post-processing"), std::string::npos) << message;
}

TEST(OnnxImport, LenientImportKeepsUnsupportedNodesForInspection) {
  OnnxBuilder b;
  b.input("x", {1, 4}).output("z");
  b.node("Relu", {"x"}, {"r"}, "relu");
  b.node("Hardmax", {"r"}, {"z"}, "hardmax");
  ImportOptions lenient;
  lenient.allow_unsupported = true;
  const ImportedModel m = import_built(b, lenient);
  ASSERT_EQ(m.unsupported.size(), 1u);
  EXPECT_EQ(m.unsupported[0].op_type, "Hardmax");
  EXPECT_EQ(m.graph.find_node("hardmax")->op, OpKind::Unsupported);
  EXPECT_FALSE(m.graph.outputs()[0]->has_type());
  EXPECT_TRUE(m.graph.find_value("r")->has_type());
}

TEST(OnnxImport, OtherDomainsAreUnsupportedWithTheirDomain) {
  OnnxBuilder b;
  b.input("x", {1, 4}).output("y");
  b.node("Gelu", {"x"}, {"y"}, "gelu").set_domain("com.microsoft");
  EXPECT_NE(test::user_error_of([&] { import_built(b); }).find("com.microsoft.Gelu"), std::string::npos);
}

TEST(OnnxImport, UnsupportedVariantGivesTheReason) {
  OnnxBuilder b;
  b.input("x", {1, 1, 2, 2}).initializer("scales", Tensor::from_vector<float>({4}, {1, 1, 2, 2})).output("y");
  set_attr(b.node("Resize", {"x", "", "scales"}, {"y"}, "up"), "mode", std::string("cubic"));
  EXPECT_NE(test::user_error_of([&] { import_built(b); }).find("mode 'cubic'"), std::string::npos);
}

TEST(OnnxImport, MissingInitializerNamesNodeAndTensor) {
  OnnxBuilder b;
  b.input("x", {1, 3, 8, 8}).output("y");
  b.node("Conv", {"x", "conv1.weight"}, {"y"}, "conv1");
  const std::string message = test::user_error_of([&] { import_built(b); });
  EXPECT_NE(message.find("conv1"), std::string::npos) << message;
  EXPECT_NE(message.find("conv1.weight"), std::string::npos) << message;
}

TEST(OnnxImport, OpsetOutOfRangeIsRejected) {
  OnnxBuilder b(18);
  b.input("x", {1}).output("y");
  b.node("Relu", {"x"}, {"y"});
  EXPECT_NE(test::user_error_of([&] { import_built(b); }).find("opset 18"), std::string::npos);
}

TEST(OnnxImport, InitializerValueCountMustMatchShape) {
  OnnxBuilder b;
  b.input("x", {1, 2}).output("y");
  b.raw_initializer("b", {2}).add_float_data(1.0f);  // one value for two elements
  b.node("Add", {"x", "b"}, {"y"});
  EXPECT_NE(test::user_error_of([&] { import_built(b); }).find("initializer 'b' has 1 values"), std::string::npos);
}

TEST(OnnxImport, TypedFieldInitializersAreRead) {
  OnnxBuilder b;
  b.input("x", {1, 2}).output("y");
  auto& init = b.raw_initializer("b", {2});
  init.add_float_data(1.5f);
  init.add_float_data(-2.0f);
  b.node("Add", {"x", "b"}, {"y"});
  const ImportedModel m = import_built(b);
  EXPECT_FLOAT_EQ(m.graph.find_value("b")->constant->data<float>()[1], -2.0f);
}

TEST(OnnxImport, ConstantNodesBecomeConstants) {
  OnnxBuilder b;
  b.input("x", {2, 3}).output("y");
  auto& c = b.node("Constant", {}, {"shape"});
  set_attr(c, "value_ints", std::vector<std::int64_t>{3, 2});
  b.node("Reshape", {"x", "shape"}, {"y"});
  const ImportedModel m = import_built(b);
  EXPECT_EQ(m.graph.node_count(), 1u);
  EXPECT_EQ(m.graph.outputs()[0]->shape, (Shape{3, 2}));
}

TEST(OnnxImport, UnsortedNodesAreSorted) {
  OnnxBuilder b;
  b.input("x", {1, 4}).output("y");
  b.node("Relu", {"mid"}, {"y"}, "second");
  b.node("Relu", {"x"}, {"mid"}, "first");
  const ImportedModel m = import_built(b);
  EXPECT_EQ(m.graph.topological_order()[0]->name, "first");
}

TEST(OnnxImport, ExternalDataIsReadRelativeToTheModel) {
  test::TempDir dir;
  const Tensor weights = test::random_tensor({2, 2}, 7);
  {
    std::ofstream data(dir / "weights.bin", std::ios::binary);
    data << std::string(16, '\0');  // offset padding
    data.write(reinterpret_cast<const char*>(weights.raw()), static_cast<std::streamsize>(weights.nbytes()));
  }
  OnnxBuilder b;
  b.input("x", {2, 2}).output("y");
  b.external_initializer("w", {2, 2}, "weights.bin", 16, 16);
  b.node("MatMul", {"x", "w"}, {"y"});
  b.save(dir / "model.onnx");
  const ImportedModel m = import_onnx_file(dir / "model.onnx");
  EXPECT_EQ(*m.graph.find_value("w")->constant, weights);

  std::filesystem::remove(dir / "weights.bin");
  const std::string message = test::user_error_of([&] { import_onnx_file(dir / "model.onnx"); });
  EXPECT_NE(message.find("weights.bin"), std::string::npos) << message;
  EXPECT_NE(message.find("not found"), std::string::npos) << message;
}

TEST(OnnxImport, ExternalDataMayNotEscapeTheModelFolder) {
  OnnxBuilder b;
  b.input("x", {1}).output("y");
  b.external_initializer("w", {1}, "../../etc/passwd");
  b.node("Add", {"x", "w"}, {"y"});
  EXPECT_NE(test::user_error_of([&] { import_onnx_model(b.proto(), std::filesystem::path("/tmp")); }).find("relative path"),
            std::string::npos);
}

TEST(OnnxImportFile, TruncatedFileIsRejected) {
  test::TempDir dir;
  const std::string bytes = test::read_workload("tiny_resnet.onnx");
  {
    std::ofstream out(dir / "cut.onnx", std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size() / 2));
  }
  const std::string message = test::user_error_of([&] { import_onnx_file(dir / "cut.onnx"); });
  EXPECT_NE(message.find("cut.onnx"), std::string::npos) << message;
  EXPECT_NE(message.find("not a valid ONNX model"), std::string::npos) << message;
}

TEST(OnnxImportFile, TextFileIsRejected) {
  test::TempDir dir;
  {
    std::ofstream out(dir / "notes.onnx");
    out << "this is not a neural network\n";
  }
  EXPECT_NE(test::user_error_of([&] { import_onnx_file(dir / "notes.onnx"); }).find("notes.onnx"), std::string::npos);
}

TEST(OnnxImportFile, MissingFileIsRejected) {
  EXPECT_NE(test::user_error_of([] { import_onnx_file("/nonexistent/model.onnx"); }).find("no such file"), std::string::npos);
}

}  // namespace
}  // namespace wb
