#include "compiler/quant/node_patterns.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include "compiler/ir/shape_inference.h"
#include "compiler/ir/token_layout.h"
#include "compiler/ir/window_geometry.h"
#include "support/error.h"

namespace wb::quant {

std::optional<FusedActivation> activation_of(const Node& node) {
  if (node.op == OpKind::Relu) return FusedActivation::relu();
  if (node.op != OpKind::Clip) return std::nullopt;
  FusedActivation act =
      FusedActivation::clip(-std::numeric_limits<float>::infinity(), std::numeric_limits<float>::infinity());
  for (std::size_t i : {std::size_t{1}, std::size_t{2}}) {
    if (node.input(i) == nullptr) continue;
    const Tensor* bound = node.constant_input(i);
    if (bound == nullptr || bound->numel() != 1) return std::nullopt;
    (i == 1 ? act.min : act.max) = static_cast<float>(bound->as_double(0));
  }
  return act;
}

namespace {

void copy_window(QNode& q, const WindowGeometry& g) {
  q.kernel = g.kernel;
  q.strides = g.strides;
  q.dilations = g.dilations;
  q.pads_begin = g.pads_begin;
  q.pads_end = g.pads_end;
}

}  // namespace

void set_conv_window(QNode& q, const Node& conv, const std::vector<std::int64_t>& kernel) {
  copy_window(q, resolve_window(conv.attrs, dilated_input_shape(conv.attrs, conv.input(0)->shape), kernel));
  q.group = conv.attrs.get_int("group", 1);
  q.input_dilations = conv.attrs.get_ints(kInputDilationsAttr, {1, 1});
}

void set_pool_window(QNode& q, const Node& pool) {
  const Shape& in = pool.input(0)->shape;
  if (pool.op == OpKind::GlobalAveragePool) {
    q.kernel = {in[2], in[3]};
    q.divisor = in[2] * in[3];
    return;
  }
  const WindowGeometry g =
      resolve_window(pool.attrs, in, pool.attrs.get_ints("kernel_shape"), pool.attrs.get_int("ceil_mode", 0) != 0);
  copy_window(q, g);
  if (pool.op != OpKind::AveragePool) return;
  const bool counts_pads = pool.attrs.get_int("count_include_pad", 0) != 0;
  for (std::size_t a = 0; a < 2; ++a) {
    const std::int64_t reach = (g.output[a] - 1) * g.strides[a] + (g.kernel[a] - 1) * g.dilations[a] + 1;
    const bool overhang = reach > g.input[a] + g.pads_begin[a] + g.pads_end[a];
    const bool padded = g.pads_begin[a] != 0 || g.pads_end[a] != 0;
    if (overhang || (padded && !counts_pads)) {
      throw UserError(fmt::format("node {}: average pooling whose windows divide by different counts (padding "
                                  "excluded from the count, or ceil_mode windows past the input) cannot be quantized",
                                  pool.name));
    }
  }
  q.divisor = g.kernel[0] * g.kernel[1];
}

namespace {

bool is_transpose(const Node& node, const std::vector<std::int64_t>& perm) {
  return node.op == OpKind::Transpose && node.attrs.get_ints("perm") == perm && node.input(0) != nullptr &&
         node.input(0)->shape.size() == 4;
}

// The one node reading `value`, when nothing else (not even the graph's outputs) does.
const Node* only_reader(const Graph& graph, const Value* value) {
  const auto users = graph.users(value);
  if (users.size() != 1 || graph.is_graph_output(value)) return nullptr;
  return users[0];
}

}  // namespace

LayerNormView nhwc_layernorm(const Graph& graph, const Node& front) {
  if (!is_transpose(front, {0, 2, 3, 1}) || front.input(0)->is_constant()) return {};
  const Node* layernorm = only_reader(graph, front.output(0));
  if (layernorm == nullptr || !is_row_normalization(layernorm->op) || layernorm->input(0) != front.output(0) ||
      normalize_axis(layernorm->attrs.get_int("axis", -1), 4) != 3) {
    return {};
  }
  const Node* back = only_reader(graph, layernorm->output(0));
  if (back == nullptr || !is_transpose(*back, {0, 3, 1, 2})) return {};
  return {layernorm, back};
}

bool channel_layernorm(const Node& layernorm) {
  const Value* x = layernorm.input(0);
  if (!is_row_normalization(layernorm.op) || x == nullptr || x->is_constant()) return false;
  const auto rank = static_cast<std::int64_t>(x->shape.size());
  if (rank != 2 && rank != 4) return false;
  if (rank == 4 && (x->shape[2] != 1 || x->shape[3] != 1)) return false;
  return normalize_axis(layernorm.attrs.get_int("axis", -1), rank) == 1;
}

void set_layernorm(QNode& q, const Node& layernorm, std::int64_t channels) {
  const auto per_channel = [&](std::size_t i, float fill) {
    std::vector<float> values(static_cast<std::size_t>(channels), fill);
    if (layernorm.input(i) == nullptr) {
      if (i == 1) throw UserError(fmt::format("node {} ({}): no scale input", layernorm.name, op_name(layernorm.op)));
      return values;
    }
    const Tensor* t = layernorm.constant_input(i);
    if (t == nullptr || (t->numel() != channels && t->numel() != 1)) {
      throw UserError(fmt::format("node {} ({}): its {} must be a constant of 1 or {} values (one per "
                                  "channel) to have an integer form",
                                  layernorm.name, op_name(layernorm.op), i == 1 ? "scale" : "bias", channels));
    }
    const std::vector<double> source = t->to_double_vector();
    for (std::size_t c = 0; c < values.size(); ++c) values[c] = static_cast<float>(source[source.size() == 1 ? 0 : c]);
    return values;
  };
  q.layernorm_gamma = per_channel(1, 1.0f);
  q.layernorm_beta = per_channel(2, 0.0f);
  q.layernorm_epsilon = layernorm.attrs.get_float("epsilon", 1e-5f);
  q.layernorm_rms = layernorm.op == OpKind::RMSNormalization;
}

namespace {

bool read_only_by(const Graph& graph, const Value* value, const Node& reader) {
  const auto users = graph.users(value);
  return users.size() == 1 && users[0] == &reader && !graph.is_graph_output(value);
}

bool is_transpose_021(const Node* node) {
  return node != nullptr && node->op == OpKind::Transpose &&
         node->attrs.get_ints("perm") == std::vector<std::int64_t>{0, 2, 1};
}

// The heads of an image: `value` = Reshape(image [1, h d, 1, T], [h, d, T]) (or, Swin's W
// windows of L tokens, [h, d, W, L]), read by `reader` alone.
struct WindowView {
  const Value* image = nullptr;
  std::int64_t heads = 0, size = 0, windows = 1, length = 0;  // h, d, W, L (T = W L)
};
std::optional<WindowView> image_heads(const Graph& graph, const Value* value, const Node& reader, std::size_t rank) {
  const Node* reshape = value->producer;
  if (reshape == nullptr || reshape->op != OpKind::Reshape || !read_only_by(graph, value, reader)) return std::nullopt;
  const Value* image = reshape->input(0);
  const Shape& i = image->shape;
  const Shape& v = value->shape;
  if (image->is_constant() || i.size() != 4 || i[0] != 1 || i[2] != 1 || v.size() != rank) return std::nullopt;
  const std::int64_t windows = rank == 4 ? v[2] : 1;
  if (v[0] * v[1] != i[1] || windows * v[rank - 1] != i[3]) return std::nullopt;
  return WindowView{image, v[0], v[1], windows, v[rank - 1]};
}

struct HeadView {
  const Value* image = nullptr;
  std::int64_t heads = 0, size = 0, tokens = 0;  // h, d, T
};
std::optional<HeadView> head_view(const Graph& graph, const Value* value, const Node& reader) {
  const auto view = image_heads(graph, value, reader, 3);
  if (!view) return std::nullopt;
  return HeadView{view->image, view->heads, view->size, view->length};
}

// `value` = Transpose(0, 2, 1)(a head view), read by `reader` alone: [h, T, d].
std::optional<HeadView> transposed_head_view(const Graph& graph, const Value* value, const Node& reader,
                                             std::vector<const Node*>& views) {
  const Node* transpose = value->producer;
  if (!is_transpose_021(transpose) || !read_only_by(graph, value, reader)) return std::nullopt;
  auto view = head_view(graph, transpose->input(0), *transpose);
  if (!view) return std::nullopt;
  views.push_back(transpose);
  views.push_back(transpose->input(0)->producer);
  return view;
}


// `value` = Transpose(perm)(a window view), read by `reader` alone: the queries' and values'
// [W, h, L, d] (perm (2, 0, 3, 1)) or the keys' [W, h, d, L] (perm (2, 0, 1, 3)).
std::optional<WindowView> transposed_window_view(const Graph& graph, const Value* value, const Node& reader,
                                                 const std::vector<std::int64_t>& perm, std::vector<const Node*>& views) {
  const Node* transpose = value->producer;
  if (transpose == nullptr || transpose->op != OpKind::Transpose || transpose->attrs.get_ints("perm") != perm ||
      !read_only_by(graph, value, reader)) {
    return std::nullopt;
  }
  auto view = image_heads(graph, transpose->input(0), *transpose, 4);
  if (!view) return std::nullopt;
  views.push_back(transpose);
  views.push_back(transpose->input(0)->producer);
  return view;
}

// Attention's heads as a model's own code writes them, one set of tokens: `value` =
// Reshape(image [1, h d, 1, T], [1, h, d, T]) read by `reader` alone, the keys' [1, h, d, T]
// (torch's k.view(B, T, h, d).permute(0, 2, 3, 1)); with `transposed`, Transpose(0, 1, 3, 2) of
// it, the queries' and values' [1, h, T, d]. Stored so, they are Swin's window views of W = 1.
std::optional<WindowView> one_window_view(const Graph& graph, const Value* value, const Node& reader, bool transposed,
                                          std::vector<const Node*>& views) {
  const Node* transpose = transposed ? value->producer : nullptr;
  if (transposed && (transpose == nullptr || transpose->op != OpKind::Transpose ||
                     transpose->attrs.get_ints("perm") != std::vector<std::int64_t>{0, 1, 3, 2} ||
                     !read_only_by(graph, value, reader))) {
    return std::nullopt;
  }
  const Value* heads = transposed ? transpose->input(0) : value;
  const Node* reshape = heads->producer;
  if (reshape == nullptr || reshape->op != OpKind::Reshape || !read_only_by(graph, heads, transposed ? *transpose : reader)) {
    return std::nullopt;
  }
  const Value* image = reshape->input(0);
  const Shape& i = image->shape;
  const Shape& v = heads->shape;
  if (image->is_constant() || i.size() != 4 || i[0] != 1 || i[2] != 1 || v.size() != 4 || v[0] != 1 ||
      v[1] * v[2] != i[1] || v[3] != i[3]) {
    return std::nullopt;
  }
  if (transposed) views.push_back(transpose);
  views.push_back(reshape);
  return WindowView{image, v[1], v[2], 1, v[3]};
}

// The scalar the scores are multiplied by (or divided by, as its inverse) after the product:
// attention's 1 / sqrt(d) as a model's own code often applies it; `output` moves to the scaled
// value and `views` takes the node.
double scores_factor(const Graph& graph, const Value*& output, std::vector<const Node*>& views) {
  const Node* scale = only_reader(graph, output);
  if (scale == nullptr || (scale->op != OpKind::Div && scale->op != OpKind::Mul) || scale->inputs.size() != 2 ||
      scale->input(0) != output || graph.is_graph_output(output)) {
    return 1.0;
  }
  const Tensor* c = scale->constant_input(1);
  if (c == nullptr || c->numel() != 1 || c->as_double(0) <= 0) return 1.0;
  views.push_back(scale);
  output = scale->output(0);
  return static_cast<float>(scale->op == OpKind::Div ? 1.0 / c->as_double(0) : c->as_double(0));
}

// The scalar the queries are multiplied by (or divided by, as its inverse): attention's
// 1 / sqrt(d) before the product; `q` moves to the scaled value and `views` takes the node.
double query_factor(const Graph& graph, const Node& matmul, const Value*& q, std::vector<const Node*>& views) {
  const Node* scale = q->producer;
  if (scale == nullptr || (scale->op != OpKind::Div && scale->op != OpKind::Mul) || scale->inputs.size() != 2 ||
      !read_only_by(graph, q, matmul)) {
    return 1.0;
  }
  const Tensor* c = scale->constant_input(1);
  if (c == nullptr || c->numel() != 1 || c->as_double(0) <= 0) return 1.0;
  views.push_back(scale);
  q = scale->input(0);
  // float32, as a QDQ export writes it, so a model read back gets the same requantisation.
  return static_cast<float>(scale->op == OpKind::Div ? 1.0 / c->as_double(0) : c->as_double(0));
}

// Attention's context: `back` and `merge` write the heads back into the image, after `views`.
AttentionProduct context_product(const Value* probabilities, const Value* values, std::int64_t heads,
                                 std::int64_t windows, const Node* back, const Node* merge,
                                 std::vector<const Node*> views) {
  views.push_back(back);
  views.push_back(merge);
  AttentionProduct p;
  p.form = MatMulForm::Context;
  p.a = probabilities;
  p.b = values;
  p.output = merge->output(0);
  p.heads = heads;
  p.windows = windows;
  p.views = std::move(views);
  return p;
}

// Swin's windowed products, as `tokens-as-image` writes them (torch's 4-D [W, h, ., .] layouts
// of the window views), or as the QDQ export writes them (the scores read back as [W h, L, L'],
// the probabilities read as [W, h, L, L']).
std::optional<AttentionProduct> windowed_product(const Graph& graph, const Node& matmul) {
  AttentionProduct p;
  std::vector<const Node*> views;
  auto keys = transposed_window_view(graph, matmul.input(1), matmul, {2, 0, 1, 3}, views);
  const bool one_window = !keys;
  if (one_window) keys = one_window_view(graph, matmul.input(1), matmul, false, views);
  if (keys) {
    const std::size_t key_views = views.size();
    const Value* q = matmul.input(0);
    p.factor = query_factor(graph, matmul, q, views);
    const Node& q_reader = views.size() > key_views ? *views.back() : matmul;
    const auto queries = one_window ? one_window_view(graph, q, q_reader, true, views)
                                    : transposed_window_view(graph, q, q_reader, {2, 0, 3, 1}, views);
    if (!queries || queries->heads != keys->heads || queries->size != keys->size || queries->windows != keys->windows) {
      return std::nullopt;
    }
    p.form = MatMulForm::Scores;
    p.a = queries->image;
    p.b = keys->image;
    p.output = matmul.output(0);
    p.factor = static_cast<float>(p.factor * scores_factor(graph, p.output, views));
    // The relative-position bias: an Add of a float constant [1, h, L, L'] (or [h, L, L']).
    if (const Node* add = only_reader(graph, p.output);
        add != nullptr && add->op == OpKind::Add && add->inputs.size() == 2 && !graph.is_graph_output(p.output) &&
        add->output(0)->shape == p.output->shape) {
      const std::size_t other = add->input(0) == p.output ? 1 : 0;
      const Tensor* bias = add->constant_input(other);
      const Shape rows{keys->heads, queries->length, keys->length};
      const auto finite = [](const Tensor& t) {
        const auto v = t.span<float>();
        return std::all_of(v.begin(), v.end(), [](float f) { return std::isfinite(f) && f > -30.0f; });
      };
      if (bias != nullptr && bias->dtype() == DType::F32 &&
          (bias->shape() == rows || bias->shape() == Shape{1, rows[0], rows[1], rows[2]}) && finite(*bias)) {
        views.push_back(add);
        p.bias = bias;
        p.output = add->output(0);
      }
    }
    if (const Node* rows = only_reader(graph, p.output);
        rows != nullptr && rows->op == OpKind::Reshape && !graph.is_graph_output(p.output) &&
        rows->output(0)->shape == Shape{keys->windows * keys->heads, queries->length, keys->length}) {
      views.push_back(rows);
      p.output = rows->output(0);
    }
    p.heads = keys->heads;
    p.windows = keys->windows;
    p.views = std::move(views);
    return p;
  }
  auto values = transposed_window_view(graph, matmul.input(1), matmul, {2, 0, 3, 1}, views);
  if (!values) values = one_window_view(graph, matmul.input(1), matmul, true, views);
  if (!values) return std::nullopt;
  const Value* probabilities = matmul.input(0);
  const Shape& ps = probabilities->shape;
  if (probabilities->is_constant() || ps != Shape{values->windows, values->heads, ps[2], values->length}) {
    return std::nullopt;
  }
  if (const Node* rows = probabilities->producer; rows != nullptr && rows->op == OpKind::Reshape &&
                                                   read_only_by(graph, probabilities, matmul) &&
                                                   rows->input(0)->shape == Shape{ps[0] * ps[1], ps[2], ps[3]}) {
    views.push_back(rows);
    probabilities = rows->input(0);
  }
  // Back to [h, d, W, L]; with one window the heads' merge of a [1, T, h, d] writes [1, h, d, T],
  // the same order.
  const Node* back = only_reader(graph, matmul.output(0));
  const auto back_perm = back != nullptr ? back->attrs.get_ints("perm") : std::vector<std::int64_t>{};
  if (back == nullptr || graph.is_graph_output(matmul.output(0)) || back->op != OpKind::Transpose ||
      (back_perm != std::vector<std::int64_t>{1, 3, 0, 2} &&
       !(values->windows == 1 && back_perm == std::vector<std::int64_t>{0, 1, 3, 2}))) {
    return std::nullopt;
  }
  const Node* merge = only_reader(graph, back->output(0));
  if (merge == nullptr || graph.is_graph_output(back->output(0)) || merge->op != OpKind::Reshape ||
      merge->output(0)->shape != Shape{1, values->heads * values->size, 1, values->windows * ps[2]}) {
    return std::nullopt;
  }
  return context_product(probabilities, values->image, values->heads, values->windows, back, merge, std::move(views));
}

}  // namespace

std::optional<AttentionProduct> attention_product(const Graph& graph, const Node& matmul) {
  if (matmul.op != OpKind::MatMul || matmul.inputs.size() != 2 || matmul.input(0) == nullptr ||
      matmul.input(1) == nullptr) {
    return std::nullopt;
  }
  if (matmul.input(0)->shape.size() == 4 && matmul.input(1)->shape.size() == 4) return windowed_product(graph, matmul);
  if (matmul.input(0)->shape.size() != 3 || matmul.input(1)->shape.size() != 3) return std::nullopt;
  AttentionProduct p;
  // Scores: the queries (transposed head view, maybe scaled) against the keys (head view).
  if (const auto keys = head_view(graph, matmul.input(1), matmul)) {
    const Value* q = matmul.input(0);
    std::vector<const Node*> views{matmul.input(1)->producer};
    p.factor = query_factor(graph, matmul, q, views);
    const Node& q_reader = views.size() > 1 ? *views.back() : matmul;
    const auto queries = transposed_head_view(graph, q, q_reader, views);
    if (!queries || queries->heads != keys->heads || queries->size != keys->size) return std::nullopt;
    p.form = MatMulForm::Scores;
    p.a = queries->image;
    p.b = keys->image;
    p.output = matmul.output(0);
    p.heads = keys->heads;
    p.views = std::move(views);
    return p;
  }
  // Context: the probabilities against the values (transposed head view), then the heads back
  // into one image.
  std::vector<const Node*> views;
  const auto values = transposed_head_view(graph, matmul.input(1), matmul, views);
  const Value* probabilities = matmul.input(0);
  const Shape& ps = probabilities->shape;
  if (!values || probabilities->is_constant() || ps[0] != values->heads || ps[2] != values->tokens) return std::nullopt;
  const Value* out = matmul.output(0);
  const auto users = graph.users(out);
  if (users.size() != 1 || graph.is_graph_output(out) || !is_transpose_021(users[0])) return std::nullopt;
  const Node* back = users[0];
  const auto readers = graph.users(back->output(0));
  if (readers.size() != 1 || graph.is_graph_output(back->output(0)) || readers[0]->op != OpKind::Reshape) {
    return std::nullopt;
  }
  const Node* merge = readers[0];
  if (merge->output(0)->shape != Shape{1, values->heads * values->size, 1, ps[1]}) return std::nullopt;
  return context_product(probabilities, values->image, values->heads, 1, back, merge, std::move(views));
}

TokenInputView token_input_view(const Graph& graph, const Value& input) {
  const std::optional<TokenRows> layout = token_rows_of(input.shape);
  // A KV cache [1, h, T, d]: Transpose(0, 1, 3, 2) then Reshape [1, h d, 1, T].
  const bool heads = !layout && input.shape.size() == 4 && input.shape[0] == 1;
  if (input.is_constant() || (!layout && !heads)) return {};
  const std::vector<std::int64_t> perm = heads ? std::vector<std::int64_t>{0, 1, 3, 2} : features_first_perm(input.shape);
  const Node* transpose = only_reader(graph, &input);
  if (transpose == nullptr || transpose->op != OpKind::Transpose || transpose->input(0) != &input ||
      transpose->attrs.get_ints("perm") != perm) {
    return {};
  }
  const Node* reshape = only_reader(graph, transpose->output(0));
  if (reshape == nullptr || reshape->op != OpKind::Reshape || reshape->input(0) != transpose->output(0) ||
      !is_source_image_of(input.shape, reshape->output(0)->shape)) {
    return {};
  }
  return {transpose, reshape};
}

HwcTokensView hwc_tokens_view(const Graph& graph, const Node& to_nhwc) {
  const auto perm_is = [](const Node* node, const std::vector<std::int64_t>& perm) {
    return node != nullptr && node->op == OpKind::Transpose && node->attrs.get_ints("perm") == perm;
  };
  const Value* x = to_nhwc.input(0);
  if (!perm_is(&to_nhwc, {0, 2, 3, 1}) || x == nullptr || x->is_constant() || x->shape.size() != 4 || x->shape[0] != 1) {
    return {};
  }
  const Node* rows = only_reader(graph, to_nhwc.output(0));
  if (rows == nullptr || rows->op != OpKind::Reshape || rows->input(0) != to_nhwc.output(0)) return {};
  const Shape& r = rows->output(0)->shape;
  if (r.size() != 3 || r[0] != 1 || r[1] * r[2] != num_elements(x->shape)) return {};
  const Node* features_first = only_reader(graph, rows->output(0));
  if (!perm_is(features_first, {0, 2, 1}) || features_first->input(0) != rows->output(0)) return {};
  const Node* image = only_reader(graph, features_first->output(0));
  if (image == nullptr || image->op != OpKind::Reshape || image->input(0) != features_first->output(0) ||
      !is_token_image_of(r, image->output(0)->shape)) {
    return {};
  }
  return {&to_nhwc, {rows, features_first, image}, image->output(0)};
}

namespace {

// Per window w, the first token j with mask[w][i][j] == 0 labels token i, if the mask is regions.
std::optional<std::vector<std::int64_t>> region_labels(const Tensor& mask, std::int64_t windows, std::int64_t length) {
  constexpr double kMasked = -30.0;
  std::vector<std::int64_t> labels(static_cast<std::size_t>(windows * length));
  const auto at = [&](std::int64_t w, std::int64_t i, std::int64_t j) { return mask.as_double((w * length + i) * length + j); };
  for (std::int64_t w = 0; w < windows; ++w) {
    for (std::int64_t i = 0; i < length; ++i) {
      std::int64_t first = 0;
      while (first < length && at(w, i, first) != 0.0) ++first;
      if (first == length) return std::nullopt;
      labels[static_cast<std::size_t>(w * length + i)] = first;
    }
    for (std::int64_t i = 0; i < length; ++i) {
      for (std::int64_t j = 0; j < length; ++j) {
        const bool same = labels[static_cast<std::size_t>(w * length + i)] == labels[static_cast<std::size_t>(w * length + j)];
        const double m = at(w, i, j);
        if (same ? m != 0.0 : !(m <= kMasked)) return std::nullopt;
      }
    }
  }
  return labels;
}

}  // namespace

MaskedScores masked_scores(const Graph& graph, const Node& softmax) {
  const Node* back = softmax.input(0) != nullptr ? softmax.input(0)->producer : nullptr;
  if (back == nullptr || back->op != OpKind::Reshape || only_reader(graph, softmax.input(0)) != &softmax) return {};
  const Node* add = back->input(0)->producer;
  if (add == nullptr || add->op != OpKind::Add || add->inputs.size() != 2 || only_reader(graph, back->input(0)) != back) {
    return {};
  }
  const std::size_t at = add->constant_input(1) != nullptr ? 1 : 0;
  const Tensor* mask = add->constant_input(at);
  const Value* split = add->input(1 - at);
  const Shape& s = split->shape;
  if (mask == nullptr || split->producer == nullptr || split->producer->op != OpKind::Reshape ||
      only_reader(graph, split) != add || s.size() != 5 || s[0] != 1 || s[3] != s[4] ||
      mask->shape() != Shape{1, s[1], 1, s[3], s[4]}) {
    return {};
  }
  const Value* scores = split->producer->input(0);
  const Shape& x = scores->shape;
  const Shape& out = back->output(0)->shape;
  const bool rows = x == Shape{s[1] * s[2], s[3], s[4]} || x == Shape{s[1], s[2], s[3], s[4]};
  if (!rows || (out != x && out != Shape{s[1], s[2], s[3], s[4]} && out != Shape{s[1] * s[2], s[3], s[4]})) return {};
  MaskedScores m;
  m.views = {split->producer, add, back};
  m.scores = scores;
  if (auto labels = region_labels(*mask, s[1], s[3])) {
    m.labels = std::move(*labels);
  } else {
    m.problem = "the mask added before the Softmax is not regions of each window (0 inside a region, at most -30 "
                "between regions), so it has no integer form";
  }
  return m;
}

namespace {

// A constant input, or the constant an Identity passes on: torch exports a mask every block
// shares once and each later block's as an Identity of it, which fold-constants folds only
// after check_finite_constants has read the graph.
const Tensor* constant_seen_through_identity(const Node& node, std::size_t i) {
  if (const Tensor* c = node.constant_input(i)) return c;
  const Value* v = node.input(i);
  const Node* identity = v != nullptr ? v->producer : nullptr;
  return identity != nullptr && identity->op == OpKind::Identity ? identity->constant_input(0) : nullptr;
}

}  // namespace

CausalScores causal_scores(const Graph& graph, const Node& softmax) {
  constexpr double kMasked = -30.0;  // exp(-30) < 1e-13: no probability at 1/256
  const Value* in = softmax.input(0);
  const Node* node = in != nullptr ? in->producer : nullptr;
  if (node == nullptr || only_reader(graph, in) != &softmax || graph.is_graph_output(in)) return {};
  const Value* x = nullptr;
  const Tensor* mask = nullptr;
  std::function<bool(std::int64_t)> kept;  // by the mask's element
  if (node->op == OpKind::Where && node->inputs.size() == 3) {
    const std::size_t fill_at = constant_seen_through_identity(*node, 1) != nullptr ? 1 : 2;
    const Tensor* fill = constant_seen_through_identity(*node, fill_at);
    mask = constant_seen_through_identity(*node, 0);
    x = node->input(fill_at == 1 ? 2 : 1);
    if (mask == nullptr || fill == nullptr || fill->numel() != 1 || x == nullptr || x->is_constant() ||
        !(fill->as_double(0) <= kMasked)) {
      return {};
    }
    kept = [=](std::int64_t e) { return (mask->as_double(e) != 0.0) == (fill_at == 2); };
  } else if (node->op == OpKind::Add && node->inputs.size() == 2) {
    const std::size_t at = constant_seen_through_identity(*node, 1) != nullptr ? 1 : 0;
    mask = constant_seen_through_identity(*node, at);
    x = node->input(1 - at);
    if (mask == nullptr || x == nullptr || x->is_constant()) return {};
    for (std::int64_t e = 0; e < mask->numel(); ++e) {
      const double v = mask->as_double(e);
      if (v != 0.0 && !(v <= kMasked)) return {};  // a bias, not a mask
    }
    kept = [=](std::int64_t e) { return mask->as_double(e) == 0.0; };
  } else {
    return {};
  }
  const Shape& xs = x->shape;
  const Shape& ms = mask->shape();
  if (xs.size() < 2 || ms.size() < 2 || ms.size() > xs.size()) return {};
  const std::int64_t queries = xs[xs.size() - 2], keys = xs.back();
  if (ms[ms.size() - 2] != queries || ms.back() != keys || mask->numel() != queries * keys) return {};
  CausalScores c;
  c.scores = x;
  c.mask_node = node;
  std::int64_t first_row = 0;
  while (first_row < keys && kept(first_row)) ++first_row;
  c.offset = first_row - 1;
  bool causal = c.offset >= 0;
  for (std::int64_t i = 0; causal && i < queries; ++i) {
    for (std::int64_t j = 0; causal && j < keys; ++j) causal = kept(i * keys + j) == (j <= i + c.offset);
  }
  if (!causal) {
    c.problem = "the mask before the Softmax is not causal (query i attending to keys 0 .. i + P alone), so it has "
                "no integer form";
  }
  return c;
}

PixelGatherView pixel_gather(const Graph& graph, const Node& gather) {
  const Value* flat = gather.input(0);
  const Tensor* indices = gather.inputs.size() == 2 ? gather.constant_input(1) : nullptr;
  if (gather.op != OpKind::Gather || flat == nullptr || flat->is_constant() || indices == nullptr ||
      indices->rank() != 1 || flat->shape.size() != 4 || flat->shape[0] != 1 || flat->shape[2] != 1 ||
      normalize_axis(gather.attrs.get_int("axis", 0), 4) != 3) {
    return {};
  }
  PixelGatherView view;
  view.input = flat;
  view.output = gather.output(0);
  const Node* flatten = flat->producer;
  if (flatten != nullptr && flatten->op == OpKind::Reshape && only_reader(graph, flat) == &gather &&
      !graph.is_graph_output(flat) && flatten->input(0) != nullptr && !flatten->input(0)->is_constant()) {
    const Shape& source = flatten->input(0)->shape;
    if (source.size() == 4 && source[0] == 1 && source[1] == flat->shape[1]) {
      view.flatten = flatten;
      view.input = flatten->input(0);
    }
  }
  const Node* unflatten = only_reader(graph, gather.output(0));
  if (unflatten != nullptr && unflatten->op == OpKind::Reshape && unflatten->input(0) == gather.output(0) &&
      !graph.is_graph_output(gather.output(0))) {
    const Shape& target = unflatten->output(0)->shape;
    if (target.size() == 4 && target[0] == 1 && target[1] == flat->shape[1]) {
      view.unflatten = unflatten;
      view.output = unflatten->output(0);
    }
  }
  const std::int64_t count = flat->shape[3];
  for (std::int64_t i = 0; i < indices->numel(); ++i) {
    const std::int64_t p = indices->as_int64(i);
    if (p < -count || p >= count) return {};
    view.pixels.push_back(p < 0 ? p + count : p);
  }
  return view;
}

TokenOutputView token_output_view(const Graph& graph, const Value& output) {
  if (!graph.is_graph_output(&output)) return {};
  // A KV cache [1, h, T, d] of the image [1, h d, 1, T]: Reshape [1, h, d, T], then
  // Transpose(0, 1, 3, 2) writes the output.
  if (const Node* transpose = output.producer; transpose != nullptr && transpose->op == OpKind::Transpose &&
                                                 transpose->attrs.get_ints("perm") == std::vector<std::int64_t>{0, 1, 3, 2}) {
    const Node* reshape = transpose->input(0)->producer;
    if (reshape == nullptr || reshape->op != OpKind::Reshape || only_reader(graph, reshape->output(0)) != transpose) {
      return {};
    }
    const Value* image = reshape->input(0);
    if (image == nullptr || image->is_constant() || !is_heads_image_of(output.shape, image->shape)) return {};
    return {transpose, reshape, image};
  }
  const Node* reshape = output.producer;
  if (reshape == nullptr || reshape->op != OpKind::Reshape) return {};
  const Node* transpose = reshape->input(0)->producer;
  if (transpose == nullptr || transpose->op != OpKind::Transpose ||
      transpose->attrs.get_ints("perm") != std::vector<std::int64_t>{0, 2, 3, 1} ||
      only_reader(graph, transpose->output(0)) != reshape) {
    return {};
  }
  const Value* image = transpose->input(0);
  if (image == nullptr || image->is_constant() || !is_token_image_of(output.shape, image->shape)) return {};
  return {transpose, reshape, image};
}

}  // namespace wb::quant
