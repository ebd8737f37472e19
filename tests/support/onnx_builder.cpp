#include "tests/support/onnx_builder.h"

#include <fstream>
#include <random>
#include <stdexcept>

#include "compiler/frontend/tensor_proto.h"
#include "tests/support/test_paths.h"

namespace wb::test {

OnnxBuilder::OnnxBuilder(std::int64_t opset) {
  model_.set_ir_version(opset >= 13 ? 7 : 6);
  model_.set_producer_name("wb-test");
  auto* import = model_.add_opset_import();
  import->set_domain("");
  import->set_version(opset);
  model_.mutable_graph()->set_name("test");
}

OnnxBuilder& OnnxBuilder::input(const std::string& name, const Shape& shape, int elem_type) {
  auto* info = model_.mutable_graph()->add_input();
  info->set_name(name);
  auto* type = info->mutable_type()->mutable_tensor_type();
  type->set_elem_type(elem_type);
  auto* dims = type->mutable_shape();
  for (std::int64_t d : shape) dims->add_dim()->set_dim_value(d);
  return *this;
}

OnnxBuilder& OnnxBuilder::symbolic_input(const std::string& name, const std::vector<std::string>& dims,
                                         int elem_type) {
  auto* info = model_.mutable_graph()->add_input();
  info->set_name(name);
  auto* type = info->mutable_type()->mutable_tensor_type();
  type->set_elem_type(elem_type);
  auto* shape = type->mutable_shape();
  for (const std::string& d : dims) {
    auto* dim = shape->add_dim();
    if (!d.empty() && d.find_first_not_of("0123456789") == std::string::npos) {
      dim->set_dim_value(std::stoll(d));
    } else if (d != "?") {
      dim->set_dim_param(d);
    }
  }
  return *this;
}

OnnxBuilder& OnnxBuilder::output(const std::string& name) {
  model_.mutable_graph()->add_output()->set_name(name);
  return *this;
}

OnnxBuilder& OnnxBuilder::initializer(const std::string& name, const Tensor& value) {
  *model_.mutable_graph()->add_initializer() = tensor_to_proto(value, name);
  return *this;
}

onnx::TensorProto& OnnxBuilder::raw_initializer(const std::string& name, const Shape& dims) {
  auto* init = model_.mutable_graph()->add_initializer();
  init->set_name(name);
  init->set_data_type(onnx::TensorProto::FLOAT);
  for (std::int64_t d : dims) init->add_dims(d);
  return *init;
}

onnx::TensorProto& OnnxBuilder::external_initializer(const std::string& name, const Shape& dims,
                                                     const std::string& location, std::int64_t offset,
                                                     std::int64_t length) {
  onnx::TensorProto& init = raw_initializer(name, dims);
  init.set_data_location(onnx::TensorProto::EXTERNAL);
  auto add_entry = [&](const std::string& key, const std::string& value) {
    auto* entry = init.add_external_data();
    entry->set_key(key);
    entry->set_value(value);
  };
  add_entry("location", location);
  if (offset >= 0) add_entry("offset", std::to_string(offset));
  if (length >= 0) add_entry("length", std::to_string(length));
  return init;
}

onnx::NodeProto& OnnxBuilder::node(const std::string& op_type, std::vector<std::string> inputs,
                                   std::vector<std::string> outputs, const std::string& name) {
  auto* node = model_.mutable_graph()->add_node();
  node->set_op_type(op_type);
  node->set_name(name);
  for (auto& in : inputs) node->add_input(in);
  for (auto& out : outputs) node->add_output(out);
  return *node;
}

void OnnxBuilder::save(const std::filesystem::path& path) const {
  std::ofstream file(path, std::ios::binary);
  file << bytes();
}

namespace {
onnx::AttributeProto& add(onnx::NodeProto& node, const std::string& name, onnx::AttributeProto::AttributeType type) {
  auto* attr = node.add_attribute();
  attr->set_name(name);
  attr->set_type(type);
  return *attr;
}
}  // namespace

void set_attr(onnx::NodeProto& node, const std::string& name, std::int64_t value) {
  add(node, name, onnx::AttributeProto::INT).set_i(value);
}
void set_attr(onnx::NodeProto& node, const std::string& name, float value) {
  add(node, name, onnx::AttributeProto::FLOAT).set_f(value);
}
void set_attr(onnx::NodeProto& node, const std::string& name, const std::string& value) {
  add(node, name, onnx::AttributeProto::STRING).set_s(value);
}
void set_attr(onnx::NodeProto& node, const std::string& name, std::vector<std::int64_t> values) {
  auto& attr = add(node, name, onnx::AttributeProto::INTS);
  for (auto v : values) attr.add_ints(v);
}
void set_attr(onnx::NodeProto& node, const std::string& name, std::vector<float> values) {
  auto& attr = add(node, name, onnx::AttributeProto::FLOATS);
  for (auto v : values) attr.add_floats(v);
}

std::string read_workload(const std::string& name) {
  std::ifstream file(workloads_dir() / name, std::ios::binary);
  if (!file) throw std::runtime_error("missing workload file " + name);
  return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

Tensor random_tensor(const Shape& shape, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  Tensor t(DType::F32, shape);
  for (float& v : t.span<float>()) v = dist(rng);
  return t;
}

}  // namespace wb::test
