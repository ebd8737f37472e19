#include "compiler/passes/unroll_recurrence.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>

#include "compiler/ir/recurrent.h"
#include "compiler/ir/shape_inference.h"
#include "compiler/passes/rewrite/graph_builder.h"
#include "compiler/passes/rewrite/rewrite.h"

namespace wb {
namespace {

// ONNX's gate order: LSTM i, o, f, c; GRU z, r, h; RNN the one.
enum LstmGate { kInput = 0, kOutput = 1, kForget = 2, kCell = 3 };
enum GruGate { kUpdate = 0, kReset = 1, kCandidate = 2 };

// The images a sequence has once unrolled: [1, C, 1, T] (its tokens as pixels, docs/token_layout.md)
// and each step's [1, C, 1, 1].
struct SequenceImages {
  Value* sequence = nullptr;
  std::vector<Value*> steps;
};

// Whether a Transpose keeps row-major order (it moves only axes of size 1).
bool keeps_order(const Node& node) {
  if (node.op != OpKind::Transpose || node.input(0) == nullptr) return false;
  const Shape& shape = node.input(0)->shape;
  std::int64_t last = -1;
  for (const std::int64_t axis : node.attrs.get_ints("perm")) {
    if (shape[static_cast<std::size_t>(axis)] == 1) continue;
    if (axis < last) return false;
    last = axis;
  }
  return true;
}

bool is_view(const Node& node) {
  return node.op == OpKind::Reshape || node.op == OpKind::Squeeze || node.op == OpKind::Unsqueeze ||
         node.op == OpKind::Flatten || keeps_order(node);
}

class Unroller {
 public:
  Unroller(Graph& graph, Node& node, const RecurrentSpec& spec, std::map<const Value*, SequenceImages>& sequences)
      : graph_(graph), builder_(graph, "unroll-recurrence"), node_(node), s_(spec), sequences_(sequences) {}

  // The nodes the unrolling may leave unread: torch's transposes of the input, the views of Y
  // a later layer or a step's selection no longer reads.
  const std::vector<Node*>& maybe_dead() const { return maybe_dead_; }

  void run() {
    const std::string base = node_.name;
    if (node_.input(0)->producer != nullptr) maybe_dead_.push_back(node_.input(0)->producer);
    Value* x = input_image();
    std::vector<std::vector<Value*>> states(static_cast<std::size_t>(s_.directions),
                                            std::vector<Value*>(static_cast<std::size_t>(s_.steps), nullptr));
    std::vector<Value*> last_h, last_c;
    for (std::int64_t d = 0; d < s_.directions; ++d) {
      const std::string dir = s_.directions == 2 ? fmt::format("{}/dir{}", base, d) : base;
      Value* h = nullptr;
      Value* c = nullptr;
      for (std::int64_t k = 0; k < s_.steps; ++k) {
        const std::int64_t t = (s_.reverse || d == 1) ? s_.steps - 1 - k : k;
        const std::string step = fmt::format("{}/t{}", dir, t);
        Value* xt = input_step(step, x, t);
        if (s_.op == OpKind::LSTM) {
          lstm_step(step, d, xt, h, c);
        } else if (s_.op == OpKind::GRU) {
          gru_step(step, d, xt, h);
        } else {
          h = emit(OpKind::Tanh, step + "/h", {pre(step, xt, h, d, 0)});
        }
        states[static_cast<std::size_t>(d)][static_cast<std::size_t>(t)] = h;
      }
      last_h.push_back(h);
      last_c.push_back(c);
    }
    write_outputs(base, states, last_h, last_c);
  }

 private:
  // X as the image [1, I, 1, T]: the image an earlier unrolled layer's Y is, or the view of a
  // network input [1, T, I] (its tokens; the quantizer's token input), else the data moved.
  Value* input_image() {
    Value* x = node_.input(0);
    if (const auto it = sequences_.find(x); it != sequences_.end()) return it->second.sequence;
    Value* tokens = x;  // [1, T, I]
    Node* time_major = x->producer;
    if (!s_.batch_first && time_major != nullptr && time_major->op == OpKind::Transpose &&
        time_major->attrs.get_ints("perm") == std::vector<std::int64_t>{1, 0, 2}) {
      tokens = time_major->input(0);  // torch's batch_first input, transposed to time-major
    } else if (!s_.batch_first) {
      tokens = emit(OpKind::Transpose, node_.name + "/batch_first", {x}, perm({1, 0, 2}));
    }
    Value* features_first = emit(OpKind::Transpose, node_.name + "/features_first", {tokens}, perm({0, 2, 1}));
    return reshape(node_.name + "/sequence", features_first, {1, s_.input, 1, s_.steps});
  }

  static Attributes perm(std::vector<std::int64_t> p) {
    Attributes a;
    a.set("perm", std::move(p));
    return a;
  }

  // Step t's input [1, I, 1, 1]: pixel t of the sequence (a gather of one pixel).
  Value* input_step(const std::string& step, Value* x, std::int64_t t) {
    if (const auto it = sequences_.find(node_.input(0)); it != sequences_.end() && it->second.steps[static_cast<std::size_t>(t)] != nullptr) {
      return it->second.steps[static_cast<std::size_t>(t)];  // the earlier layer's step image itself
    }
    Attributes axis;
    axis.set("axis", std::int64_t{3});
    return emit(OpKind::Gather, step + "/x", {x, constant(step + "/x_pixel", Tensor::from_vector<std::int64_t>({1}, {t}))},
                std::move(axis));
  }

  // Rows [g H, (g + 1) H) of direction d of W or R ([D, G H, K]) as 1x1 conv weights [H, K, 1, 1].
  Tensor gate_weights(std::size_t input, std::int64_t d, std::int64_t g) const {
    const Tensor& w = *node_.constant_input(input);
    const std::int64_t k = w.shape()[2], H = s_.hidden;
    Tensor m(DType::F32, {H, k, 1, 1});
    const float* src = w.data<float>() + (d * s_.gates + g) * H * k;
    std::copy(src, src + H * k, m.data<float>());
    return m;
  }

  // The gate's biases: W's, R's, or both.
  Tensor gate_bias(std::int64_t d, std::int64_t g, bool input_part, bool recurrent_part) const {
    Tensor b(DType::F32, {s_.hidden});
    const Tensor* bias = node_.constant_input(3);
    if (bias == nullptr) return b;
    const float* row = bias->data<float>() + d * 2 * s_.gates * s_.hidden;
    for (std::int64_t h = 0; h < s_.hidden; ++h) {
      float v = 0;
      if (input_part) v += row[g * s_.hidden + h];
      if (recurrent_part) v += row[(s_.gates + g) * s_.hidden + h];
      b.data<float>()[h] = v;
    }
    return b;
  }

  // GRU's candidate with linear_before_reset keeps R's bias inside the reset product.
  bool recurrent_bias_apart(std::int64_t g) const {
    return s_.op == OpKind::GRU && g == kCandidate && s_.linear_before_reset;
  }

  Value* conv(const std::string& name, Value* x, Tensor weights, const Tensor* bias) {
    std::vector<Value*> inputs{x, constant(name + "_weight", std::move(weights))};
    if (bias != nullptr) inputs.push_back(constant(name + "_bias", *bias));
    return emit(OpKind::Conv, name, std::move(inputs));
  }

  // The gate's pre-activation: x_t W_g^T + its biases, plus h R_g^T after the first step.
  Value* pre(const std::string& step, Value* xt, Value* h, std::int64_t d, std::int64_t g) {
    const Tensor bias = gate_bias(d, g, true, !recurrent_bias_apart(g));
    Value* x_part = conv(fmt::format("{}/x_gate{}", step, g), xt, gate_weights(1, d, g), &bias);
    if (h == nullptr) return x_part;
    return add(fmt::format("{}/gate{}", step, g), x_part, conv(fmt::format("{}/h_gate{}", step, g), h, gate_weights(2, d, g), nullptr));
  }

  void lstm_step(const std::string& step, std::int64_t d, Value* xt, Value*& h, Value*& c) {
    Value* i = emit(OpKind::Sigmoid, step + "/i", {pre(step, xt, h, d, kInput)});
    Value* o = emit(OpKind::Sigmoid, step + "/o", {pre(step, xt, h, d, kOutput)});
    Value* g = emit(OpKind::Tanh, step + "/g", {pre(step, xt, h, d, kCell)});
    Value* ig = emit(OpKind::Mul, step + "/i_g", {i, g});
    if (c != nullptr) {
      Value* f = emit(OpKind::Sigmoid, step + "/f", {pre(step, xt, h, d, kForget)});
      c = add(step + "/c", emit(OpKind::Mul, step + "/f_c", {f, c}), ig);
    } else {
      c = ig;  // the zero initial cell forgets nothing
    }
    h = emit(OpKind::Mul, step + "/h", {o, emit(OpKind::Tanh, step + "/tanh_c", {c})});
  }

  void gru_step(const std::string& step, std::int64_t d, Value* xt, Value*& h) {
    Value* z_pre = pre(step, xt, h, d, kUpdate);
    Value* z = h == nullptr ? nullptr : emit(OpKind::Sigmoid, step + "/z", {z_pre});
    Value* one_minus_z = emit(OpKind::Sub, step + "/1-z", {constant(step + "/one", Tensor::scalar<float>(1.0f)),
                                                          emit(OpKind::Sigmoid, step + "/z_of_1-z", {z_pre})});
    Value* r = emit(OpKind::Sigmoid, step + "/r", {pre(step, xt, h, d, kReset)});
    // The candidate's reset term: r . (h R_h^T + Rb_h) (linear_before_reset) or (r . h) R_h^T.
    // From the zero initial state it is r . Rb_h (a depthwise 1x1 conv: a product by a
    // per-channel constant), or nothing (R's bias then joins W's).
    const Tensor recurrent_bias = gate_bias(d, kCandidate, false, true);
    Value* reset = nullptr;
    if (h == nullptr && s_.linear_before_reset) {
      Value* b = constant(step + "/r_bias_weight", recurrent_bias.reshaped({s_.hidden, 1, 1, 1}));
      Attributes depthwise;
      depthwise.set("group", s_.hidden);
      reset = emit(OpKind::Conv, step + "/r_bias", {r, b}, std::move(depthwise));
    } else if (h != nullptr && s_.linear_before_reset) {
      reset = emit(OpKind::Mul, step + "/r_h", {r, conv(step + "/h_gate2", h, gate_weights(2, d, kCandidate), &recurrent_bias)});
    } else if (h != nullptr) {
      reset = conv(step + "/h_gate2", emit(OpKind::Mul, step + "/r_h", {r, h}), gate_weights(2, d, kCandidate), nullptr);
    }
    const Tensor x_bias = gate_bias(d, kCandidate, true, !s_.linear_before_reset);
    Value* candidate = conv(step + "/x_gate2", xt, gate_weights(1, d, kCandidate), &x_bias);
    if (reset != nullptr) candidate = add(step + "/candidate", candidate, reset);
    Value* n = emit(OpKind::Tanh, step + "/n", {candidate});
    Value* kept = emit(OpKind::Mul, step + "/1-z_n", {one_minus_z, n});
    // From the zero initial state z . h is zero.
    h = h == nullptr ? kept : add(step + "/h", kept, emit(OpKind::Mul, step + "/z_h", {z, h}));
  }

  // The outputs from the steps' images: Y_h and Y_c [D, 1, H] as reshapes of the last states
  // (the directions' side by side on the channels); Y as the sequence image [1, D H, 1, T] the
  // steps concatenated along W (each step's directions on the channels), which a later
  // unrolled layer reads, and whose selections of one step (a Gather of token t behind views
  // that keep the order) read that step's image. Y itself is written from the image for any
  // other reader. The node's output values keep their names.
  void write_outputs(const std::string& base, const std::vector<std::vector<Value*>>& states,
                     const std::vector<Value*>& last_h, const std::vector<Value*>& last_c) {
    const std::vector<Value*> outputs = node_.outputs;
    graph_.erase_node(&node_);  // first: its outputs get their new writers below
    Attributes channels, width;
    channels.set("axis", std::int64_t{1});
    width.set("axis", std::int64_t{3});
    std::vector<Node*> writers;
    const auto side_by_side = [&](const std::string& name, const std::vector<Value*>& per_direction) {
      return per_direction.size() == 1 ? per_direction[0] : emit(OpKind::Concat, name, per_direction, channels);
    };
    if (outputs.size() > 0 && outputs[0] != nullptr) {
      SequenceImages images;
      for (std::int64_t t = 0; t < s_.steps; ++t) {
        std::vector<Value*> directions;
        for (const auto& h : states) directions.push_back(h[static_cast<std::size_t>(t)]);
        images.steps.push_back(side_by_side(fmt::format("{}/y{}", base, t), directions));
      }
      images.sequence = emit(OpKind::Concat, base + "/y", images.steps, width);  // [1, D H, 1, T]
      // Y [T, D, 1, H] from the image: tokens [1, T, D H] (features last), then reshaped.
      const std::int64_t features = s_.directions * s_.hidden;
      Value* rows = reshape(base + "/y_rows", images.sequence, {1, features, s_.steps});
      Value* tokens = emit(OpKind::Transpose, base + "/y_tokens", {rows}, perm({0, 2, 1}));
      writers.push_back(reshape_into(base + "/Y", tokens, outputs[0]));
      maybe_dead_.push_back(writers.back());
      follow_sequence(outputs[0], images);
    }
    const auto stack = [&](const std::string& name, const std::vector<Value*>& per_direction, Value* out) {
      if (out == nullptr) return;
      writers.push_back(reshape_into(name, side_by_side(name + "/directions", per_direction), out));
      maybe_dead_.push_back(writers.back());  // torch names Y_h and Y_c whether the model reads them or not
    };
    if (outputs.size() > 1) stack(base + "/Y_h", last_h, outputs[1]);
    if (outputs.size() > 2 && s_.op == OpKind::LSTM) stack(base + "/Y_c", last_c, outputs[2]);
    for (Node* writer : writers) {
      if (!infer_node(*writer)) throw std::logic_error("unroll-recurrence: no shape for " + writer->name);
    }
  }

  // Follows Y's readers through views that keep its order: each value there is the sequence
  // (recorded for a later layer); a Gather of one constant token becomes that step's image.
  void follow_sequence(Value* y, const SequenceImages& images) {
    std::vector<Value*> pending{y};
    while (!pending.empty()) {
      Value* v = pending.back();
      pending.pop_back();
      sequences_[v] = images;
      for (Node* reader : graph_.users(v)) {
        if (is_view(*reader) && reader->input(0) == v) {
          pending.push_back(reader->output(0));
          maybe_dead_.push_back(reader);
        } else if (reader->op == OpKind::Gather && reader->input(0) == v) {
          select_step(*reader, images);
        }
      }
    }
  }

  // A Gather of one constant token t along the time axis (the axis of size T) of a sequence
  // value: a reshape of step t's image.
  void select_step(Node& gather, const SequenceImages& images) {
    const Value* v = gather.input(0);
    const Tensor* index = gather.constant_input(1);
    const std::int64_t axis = normalize_axis(gather.attrs.get_int("axis", 0), static_cast<std::int64_t>(v->shape.size()));
    if (index == nullptr || index->numel() != 1 || v->shape[static_cast<std::size_t>(axis)] != s_.steps) return;
    for (std::size_t a = 0; a < v->shape.size(); ++a) {
      if (static_cast<std::int64_t>(a) != axis && v->shape[a] != 1 && v->shape[a] != s_.directions * s_.hidden) return;
    }
    std::int64_t t = index->as_int64(0);
    if (t < 0) t += s_.steps;
    if (t < 0 || t >= s_.steps) return;
    Value* out = gather.output(0);
    const std::string name = gather.name;
    graph_.erase_node(&gather);
    Node* writer = reshape_into(name, images.steps[static_cast<std::size_t>(t)], out);
    if (!infer_node(*writer)) throw std::logic_error("unroll-recurrence: no shape for " + name);
  }

  // A Reshape of `x` writing the existing value `out` (its shape).
  Node* reshape_into(const std::string& name, Value* x, Value* out) {
    Value* shape = constant(name + "_shape", Tensor::from_vector<std::int64_t>(
                                                 {static_cast<std::int64_t>(out->shape.size())}, out->shape));
    return graph_.add_node(OpKind::Reshape, node_name(name), {x, shape}, {out});
  }

  Value* reshape(const std::string& name, Value* x, const std::vector<std::int64_t>& dims) {
    return builder_.reshape(name, x, dims);
  }

  Value* add(const std::string& name, Value* a, Value* b) { return emit(OpKind::Add, name, {a, b}); }

  Value* emit(OpKind op, const std::string& name, std::vector<Value*> inputs, Attributes attrs = {}) {
    return builder_.emit(op, name, std::move(inputs), std::move(attrs));
  }

  Value* constant(const std::string& name, Tensor data) { return builder_.constant(name, std::move(data)); }

  std::string node_name(const std::string& base) const {
    return graph_.find_node(base) == nullptr ? base : graph_.unique_value_name(base);
  }

  Graph& graph_;
  rewrite::GraphBuilder builder_;
  Node& node_;
  const RecurrentSpec& s_;
  std::map<const Value*, SequenceImages>& sequences_;
  std::vector<Node*> maybe_dead_;
};

// Erases the nodes of `candidates` (and then their producers) that nothing reads any more.
void erase_unread(Graph& graph, std::vector<Node*> candidates) {
  std::set<Node*> erased;
  while (!candidates.empty()) {
    Node* node = candidates.back();
    candidates.pop_back();
    if (erased.count(node) != 0) continue;
    const auto nodes = graph.nodes();
    if (std::find(nodes.begin(), nodes.end(), node) == nodes.end()) continue;
    const bool read = std::any_of(node->outputs.begin(), node->outputs.end(), [&](const Value* v) {
      return v != nullptr && (!graph.users(v).empty() || graph.is_graph_output(v));
    });
    if (read) continue;
    for (Value* in : node->inputs) {
      if (in != nullptr && in->producer != nullptr) candidates.push_back(in->producer);
    }
    graph.erase_node(node);
    erased.insert(node);
  }
}

}  // namespace

bool UnrollRecurrencePass::run(Graph& graph, PassStatistics& stats) {
  bool changed = false;
  std::map<const Value*, SequenceImages> sequences;  // an unrolled layer's Y and its views
  std::vector<Node*> dead;
  // The recurrent nodes first: unrolling one erases the Gathers that select its steps, which
  // a walk of the whole order would then reach.
  std::vector<Node*> recurrent;
  for (Node* node : graph.topological_order()) {
    if (node->op == OpKind::LSTM || node->op == OpKind::GRU || node->op == OpKind::RNN) recurrent.push_back(node);
  }
  for (Node* node : recurrent) {
    if (node->input(0) == nullptr || !node->input(0)->has_type()) continue;
    const RecurrentSpec spec = recurrent_spec(*node);
    if (!recurrent_unroll_problem(*node, spec).empty()) continue;
    Unroller unroller(graph, *node, spec, sequences);
    unroller.run();
    dead.insert(dead.end(), unroller.maybe_dead().begin(), unroller.maybe_dead().end());
    stats.add(fmt::format("{}s unrolled", std::string(op_name(spec.op))));
    stats.add("steps", spec.steps * spec.directions);
    changed = true;
  }
  erase_unread(graph, dead);
  return changed;
}

}  // namespace wb
