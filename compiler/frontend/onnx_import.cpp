#include "compiler/frontend/onnx_import.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <queue>
#include <set>

#include "compiler/frontend/import_context.h"
#include "compiler/frontend/tensor_proto.h"
#include "support/error.h"
#include "support/file_io.h"

namespace wb {
namespace {

using frontend::ImportContext;
using frontend::NodeSpec;

bool is_default_domain(const std::string& domain) { return domain.empty() || domain == "ai.onnx"; }

std::int64_t default_opset(const onnx::ModelProto& model) {
  for (const auto& entry : model.opset_import()) {
    if (is_default_domain(entry.domain())) return entry.version();
  }
  throw UserError("the model imports no opset of the default ONNX domain");
}

AttrValue convert_attribute(const onnx::AttributeProto& attr, const std::string& node_name) {
  using onnx::AttributeProto;
  switch (attr.type()) {
    case AttributeProto::INT: return attr.i();
    case AttributeProto::FLOAT: return attr.f();
    case AttributeProto::STRING: return attr.s();
    case AttributeProto::INTS: return std::vector<std::int64_t>(attr.ints().begin(), attr.ints().end());
    case AttributeProto::FLOATS: return std::vector<float>(attr.floats().begin(), attr.floats().end());
    case AttributeProto::STRINGS: return std::vector<std::string>(attr.strings().begin(), attr.strings().end());
    case AttributeProto::TENSOR: return tensor_from_proto(attr.t(), std::nullopt);
    default: break;
  }
  throw UserError(fmt::format("node '{}': attribute '{}' has a kind ({}) the workbench does not read", node_name,
                              attr.name(), AttributeProto::AttributeType_Name(attr.type())));
}

// ONNX requires nodes in topological order, but exporters do not always comply; sort them
// (stably) by the names they produce and read.
std::vector<int> sorted_node_indices(const onnx::GraphProto& graph) {
  const int count = graph.node_size();
  std::map<std::string, int> producer;
  for (int i = 0; i < count; ++i) {
    for (const auto& out : graph.node(i).output()) {
      if (!out.empty()) producer.emplace(out, i);
    }
  }
  std::vector<int> pending(count, 0);
  std::vector<std::vector<int>> consumers(count);
  for (int i = 0; i < count; ++i) {
    for (const auto& in : graph.node(i).input()) {
      auto it = producer.find(in);
      if (in.empty() || it == producer.end() || it->second == i) continue;
      ++pending[i];
      consumers[it->second].push_back(i);
    }
  }
  std::priority_queue<int, std::vector<int>, std::greater<>> ready;
  for (int i = 0; i < count; ++i) {
    if (pending[i] == 0) ready.push(i);
  }
  std::vector<int> order;
  while (!ready.empty()) {
    const int i = ready.top();
    ready.pop();
    order.push_back(i);
    for (int c : consumers[i]) {
      if (--pending[c] == 0) ready.push(c);
    }
  }
  if (static_cast<int>(order.size()) != count) throw UserError("the graph has a cycle");
  return order;
}

std::string node_display_name(const onnx::NodeProto& node, int index) {
  return node.name().empty() ? fmt::format("{}_{}", node.op_type(), index) : node.name();
}

Tensor constant_node_value(const onnx::NodeProto& node, const std::string& name) {
  if (node.attribute_size() != 1) {
    throw UserError(fmt::format("Constant node '{}' must have exactly one value attribute", name));
  }
  const auto& attr = node.attribute(0);
  const std::string& key = attr.name();
  if (key == "value") return tensor_from_proto(attr.t(), std::nullopt);
  if (key == "value_float") return Tensor::scalar<float>(attr.f());
  if (key == "value_int") return Tensor::scalar<std::int64_t>(attr.i());
  if (key == "value_floats") {
    return Tensor::from_vector<float>({attr.floats_size()}, {attr.floats().begin(), attr.floats().end()});
  }
  if (key == "value_ints") {
    return Tensor::from_vector<std::int64_t>({attr.ints_size()}, {attr.ints().begin(), attr.ints().end()});
  }
  throw UserError(fmt::format("Constant node '{}': attribute '{}' is not supported", name, key));
}

std::vector<DeclaredDim> declared_dims(const onnx::ValueInfoProto& info) {
  if (!info.type().has_tensor_type()) {
    throw UserError(fmt::format("graph input '{}' is not a tensor", info.name()));
  }
  const auto& tensor_type = info.type().tensor_type();
  if (!tensor_type.has_shape()) {
    throw UserError(fmt::format("graph input '{}' has no shape; export the model with a static input shape",
                                info.name()));
  }
  std::vector<DeclaredDim> dims;
  for (const auto& dim : tensor_type.shape().dim()) {
    if (dim.has_dim_value()) {
      if (dim.dim_value() < 0) throw UserError(fmt::format("graph input '{}' has a negative dimension", info.name()));
      dims.push_back({dim.dim_value(), ""});
    } else {
      dims.push_back({std::nullopt, dim.has_dim_param() ? dim.dim_param() : ""});
    }
  }
  return dims;
}

void import_graph_input(Graph& graph, const onnx::ValueInfoProto& info, const ResolvedInput& resolved) {
  Value* value = graph.add_value(info.name());
  value->dtype = dtype_from_onnx(info.type().tensor_type().elem_type(), fmt::format("graph input '{}'", info.name()));
  value->shape = resolved.shape;
  graph.inputs().push_back(value);
}

class ModelImporter {
 public:
  ModelImporter(const onnx::ModelProto& model, std::optional<std::filesystem::path> base_dir, ImportOptions options)
      : model_(model), base_dir_(std::move(base_dir)), options_(options) {}

  ImportedModel run() {
    if (!model_.has_graph()) throw UserError("the file holds no graph (is it an ONNX model?)");
    const std::int64_t opset = default_opset(model_);
    if (opset < kMinOpset || opset > kMaxOpset) {
      throw UserError(fmt::format("opset {} is not supported; export the model with an opset from {} to {}", opset,
                                  kMinOpset, kMaxOpset));
    }
    const auto& proto = model_.graph();
    result_.graph.name = proto.name();
    result_.graph.opset = opset;
    result_.ir_version = model_.ir_version();
    result_.producer = fmt::format("{} {}", model_.producer_name(), model_.producer_version());
    for (const auto& entry : model_.metadata_props()) result_.metadata[entry.key()] = entry.value();
    if (proto.sparse_initializer_size() > 0) throw UserError("sparse initializers are not supported");

    std::set<std::string> initializer_names;
    for (const auto& init : proto.initializer()) {
      initializer_names.insert(init.name());
      result_.graph.add_constant(init.name(), tensor_from_proto(init, base_dir_));
    }
    import_graph_inputs(proto, initializer_names);

    ImportContext ctx(result_.graph, opset, consumed_names(proto));
    const auto order = sorted_node_indices(proto);
    for (int index : order) import_one(ctx, proto.node(index), index);

    for (const auto& output : proto.output()) {
      Value* value = result_.graph.find_value(output.name());
      if (value == nullptr) throw UserError(fmt::format("graph output '{}' is produced by no node", output.name()));
      result_.graph.outputs().push_back(value);
    }
    if (result_.graph.outputs().empty()) throw UserError("the graph has no outputs");
    if (!result_.unsupported.empty() && !options_.allow_unsupported) {
      throw UserError(format_unsupported(result_.unsupported));
    }
    return std::move(result_);
  }

 private:
  void import_graph_inputs(const onnx::GraphProto& proto, const std::set<std::string>& initializer_names) {
    // Before IR version 4 initializers were also listed as inputs; they stay constants.
    std::vector<const onnx::ValueInfoProto*> inputs;
    std::vector<std::string> names;
    for (const auto& input : proto.input()) {
      if (initializer_names.count(input.name()) != 0) continue;
      inputs.push_back(&input);
      names.push_back(input.name());
    }
    const std::vector<const GivenShape*> given =
        bind_given_shapes(names, options_.given_shapes, options_.input_file_shapes);
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      const std::vector<DeclaredDim> declared = declared_dims(*inputs[i]);
      result_.inputs.push_back(resolve_input_shape(names[i], declared, given[i], result_.notes));
      import_graph_input(result_.graph, *inputs[i], result_.inputs.back());
      // A file of the wrong element type is refused now, before anything is quantized.
      if (given[i] != nullptr) {
        const std::string problem = given_dtype_problem(*given[i], names[i], result_.graph.inputs().back()->dtype);
        if (!problem.empty()) throw UserError(problem);
      }
    }
  }

  static std::set<std::string> consumed_names(const onnx::GraphProto& proto) {
    std::set<std::string> names;
    for (const auto& node : proto.node()) names.insert(node.input().begin(), node.input().end());
    for (const auto& output : proto.output()) names.insert(output.name());
    return names;
  }

  Value* resolve_input(const std::string& input, const std::string& node_name, const std::string& op_type) {
    if (input.empty()) return nullptr;
    Value* value = result_.graph.find_value(input);
    if (value == nullptr) {
      throw UserError(fmt::format("node '{}' ({}) reads '{}', which no initializer, graph input or node provides",
                                  node_name, op_type, input));
    }
    return value;
  }

  void import_one(ImportContext& ctx, const onnx::NodeProto& node, int index) {
    NodeSpec spec;
    spec.name = node_display_name(node, index);
    spec.op_type = node.op_type();
    for (const auto& input : node.input()) spec.inputs.push_back(resolve_input(input, spec.name, spec.op_type));
    spec.outputs.assign(node.output().begin(), node.output().end());

    if (is_default_domain(node.domain()) && node.op_type() == "Constant") {
      if (spec.outputs.size() != 1) throw UserError(fmt::format("Constant node '{}' must have one output", spec.name));
      result_.graph.add_constant(spec.outputs[0], constant_node_value(node, spec.name));
      return;
    }
    std::optional<OpKind> op;
    if (is_default_domain(node.domain())) {
      // Upsample is an old Resize; Split becomes one Slice per output (import_node).
      op = node.op_type() == "Upsample" ? std::optional(OpKind::Resize)
           : node.op_type() == "Split"  ? std::optional(OpKind::Slice)
                                        : op_from_name(node.op_type());
    } else {
      spec.op_type = node.domain() + "." + node.op_type();
    }
    std::optional<std::string> reason;
    if (op) {
      spec.op = *op;
      for (const auto& attr : node.attribute()) spec.attrs.set(attr.name(), convert_attribute(attr, spec.name));
      spec.attrs.erase("consumed_inputs");  // a memory hint of opsets before 6
      reason = frontend::import_node(ctx, spec);
      if (!reason) return;
    }
    // An op the workbench knows that fails on an input of unknown shape follows from the node
    // that left it unknown; an op it does not know is a cause of its own.
    result_.unsupported.push_back({spec.name, spec.op_type, reason.value_or(""), op ? root_cause(spec.inputs) : ""});
    emit_unsupported(spec, node);
  }

  // The unsupported node an input's unknown shape comes from ("" when every input is known, or
  // an unknown one has no unsupported node upstream): what makes this node fail in turn.
  std::string root_cause(const std::vector<Value*>& inputs) const {
    std::vector<const Value*> pending(inputs.begin(), inputs.end());
    std::set<const Value*> seen;
    while (!pending.empty()) {
      const Value* v = pending.back();
      pending.pop_back();
      if (v == nullptr || v->has_type() || v->is_constant() || !seen.insert(v).second || v->producer == nullptr) continue;
      if (v->producer->op == OpKind::Unsupported) {
        const auto it = std::find_if(result_.unsupported.begin(), result_.unsupported.end(),
                                     [&](const UnsupportedNode& u) { return u.name == v->producer->name; });
        if (it != result_.unsupported.end()) return it->follows.empty() ? it->name : it->follows;
      }
      pending.insert(pending.end(), v->producer->inputs.begin(), v->producer->inputs.end());
    }
    return {};
  }

  // Keeps the node (untyped outputs) so `inspect` can show the whole model.
  void emit_unsupported(const NodeSpec& spec, const onnx::NodeProto& node) {
    std::vector<Value*> outputs;
    for (const auto& out : spec.outputs) outputs.push_back(out.empty() ? nullptr : result_.graph.add_value(out));
    std::vector<Value*> inputs;
    for (const auto& input : node.input()) inputs.push_back(resolve_input(input, spec.name, spec.op_type));
    Node* n = result_.graph.add_node(OpKind::Unsupported, spec.name, inputs, outputs);
    n->op_type = spec.op_type;
    n->domain = node.domain();
  }

  const onnx::ModelProto& model_;
  std::optional<std::filesystem::path> base_dir_;
  ImportOptions options_;
  ImportedModel result_;
};

}  // namespace

namespace {

// "NonZero 180, TopK 90, Tile 11": each op type once, the most frequent first (then by name).
std::string count_by_op(const std::vector<UnsupportedNode>& nodes) {
  std::map<std::string, std::size_t> counts;
  for (const auto& n : nodes) ++counts[n.op_type];
  std::vector<std::pair<std::string, std::size_t>> sorted(counts.begin(), counts.end());
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string text;
  for (const auto& [op, count] : sorted) text += fmt::format("{}{} {}", text.empty() ? "" : ", ", op, count);
  return text;
}

// A detector exported whole (torchvision's SSD, RetinaNet, Faster R-CNN) brings its
// post-processing: score thresholds (NonZero), the top-k boxes and non-maximum suppression.
std::string detection_hint(const std::vector<UnsupportedNode>& nodes) {
  static const std::set<std::string> post_processing = {"NonMaxSuppression", "NonZero", "TopK"};
  std::set<std::string> found;
  for (const auto& n : nodes) {
    if (post_processing.count(n.op_type) != 0) found.insert(n.op_type);
  }
  if (found.empty()) return {};
  return fmt::format(
      "; {} are a detector's post-processing (score thresholds, top-k boxes, non-maximum suppression), which "
      "has no integer form on the accelerators: export the network without it (the backbone and the heads' "
      "convolutions) and run the post-processing on the host",
      fmt::join(found, ", "));
}

}  // namespace

std::string format_unsupported(const std::vector<UnsupportedNode>& all) {
  // The causes; the nodes that fail only because they read one are counted after them.
  std::vector<UnsupportedNode> nodes;
  for (const UnsupportedNode& n : all) {
    if (n.follows.empty()) nodes.push_back(n);
  }
  const std::size_t consequences = all.size() - nodes.size();
  std::string text = fmt::format("{} unsupported node{}", nodes.size(), nodes.size() == 1 ? "" : "s");
  // One line: the first ten, then how many more (a model can have hundreds), with a count per
  // op type so that the hidden ones are named too.
  constexpr std::size_t kShown = 10;
  if (nodes.size() > kShown) text += fmt::format(" ({})", count_by_op(nodes));
  text += ":";
  for (std::size_t i = 0; i < nodes.size() && i < kShown; ++i) {
    const auto& n = nodes[i];
    text += fmt::format("{} '{}' ({}{}{})", i == 0 ? "" : ",", n.name, n.op_type, n.reason.empty() ? "" : ": ",
                        n.reason);
  }
  if (nodes.size() > kShown) {
    text += fmt::format(", and {} more (`workbench inspect MODEL` lists them all)", nodes.size() - kShown);
  }
  if (consequences > 0) {
    text += fmt::format("; {} node{} after them cannot be read until they are (their inputs' shapes come from them)",
                        consequences, consequences == 1 ? "" : "s");
  }
  return text + detection_hint(nodes);
}

ImportedModel import_onnx_model(const onnx::ModelProto& model, const std::optional<std::filesystem::path>& base_dir,
                                const ImportOptions& options) {
  return ModelImporter(model, base_dir, options).run();
}

ImportedModel import_onnx_file(const std::filesystem::path& path, const ImportOptions& options) {
  const std::string shown = path.string();
  require_regular_file(path);
  std::ifstream file(path, std::ios::binary);
  if (!file) throw UserError(fmt::format("{}: cannot be opened", shown));
  onnx::ModelProto model;
  google::protobuf::io::IstreamInputStream raw(&file);
  google::protobuf::io::CodedInputStream coded(&raw);
  coded.SetTotalBytesLimit(std::numeric_limits<int>::max());
  if (!model.ParseFromCodedStream(&coded) || !coded.ConsumedEntireMessage()) {
    throw UserError(fmt::format("{}: not a valid ONNX model (the protobuf does not parse; truncated or another format?)",
                                shown));
  }
  if (!model.has_graph() || model.ir_version() <= 0) {
    throw UserError(fmt::format("{}: not an ONNX model (no graph or IR version)", shown));
  }
  try {
    return import_onnx_model(model, path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path(),
                             options);
  } catch (const UserError& e) {
    throw UserError(fmt::format("{}: {}", shown, e.what()));
  }
}

}  // namespace wb
