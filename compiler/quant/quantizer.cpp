#include "compiler/quant/quantizer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <optional>
#include <set>

#include "compiler/ir/fusion.h"
#include "compiler/ir/node_list.h"
#include "compiler/ir/shape_inference.h"
#include "compiler/ir/token_ids.h"
#include "compiler/ir/recurrent.h"
#include "compiler/quant/absorbed_views.h"
#include "compiler/quant/quantizer_builder.h"
#include "compiler/quant/node_patterns.h"
#include "compiler/quant/requant_params.h"
#include "compiler/quant/resize_taps.h"
#include "support/error.h"

namespace wb::quant {

std::string quantization_pipeline(Scheme scheme) {
  std::string pipeline =
      "fold-constants,unroll-recurrence,remove-identity,fuse-layernorm,fuse-rmsnorm,fuse-gelu,hoist-matmul-scales,channels-last-blocks,batched-attention,tokens-as-image,reduce-mean-to-pool,canonicalize-nchw,channel-moves-to-gather,conv-transpose-to-conv,fold-pad,trim-dilated-taps,fold-batchnorm,batchnorm-to-depthwise,fuse-activation,"
      "collapse-concat,gemm-to-conv";
  if (scheme == Scheme::Pow2) pipeline += ",avgpool-to-depthwise";
  return pipeline;
}

namespace {

// max |v| over [first, last), in four independent chains (a max is exact, so the order does
// not matter) for speed: one chain waits on every comparison.
double max_abs_of(const double* first, const double* last) {
  double m[4] = {0, 0, 0, 0};
  const std::ptrdiff_t n = last - first;
  std::ptrdiff_t i = 0;
  for (; i + 4 <= n; i += 4) {
    for (int k = 0; k < 4; ++k) m[k] = std::max(m[k], std::abs(first[i + k]));
  }
  for (; i < n; ++i) m[0] = std::max(m[0], std::abs(first[i]));
  return std::max(std::max(m[0], m[1]), std::max(m[2], m[3]));
}

double to_float32(double v) { return static_cast<double>(static_cast<float>(v)); }

double pow2_ceil(double v) { return std::ldexp(1.0, static_cast<int>(std::ceil(std::log2(v)))); }

std::int64_t signed_max(int bits) { return (std::int64_t{1} << (bits - 1)) - 1; }

}  // namespace

namespace detail {

// What plan() rejects, without building anything.
std::vector<std::string> Builder::rejected_nodes() {
  check_options();
  plan();
  return refusal_lines(graph_, unsupported_);
}

QGraph Builder::build() {
  check_options();
  plan();
  if (!unsupported_.empty()) throw UserError(format_unsupported_nodes());
  q_.name = graph_.name;
  q_.scheme = options_.scheme;
  for (const Value* input : graph_.inputs()) {
    const int index = tensor_for(input);
    q_.inputs.push_back(index);
    if (token_id_rows(graph_, *input)) {
      QTensor& t = q_.tensors[static_cast<std::size_t>(index)];
      t.token_ids = true;
      t.bits = 16;
      t.is_signed = false;
    }
    // A token input read as its image: the QGraph's input is the image (the same bytes
    // stored HWC), given by users in the input's own shape.
    if (const auto view = views_.token_inputs.find(input); view != views_.token_inputs.end()) {
      const Value* image = view->second.reshape->output(0);
      QTensor& t = q_.tensors[static_cast<std::size_t>(index)];
      t.source_shape = t.shape;
      t.shape = image->shape;
      index_.emplace(image, index);
    }
  }
  for (const PlannedNode& p : planned_) {
    if (!reads_constant_operands(p)) continue;
    for (const Value* in : p.node->inputs) {
      if (in->is_constant()) constant_values_.emplace(tensor_for(in), in);
    }
  }
  for (const PlannedNode& p : planned_) tensor_for(p.output);
  assign_types();
  assign_scales();
  quantize_constants();
  for (const PlannedNode& p : planned_) {
    if (p.kind == QOpKind::Embedding) table_as_image(q_.tensors[static_cast<std::size_t>(input_index(*p.node, 0))]);
  }
  for (const PlannedNode& p : planned_) q_.nodes.push_back(make_node(p));
  for (const Value* output : graph_.outputs()) {
    // A token output read back from its image: the QGraph's output is the image (the same
    // bytes stored HWC), given to users in the output's own shape.
    if (const auto view = views_.token_outputs.find(output); view != views_.token_outputs.end()) {
      const int index = index_.at(view->second.image);
      QTensor& t = q_.tensors[static_cast<std::size_t>(index)];
      if (!t.source_shape.empty() && t.source_shape != output->shape) {
        throw UserError(fmt::format("output '{}': its image '{}' is also another output of another layout",
                                    output->name, t.name));
      }
      t.source_shape = output->shape;
      t.name = output->name;
      q_.outputs.push_back(index);
      continue;
    }
    q_.outputs.push_back(index_.at(output));
  }
  assign_requant(q_);
  verify_qgraph(q_);
  return std::move(q_);
}

void Builder::check_options() const {
  for (int b : {options_.bits, options_.first_layer_bits, options_.last_layer_bits}) {
    if (b != 0 && b != 8 && b != 16) throw UserError(fmt::format("{} bits: only 8 and 16 are supported", b));
  }
  if (options_.bits == 0) throw UserError("0 bits: only 8 and 16 are supported");
}

std::string Builder::format_unsupported_nodes() const {
  const std::vector<std::string> lines = refusal_lines(graph_, unsupported_);
  std::string text = fmt::format("{} node(s) cannot be quantized:", lines.size());
  return text + unsupported_node_list(lines, false);
}

// Union-find over tensor indices.
int Builder::find(std::vector<int>& parent, int i) const {
  while (parent[static_cast<std::size_t>(i)] != i) i = parent[static_cast<std::size_t>(i)] = parent[static_cast<std::size_t>(parent[static_cast<std::size_t>(i)])];
  return i;
}

// The QGraph tensors a planned node reads (a Reshape's shape and a Conv's weights are
// constants, not tensors).
std::vector<int> Builder::data_inputs(const PlannedNode& p) const {
  if (p.input != nullptr) return {index_.at(p.input)};
  if (p.product) return {index_.at(p.product->a), index_.at(p.product->b)};
  std::vector<int> result;
  for (const Value* in : p.node->inputs) {
    if (in != nullptr && (!in->is_constant() || reads_constant_operands(p))) result.push_back(index_.at(in));
  }
  return result;
}

// A constant operand's integers at its tensor's scale, rounded half to even as QuantizeLinear
// rounds; the cast saturates at the type's range, which is the tensor's.
void Builder::quantize_constants() {
  for (const auto& [index, value] : constant_values_) {
    QTensor& t = q_.tensors[static_cast<std::size_t>(index)];
    Tensor levels = value->constant->cast(DType::F64);
    for (double& v : levels.span<double>()) v = std::nearbyint(v / t.scale);
    t.data = levels.cast(t.dtype());
  }
}

// An embedding's table [V, C] as the image [1, C, 1, V] of its rows: its HWC bytes are the rows.
void Builder::table_as_image(QTensor& table) {
  if (table.shape.size() == 4) return;  // one table read by two embeddings
  const std::int64_t rows = table.shape[0], features = table.shape[1];
  const Tensor levels = table.data.cast(DType::I64);
  Tensor image(DType::I64, {1, features, 1, rows});
  for (std::int64_t v = 0; v < rows; ++v) {
    for (std::int64_t c = 0; c < features; ++c) {
      image.data<std::int64_t>()[c * rows + v] = levels.data<std::int64_t>()[v * features + c];
    }
  }
  table.data = image.cast(table.data.dtype());
  table.shape = image.shape();
}

FusedActivation Builder::activation(const PlannedNode& p) const {
  return p.kind == QOpKind::Conv ? FusedActivation::of(*p.node) : p.activation;
}

// Signedness and bits. Tensors that must share a type (Concat, MaxPool, Reshape, avg of the
// same data) are unified: signed if any member is, the widest bits.
void Builder::assign_types() {
  const Node* first_conv = nullptr;
  const Node* last_conv = nullptr;
  for (const PlannedNode& p : planned_) {
    if (p.kind != QOpKind::Conv) continue;
    if (first_conv == nullptr) first_conv = p.node;
    last_conv = p.node;
  }
  for (const PlannedNode& p : planned_) {
    QTensor& out = q_.tensors[static_cast<std::size_t>(index_.at(p.output))];
    if (p.kind == QOpKind::Conv || p.kind == QOpKind::Add) {
      const FusedActivation act = activation(p);
      out.is_signed = !(act.kind != FusedActivation::Kind::None && act.min >= 0.0f);
    } else if (p.kind == QOpKind::Lut) {
      // sigmoid, its complement and hardsigmoid lie in [0, 1]: unsigned keeps all 8 bits for them.
      out.is_signed = !(p.lut_function == "sigmoid" || p.lut_function == "sigmoid_complement" ||
                        p.lut_function == "hardsigmoid");
      out.bits = 8;
    } else if (p.kind == QOpKind::Softmax) {
      out.is_signed = false;  // probabilities in [0, 1] at scale 1/256
      out.bits = 8;
    } else if (p.kind == QOpKind::LayerNorm || p.kind == QOpKind::Embedding) {
      out.is_signed = true;  // centred, or a table of both signs: whatever the input's
    } else if (p.kind == QOpKind::Mul) {
      out.is_signed = false;
      for (int in : data_inputs(p)) out.is_signed = out.is_signed || q_.tensor(in).is_signed;
    } else {
      out.is_signed = false;
      for (int in : data_inputs(p)) out.is_signed = out.is_signed || q_.tensor(in).is_signed;
    }
    if (p.node == first_conv && options_.first_layer_bits != 0) out.bits = options_.first_layer_bits;
    if (p.node == last_conv && options_.last_layer_bits != 0) out.bits = options_.last_layer_bits;
  }
  type_parent_.resize(q_.tensors.size());
  std::iota(type_parent_.begin(), type_parent_.end(), 0);
  for (const PlannedNode& p : planned_) {
    if (p.kind == QOpKind::Concat || p.kind == QOpKind::MaxPool || p.kind == QOpKind::Reshape ||
        p.kind == QOpKind::HwcReshape || p.kind == QOpKind::ChannelGather || p.kind == QOpKind::PixelGather ||
        p.kind == QOpKind::Resize) {
      for (int in : data_inputs(p)) unite(type_parent_, in, index_.at(p.output));
    } else if (p.kind == QOpKind::Embedding) {
      unite(type_parent_, data_inputs(p)[0], index_.at(p.output));  // its rows are its table's
    }
  }
  std::map<int, std::pair<bool, int>> group_type;
  for (std::size_t i = 0; i < q_.tensors.size(); ++i) {
    auto& [is_signed, bits] = group_type[find(type_parent_, static_cast<int>(i))];
    is_signed = is_signed || q_.tensors[i].is_signed;
    bits = std::max(bits, q_.tensors[i].bits);
  }
  for (std::size_t i = 0; i < q_.tensors.size(); ++i) {
    const auto& [is_signed, bits] = group_type[find(type_parent_, static_cast<int>(i))];
    q_.tensors[i].is_signed = is_signed;
    q_.tensors[i].bits = bits;
  }
}

double Builder::natural_scale(int index) const {
  const QTensor& t = q_.tensor(index);
  if (t.token_ids) return 1.0;  // the ids themselves
  const double qmax = static_cast<double>(t.hi());
  double th = 0;
  if (const auto c = constant_values_.find(index); c != constant_values_.end()) {
    const Tensor real = c->second->constant->cast(DType::F64);
    th = max_abs_of(real.data<double>(), real.data<double>() + real.numel());
    if (th == 0) return 0;  // an all-zero constant (torch's initial class token): any scale holds it
  } else {
    th = calibration_.threshold(t.name, t.hi());
  }
  return options_.scheme == Scheme::Pow2 ? pow2_ceil(th / qmax) : to_float32(th / qmax);
}

// Scale groups: the type groups plus (pow2, xdnn) the two inputs of every Add. A group
// takes its members' largest scale, so no member is clipped more than its own threshold.
void Builder::assign_scales() {
  std::vector<int> parent = type_parent_;
  if (options_.scheme != Scheme::Pulp) {
    for (const PlannedNode& p : planned_) {
      if (p.kind == QOpKind::Add) unite(parent, input_index(*p.node, 0), input_index(*p.node, 1));
    }
  }
  std::map<int, double> group_scale;
  for (std::size_t i = 0; i < q_.tensors.size(); ++i) {
    double& s = group_scale[find(parent, static_cast<int>(i))];
    s = std::max(s, natural_scale(static_cast<int>(i)));
  }
  for (auto& [group, scale] : group_scale) {
    if (scale == 0) scale = 1;  // nothing but zero constants
  }
  for (std::size_t i = 0; i < q_.tensors.size(); ++i) {
    QTensor& t = q_.tensors[i];
    t.scale = group_scale[find(parent, static_cast<int>(i))];
    t.threshold = t.scale * static_cast<double>(t.hi());
  }
  // A probability needs no calibration: [0, 1] at 1/256, as int8 inference engines give it.
  for (const PlannedNode& p : planned_) {
    if (p.kind != QOpKind::Softmax) continue;
    QTensor& t = q_.tensors[static_cast<std::size_t>(index_.at(p.output))];
    t.scale = 1.0 / 256;
    t.threshold = t.scale * static_cast<double>(t.hi());
  }
}

QNode Builder::make_node(const PlannedNode& p) {
  QNode q;
  q.kind = p.kind;
  q.name = p.node->name;
  q.output = index_.at(p.output);
  q.inputs = data_inputs(p);
  const FusedActivation act = activation(p);
  if (act.kind != FusedActivation::Kind::None) {
    q.act_min = act.min;
    q.act_max = act.max;
  }
  switch (p.kind) {
    case QOpKind::Conv: make_conv(q, *p.node); break;
    case QOpKind::MaxPool:
    case QOpKind::AvgPool: set_pool_window(q, *p.node); break;
    case QOpKind::Lut:
      for (const int t : {q.inputs[0], q.output}) {
        if (q_.tensor(t).bits != 8) {
          throw UserError(fmt::format("node {} ({}): a lookup table needs 8-bit tensors, but '{}' is {}-bit (from "
                                      "--bits or the first/last-layer bits); quantize it with 8 bits",
                                      p.node->name, p.node->op_type, q_.tensor(t).name, q_.tensor(t).bits));
        }
      }
      q.lut_function = p.lut_function;
      q.lut_alpha = p.node->attrs.get_float("alpha", p.node->op == OpKind::HardSigmoid ? 0.2f : 1.0f / 6.0f);
      q.lut_beta = p.node->attrs.get_float("beta", 0.5f);
      break;
    case QOpKind::Softmax:
      q.softmax_labels = p.labels;
      q.softmax_causal = p.causal_offset.has_value();
      q.softmax_causal_offset = p.causal_offset.value_or(0);
      if (q_.tensor(q.inputs[0]).bits != 8) {
        throw UserError(fmt::format("node {} (Softmax): its exp table needs an 8-bit input, but '{}' is {}-bit; "
                                    "quantize it with 8 bits",
                                    p.node->name, q_.tensor(q.inputs[0]).name, q_.tensor(q.inputs[0]).bits));
      }
      break;
    case QOpKind::ChannelGather:
      q.gather_channels = p.node->constant_input(1)->to_int64_vector();
      for (std::int64_t& c : q.gather_channels) {
        if (c < 0) c += q_.tensor(q.inputs[0]).shape[1];  // ONNX counts negative indices from the end
      }
      break;
    case QOpKind::PixelGather: q.gather_pixels = p.pixels; break;
    case QOpKind::Resize: set_resize(q, *p.node, q_.tensor(q.inputs[0]).shape, q_.tensor(q.output).shape); break;
    case QOpKind::LayerNorm: set_layernorm(q, *p.node, q_.tensor(q.inputs[0]).shape[1]); break;
    case QOpKind::MatMul:
      for (const int t : q.inputs) {
        if (q_.tensor(t).bits != 8) {
          throw UserError(fmt::format("node {} (MatMul): attention's products take 8-bit operands, but '{}' is "
                                      "{}-bit; quantize it with 8 bits",
                                      p.node->name, q_.tensor(t).name, q_.tensor(t).bits));
        }
      }
      q.matmul_form = p.product->form;
      q.matmul_heads = p.product->heads;
      q.matmul_windows = p.product->windows;
      q.matmul_factor = p.product->factor;
      if (p.product->bias != nullptr) {
        q.bias = matmul_bias_levels(*p.product->bias, q_.tensor(q.inputs[0]).scale * q_.tensor(q.inputs[1]).scale *
                                                          q.matmul_factor);
      }
      break;
    case QOpKind::Concat:
      q.concat_axis = normalize_axis(p.node->attrs.get_int("axis", 0), static_cast<std::int64_t>(p.output->shape.size()));
      break;
    case QOpKind::Reshape:
    case QOpKind::HwcReshape:
    case QOpKind::Embedding:
    case QOpKind::Add:
    case QOpKind::Mul: break;
  }
  return q;
}

bool Builder::is_first_or_last_conv(const Node& node, bool first) const {
  for (std::size_t i = 0; i < planned_.size(); ++i) {
    const PlannedNode& p = planned_[first ? i : planned_.size() - 1 - i];
    if (p.kind == QOpKind::Conv) return p.node == &node;
  }
  return false;
}

int Builder::weight_bits(const Node& node) const {
  if (options_.first_layer_bits != 0 && is_first_or_last_conv(node, true)) return options_.first_layer_bits;
  if (options_.last_layer_bits != 0 && is_first_or_last_conv(node, false)) return options_.last_layer_bits;
  return options_.bits;
}

void Builder::make_conv(QNode& q, const Node& node) {
  const Tensor weights = node.constant_input(1)->cast(DType::F64);
  const Shape& w_shape = weights.shape();
  const std::int64_t c_out = w_shape[0];
  const std::int64_t per_channel = weights.numel() / c_out;
  const auto w = weights.span<double>();
  // Each output channel's largest |w| (and whether all are finite), channels in parallel:
  // a max is exact, so the scales do not depend on the order.
  std::vector<double> channel_max(static_cast<std::size_t>(c_out));
  bool finite = true;
#pragma omp parallel for schedule(static) reduction(&& : finite)
  for (std::int64_t c = 0; c < c_out; ++c) {
    const double* first = w.data() + c * per_channel;
    channel_max[static_cast<std::size_t>(c)] = max_abs_of(first, first + per_channel);
    finite = finite && std::all_of(first, first + per_channel, [](double v) { return std::isfinite(v); });
  }
  if (!finite) throw UserError(fmt::format("node {}: the weights hold NaN or Inf", node.name));
  std::vector<double> bias;
  if (node.input(2) != nullptr) {
    bias = node.constant_input(2)->to_double_vector();
    for (double v : bias) {
      if (!std::isfinite(v)) throw UserError(fmt::format("node {}: the bias holds NaN or Inf", node.name));
    }
  }
  set_conv_window(q, node, {w_shape[2], w_shape[3]});
  q.folded_batchnorm = node.attrs.get_int("folded_batchnorm", 0) != 0;
  q.weight_bits = weight_bits(node);
  const double qmax = static_cast<double>(signed_max(q.weight_bits));

  const bool per_channel_scales =
      options_.scheme == Scheme::Xdnn || (options_.scheme == Scheme::Pulp && q.folded_batchnorm);
  const auto scale_of = [&](double m) {
    if (m == 0) return 1.0;
    return options_.scheme == Scheme::Pow2 ? pow2_ceil(m / qmax) : to_float32(m / qmax);
  };
  if (per_channel_scales) {
    for (const double m : channel_max) q.weight_scale.push_back(scale_of(m));
  } else {
    q.weight_scale.push_back(scale_of(*std::max_element(channel_max.begin(), channel_max.end())));
  }

  Tensor qw(q.weight_bits == 8 ? DType::I8 : DType::I16, w_shape);
  const double x_scale = q_.tensor(q.inputs[0]).scale;
  std::vector<std::int32_t> qb(bias.empty() ? 0 : static_cast<std::size_t>(c_out));
#pragma omp parallel for schedule(static)
  for (std::int64_t c = 0; c < c_out; ++c) {
    const double s = q.weight_scale.size() == 1 ? q.weight_scale[0] : q.weight_scale[static_cast<std::size_t>(c)];
    for (std::int64_t i = c * per_channel; i < (c + 1) * per_channel; ++i) {
      const double v = std::clamp(std::nearbyint(w[static_cast<std::size_t>(i)] / s), -qmax, qmax);
      if (q.weight_bits == 8) {
        qw.data<std::int8_t>()[i] = static_cast<std::int8_t>(v);
      } else {
        qw.data<std::int16_t>()[i] = static_cast<std::int16_t>(v);
      }
    }
    if (!bias.empty()) {
      const double v = std::nearbyint(bias[static_cast<std::size_t>(c)] / (x_scale * s));
      qb[static_cast<std::size_t>(c)] = static_cast<std::int32_t>(std::clamp(v, -2147483648.0, 2147483647.0));
    }
  }
  q.weights = std::move(qw);
  if (!qb.empty()) q.bias = Tensor::from_vector<std::int32_t>({c_out}, qb);
}

}  // namespace detail

namespace {

// Finite values and -inf, at least one -inf: what a decoder adds to its attention scores where a
// query may not attend (a causal mask), not a broken weight.
bool is_additive_mask(const Node& node, const Tensor& constant) {
  if (node.op != OpKind::Add && node.op != OpKind::Where) return false;
  const Tensor values = constant.cast(DType::F64);
  bool masked = false;
  for (const double v : values.span<double>()) {
    if (std::isnan(v) || v == std::numeric_limits<double>::infinity()) return false;
    masked = masked || std::isinf(v);
  }
  return masked;
}

// The values computed from constants and shapes alone (torch's shape arithmetic, a mask built
// from the scores' shape as torch exports scaled_dot_product_attention's): fold-constants makes
// them constants, and the check reads them then, not the steps that build them.
std::set<const Value*> computed_from_constants(const Graph& graph) {
  std::set<const Value*> computed;
  for (const Node* node : graph.topological_order()) {
    const bool from_constants =
        node->op == OpKind::ShapeOf ||
        (!node->inputs.empty() && std::all_of(node->inputs.begin(), node->inputs.end(), [&](const Value* v) {
          return v == nullptr || v->is_constant() || computed.count(v) > 0;
        }));
    if (!from_constants || node->op == OpKind::Unsupported) continue;
    for (const Value* out : node->outputs) {
      if (out != nullptr) computed.insert(out);
    }
  }
  return computed;
}

}  // namespace

void check_finite_constants(const Graph& graph) {
  const std::set<const Value*> computed = computed_from_constants(graph);
  for (const Node* node : graph.topological_order()) {
    if (node->output(0) != nullptr && computed.count(node->output(0)) > 0) continue;
    // A causal mask's -inf is a mask (causal_scores): the Softmax it feeds takes it whole.
    if (const Node* reader = graph.users(node->output(0)).size() == 1 ? graph.users(node->output(0))[0] : nullptr;
        reader != nullptr && reader->op == OpKind::Softmax) {
      const CausalScores causal = causal_scores(graph, *reader);
      if (causal.mask_node == node && causal.problem.empty()) continue;
    }
    for (std::size_t i = 0; i < node->inputs.size(); ++i) {
      const Tensor* constant = node->constant_input(i);
      if (constant == nullptr || !is_float(constant->dtype())) continue;
      // float32 (nearly every model) is checked in place; other float types through a copy.
      bool finite = true;
      if (constant->dtype() == DType::F32) {
        const auto values = constant->span<float>();
        finite = std::all_of(values.begin(), values.end(), [](float v) { return std::isfinite(v); });
      } else {
        const Tensor values = constant->cast(DType::F64);
        finite = std::all_of(values.span<double>().begin(), values.span<double>().end(),
                             [](double v) { return std::isfinite(v); });
      }
      if (!finite && is_additive_mask(*node, *constant)) {
        // Scores whose shape is known only once fold-constants ran (a view sized from shapes):
        // the check after the passes judges the mask.
        if (std::any_of(node->inputs.begin(), node->inputs.end(),
                        [](const Value* v) { return v != nullptr && !v->is_constant() && !v->has_type(); })) {
          continue;
        }
        throw UserError(fmt::format("node {} ({}): input {} ({}) is an attention mask (-inf where a query may not "
                                    "attend), but not a causal one right before a Softmax over the keys (query i "
                                    "attending to keys 0 .. i + P alone), the one mask with an integer form",
                                    node->name, node->op_type, i, node->input(i)->name));
      }
      if (!finite) {
        throw UserError(fmt::format("node {} ({}): input {} ({}) holds NaN or Inf; fix the model's weights",
                                    node->name, node->op_type, i, node->input(i)->name));
      }
    }
  }
}

std::vector<std::string> unquantizable_nodes(const Graph& graph, const QuantizeOptions& options) {
  const Calibrator no_ranges(CalibrationOptions{});  // planning reads no threshold
  return detail::Builder(graph, no_ranges, options).rejected_nodes();
}

QGraph build_qgraph(const Graph& graph, const Calibrator& calibration, const QuantizeOptions& options) {
  return detail::Builder(graph, calibration, options).build();
}

}  // namespace wb::quant
