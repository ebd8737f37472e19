#include "compiler/golden/reference_executor.h"

#include <gtest/gtest.h>

#include "compiler/frontend/onnx_import.h"
#include "compiler/frontend/tensor_files.h"
#include "support/error.h"
#include "tests/support/onnx_builder.h"
#include "tests/support/tensor_compare.h"
#include "tests/support/test_paths.h"

namespace wb {
namespace {

class SmallWorkload : public ::testing::TestWithParam<std::string> {};

// The checked-in small models against the torch output exported beside them.
TEST_P(SmallWorkload, MatchesTorch) {
  const auto dir = test::workloads_dir();
  const ImportedModel model = import_onnx_file(dir / (GetParam() + ".onnx"));
  const Tensor input = read_tensor_file(dir / (GetParam() + ".input.npy"));
  const Tensor expected = read_tensor_file(dir / (GetParam() + ".output.npy"));
  const Tensor actual = ReferenceExecutor(model.graph).run({input})[0];
  ASSERT_EQ(actual.shape(), expected.shape());
  EXPECT_LT(test::max_error_relative_to_peak(actual, expected), 1e-5);
}

INSTANTIATE_TEST_SUITE_P(Workloads, SmallWorkload,
                         ::testing::Values("tiny_resnet", "tiny_inception", "tiny_mobilenet_v2",
                                           "tiny_mobilenet_v2_opset9"),
                         [](const ::testing::TestParamInfo<std::string>& param) { return param.param; });

TEST(ReferenceExecutor, WrongInputShapeNamesTheInput) {
  const ImportedModel model = import_onnx_file(test::workloads_dir() / "tiny_resnet.onnx");
  const ReferenceExecutor ex(model.graph);
  try {
    ex.run({Tensor(DType::F32, {1, 3, 30, 30})});
    FAIL();
  } catch (const UserError& e) {
    EXPECT_EQ(std::string(e.what()), "input 'input' is f32[1,3,30,30] but the model expects f32[1,3,32,32]");
  }
  EXPECT_THROW(ex.run({}), UserError);
  EXPECT_THROW(ex.run({Tensor(DType::F64, {1, 3, 32, 32})}), UserError);
}

TEST(ReferenceExecutor, ObserverSeesEveryComputedValue) {
  const ImportedModel model = import_onnx_file(test::workloads_dir() / "tiny_resnet.onnx");
  std::size_t seen = 0;
  ReferenceExecutor(model.graph).run(random_inputs(model.graph, 1), [&](const Value& v, const Tensor& t) {
    EXPECT_EQ(t.shape(), v.shape);
    ++seen;
  });
  EXPECT_EQ(seen, model.graph.node_count());
}

TEST(ReferenceExecutor, ShapesThatDependOnDataAreInferredAtRunTime) {
  test::OnnxBuilder b;
  b.input("x", {2, 3}).input("shape", {2}, onnx::TensorProto::INT64).output("y");
  b.node("Reshape", {"x", "shape"}, {"r"});
  b.node("Relu", {"r"}, {"y"});
  const ImportedModel model = import_onnx_model(b.proto(), std::nullopt);
  EXPECT_FALSE(model.graph.outputs()[0]->has_type());
  const auto y = ReferenceExecutor(model.graph)
                     .run({test::random_tensor({2, 3}, 1), Tensor::from_vector<std::int64_t>({2}, {3, -1})})[0];
  EXPECT_EQ(y.shape(), (Shape{3, 2}));
}

TEST(ReferenceExecutor, RandomInputsAreSeeded) {
  const ImportedModel model = import_onnx_file(test::workloads_dir() / "tiny_resnet.onnx");
  EXPECT_EQ(random_inputs(model.graph, 3)[0], random_inputs(model.graph, 3)[0]);
  EXPECT_FALSE(random_inputs(model.graph, 3)[0] == random_inputs(model.graph, 4)[0]);
}

TEST(ReferenceExecutor, ThreadCountDoesNotChangeResults) {
  const ImportedModel model = import_onnx_file(test::workloads_dir() / "tiny_inception.onnx");
  const auto inputs = random_inputs(model.graph, 5);
  set_reference_threads(1);
  const Tensor one = ReferenceExecutor(model.graph).run(inputs)[0];
  set_reference_threads(2);
  const Tensor two = ReferenceExecutor(model.graph).run(inputs)[0];
  EXPECT_EQ(one, two);
}

}  // namespace
}  // namespace wb
