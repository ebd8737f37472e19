#pragma once
// Builds small ONNX models in tests, so each test states its model next to its expectation
// instead of depending on binary fixtures.

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <string>
#include <vector>

#include "compiler/ir/tensor.h"
#include "tests/support/temp_dir.h"

namespace wb::test {

class OnnxBuilder {
 public:
  explicit OnnxBuilder(std::int64_t opset = 13);

  OnnxBuilder& input(const std::string& name, const Shape& shape, int elem_type = onnx::TensorProto::FLOAT);
  // An input of dimensions as an exporter writes them: a number is a size, "?" an unnamed
  // unknown, anything else a symbol (dim_param) such as "batch" or "h".
  OnnxBuilder& symbolic_input(const std::string& name, const std::vector<std::string>& dims,
                              int elem_type = onnx::TensorProto::FLOAT);
  OnnxBuilder& output(const std::string& name);
  OnnxBuilder& initializer(const std::string& name, const Tensor& value);
  // An empty float initializer of shape `dims` whose data the test fills in by hand.
  onnx::TensorProto& raw_initializer(const std::string& name, const Shape& dims);
  // A float initializer whose data lives in an external file (offset/length < 0: not given).
  onnx::TensorProto& external_initializer(const std::string& name, const Shape& dims, const std::string& location,
                                          std::int64_t offset = -1, std::int64_t length = -1);
  // Adds a node; returns it so attributes can be set with the helpers below.
  onnx::NodeProto& node(const std::string& op_type, std::vector<std::string> inputs, std::vector<std::string> outputs,
                        const std::string& name = "");

  onnx::ModelProto& model() { return model_; }
  const onnx::ModelProto& proto() const { return model_; }
  std::string bytes() const { return model_.SerializeAsString(); }
  void save(const std::filesystem::path& path) const;

 private:
  onnx::ModelProto model_;
};

void set_attr(onnx::NodeProto& node, const std::string& name, std::int64_t value);
void set_attr(onnx::NodeProto& node, const std::string& name, float value);
void set_attr(onnx::NodeProto& node, const std::string& name, const std::string& value);
void set_attr(onnx::NodeProto& node, const std::string& name, std::vector<std::int64_t> values);
void set_attr(onnx::NodeProto& node, const std::string& name, std::vector<float> values);

// Bytes of a file checked in under workloads/.
std::string read_workload(const std::string& name);

// Deterministic pseudo-random float tensor (values in [-1, 1)).
Tensor random_tensor(const Shape& shape, std::uint32_t seed);

}  // namespace wb::test
