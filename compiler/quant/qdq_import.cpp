#include "compiler/quant/qdq_import.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <stdexcept>

#include "compiler/ir/shape_inference.h"
#include "compiler/quant/absorbed_views.h"
#include "compiler/quant/node_patterns.h"
#include "compiler/quant/requant_params.h"
#include "compiler/quant/resize_taps.h"
#include "support/error.h"

namespace wb::quant {

bool is_qdq_graph(const Graph& graph) {
  for (const Node* node : graph.nodes()) {
    if (node->op == OpKind::QuantizeLinear || node->op == OpKind::DequantizeLinear || node->op == OpKind::QLinearConv) {
      return true;
    }
  }
  return false;
}

namespace {

// A constant quantized tensor (weights, bias) behind a DequantizeLinear.
struct ConstantQuant {
  Tensor data;
  std::vector<double> scale;
  bool per_axis = false;
  std::int64_t axis = 0;  // per_axis: along which (a ConvTranspose's output channels are axis 1)
};

class QdqReader {
 public:
  QdqReader(const Graph& graph, Scheme scheme) : graph_(graph) { q_.scheme = scheme; }

  QGraph read() {
    q_.name = graph_.name;
    // The patterns one QNode computes, found as the quantizer finds them (quant::absorbed_views).
    AbsorbedViews views = absorbed_views(graph_);
    absorbed_ = std::move(views.nodes);
    products_ = std::move(views.products);
    masks_ = std::move(views.masks);
    pixel_gathers_ = std::move(views.pixel_gathers);
    const std::map<const Value*, TokenOutputView>& token_outputs = views.token_outputs;
    for (const Node* node : graph_.topological_order()) visit(*node);
    for (const Value* output : graph_.outputs()) {
      const auto float_value = activation_.find(output);
      const auto integer = integer_value_.find(output);
      if (const auto view = token_outputs.find(output); view != token_outputs.end()) {
        const auto image = activation_.find(view->second.image);
        if (image == activation_.end()) {
          problems_.push_back(fmt::format("graph output {} reads back an image that is not a DequantizeLinear of a "
                                          "quantized tensor",
                                          output->name));
          continue;
        }
        QTensor& t = q_.tensors[static_cast<std::size_t>(image->second)];
        t.name = output->name;
        t.source_shape = output->shape;
        q_.outputs.push_back(image->second);
      } else if (float_value != activation_.end()) {
        q_.outputs.push_back(float_value->second);
      } else if (integer != integer_value_.end()) {
        q_.outputs.push_back(integer->second);
      } else {
        problems_.push_back(fmt::format("graph output {} is not a quantized tensor or a DequantizeLinear of one",
                                        output->name));
      }
    }
    for (const QNode& node : q_.nodes) {
      if (node.output < 0) {
        problems_.push_back(fmt::format("{}: its result is not quantized (a QuantizeLinear, then a DequantizeLinear)",
                                        node.name));
      }
    }
    if (!problems_.empty()) {
      std::string text = fmt::format("the QDQ model does not fit the QGraph's pattern ({} problem(s)):", problems_.size());
      for (const auto& p : problems_) text += "\n  " + p;
      throw UserError(text);
    }
    assign_requant(q_);
    // The QGraph is the user's model: a structural rule it breaks (a MaxPool that changes the
    // scale, a Concat of inputs with different scales, ...) is a pattern the model does not fit.
    try {
      verify_qgraph(q_);
    } catch (const std::logic_error& e) {
      throw UserError(fmt::format("the QDQ model does not fit the QGraph's pattern: {}", e.what()));
    }
    return std::move(q_);
  }

 private:
  void problem(const Node& node, const std::string& what) {
    problems_.push_back(fmt::format("{} ({}): {}", node.name, node.op_type, what));
  }

  // The zero point must be absent or all zeros; returns its type (I8 when absent).
  std::optional<DType> symmetric_zero_point(const Node& node) {
    const Tensor* zero = node.constant_input(2);
    if (node.input(2) != nullptr && zero == nullptr) {
      problem(node, "the zero point is not a constant");
      return std::nullopt;
    }
    if (zero == nullptr) return DType::U8;  // ONNX's default zero point is uint8
    for (std::int64_t i = 0; i < zero->numel(); ++i) {
      if (zero->as_int64(i) != 0) {
        problem(node, fmt::format("zero point {} (asymmetric quantization is not supported: every scheme is "
                                  "symmetric)",
                                  zero->as_int64(i)));
        return std::nullopt;
      }
    }
    return zero->dtype();
  }

  void visit(const Node& node) {
    if (absorbed_.count(&node) != 0) return;
    switch (node.op) {
      case OpKind::QuantizeLinear: read_quantize(node); return;
      case OpKind::DequantizeLinear: read_dequantize(node); return;
      case OpKind::Relu:
      case OpKind::Clip:
        if (pending_.count(node.input(0)) == 0 || !activation_of(node)) problem(node, "an activation not after a Conv or Add");
        return;
      case OpKind::QLinearConv: read_qlinear_conv(node); return;
      case OpKind::ConvTranspose:
      case OpKind::Conv:
      case OpKind::Add:
      case OpKind::MaxPool:
      case OpKind::AveragePool:
      case OpKind::GlobalAveragePool:
      case OpKind::Concat:
      case OpKind::Flatten:
      case OpKind::Sigmoid:
      case OpKind::Tanh:
      case OpKind::HardSigmoid:
      case OpKind::HardSwish:
      case OpKind::Gelu:
      case OpKind::Gather:
      case OpKind::Softmax:
      case OpKind::Resize:
      case OpKind::LayerNormalization:
      case OpKind::RMSNormalization:
      case OpKind::Reshape: read_compute(node); return;
      case OpKind::Transpose: read_layernorm_view(node); return;
      case OpKind::MatMul: read_attention_product(node); return;
      case OpKind::Mul:
        if (!read_gated_lut(node)) read_compute(node);
        return;
      case OpKind::Sub:
        if (!read_sigmoid_complement(node)) problem(node, "only 1 - Sigmoid(x) (one table of x) is supported of a Sub");
        return;
      default: problem(node, "no integer form in the quantization schemes");
    }
  }

  // QuantizeLinear of a graph input or of a compute node's (activated) result.
  void read_quantize(const Node& node) {
    const auto zero_type = symmetric_zero_point(node);
    const Tensor* scale = node.constant_input(1);
    if (!zero_type) return;
    if (scale == nullptr || scale->numel() != 1) {
      problem(node, "activations need one constant scale (per-tensor)");
      return;
    }
    if (*zero_type != DType::I8 && *zero_type != DType::U8) {
      problem(node, "only int8/uint8 activations");
      return;
    }
    QTensor t;
    t.bits = 8;
    t.is_signed = *zero_type == DType::I8;
    t.scale = scale->as_double(0);
    t.threshold = t.scale * static_cast<double>(t.hi());
    if (!usable_scales(node, {t.scale})) return;
    const Value* x = node.input(0);
    const bool is_input = x->producer == nullptr && !x->is_constant();
    if (!is_input && pending_.count(x) == 0) {
      // Through an activation: the activation's input is the pending compute result.
      const Node* act = x->producer;
      if (act == nullptr || !activation_of(*act) || pending_.count(act->input(0)) == 0) {
        problem(node, "quantizes something other than a graph input or a Conv/Add/pool/Concat/Reshape result");
        return;
      }
      QNode& q = q_.nodes[static_cast<std::size_t>(pending_.at(act->input(0)))];
      const FusedActivation a = *activation_of(*act);
      q.act_min = a.min;
      q.act_max = a.max;
      quantized_[node.output(0)] = {pending_.at(act->input(0)), t};
      return;
    }
    if (is_input) {
      t.name = x->name;
      t.shape = x->shape;
      const int index = add_tensor(t);
      q_.inputs.push_back(index);
      input_tensor_[node.output(0)] = index;
      integer_value_[node.output(0)] = index;
      return;
    }
    quantized_[node.output(0)] = {pending_.at(x), t};
  }

  void read_dequantize(const Node& node) {
    const Value* q = node.input(0);
    if (q->is_constant()) {
      read_constant(node);
      return;
    }
    const Value* out = node.output(0);
    if (const auto it = integer_value_.find(q); it != integer_value_.end()) {
      if (!same_params(node, q_.tensor(it->second))) return;
      activation_[out] = it->second;
      return;
    }
    if (const auto it = input_tensor_.find(q); it != input_tensor_.end()) {
      if (!same_params(node, q_.tensor(it->second))) return;
      activation_[out] = it->second;
      return;
    }
    const auto it = quantized_.find(q);
    if (it == quantized_.end()) {
      problem(node, "dequantizes a tensor no QuantizeLinear produced");
      return;
    }
    auto [node_index, t] = it->second;
    if (!same_params(node, t)) return;
    QNode& producer = q_.nodes[static_cast<std::size_t>(node_index)];
    if (producer.output >= 0) {
      // A second DequantizeLinear of the same QuantizeLinear: the same integer tensor.
      activation_[out] = producer.output;
      return;
    }
    t.name = out->name;
    t.shape = out->shape;
    const int index = add_tensor(t);
    producer.output = index;
    activation_[out] = index;
  }

  // The DequantizeLinear must undo its QuantizeLinear exactly.
  bool same_params(const Node& node, const QTensor& t) {
    const Tensor* scale = node.constant_input(1);
    if (scale == nullptr || scale->numel() != 1 || scale->as_double(0) != t.scale) {
      problem(node, "its scale differs from the QuantizeLinear's");
      return false;
    }
    return symmetric_zero_point(node).has_value();
  }

  void read_constant(const Node& node) {
    const auto zero_type = symmetric_zero_point(node);
    const Tensor* scale = node.constant_input(1);
    if (!zero_type || scale == nullptr) {
      if (scale == nullptr) problem(node, "the scale is not a constant");
      return;
    }
    ConstantQuant c;
    c.data = *node.constant_input(0);
    c.scale = scale->to_double_vector();
    if (!usable_scales(node, c.scale)) return;
    c.per_axis = scale->rank() == 1;
    c.axis = c.per_axis ? node.attrs.get_int("axis", 1) : 0;
    if (c.per_axis && c.axis != 0 && !(c.axis == 1 && c.data.rank() == 4)) {
      problem(node, "per-axis weight scales must be along the output channels (axis 0, or axis 1 of a ConvTranspose's "
                    "weights)");
      return;
    }
    const std::int64_t channels = c.data.rank() > 0 ? c.data.shape()[static_cast<std::size_t>(c.axis)] : 1;
    if (!scales_fit(node, *scale, channels)) return;
    constants_[node.output(0)] = std::move(c);
  }

  // One scale for the whole tensor, or one per output channel (axis 0): any other count would
  // leave channels without a scale (a problem recorded otherwise).
  bool scales_fit(const Node& node, const Tensor& scale, std::int64_t channels) {
    const bool one = scale.rank() <= 1 && scale.numel() == 1;
    const bool per_channel = scale.rank() == 1 && scale.numel() == channels;
    if (!one && !per_channel) {
      problem(node, fmt::format("the scale has shape {} ({} value(s)): expected one scale, or one per output "
                                "channel ({})",
                                format_shape(scale.shape()), scale.numel(), channels));
      return false;
    }
    return true;
  }

  // Scales the integer arithmetic can use: positive and finite (a problem recorded otherwise).
  bool usable_scales(const Node& node, const std::vector<double>& scales) {
    for (const double scale : scales) {
      if (!(scale > 0) || !std::isfinite(scale)) {
        problem(node, fmt::format("scale {} is not a positive finite number", scale));
        return false;
      }
    }
    return true;
  }

  int add_tensor(QTensor t) {
    q_.tensors.push_back(std::move(t));
    return static_cast<int>(q_.tensors.size()) - 1;
  }

  // The activation tensor a compute node reads, or -1 (with a problem recorded).
  // An Add's or Concat's operand: a dequantized activation, or a dequantized constant of one
  // scale (a class token, a position embedding), which becomes a constant tensor.
  int operand_input(const Node& node, std::size_t i) {
    const Value* v = node.input(i);
    const auto c = constants_.find(v);
    if (activation_.count(v) != 0 || c == constants_.end()) return activation_input(node, i);
    if (const auto known = constant_tensor_.find(v); known != constant_tensor_.end()) return known->second;
    const DType type = c->second.data.dtype();
    if ((type != DType::I8 && type != DType::U8 && type != DType::I16 && type != DType::U16) ||
        c->second.scale.size() != 1) {
      problem(node, fmt::format("input {} is a constant operand, which must be 8- or 16-bit integers of one scale",
                                v->name));
      return -1;
    }
    QTensor t;
    t.name = v->name;
    t.shape = c->second.data.shape();
    t.bits = type == DType::I8 || type == DType::U8 ? 8 : 16;
    t.is_signed = type == DType::I8 || type == DType::I16;
    t.scale = c->second.scale[0];
    t.threshold = t.scale * static_cast<double>(t.hi());
    t.data = c->second.data;
    const int index = add_tensor(t);
    constant_tensor_[v] = index;
    return index;
  }

  int activation_input(const Node& node, std::size_t i) {
    const auto it = activation_.find(node.input(i));
    if (it != activation_.end()) return it->second;
    problem(node, fmt::format("input {} is not a dequantized activation", node.input(i) ? node.input(i)->name : "-"));
    return -1;
  }

  // MaxPool, Reshape or Flatten straight on integers (QLinear models): same scale and type.
  bool read_integer_data_movement(const Node& node) {
    const auto it = integer_value_.find(node.input(0));
    if (it == integer_value_.end()) return false;
    if (node.op != OpKind::MaxPool && node.op != OpKind::Reshape && node.op != OpKind::Flatten) {
      problem(node, "only MaxPool, Reshape and Flatten may read quantized integers directly");
      return true;
    }
    QNode q;
    q.name = node.name;
    q.kind = node.op == OpKind::MaxPool ? QOpKind::MaxPool : QOpKind::Reshape;
    q.inputs = {it->second};
    if (q.kind == QOpKind::MaxPool) set_pool_window(q, node);
    QTensor t = q_.tensor(it->second);
    t.name = node.output(0)->name;
    t.shape = node.output(0)->shape;
    q.output = add_tensor(t);
    integer_value_[node.output(0)] = q.output;
    q_.nodes.push_back(std::move(q));
    return true;
  }

  // QLinearConv(x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, [B]) on integers.
  void read_qlinear_conv(const Node& node) {
    const auto x = integer_value_.find(node.input(0));
    if (x == integer_value_.end()) {
      problem(node, "its input is not a quantized tensor");
      return;
    }
    const QTensor& in = q_.tensor(x->second);
    const Tensor* x_scale = node.constant_input(1);
    const Tensor* w = node.constant_input(3);
    const Tensor* w_scale = node.constant_input(4);
    const Tensor* y_scale = node.constant_input(6);
    if (x_scale == nullptr || x_scale->numel() != 1 || x_scale->as_double(0) != in.scale) {
      problem(node, "its input scale differs from the tensor's");
      return;
    }
    if (w == nullptr || w->dtype() != DType::I8 || w_scale == nullptr || y_scale == nullptr ||
        y_scale->numel() != 1) {
      problem(node, "needs constant int8 weights and constant scales");
      return;
    }
    for (std::size_t zp : {std::size_t{2}, std::size_t{5}, std::size_t{7}}) {
      const Tensor* zero = node.constant_input(zp);
      for (std::int64_t i = 0; zero != nullptr && i < zero->numel(); ++i) {
        if (zero->as_int64(i) != 0) {
          problem(node, fmt::format("zero point {} (asymmetric quantization is not supported: every scheme is "
                                    "symmetric)",
                                    zero->as_int64(i)));
          return;
        }
      }
    }
    if (!usable_scales(node, w_scale->to_double_vector()) || !usable_scales(node, {y_scale->as_double(0)})) return;
    if (w->rank() != 4) {
      problem(node, fmt::format("the weights have shape {}, not [C_out, C_in, kH, kW]", format_shape(w->shape())));
      return;
    }
    if (!scales_fit(node, *w_scale, w->shape()[0])) return;
    const Tensor* y_zero = node.constant_input(7);
    QNode q;
    q.kind = QOpKind::Conv;
    q.name = node.name;
    q.inputs = {x->second};
    q.weights = *w;
    q.weight_scale = w_scale->to_double_vector();
    q.folded_batchnorm = w_scale->rank() == 1;
    set_conv_window(q, node, {w->shape()[2], w->shape()[3]});
    if (node.input(8) != nullptr) {
      const Tensor* bias = node.constant_input(8);
      if (bias == nullptr || bias->dtype() != DType::I32) {
        problem(node, "the bias must be an int32 constant");
        return;
      }
      q.bias = *bias;
    }
    QTensor t;
    t.name = node.output(0)->name;
    t.shape = node.output(0)->shape;
    t.is_signed = y_zero != nullptr && y_zero->dtype() == DType::I8;
    t.scale = y_scale->as_double(0);
    t.threshold = t.scale * static_cast<double>(t.hi());
    q.output = add_tensor(t);
    integer_value_[node.output(0)] = q.output;
    q_.nodes.push_back(std::move(q));
  }

  void read_compute(const Node& node) {
    if (read_integer_data_movement(node)) return;
    QNode q;
    q.name = node.name;
    switch (node.op) {
      case OpKind::Conv:
      case OpKind::ConvTranspose:
        q.kind = QOpKind::Conv;
        if (!read_conv(q, node)) return;
        break;
      case OpKind::Add:
        q.kind = QOpKind::Add;
        for (std::size_t i = 0; i < 2; ++i) q.inputs.push_back(operand_input(node, i));
        break;
      case OpKind::MaxPool:
      case OpKind::AveragePool:
      case OpKind::GlobalAveragePool:
        q.kind = node.op == OpKind::MaxPool ? QOpKind::MaxPool : QOpKind::AvgPool;
        q.inputs.push_back(activation_input(node, 0));
        set_pool_window(q, node);
        break;
      case OpKind::Concat:
        q.kind = QOpKind::Concat;
        q.concat_axis = normalize_axis(node.attrs.get_int("axis", 0), static_cast<std::int64_t>(node.output(0)->shape.size()));
        for (std::size_t i = 0; i < node.inputs.size(); ++i) q.inputs.push_back(operand_input(node, i));
        break;
      case OpKind::Mul:
        q.kind = QOpKind::Mul;
        for (std::size_t i = 0; i < 2 && i < node.inputs.size(); ++i) q.inputs.push_back(activation_input(node, i));
        if (node.inputs.size() != 2) problem(node, "a Mul has two inputs");
        break;
      case OpKind::Sigmoid:
      case OpKind::Tanh:
      case OpKind::HardSigmoid:
      case OpKind::HardSwish:
        q.kind = QOpKind::Lut;
        q.inputs.push_back(activation_input(node, 0));
        q.lut_function = node.op == OpKind::Sigmoid       ? "sigmoid"
                         : node.op == OpKind::Tanh        ? "tanh"
                         : node.op == OpKind::HardSigmoid ? "hardsigmoid"
                                                          : "hardswish";
        q.lut_alpha = node.attrs.get_float("alpha", node.op == OpKind::HardSigmoid ? 0.2f : 1.0f / 6.0f);
        q.lut_beta = node.attrs.get_float("beta", 0.5f);
        break;
      case OpKind::Resize:
        q.kind = QOpKind::Resize;
        q.inputs.push_back(activation_input(node, 0));
        if (node.input(0)->shape.size() != 4 || node.output(0)->shape.size() != 4) {
          problem(node, "only a Resize of NCHW tensors has an integer form");
        } else {
          set_resize(q, node, node.input(0)->shape, node.output(0)->shape);
        }
        break;
      case OpKind::Gelu:
        q.kind = QOpKind::Lut;
        q.inputs.push_back(activation_input(node, 0));
        q.lut_function = node.attrs.get_string("approximate", "none") == "tanh" ? "gelu_tanh" : "gelu";
        break;
      case OpKind::Softmax:
        q.kind = QOpKind::Softmax;
        if (const auto mask = masks_.find(&node); mask != masks_.end()) {
          const auto scores = activation_.find(mask->second.scores);
          if (scores == activation_.end()) {
            problem(node, fmt::format("input {} is not a dequantized activation", mask->second.scores->name));
            return;
          }
          q.inputs.push_back(scores->second);
          q.softmax_labels = mask->second.labels;
          break;
        }
        q.inputs.push_back(activation_input(node, 0));
        break;
      case OpKind::LayerNormalization:
      case OpKind::RMSNormalization:
        q.kind = QOpKind::LayerNorm;
        q.inputs.push_back(activation_input(node, 0));
        if (!channel_layernorm(node)) {
          problem(node, fmt::format("only a {} over the channels has an integer form (axis 1 of [N, C])", op_name(node.op)));
          return;
        }
        set_layernorm(q, node, node.input(0)->shape[1]);
        break;
      case OpKind::Gather: {
        if (const auto view = pixel_gathers_.find(&node); view != pixel_gathers_.end()) {
          q.kind = QOpKind::PixelGather;
          const auto source = activation_.find(view->second.input);
          if (source == activation_.end()) {
            problem(node, fmt::format("input {} is not a dequantized activation", view->second.input->name));
            return;
          }
          q.inputs.push_back(source->second);
          q.gather_pixels = view->second.pixels;
          pending_[view->second.output] = static_cast<int>(q_.nodes.size());
          q_.nodes.push_back(std::move(q));
          return;
        }
        q.kind = QOpKind::ChannelGather;
        q.inputs.push_back(activation_input(node, 0));
        const Tensor* channels = node.constant_input(1);
        if (channels == nullptr || channels->rank() != 1 || node.attrs.get_int("axis", 0) != 1) {
          problem(node, "only a Gather of constant channels (axis 1, 1-D indices) has an integer form");
          return;
        }
        for (std::int64_t i = 0; i < channels->numel(); ++i) q.gather_channels.push_back(channels->as_int64(i));
        break;
      }
      default:
        q.kind = QOpKind::Reshape;
        q.inputs.push_back(activation_input(node, 0));
        break;
    }
    for (int i : q.inputs) {
      if (i < 0) return;
    }
    pending_[node.output(0)] = static_cast<int>(q_.nodes.size());
    q_.nodes.push_back(std::move(q));
  }

  // Transpose(0, 2, 3, 1) -> LayerNormalization -> Transpose(0, 3, 1, 2) on a dequantized
  // NCHW activation: one LayerNorm over its channels (the closing Transpose's output is the
  // pending result; the two nodes after the first are read here and skipped when visited).
  void read_layernorm_view(const Node& front) {
    if (absorbed_.count(&front) != 0 || read_token_input_view(front) || read_hwc_tokens_view(front)) return;
    const LayerNormView view = nhwc_layernorm(graph_, front);
    if (view.layernorm == nullptr) {
      problem(front, "a Transpose has an integer form only as the NHWC view around a LayerNormalization");
      return;
    }
    QNode q;
    q.name = view.layernorm->name;
    q.kind = QOpKind::LayerNorm;
    q.inputs.push_back(activation_input(front, 0));
    if (q.inputs[0] < 0) return;
    set_layernorm(q, *view.layernorm, front.input(0)->shape[1]);
    absorbed_.insert(view.layernorm);
    absorbed_.insert(view.back);
    pending_[view.back->output(0)] = static_cast<int>(q_.nodes.size());
    q_.nodes.push_back(std::move(q));
  }

  // A dequantized image's pixels read as tokens (quant::hwc_tokens_view): one HwcReshape.
  bool read_hwc_tokens_view(const Node& front) {
    const HwcTokensView view = hwc_tokens_view(graph_, front);
    if (view.image == nullptr || activation_.count(front.input(0)) == 0) return false;
    QNode q;
    q.name = front.name;
    q.kind = QOpKind::HwcReshape;
    q.inputs.push_back(activation_input(front, 0));
    if (q.inputs[0] < 0) return true;
    absorbed_.insert(view.views.begin(), view.views.end());
    pending_[view.image] = static_cast<int>(q_.nodes.size());
    q_.nodes.push_back(std::move(q));
    return true;
  }

  // A dequantized network input of tokens [1, T, C] read as its image [1, C, 1, T]
  // (quant::token_input_view): the input is the image, given in its own shape (source_shape).
  bool read_token_input_view(const Node& transpose) {
    const Value* tokens = transpose.input(0);
    const auto it = activation_.find(tokens);
    if (it == activation_.end() || std::find(q_.inputs.begin(), q_.inputs.end(), it->second) == q_.inputs.end()) {
      return false;
    }
    const TokenInputView view = token_input_view(graph_, *tokens);
    QTensor& input = q_.tensors[static_cast<std::size_t>(it->second)];
    if (view.transpose != &transpose || !input.source_shape.empty()) return false;
    input.source_shape = input.shape;
    input.shape = view.reshape->output(0)->shape;
    absorbed_.insert(view.reshape);
    activation_[view.reshape->output(0)] = it->second;
    return true;
  }

  // Attention's scores or context on dequantized images (quant::attention_product).
  void read_attention_product(const Node& matmul) {
    const auto it = products_.find(&matmul);
    if (it == products_.end()) {
      problem(matmul, "a MatMul has an integer form only as attention's scores or context on images of tokens");
      return;
    }
    const AttentionProduct& p = it->second;
    QNode q;
    q.name = matmul.name;
    q.kind = QOpKind::MatMul;
    for (const Value* operand : {p.a, p.b}) {
      const auto a = activation_.find(operand);
      if (a == activation_.end()) {
        problem(matmul, fmt::format("operand {} is not a dequantized activation", operand->name));
        return;
      }
      q.inputs.push_back(a->second);
    }
    q.matmul_form = p.form;
    q.matmul_heads = p.heads;
    q.matmul_windows = p.windows;
    q.matmul_factor = p.factor;
    if (p.bias != nullptr) {
      q.bias = matmul_bias_levels(*p.bias, q_.tensor(q.inputs[0]).scale * q_.tensor(q.inputs[1]).scale * q.matmul_factor);
    }
    pending_[p.output] = static_cast<int>(q_.nodes.size());
    q_.nodes.push_back(std::move(q));
  }

  // x * Sigmoid(x) or x * HardSigmoid(x) (the export's SiLU and HardSwish): the gate's
  // pending Lut takes the product's function and output.
  bool read_gated_lut(const Node& mul) {
    for (std::size_t i = 0; i < 2 && mul.inputs.size() == 2; ++i) {
      const auto gate = pending_.find(mul.input(i));
      const auto x = activation_.find(mul.input(1 - i));
      if (gate == pending_.end() || x == activation_.end()) continue;
      QNode& lut = q_.nodes[static_cast<std::size_t>(gate->second)];
      if (lut.kind != QOpKind::Lut || lut.inputs.at(0) != x->second) continue;
      if (lut.lut_function != "sigmoid" && lut.lut_function != "hardsigmoid") continue;
      lut.lut_function = lut.lut_function == "sigmoid" ? "silu" : "hardswish";
      pending_[mul.output(0)] = gate->second;
      pending_.erase(gate);
      return true;
    }
    return false;
  }

  // 1 - Sigmoid(x) (the export's sigmoid_complement table): the Sigmoid's pending Lut takes the
  // complement and the Sub's output.
  bool read_sigmoid_complement(const Node& sub) {
    const Tensor* one = sub.constant_input(0);
    const auto gate = pending_.find(sub.input(1));
    if (one == nullptr || one->numel() != 1 || one->as_double(0) != 1.0 || gate == pending_.end()) return false;
    QNode& lut = q_.nodes[static_cast<std::size_t>(gate->second)];
    if (lut.kind != QOpKind::Lut || lut.lut_function != "sigmoid") return false;
    lut.lut_function = "sigmoid_complement";
    lut.name = sub.name;
    pending_[sub.output(0)] = gate->second;
    pending_.erase(gate);
    return true;
  }

  // A ConvTranspose as the conv over its zero-inserted input (conv_transpose_to_conv.h): the
  // integer weights [C_in, C_out / g, K_h, K_w] to [C_out, C_in / g, K_h, K_w], taps flipped.
  bool as_transposed_conv(QNode& q, const Node& node) {
    const Shape s = q.weights.shape();
    const std::int64_t group = node.attrs.get_int("group", 1);
    if (s.size() != 4 || s[0] % group != 0 || (group > 1 && q.weight_scale.size() > 1)) {
      problem(node, "a transposed conv's weights must be [C_in, C_out / group, K_h, K_w], per-channel scales ungrouped");
      return false;
    }
    const std::int64_t group_in = s[0] / group, group_out = s[1];
    Tensor v(q.weights.dtype(), {group * group_out, group_in, s[2], s[3]});
    visit_dtype(q.weights.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* src = q.weights.data<T>();
      T* dst = v.data<T>();
      for (std::int64_t gi = 0; gi < group; ++gi) {
        for (std::int64_t j = 0; j < group_out; ++j) {
          for (std::int64_t c = 0; c < group_in; ++c) {
            for (std::int64_t y = 0; y < s[2]; ++y) {
              for (std::int64_t x = 0; x < s[3]; ++x) {
                dst[(((gi * group_out + j) * group_in + c) * s[2] + y) * s[3] + x] =
                    src[(((gi * group_in + c) * group_out + j) * s[2] + (s[2] - 1 - y)) * s[3] + (s[3] - 1 - x)];
              }
            }
          }
        }
      }
    });
    q.weights = std::move(v);
    q.group = group;
    const auto strides = node.attrs.get_ints("strides", {1, 1});
    const auto dilations = node.attrs.get_ints("dilations", {1, 1});
    const auto pads = node.attrs.get_ints("pads", {0, 0, 0, 0});
    q.kernel = {s[2], s[3]};
    q.strides = {1, 1};
    q.dilations = dilations;
    q.input_dilations = strides;
    for (std::size_t a = 0; a < 2; ++a) {
      q.pads_begin[a] = (q.kernel[a] - 1) * dilations[a] - pads[a];
      q.pads_end[a] = (q.kernel[a] - 1) * dilations[a] - pads[a + 2];
      if (q.pads_begin[a] < 0 || q.pads_end[a] < 0) {
        problem(node, "a transposed conv whose pads exceed its kernel's extent");
        return false;
      }
    }
    return true;
  }

  bool read_conv(QNode& q, const Node& node) {
    q.inputs.push_back(activation_input(node, 0));
    const auto w = constants_.find(node.input(1));
    if (w == constants_.end() || (w->second.data.dtype() != DType::I8 && w->second.data.dtype() != DType::I16)) {
      problem(node, "the weights must be a DequantizeLinear of an int8 constant");
      return false;
    }
    if (w->second.per_axis && w->second.axis != (node.op == OpKind::ConvTranspose ? 1 : 0)) {
      problem(node, "the weights' scales are not along the output channels");
      return false;
    }
    q.weights = w->second.data;
    q.weight_bits = w->second.data.dtype() == DType::I8 ? 8 : 16;
    q.weight_scale = w->second.scale;
    q.folded_batchnorm = w->second.per_axis;
    if (node.op == OpKind::ConvTranspose) {
      if (!as_transposed_conv(q, node)) return false;
    } else {
      set_conv_window(q, node, {q.weights.shape()[2], q.weights.shape()[3]});
    }
    if (node.input(2) == nullptr || q.inputs[0] < 0) return q.inputs[0] >= 0;
    const auto b = constants_.find(node.input(2));
    if (b == constants_.end() || b->second.data.dtype() != DType::I32) {
      problem(node, "the bias must be a DequantizeLinear of an int32 constant");
      return false;
    }
    const double x_scale = q_.tensor(q.inputs[0]).scale;
    for (std::size_t c = 0; c < b->second.scale.size(); ++c) {
      const double w_scale = q.weight_scale.size() == 1 ? q.weight_scale[0] : q.weight_scale.at(c);
      const double expected = static_cast<double>(static_cast<float>(x_scale * w_scale));
      if (std::abs(b->second.scale[c] - expected) > 1e-6 * expected) {
        problem(node, "the bias scale is not input scale x weight scale");
        return false;
      }
    }
    q.bias = b->second.data;
    return true;
  }

  const Graph& graph_;
  std::set<const Node*> absorbed_;  // the LayerNormalization and closing Transpose of an NHWC view, head views
  std::map<const Node*, AttentionProduct> products_;  // MatMul -> attention's product it computes
  std::map<const Node*, PixelGatherView> pixel_gathers_;  // Gather -> the pixel gather it computes
  std::map<const Node*, MaskedScores> masks_;              // Softmax -> Swin's mask before it
  QGraph q_;
  std::vector<std::string> problems_;
  std::map<const Value*, int> pending_;                             // compute result -> node index
  std::map<const Value*, std::pair<int, QTensor>> quantized_;       // QuantizeLinear output -> (node, tensor)
  std::map<const Value*, int> input_tensor_;                        // QuantizeLinear of a graph input -> tensor
  std::map<const Value*, int> integer_value_;                       // an integer-typed value -> tensor
  std::map<const Value*, int> activation_;                          // DequantizeLinear output -> tensor
  std::map<const Value*, ConstantQuant> constants_;
  std::map<const Value*, int> constant_tensor_;  // a dequantized constant operand -> its tensor
};

}  // namespace

QGraph import_qdq_graph(const Graph& graph, Scheme scheme) { return QdqReader(graph, scheme).read(); }

}  // namespace wb::quant
