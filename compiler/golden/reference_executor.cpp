#include "compiler/golden/reference_executor.h"

#include "compiler/ir/token_ids.h"

#include <fmt/format.h>
#include <omp.h>

#include <Eigen/Core>

#include <algorithm>
#include <random>
#include <unordered_map>

#include "compiler/golden/kernels.h"
#include "compiler/ir/printer.h"
#include "compiler/ir/shape_inference.h"
#include "support/cpu_threads.h"
#include "support/error.h"

namespace wb {

ReferenceExecutor::ReferenceExecutor(const Graph& graph)
    : graph_(graph), kernel_cache_(std::make_shared<golden::KernelCache>()) {
  for (const Node* node : graph.topological_order()) {
    if (node->op == OpKind::Unsupported) {
      throw UserError(fmt::format("node '{}' ({}) is not supported by the reference executor", node->name,
                                  node->op_type));
    }
    order_.push_back(node);
    dynamic_.push_back(std::any_of(node->outputs.begin(), node->outputs.end(),
                                   [](const Value* v) { return v != nullptr && !v->has_type(); }));
  }
  std::unordered_map<const Value*, std::size_t> last_use;
  for (std::size_t step = 0; step < order_.size(); ++step) {
    for (const Value* in : order_[step]->inputs) {
      if (in != nullptr && !in->is_constant()) last_use[in] = step;
    }
  }
  release_after_.resize(order_.size());
  for (const auto& [value, step] : last_use) {
    if (!graph.is_graph_output(value)) release_after_[step].push_back(value);
  }
}

namespace {

struct ValueType {
  DType dtype = DType::Undefined;
  Shape shape;
};

// Output types of `node` for these actual input tensors: shape inference on a scratch copy of
// the node whose inputs are all bound, as constants, to the run-time tensors.
std::vector<ValueType> infer_at_run_time(const Node& node, const std::vector<const Tensor*>& args) {
  std::vector<Value> in_values(node.inputs.size());
  std::vector<Value> out_values(node.outputs.size());
  Node scratch;
  scratch.name = node.name;
  scratch.op = node.op;
  scratch.op_type = node.op_type;
  scratch.attrs = node.attrs;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == nullptr) {
      scratch.inputs.push_back(nullptr);
      continue;
    }
    in_values[i].name = node.inputs[i]->name;
    in_values[i].dtype = args[i]->dtype();
    in_values[i].shape = args[i]->shape();
    in_values[i].constant = std::shared_ptr<const Tensor>(std::shared_ptr<const Tensor>(), args[i]);  // not owned
    scratch.inputs.push_back(&in_values[i]);
  }
  for (std::size_t i = 0; i < node.outputs.size(); ++i) scratch.outputs.push_back(node.outputs[i] ? &out_values[i] : nullptr);
  if (!infer_node(scratch)) throw std::logic_error(fmt::format("node '{}': types unknown at run time", node.name));
  std::vector<ValueType> types;
  for (const Value& v : out_values) types.push_back({v.dtype, v.shape});
  return types;
}

// Ops whose kernels write every element of their first output, so it may start as a dead
// value's buffer instead of a fresh zero-filled one.
bool overwrites_output(OpKind op) {
  switch (op) {
    case OpKind::Conv:
    case OpKind::BatchNormalization:
    case OpKind::MaxPool:
    case OpKind::AveragePool: return true;
    default: return is_unary_activation(op) || is_elementwise_arithmetic(op);
  }
}

// Buffers of values that died during a run, handed to later outputs of the same type: a
// fresh Tensor is zero-filled, and its pages faulted in, on every run, which costs as much as
// a residual Add. Bounded so a run holds at most a few dead tensors more than before.
class BufferPool {
 public:
  void give(Tensor&& tensor) {
    if (tensor.empty()) return;
    if (free_.size() == kCapacity) free_.erase(free_.begin());
    free_.push_back(std::move(tensor));
  }
  Tensor take(DType dtype, const Shape& shape) {
    for (auto it = free_.rbegin(); it != free_.rend(); ++it) {
      if (it->dtype() == dtype && it->shape() == shape) {
        Tensor tensor = std::move(*it);
        free_.erase(std::next(it).base());
        return tensor;
      }
    }
    return Tensor(dtype, shape);
  }

 private:
  static constexpr std::size_t kCapacity = 4;
  std::vector<Tensor> free_;
};

}  // namespace

void ReferenceExecutor::check_input(std::size_t index, const Tensor& tensor) const {
  const Value* declared = graph_.inputs().at(index);
  if (tensor.dtype() != declared->dtype || tensor.shape() != declared->shape) {
    throw UserError(fmt::format("input '{}' is {}{} but the model expects {}", declared->name,
                                dtype_name(tensor.dtype()), format_shape(tensor.shape()),
                                format_value_type(*declared)));
  }
}

std::vector<Tensor> ReferenceExecutor::run(const std::vector<Tensor>& inputs, const Observer& observer) const {
  fit_threads_to_idle_cpus();
  if (inputs.size() != graph_.inputs().size()) {
    throw UserError(fmt::format("the model has {} input{} but {} {} given", graph_.inputs().size(),
                                graph_.inputs().size() == 1 ? "" : "s", inputs.size(),
                                inputs.size() == 1 ? "was" : "were"));
  }
  const golden::KernelCacheScope cache_scope(kernel_cache_.get());
  std::unordered_map<const Value*, Tensor> computed;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    check_input(i, inputs[i]);
    computed.emplace(graph_.inputs()[i], inputs[i]);
  }
  auto lookup = [&](const Value* v) -> const Tensor* {
    if (v == nullptr) return nullptr;
    if (v->is_constant()) return v->constant.get();
    auto it = computed.find(v);
    if (it == computed.end()) throw std::logic_error(fmt::format("value '{}' read before it was computed", v->name));
    return &it->second;
  };

  std::vector<const Tensor*> args;
  BufferPool pool;
  for (std::size_t step = 0; step < order_.size(); ++step) {
    const Node& node = *order_[step];
    args.clear();
    for (const Value* in : node.inputs) args.push_back(lookup(in));
    std::vector<Tensor> results;
    try {
      std::vector<ValueType> types;
      if (dynamic_[step]) {
        types = infer_at_run_time(node, args);
      } else {
        for (const Value* out : node.outputs) types.push_back(out ? ValueType{out->dtype, out->shape} : ValueType{});
      }
      for (const auto& type : types) {
        if (type.dtype == DType::Undefined) results.emplace_back();
        else if (results.empty() && overwrites_output(node.op)) results.push_back(pool.take(type.dtype, type.shape));
        else results.emplace_back(type.dtype, type.shape);
      }
      golden::kernel_for(node.op)(node, args, results);
      for (std::size_t i = 0; i < results.size(); ++i) {
        if (results[i].shape() != types[i].shape || results[i].dtype() != types[i].dtype) {
          throw std::logic_error(fmt::format("produced {}{} but {}{} was inferred", dtype_name(results[i].dtype()),
                                             format_shape(results[i].shape()), dtype_name(types[i].dtype),
                                             format_shape(types[i].shape)));
        }
      }
    } catch (const UserError& e) {
      throw UserError(fmt::format("node '{}' ({}): {}", node.name, node.op_type, e.what()));
    } catch (const std::logic_error& e) {
      throw std::logic_error(fmt::format("node '{}' ({}): {}", node.name, node.op_type, e.what()));
    }
    for (std::size_t i = 0; i < node.outputs.size(); ++i) {
      const Value* out = node.outputs[i];
      if (out == nullptr) continue;
      if (observer) observer(*out, results[i]);
      computed.insert_or_assign(out, std::move(results[i]));
    }
    for (const Value* dead : release_after_[step]) {
      auto it = computed.find(dead);
      if (it == computed.end()) continue;
      pool.give(std::move(it->second));
      computed.erase(it);
    }
  }
  std::vector<Tensor> outputs;
  for (const Value* out : graph_.outputs()) outputs.push_back(*lookup(out));
  return outputs;
}

void set_reference_threads(int threads) {
  fix_threads(threads);
  Eigen::setNbThreads(threads);
}

std::vector<Tensor> random_inputs(const Graph& graph, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Tensor> inputs;
  for (const Value* in : graph.inputs()) {
    if (const std::optional<std::int64_t> rows = token_id_rows(graph, *in)) {
      Tensor ids(DType::I64, in->shape);
      std::uniform_int_distribution<std::int64_t> id(0, *rows - 1);
      for (std::int64_t& v : ids.span<std::int64_t>()) v = id(rng);
      inputs.push_back(ids.cast(in->dtype));
      continue;
    }
    Tensor t(in->dtype, in->shape);
    visit_dtype(in->dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      T* data = t.data<T>();
      if constexpr (std::is_floating_point_v<T>) {
        std::normal_distribution<double> dist(0.0, 1.0);
        for (std::int64_t i = 0; i < t.numel(); ++i) data[i] = static_cast<T>(dist(rng));
      } else if constexpr (std::is_same_v<T, bool>) {
        for (std::int64_t i = 0; i < t.numel(); ++i) data[i] = (rng() & 1) != 0;
      } else {
        // 8-bit types over their whole range, wider ones over the 8-bit range of their sign.
        const std::int64_t lo = std::is_signed_v<T> ? (sizeof(T) == 1 ? std::numeric_limits<T>::lowest() : -128) : 0;
        const std::int64_t hi = sizeof(T) == 1 ? static_cast<std::int64_t>(std::numeric_limits<T>::max())
                                               : (std::is_signed_v<T> ? 127 : 255);
        std::uniform_int_distribution<std::int64_t> dist(lo, hi);
        for (std::int64_t i = 0; i < t.numel(); ++i) data[i] = static_cast<T>(dist(rng));
      }
    });
    inputs.push_back(std::move(t));
  }
  return inputs;
}

}  // namespace wb
