#include "compiler/passes/batched_attention.h"

#include <algorithm>
#include <array>
#include <optional>

#include "compiler/ir/shape_inference.h"
#include "compiler/passes/rewrite/graph_builder.h"
#include "compiler/passes/rewrite/rewrite.h"

namespace wb {
namespace {

using Ints = std::vector<std::int64_t>;

Node* only_reader(const Graph& graph, const Value* value, OpKind op) {
  Node* reader = rewrite::single_user(graph, value);
  return reader != nullptr && reader->op == op && reader->input(0) == value ? reader : nullptr;
}

Node* only_transpose(const Graph& graph, const Value* value, const Ints& perm) {
  Node* reader = only_reader(graph, value, OpKind::Transpose);
  return reader != nullptr && reader->attrs.get_ints("perm") == perm ? reader : nullptr;
}

bool is_f32_constant(const Tensor* t) { return t != nullptr && t->dtype() == DType::F32; }

// The begin of a Slice of the last axis of a rank-3 tensor (step 1, length `length`).
std::optional<std::int64_t> feature_slice_begin(const Node& slice, std::int64_t axis_size, std::int64_t length) {
  const Tensor* starts = slice.constant_input(1);
  const Tensor* ends = slice.constant_input(2);
  if (starts == nullptr || ends == nullptr || starts->numel() != 1 || ends->numel() != 1) return std::nullopt;
  if (slice.input(3) != nullptr) {
    const Tensor* axes = slice.constant_input(3);
    if (axes == nullptr || axes->numel() != 1 || normalize_axis(axes->as_int64(0), 3) != 2) return std::nullopt;
  } else {
    return std::nullopt;  // axis 0 by default: not the features
  }
  if (slice.input(4) != nullptr) {
    const Tensor* steps = slice.constant_input(4);
    if (steps == nullptr || steps->numel() != 1 || steps->as_int64(0) != 1) return std::nullopt;
  }
  std::int64_t begin = starts->as_int64(0);
  if (begin < 0) begin += axis_size;
  if (begin < 0 || slice.output(0)->shape != Shape{slice.input(0)->shape[0], slice.input(0)->shape[1], length}) {
    return std::nullopt;
  }
  return begin;
}

// One of q, k, v: Slice -> Reshape [L, B h, d] -> Transpose (q: then Div or Mul by a scalar).
struct HeadPart {
  Node* slice = nullptr;
  Node* reshape = nullptr;
  Node* transpose = nullptr;
  Node* scale = nullptr;  // q's
  std::int64_t begin = 0;
};

struct Match {
  Value* x = nullptr;    // [B, L, E]
  Value* out = nullptr;  // [B, L, E]
  std::int64_t batch = 0, length = 0, embed = 0, heads = 0;
  Node* enter = nullptr;  // Transpose(1, 0, 2)
  Node* in_proj = nullptr;
  Node* in_bias = nullptr;  // may be null
  std::array<HeadPart, 3> parts;  // q, k, v
  Node* scores = nullptr;
  Node* softmax = nullptr;
  Node* context = nullptr;
  Node* merge_transpose = nullptr;
  Node* merge_reshape = nullptr;
  Node* out_proj = nullptr;   // Gemm, or MatMul
  Node* out_bias = nullptr;   // the MatMul's Add; null for a Gemm
  Node* time_major = nullptr;  // Reshape [L, B, E]
  Node* leave = nullptr;       // Transpose(1, 0, 2)

  std::vector<Node*> nodes() const {
    std::vector<Node*> all{enter, in_proj, in_bias};
    for (const HeadPart& p : parts) all.insert(all.end(), {p.slice, p.reshape, p.transpose, p.scale});
    all.insert(all.end(), {scores, softmax, context, merge_transpose, merge_reshape, out_proj, out_bias, time_major, leave});
    std::erase(all, nullptr);
    return all;
  }
};

// The in-projection: MatMul(x, W [E, 3 E]) (+ Add of [3 E]); its output read by three Slices.
bool match_in_projection(const Graph& graph, Match& m) {
  Value* xt = m.enter->output(0);
  m.in_proj = only_reader(graph, xt, OpKind::MatMul);
  if (m.in_proj == nullptr) return false;
  const Tensor* w = m.in_proj->constant_input(1);
  if (!is_f32_constant(w) || w->shape() != Shape{m.embed, 3 * m.embed}) return false;
  Value* qkv = m.in_proj->output(0);
  if (Node* add = rewrite::single_user(graph, qkv); add != nullptr && add->op == OpKind::Add) {
    const std::size_t other = add->input(0) == qkv ? 1 : 0;
    const Tensor* b = add->constant_input(other);
    if (!is_f32_constant(b) || b->numel() != 3 * m.embed || b->shape().back() != 3 * m.embed) return false;
    m.in_bias = add;
    qkv = add->output(0);
  }
  if (graph.is_graph_output(qkv)) return false;
  const std::vector<Node*> slices = graph.users(qkv);
  if (slices.size() != 3) return false;
  std::array<bool, 3> found{};
  for (Node* slice : slices) {
    if (slice->op != OpKind::Slice || slice->input(0) != qkv) return false;
    const auto begin = feature_slice_begin(*slice, 3 * m.embed, m.embed);
    if (!begin || *begin % m.embed != 0 || found[static_cast<std::size_t>(*begin / m.embed)]) return false;
    const auto part = static_cast<std::size_t>(*begin / m.embed);
    found[part] = true;
    m.parts[part].slice = slice;
    m.parts[part].begin = *begin;
  }
  return true;
}

// Slice -> Reshape [L, B h, d] -> Transpose `perm` of each part; q then scaled by a scalar.
bool match_heads(const Graph& graph, Match& m) {
  const std::array<Ints, 3> perms{Ints{1, 0, 2}, Ints{1, 2, 0}, Ints{1, 0, 2}};
  for (std::size_t i = 0; i < 3; ++i) {
    HeadPart& p = m.parts[i];
    p.reshape = only_reader(graph, p.slice->output(0), OpKind::Reshape);
    if (p.reshape == nullptr) return false;
    const Shape& s = p.reshape->output(0)->shape;
    if (s.size() != 3 || s[0] != m.length || s[1] % m.batch != 0 || s[1] * s[2] != m.batch * m.embed) return false;
    const std::int64_t heads = s[1] / m.batch;
    if (m.heads != 0 && heads != m.heads) return false;
    m.heads = heads;
    p.transpose = only_transpose(graph, p.reshape->output(0), perms[i]);
    if (p.transpose == nullptr) return false;
  }
  Node* scale = rewrite::single_user(graph, m.parts[0].transpose->output(0));
  if (scale == nullptr || (scale->op != OpKind::Div && scale->op != OpKind::Mul) ||
      scale->input(0) != m.parts[0].transpose->output(0) || !rewrite::constant_scalar(*scale, 1)) {
    return false;
  }
  m.parts[0].scale = scale;
  return true;
}

// MatMul(q, k) -> Softmax over the keys -> MatMul(., v).
bool match_products(const Graph& graph, Match& m) {
  m.scores = rewrite::single_user(graph, m.parts[0].scale->output(0));
  if (m.scores == nullptr || m.scores->op != OpKind::MatMul || m.scores->input(0) != m.parts[0].scale->output(0) ||
      m.scores->input(1) != m.parts[1].transpose->output(0) ||
      rewrite::single_user(graph, m.parts[1].transpose->output(0)) != m.scores) {
    return false;
  }
  m.softmax = only_reader(graph, m.scores->output(0), OpKind::Softmax);
  if (m.softmax == nullptr || normalize_axis(m.softmax->attrs.get_int("axis", -1), 3) != 2) return false;
  m.context = only_reader(graph, m.softmax->output(0), OpKind::MatMul);
  return m.context != nullptr && m.context->input(1) == m.parts[2].transpose->output(0) &&
         rewrite::single_user(graph, m.parts[2].transpose->output(0)) == m.context;
}

// Transpose(1, 0, 2) -> Reshape [L B, E] -> Gemm (or MatMul + Add) -> Reshape [L, B, E] ->
// Transpose(1, 0, 2).
bool match_out_projection(const Graph& graph, Match& m) {
  m.merge_transpose = only_transpose(graph, m.context->output(0), {1, 0, 2});
  if (m.merge_transpose == nullptr) return false;
  m.merge_reshape = only_reader(graph, m.merge_transpose->output(0), OpKind::Reshape);
  if (m.merge_reshape == nullptr || m.merge_reshape->output(0)->shape != Shape{m.length * m.batch, m.embed}) return false;
  Value* projected = nullptr;
  m.out_proj = rewrite::single_user(graph, m.merge_reshape->output(0));
  if (m.out_proj == nullptr || m.out_proj->input(0) != m.merge_reshape->output(0)) return false;
  if (m.out_proj->op == OpKind::Gemm) {
    const Tensor* w = m.out_proj->constant_input(1);
    if (!is_f32_constant(w) || w->shape() != Shape{m.embed, m.embed} || m.out_proj->attrs.get_int("transA", 0) != 0 ||
        m.out_proj->attrs.get_float("alpha", 1.0f) != 1.0f) {
      return false;
    }
    if (m.out_proj->input(2) != nullptr) {
      const Tensor* c = m.out_proj->constant_input(2);
      if (!is_f32_constant(c) || c->numel() != m.embed) return false;
    }
    projected = m.out_proj->output(0);
  } else if (m.out_proj->op == OpKind::MatMul) {
    const Tensor* w = m.out_proj->constant_input(1);
    if (!is_f32_constant(w) || w->shape() != Shape{m.embed, m.embed}) return false;
    projected = m.out_proj->output(0);
    if (Node* add = rewrite::single_user(graph, projected); add != nullptr && add->op == OpKind::Add) {
      const std::size_t other = add->input(0) == projected ? 1 : 0;
      const Tensor* b = add->constant_input(other);
      if (!is_f32_constant(b) || b->numel() != m.embed) return false;
      m.out_bias = add;
      projected = add->output(0);
    }
  } else {
    return false;
  }
  m.time_major = only_reader(graph, projected, OpKind::Reshape);
  if (m.time_major == nullptr || m.time_major->output(0)->shape != Shape{m.length, m.batch, m.embed}) return false;
  m.leave = rewrite::single_user(graph, m.time_major->output(0));
  if (m.leave == nullptr || m.leave->op != OpKind::Transpose || m.leave->attrs.get_ints("perm") != Ints{1, 0, 2}) {
    return false;
  }
  m.out = m.leave->output(0);
  return true;
}

std::optional<Match> match(const Graph& graph, Node& enter) {
  if (enter.op != OpKind::Transpose || enter.attrs.get_ints("perm") != Ints{1, 0, 2}) return std::nullopt;
  Match m;
  m.enter = &enter;
  m.x = enter.input(0);
  if (m.x == nullptr || !m.x->has_type() || m.x->dtype != DType::F32 || m.x->shape.size() != 3) return std::nullopt;
  m.batch = m.x->shape[0], m.length = m.x->shape[1], m.embed = m.x->shape[2];
  if (m.batch < 2) return std::nullopt;  // one sequence: tokens-as-image reads it as it is
  if (!match_in_projection(graph, m) || !match_heads(graph, m) || !match_products(graph, m) ||
      !match_out_projection(graph, m)) {
    return std::nullopt;
  }
  return m;
}

// The batch-major attention, each node named after the one it replaces.
void rewrite_match(Graph& graph, const Match& m) {
  // The constants the new nodes read, before the old nodes go.
  Value* w_in = m.in_proj->input(1);
  Value* b_in = m.in_bias == nullptr ? nullptr : m.in_bias->input(m.in_bias->input(0) == m.in_proj->output(0) ? 1 : 0);
  Value* q_scale = m.parts[0].scale->input(1);
  const OpKind scale_op = m.parts[0].scale->op;
  const bool gemm = m.out_proj->op == OpKind::Gemm;
  const Tensor w_out = gemm && m.out_proj->attrs.get_int("transB", 0) != 0
                           ? rewrite::transposed_matrix(*m.out_proj->constant_input(1))
                           : *m.out_proj->constant_input(1);
  std::optional<Tensor> b_out;
  if (gemm && m.out_proj->input(2) != nullptr) {
    const float beta = m.out_proj->attrs.get_float("beta", 1.0f);
    Tensor b(DType::F32, {m.embed});
    const Tensor& c = *m.out_proj->constant_input(2);
    for (std::int64_t i = 0; i < m.embed; ++i) b.data<float>()[i] = beta * c.data<float>()[i];
    b_out = std::move(b);
  }
  Value* b_out_value =
      m.out_bias == nullptr ? nullptr : m.out_bias->input(m.out_bias->input(0) == m.out_proj->output(0) ? 1 : 0);
  std::array<std::string, 3> slice_names, reshape_names, transpose_names;
  for (std::size_t i = 0; i < 3; ++i) {
    slice_names[i] = m.parts[i].slice->name;
    reshape_names[i] = m.parts[i].reshape->name;
    transpose_names[i] = m.parts[i].transpose->name;
  }
  const std::string in_name = m.in_proj->name, in_bias_name = m.in_bias != nullptr ? m.in_bias->name : "";
  const std::string scale_name = m.parts[0].scale->name, scores_name = m.scores->name, softmax_name = m.softmax->name,
                    context_name = m.context->name, merge_t_name = m.merge_transpose->name,
                    merge_r_name = m.merge_reshape->name, out_name = m.out_proj->name,
                    out_bias_name = m.out_bias != nullptr ? m.out_bias->name : m.out_proj->name + "/bias";
  Value* out = m.out;
  rewrite::erase_chain(graph, m.nodes());

  rewrite::GraphBuilder b(graph, "batched-attention");
  const std::int64_t d = m.embed / m.heads;
  Value* qkv = b.emit(OpKind::MatMul, in_name, {m.x, w_in});
  if (b_in != nullptr) qkv = b.emit(OpKind::Add, in_bias_name, {qkv, b_in});
  std::array<Value*, 3> heads{};
  const std::array<Ints, 3> perms{Ints{0, 2, 1, 3}, Ints{0, 2, 3, 1}, Ints{0, 2, 1, 3}};
  for (std::size_t i = 0; i < 3; ++i) {
    Value* part = b.slice(slice_names[i], qkv, 2, m.parts[i].begin, m.parts[i].begin + m.embed);
    Value* split = b.reshape(reshape_names[i], part, {m.batch, m.length, m.heads, d});
    heads[i] = b.transpose(transpose_names[i], split, perms[i]);
  }
  Value* q = b.emit(scale_op, scale_name, {heads[0], q_scale});
  Value* scores = b.emit(OpKind::MatMul, scores_name, {q, heads[1]});
  Attributes last_axis;
  last_axis.set("axis", std::int64_t{-1});
  Value* probabilities = b.emit(OpKind::Softmax, softmax_name, {scores}, std::move(last_axis));
  Value* context = b.emit(OpKind::MatMul, context_name, {probabilities, heads[2]});
  Value* merged = b.reshape(merge_r_name, b.transpose(merge_t_name, context, {0, 2, 1, 3}), {m.batch, m.length, m.embed});
  Value* projected = b.emit(OpKind::MatMul, out_name, {merged, b.constant(out_name + "_weight", w_out)});
  if (b_out) b_out_value = b.constant(out_name + "_bias", std::move(*b_out));
  if (b_out_value != nullptr) projected = b.emit(OpKind::Add, out_bias_name, {projected, b_out_value});
  b.write_into(projected, out);
}

}  // namespace

bool BatchedAttentionPass::run(Graph& graph, PassStatistics& stats) {
  std::vector<Match> matches;
  for (Node* node : graph.topological_order()) {
    if (auto found = match(graph, *node)) matches.push_back(std::move(*found));
  }
  for (const Match& m : matches) {
    rewrite_match(graph, m);
    stats.add("batched attentions made batch-major");
  }
  return !matches.empty();
}

}  // namespace wb
