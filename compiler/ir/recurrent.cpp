#include "compiler/ir/recurrent.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <vector>

#include "support/error.h"

namespace wb {

namespace {

std::int64_t gates_of(OpKind op) { return op == OpKind::LSTM ? 4 : op == OpKind::GRU ? 3 : 1; }

// The activations ONNX defaults to, per direction.
std::vector<std::string> default_activations(OpKind op) {
  if (op == OpKind::LSTM) return {"Sigmoid", "Tanh", "Tanh"};
  if (op == OpKind::GRU) return {"Sigmoid", "Tanh"};
  return {"Tanh"};
}

bool all_zero(const Tensor* t) {
  if (t == nullptr) return true;
  const auto values = t->to_double_vector();
  return std::all_of(values.begin(), values.end(), [](double v) { return v == 0.0; });
}

}  // namespace

std::optional<std::string> recurrent_attribute_problem(OpKind op, const Attributes& attrs) {
  if (attrs.has("activations")) {
    const auto given = attrs.get_strings("activations");
    const auto one = default_activations(op);
    std::vector<std::string> both = one;
    both.insert(both.end(), one.begin(), one.end());
    if (given != one && given != both) {
      return fmt::format("activations [{}]; only the defaults ({}) have integer forms", fmt::join(given, ", "),
                         fmt::join(one, ", "));
    }
  }
  for (const char* name : {"activation_alpha", "activation_beta"}) {
    if (attrs.has(name)) return fmt::format("attribute '{}' (only the default activations are supported)", name);
  }
  if (attrs.has("clip")) return "a cell clip ('clip'); only unclipped cells are supported";
  if (attrs.get_int("input_forget", 0) != 0) return "input_forget = 1 (coupled input and forget gates)";
  const std::string direction = attrs.get_string("direction", "forward");
  if (direction != "forward" && direction != "reverse" && direction != "bidirectional") {
    return fmt::format("direction '{}' is not forward, reverse or bidirectional", direction);
  }
  return std::nullopt;
}

RecurrentSpec recurrent_spec(const Node& node) {
  const Value* x = node.input(0);
  const Value* w = node.input(1);
  const Value* r = node.input(2);
  const Value* b = node.input(3);
  for (const Value* v : {x, w, r}) {
    if (v == nullptr || !v->has_type()) throw UserError("X, W and R must have known shapes");
  }
  return recurrent_spec(node, x->shape, w->shape, r->shape, b != nullptr && b->has_type() ? &b->shape : nullptr);
}

RecurrentSpec recurrent_spec(const Node& node, const Shape& x_shape, const Shape& w_shape, const Shape& r_shape,
                             const Shape* b_shape) {
  RecurrentSpec s;
  s.op = node.op;
  s.gates = gates_of(node.op);
  s.hidden = node.attrs.get_int("hidden_size", 0);
  const std::string direction = node.attrs.get_string("direction", "forward");
  s.directions = direction == "bidirectional" ? 2 : 1;
  s.reverse = direction == "reverse";
  s.batch_first = node.attrs.get_int("layout", 0) != 0;
  s.linear_before_reset = node.attrs.get_int("linear_before_reset", 0) != 0;
  if (x_shape.size() != 3) throw UserError(fmt::format("X of shape {} is not 3-D", format_shape(x_shape)));
  s.steps = x_shape[s.batch_first ? 1 : 0];
  s.batch = x_shape[s.batch_first ? 0 : 1];
  s.input = x_shape[2];
  if (s.hidden < 1) throw UserError(fmt::format("hidden_size {} must be positive", s.hidden));
  const Shape want_w{s.directions, s.gates * s.hidden, s.input};
  if (w_shape != want_w) {
    throw UserError(fmt::format("W of shape {} should be {} ({} directions, {} gates of {}, input {})",
                                format_shape(w_shape), format_shape(want_w), s.directions, s.gates, s.hidden, s.input));
  }
  if (r_shape != Shape{s.directions, s.gates * s.hidden, s.hidden}) {
    throw UserError(fmt::format("R of shape {} should be {}", format_shape(r_shape),
                                format_shape({s.directions, s.gates * s.hidden, s.hidden})));
  }
  if (b_shape != nullptr && *b_shape != Shape{s.directions, 2 * s.gates * s.hidden}) {
    throw UserError(fmt::format("B of shape {} should be {}", format_shape(*b_shape),
                                format_shape({s.directions, 2 * s.gates * s.hidden})));
  }
  return s;
}

std::string recurrent_unroll_problem(const Node& node, const RecurrentSpec& s) {
  if (s.batch != 1) return "a batch of more than one sequence";
  for (std::size_t i : {std::size_t{1}, std::size_t{2}}) {
    const Tensor* t = node.constant_input(i);
    if (t == nullptr || t->dtype() != DType::F32) return "weights computed at run time";
  }
  if (node.input(3) != nullptr && node.constant_input(3) == nullptr) return "a bias computed at run time";
  if (const Value* lens = node.input(4); lens != nullptr) {
    const Tensor* t = node.constant_input(4);
    if (t == nullptr || t->numel() != 1 || t->as_int64(0) != s.steps) return "sequence lengths other than the whole";
  }
  for (std::size_t i : {std::size_t{5}, std::size_t{6}}) {
    if (node.input(i) != nullptr && !all_zero(node.constant_input(i))) return "an initial state other than zeros";
    if (node.input(i) != nullptr && node.constant_input(i) == nullptr) return "an initial state computed at run time";
  }
  if (node.input(7) != nullptr && !all_zero(node.constant_input(7))) return "peepholes";
  return {};
}


}  // namespace wb
