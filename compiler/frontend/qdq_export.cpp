#include "compiler/frontend/qdq_export.h"

#include <fmt/format.h>

#include <algorithm>
#include <numbers>
#include <onnx/onnx_pb.h>

#include <cmath>
#include <limits>

#include "compiler/frontend/tensor_proto.h"
#include "compiler/ir/token_layout.h"
#include "support/error.h"

namespace wb::quant {
namespace {

class QdqWriter {
 public:
  explicit QdqWriter(const QGraph& graph) : q_(graph) {}

  std::string write() {
    for (const QTensor& t : q_.tensors) {
      if (t.bits != 8) {
        throw UserError(fmt::format("tensor {} is {}-bit; QDQ ONNX (opset {}) holds only 8-bit tensors, so only the "
                                    "quantization JSON can describe this network",
                                    t.name, t.bits, kQdqOpset));
      }
    }
    onnx::ModelProto model;
    model.set_ir_version(7);
    model.set_producer_name("workbench quantize");
    auto* opset = model.add_opset_import();
    opset->set_domain("");
    opset->set_version(kQdqOpset);
    add_metadata(model, kSchemeMetadataKey, scheme_name(q_.scheme));
    add_metadata(model, kVersionMetadataKey, "1");
    graph_ = model.mutable_graph();
    graph_->set_name(q_.name.empty() ? "quantized" : q_.name);
    for (int input : q_.inputs) write_input(input);
    for (const QTensor& t : q_.tensors) {
      if (t.is_constant()) write_constant(t);
    }
    for (const QNode& node : q_.nodes) write_node(node);
    for (int output : q_.outputs) write_output(output);
    std::string bytes;
    if (!model.SerializeToString(&bytes)) throw std::runtime_error("could not serialize the QDQ model");
    return bytes;
  }

 private:
  static void add_metadata(onnx::ModelProto& model, const std::string& key, const std::string& value) {
    auto* entry = model.add_metadata_props();
    entry->set_key(key);
    entry->set_value(value);
  }

  static void add_value_info(onnx::ValueInfoProto* info, const std::string& name, const Shape& shape) {
    info->set_name(name);
    auto* type = info->mutable_type()->mutable_tensor_type();
    type->set_elem_type(onnx::TensorProto::FLOAT);
    for (std::int64_t d : shape) type->mutable_shape()->add_dim()->set_dim_value(d);
  }

  std::string initializer(const std::string& name, const Tensor& tensor) {
    *graph_->add_initializer() = tensor_to_proto(tensor, name);
    return name;
  }

  onnx::NodeProto* add_node(const std::string& op, const std::string& name, std::vector<std::string> inputs,
                            std::vector<std::string> outputs) {
    auto* node = graph_->add_node();
    node->set_op_type(op);
    node->set_name(name);
    for (auto& i : inputs) node->add_input(i);
    for (auto& o : outputs) node->add_output(o);
    return node;
  }

  static void set_ints(onnx::NodeProto* node, const std::string& name, const std::vector<std::int64_t>& values) {
    auto* attr = node->add_attribute();
    attr->set_name(name);
    attr->set_type(onnx::AttributeProto::INTS);
    for (auto v : values) attr->add_ints(v);
  }
  static void set_int(onnx::NodeProto* node, const std::string& name, std::int64_t value) {
    auto* attr = node->add_attribute();
    attr->set_name(name);
    attr->set_type(onnx::AttributeProto::INT);
    attr->set_i(value);
  }
  static void set_string(onnx::NodeProto* node, const std::string& name, const std::string& value) {
    auto* attr = node->add_attribute();
    attr->set_name(name);
    attr->set_type(onnx::AttributeProto::STRING);
    attr->set_s(value);
  }
  static void set_float(onnx::NodeProto* node, const std::string& name, float value) {
    auto* attr = node->add_attribute();
    attr->set_name(name);
    attr->set_type(onnx::AttributeProto::FLOAT);
    attr->set_f(value);
  }

  // A Lut as the float ops it tabulates (opset 13 has no HardSwish: x * HardSigmoid(x)); the
  // reader rebuilds the table from them and the scales.
  void write_lut(const QNode& node, const std::string& x, const std::string& raw) {
    const std::string& f = node.lut_function;
    if (f == "tanh") {
      add_node("Tanh", node.name, {x}, {raw});
      return;
    }
    if (f == "gelu") {  // as torch exports nn.GELU() (opset 13 has no Gelu); fuse-gelu reads it back
      const std::string root2 = initializer(node.name + "_sqrt2", Tensor::scalar(static_cast<float>(std::numbers::sqrt2)));
      const std::string one = initializer(node.name + "_one", Tensor::scalar(1.0f));
      const std::string half = initializer(node.name + "_half", Tensor::scalar(0.5f));
      add_node("Div", node.name + "_scaled", {x, root2}, {raw + "_scaled"});
      add_node("Erf", node.name, {raw + "_scaled"}, {raw + "_erf"});
      add_node("Add", node.name + "_plus_one", {raw + "_erf", one}, {raw + "_plus_one"});
      add_node("Mul", node.name + "_times_input", {x, raw + "_plus_one"}, {raw + "_product"});
      add_node("Mul", node.name + "_half", {raw + "_product", half}, {raw});
      return;
    }
    if (f == "gelu_tanh") throw UserError(fmt::format("'{}': a tanh-form GELU has no QDQ form", node.name));
    if (f == "sigmoid_complement") {  // 1 - Sigmoid(x), as unroll-recurrence writes a GRU's 1 - z
      const std::string one = initializer(node.name + "_one", Tensor::scalar(1.0f));
      add_node("Sigmoid", node.name + "_sigmoid", {x}, {raw + "_sigmoid"});
      add_node("Sub", node.name, {one, raw + "_sigmoid"}, {raw});
      return;
    }
    const bool sigmoid = f == "sigmoid" || f == "silu";
    const bool times_x = f == "silu" || f == "hardswish";
    const std::string gate = times_x ? raw + "_gate" : raw;
    auto* op = add_node(sigmoid ? "Sigmoid" : "HardSigmoid", node.name, {x}, {gate});
    if (!sigmoid) {
      set_float(op, "alpha", node.lut_alpha);
      set_float(op, "beta", node.lut_beta);
    }
    if (times_x) add_node("Mul", node.name + "_times_input", {x, gate}, {raw});
  }

  // The scale and zero-point initializers of a tensor.
  std::pair<std::string, std::string> quant_params(const QTensor& t) {
    const std::string scale = initializer(t.name + "_scale", Tensor::scalar(static_cast<float>(t.scale)));
    const std::string zero =
        t.is_signed ? initializer(t.name + "_zero_point", Tensor::scalar(std::int8_t{0}))
                    : initializer(t.name + "_zero_point", Tensor::scalar(std::uint8_t{0}));
    return {scale, zero};
  }

  // Quantize `float_name` into tensor t and dequantize it into `dequantized_name`.
  void quantize_dequantize(const QTensor& t, const std::string& float_name, const std::string& dequantized_name) {
    const auto [scale, zero] = quant_params(t);
    add_node("QuantizeLinear", t.name + "_QuantizeLinear", {float_name, scale, zero}, {t.name + "_quantized"});
    add_node("DequantizeLinear", t.name + "_DequantizeLinear", {t.name + "_quantized", scale, zero}, {dequantized_name});
  }

  // A network input; one given as tokens [1, T, C] (source_shape) is quantised in that shape
  // and read as its image [1, C, 1, T] through the view tokens-as-image writes
  // (quant::token_input_view reads it back).
  void write_input(int index) {
    const QTensor& t = q_.tensor(index);
    if (t.source_shape.empty()) {
      add_value_info(graph_->add_input(), t.name, t.shape);
      quantize_dequantize(t, t.name, t.name + "_dequantized");
      return;
    }
    add_value_info(graph_->add_input(), t.name, t.source_shape);
    const std::string tokens = t.name + "_tokens_dequantized";
    quantize_dequantize(t, t.name, tokens);
    // A KV cache [1, h, T, d] puts its features (d) before its tokens as [1, h, d, T].
    const std::vector<std::int64_t> perm = is_heads_image_of(t.source_shape, t.shape) ? std::vector<std::int64_t>{0, 1, 3, 2}
                                                                                      : features_first_perm(t.source_shape);
    set_ints(add_node("Transpose", t.name + "_image/Transpose", {tokens}, {t.name + "_features_first"}), "perm", perm);
    const std::string dims = initializer(t.name + "_image_shape", Tensor::from_vector<std::int64_t>({4}, t.shape));
    add_node("Reshape", t.name + "_image/Reshape", {t.name + "_features_first", dims}, {t.name + "_dequantized"});
  }

  // A constant operand: its integers dequantized under its own name.
  void write_constant(const QTensor& t) {
    const auto [scale, zero] = quant_params(t);
    const std::string data = initializer(t.name + "_quantized", t.data);
    add_node("DequantizeLinear", t.name + "_DequantizeLinear", {data, scale, zero}, {t.name});
  }

  std::string read_name(int index) const {
    for (int input : q_.inputs) {
      if (input == index) return q_.tensor(index).name + "_dequantized";
    }
    return node_result_name(index);
  }

  // What a node's dequantized result is called: the tensor's name, or for an output given to
  // users as tokens (source_shape) its image's, since the output's name is the tokens'.
  std::string node_result_name(int index) const {
    const QTensor& t = q_.tensor(index);
    return t.source_shape.empty() ? t.name : t.name + "_image";
  }

  // A network output; one given as tokens [1, T, C] (source_shape) is read back from its image
  // through the view tokens-as-image writes (quant::token_output_view reads it back).
  void write_output(int index) {
    const QTensor& t = q_.tensor(index);
    if (t.source_shape.empty() || std::find(q_.inputs.begin(), q_.inputs.end(), index) != q_.inputs.end()) {
      add_value_info(graph_->add_output(), t.name, t.shape);
      return;
    }
    if (is_heads_image_of(t.source_shape, t.shape)) {
      // A KV cache [1, h, T, d]: the image read as [1, h, d, T], then its tokens before its features.
      const Shape& s = t.source_shape;
      const std::string heads = initializer(t.name + "_heads_shape", Tensor::from_vector<std::int64_t>({4}, {1, s[1], s[3], s[2]}));
      add_node("Reshape", t.name + "_heads/Reshape", {t.name + "_image", heads}, {t.name + "_heads"});
      set_ints(add_node("Transpose", t.name + "_heads/Transpose", {t.name + "_heads"}, {t.name}), "perm", {0, 1, 3, 2});
      add_value_info(graph_->add_output(), t.name, t.source_shape);
      return;
    }
    set_ints(add_node("Transpose", t.name + "_tokens/Transpose", {t.name + "_image"}, {t.name + "_tokens_nhwc"}),
             "perm", {0, 2, 3, 1});
    const std::string dims = initializer(
        t.name + "_tokens_shape",
        Tensor::from_vector<std::int64_t>({static_cast<std::int64_t>(t.source_shape.size())}, t.source_shape));
    add_node("Reshape", t.name + "_tokens/Reshape", {t.name + "_tokens_nhwc", dims}, {t.name});
    add_value_info(graph_->add_output(), t.name, t.source_shape);
  }

  // y's HWC order is x's, in the view tokens-as-image writes (quant::hwc_tokens_view):
  // Transpose(0, 2, 3, 1) -> Reshape [1, H' W', C'] -> Transpose(0, 2, 1) -> Reshape y.
  void write_hwc_reshape(const QNode& node, const std::string& input, const std::string& raw) {
    const Shape& y = q_.tensor(node.output).shape;
    const std::string base = q_.tensor(node.output).name + "_hwc";
    set_ints(add_node("Transpose", node.name, {input}, {base + "_nhwc"}), "perm", {0, 2, 3, 1});
    const std::string rows_shape =
        initializer(base + "_rows_shape", Tensor::from_vector<std::int64_t>({3}, {1, y[2] * y[3], y[1]}));
    add_node("Reshape", node.name + "_rows", {base + "_nhwc", rows_shape}, {base + "_rows"});
    set_ints(add_node("Transpose", node.name + "_features_first", {base + "_rows"}, {base + "_features_first"}),
             "perm", {0, 2, 1});
    const std::string image_shape = initializer(base + "_image_shape", Tensor::from_vector<std::int64_t>({4}, y));
    add_node("Reshape", node.name + "_image", {base + "_features_first", image_shape}, {raw});
  }

  // Reshape to [1, C, 1, H W] -> Gather(axis 3) -> Reshape to the output (quant::pixel_gather).
  void write_pixel_gather(const QNode& node, const std::string& input, const std::string& raw) {
    const Shape& x = q_.tensor(node.inputs[0]).shape;
    const Shape& y = q_.tensor(node.output).shape;
    const std::string base = q_.tensor(node.output).name + "_pixels";
    const auto count = static_cast<std::int64_t>(node.gather_pixels.size());
    const std::string flat_shape =
        initializer(base + "_flat_shape", Tensor::from_vector<std::int64_t>({4}, {1, x[1], 1, x[2] * x[3]}));
    add_node("Reshape", node.name + "_flat", {input, flat_shape}, {base + "_flat"});
    const std::string indices = initializer(base + "_indices", Tensor::from_vector<std::int64_t>({count}, node.gather_pixels));
    set_int(add_node("Gather", node.name, {base + "_flat", indices}, {base + "_gathered"}), "axis", 3);
    const std::string image_shape = initializer(base + "_image_shape", Tensor::from_vector<std::int64_t>({4}, y));
    add_node("Reshape", node.name + "_image", {base + "_gathered", image_shape}, {raw});
  }

  // Swin's mask as torch adds it (quant::masked_scores reads it back): the rows [W h, L, L] as
  // [1, W, h, L, L], plus 0 between tokens of one region and -100 between regions, back to the
  // rows. The scores themselves without labels.
  std::string masked(const QNode& node, const std::string& scores) {
    if (node.softmax_labels.empty()) return scores;
    const Shape& rows = q_.tensor(node.inputs[0]).shape;
    const std::int64_t length = rows[1], windows = static_cast<std::int64_t>(node.softmax_labels.size()) / length;
    const std::string base = q_.tensor(node.output).name + "_mask";
    const std::string split =
        initializer(base + "_split_shape", Tensor::from_vector<std::int64_t>({5}, {1, windows, rows[0] / windows, length, length}));
    add_node("Reshape", node.name + "_mask_split", {scores, split}, {base + "_split"});
    Tensor mask(DType::F32, {1, windows, 1, length, length});
    for (std::int64_t w = 0; w < windows; ++w) {
      for (std::int64_t i = 0; i < length; ++i) {
        for (std::int64_t j = 0; j < length; ++j) {
          const auto label = [&](std::int64_t t) { return node.softmax_labels[static_cast<std::size_t>(w * length + t)]; };
          mask.data<float>()[(w * length + i) * length + j] = label(i) == label(j) ? 0.0f : -100.0f;
        }
      }
    }
    add_node("Add", node.name + "_mask", {base + "_split", initializer(base, std::move(mask))}, {base + "_added"});
    const std::string back = initializer(base + "_rows_shape", Tensor::from_vector<std::int64_t>({3}, rows));
    add_node("Reshape", node.name + "_mask_rows", {base + "_added", back}, {base + "_rows"});
    return base + "_rows";
  }

  static bool has_activation(const QNode& node) { return std::isfinite(node.act_min) || std::isfinite(node.act_max); }

  // value -> Relu or Clip -> result.
  void write_activation(const QNode& node, const std::string& value, const std::string& result) {
    if (node.act_min == 0.0f && !std::isfinite(node.act_max)) {
      add_node("Relu", node.name + "_Relu", {value}, {result});
      return;
    }
    // Named after the result, not the node: tensor names must be unique, node names need not be.
    const std::string lo =
        std::isfinite(node.act_min) ? initializer(result + "_clip_min", Tensor::scalar(node.act_min)) : "";
    const std::string hi =
        std::isfinite(node.act_max) ? initializer(result + "_clip_max", Tensor::scalar(node.act_max)) : "";
    add_node("Clip", node.name + "_Clip", {value, lo, hi}, {result});
  }

  // ceil_mode is needed when the QGraph's output size exceeds floor-mode pooling's.
  bool needs_ceil(const QNode& node) const {
    const QTensor& in = q_.tensor(node.inputs[0]);
    const QTensor& out = q_.tensor(node.output);
    for (std::size_t a = 0; a < 2; ++a) {
      const std::int64_t span = (node.kernel[a] - 1) * node.dilations[a] + 1;
      const std::int64_t floor_size = (in.shape[2 + a] + node.pads_begin[a] + node.pads_end[a] - span) / node.strides[a] + 1;
      if (floor_size != out.shape[2 + a]) return true;
    }
    return false;
  }

  void set_window(onnx::NodeProto* op, const QNode& node, bool with_dilations) const {
    set_ints(op, "kernel_shape", node.kernel);
    set_ints(op, "strides", node.strides);
    set_ints(op, "pads", {node.pads_begin[0], node.pads_begin[1], node.pads_end[0], node.pads_end[1]});
    if (with_dilations) set_ints(op, "dilations", node.dilations);
  }

  // A conv over a zero-inserted input is the ConvTranspose it came from: its weights back in
  // ONNX's [C_in, C_out / group, K_h, K_w] (channel axes swapped, taps flipped), per output
  // channel along axis 1 (a grouped one only per tensor: axis 1 holds a group's channels), its
  // strides the input dilations, its pads (K - 1) d - the conv's (a negative one: output_padding).
  void write_conv_transpose(const QNode& node, const std::string& result) {
    const Shape& s = node.weights.shape();  // [C_out, C_in / g, K_h, K_w]
    const std::int64_t group = node.group, group_in = s[1], group_out = s[0] / group;
    if (group > 1 && node.weight_scale.size() > 1) {
      throw UserError(fmt::format("node {}: a grouped transposed conv with per-channel weight scales has no QDQ form "
                                  "(DequantizeLinear scales one axis; axis 1 of its weights holds one group's "
                                  "channels)",
                                  node.name));
    }
    Tensor w(node.weights.dtype(), {group * group_in, group_out, s[2], s[3]});
    visit_dtype(node.weights.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* src = node.weights.data<T>();
      T* dst = w.data<T>();
      for (std::int64_t gi = 0; gi < group; ++gi) {
        for (std::int64_t j = 0; j < group_out; ++j) {
          for (std::int64_t c = 0; c < group_in; ++c) {
            for (std::int64_t y = 0; y < s[2]; ++y) {
              for (std::int64_t x = 0; x < s[3]; ++x) {
                dst[(((gi * group_in + c) * group_out + j) * s[2] + (s[2] - 1 - y)) * s[3] + (s[3] - 1 - x)] =
                    src[(((gi * group_out + j) * group_in + c) * s[2] + y) * s[3] + x];
              }
            }
          }
        }
      }
    });
    QNode as_onnx = node;
    as_onnx.weights = std::move(w);
    std::vector<std::string> operands = conv_operands(as_onnx, 1);
    auto* op = add_node("ConvTranspose", node.name, std::move(operands), {result});
    std::vector<std::int64_t> pads(4), output_padding(2, 0);
    for (std::size_t a = 0; a < 2; ++a) {
      const std::int64_t extent = (node.kernel[a] - 1) * node.dilations[a];
      pads[a] = extent - node.pads_begin[a];
      pads[a + 2] = extent - node.pads_end[a];
      if (pads[a + 2] < 0) output_padding[a] = -pads[a + 2], pads[a + 2] = 0;
    }
    set_ints(op, "kernel_shape", node.kernel);
    set_ints(op, "strides", node.input_dilations);
    set_ints(op, "dilations", node.dilations);
    set_ints(op, "pads", pads);
    if (output_padding != std::vector<std::int64_t>{0, 0}) set_ints(op, "output_padding", output_padding);
    set_int(op, "group", group);
  }

  // `channel_axis`: the weights' output-channel axis (0 for a Conv, 1 for a ConvTranspose).
  std::vector<std::string> conv_operands(const QNode& node, std::int64_t channel_axis = 0) {
    const QTensor& in = q_.tensor(node.inputs[0]);
    const std::int64_t c_out = q_.tensor(node.output).shape[1];
    const bool per_channel = node.weight_scale.size() > 1;
    const std::string base = q_.tensor(node.output).name;
    std::vector<float> w_scale(node.weight_scale.begin(), node.weight_scale.end());
    const Tensor scale = per_channel ? Tensor::from_vector<float>({c_out}, w_scale) : Tensor::scalar(w_scale[0]);
    const Tensor zero = per_channel ? Tensor(DType::I8, {c_out}) : Tensor(DType::I8, {});
    const std::string w_q = initializer(base + "_weight_quantized", node.weights);
    const std::string w_s = initializer(base + "_weight_scale", scale);
    const std::string w_z = initializer(base + "_weight_zero_point", zero);
    auto* dq = add_node("DequantizeLinear", base + "_weight_DequantizeLinear", {w_q, w_s, w_z}, {base + "_weight"});
    if (per_channel) set_int(dq, "axis", channel_axis);
    std::vector<std::string> operands{read_name(node.inputs[0]), base + "_weight"};
    if (!node.bias.empty()) {
      std::vector<float> b_scale;
      for (std::int64_t c = 0; c < c_out; ++c) {
        const double s = per_channel ? node.weight_scale[static_cast<std::size_t>(c)] : node.weight_scale[0];
        b_scale.push_back(static_cast<float>(in.scale * s));
      }
      const std::string b_q = initializer(base + "_bias_quantized", node.bias);
      const std::string b_s = initializer(base + "_bias_scale", Tensor::from_vector<float>({c_out}, b_scale));
      const std::string b_z = initializer(base + "_bias_zero_point", Tensor(DType::I32, {c_out}));
      auto* bdq = add_node("DequantizeLinear", base + "_bias_DequantizeLinear", {b_q, b_s, b_z}, {base + "_bias"});
      set_int(bdq, "axis", 0);
      operands.push_back(base + "_bias");
    }
    return operands;
  }

  // Over the channels, as opset 13 spells a LayerNorm (it has no LayerNormalization):
  // mean, centre, square, mean, + epsilon, sqrt, divide, * gamma, + beta over the last axis;
  // on NCHW, of its NHWC view between two Transposes. The importers fuse it back
  // (fuse-layernorm) and read the view as one LayerNorm. The Div carries the node's name, so
  // the fused node gets it back. An RMSNorm (layernorm_rms) has no mean, no centring and no
  // beta (ONNX's RMSNormalization has none): x / sqrt(mean(x^2) + epsilon) * gamma, which
  // fuse-rmsnorm reads back.
  void write_layernorm(const QNode& node, const std::string& input, const std::string& raw) {
    const QTensor& out = q_.tensor(node.output);
    const std::string base = out.name + "_layernorm";
    const auto channels = static_cast<std::int64_t>(node.layernorm_gamma.size());
    const bool image = out.shape.size() == 4;
    const auto step = [&](const std::string& op, const std::string& what, std::vector<std::string> operands) {
      const std::string result = base + "_" + what;
      add_node(op, what == "normalised" ? node.name : base + "/" + op + "_" + what, std::move(operands), {result});
      return result;
    };
    const auto mean = [&](const std::string& x, const std::string& what) {
      const std::string result = step("ReduceMean", what, {x});
      set_ints(graph_->mutable_node(graph_->node_size() - 1), "axes", {-1});
      return result;
    };
    std::string x = input;
    if (image) {
      x = step("Transpose", "nhwc", {input});
      set_ints(graph_->mutable_node(graph_->node_size() - 1), "perm", {0, 2, 3, 1});
    }
    const std::string centred = node.layernorm_rms ? x : step("Sub", "centred", {x, mean(x, "mean")});
    const std::string two = initializer(base + "_two", Tensor::scalar(2.0f));
    const std::string variance = mean(step("Pow", "squared", {centred, two}), "variance");
    const std::string epsilon = initializer(base + "_epsilon", Tensor::scalar(static_cast<float>(node.layernorm_epsilon)));
    const std::string deviation = step("Sqrt", "deviation", {step("Add", "plus_epsilon", {variance, epsilon})});
    const std::string normalised = step("Div", "normalised", {centred, deviation});
    const std::string gamma = initializer(base + "_gamma", Tensor::from_vector<float>({channels}, node.layernorm_gamma));
    // The last step writes `raw`: the Mul (an RMSNorm of [N, C]), the Add of beta, or the Transpose back.
    const auto step_or_last = [&](bool last, const std::string& op, const std::string& what, std::vector<std::string> operands) {
      if (!last) return step(op, what, std::move(operands));
      add_node(op, base + "/" + op + "_" + what, std::move(operands), {raw});
      return raw;
    };
    std::string y = step_or_last(node.layernorm_rms && !image, "Mul", "scaled", {normalised, gamma});
    if (!node.layernorm_rms) {
      const std::string beta = initializer(base + "_beta", Tensor::from_vector<float>({channels}, node.layernorm_beta));
      y = step_or_last(!image, "Add", "shifted", {y, beta});
    }
    if (image) {
      step_or_last(true, "Transpose", "nchw", {y});
      set_ints(graph_->mutable_node(graph_->node_size() - 1), "perm", {0, 3, 1, 2});
    }
  }

  // Attention's products as tokens-as-image writes them (quant::attention_product reads them
  // back): the images' head views [h, d, T] (transposed where torch's layout has them), the
  // queries scaled by the folded factor, and for the context the heads merged into the image.
  void write_matmul(const QNode& node, const std::vector<std::string>& inputs, const std::string& raw) {
    const QTensor& out = q_.tensor(node.output);
    const QTensor& b = q_.tensor(node.inputs[1]);
    const std::int64_t h = node.matmul_heads, d = b.shape[1] / h;
    const std::string base = out.name + "_matmul";
    const auto reshape = [&](const std::string& x, const std::string& what, const Shape& shape) {
      const std::string dims = initializer(base + "_" + what + "_shape",
                                           Tensor::from_vector<std::int64_t>({static_cast<std::int64_t>(shape.size())}, shape));
      add_node("Reshape", base + "/Reshape_" + what, {x, dims}, {base + "_" + what});
      return base + "_" + what;
    };
    const auto transpose = [&](const std::string& x, const std::string& what,
                               const std::vector<std::int64_t>& perm = {0, 2, 1}) {
      set_ints(add_node("Transpose", base + "/Transpose_" + what, {x}, {base + "_" + what}), "perm", perm);
      return base + "_" + what;
    };
    const auto scaled = [&](std::string queries) {
      if (node.matmul_factor == 1.0) return queries;
      const std::string factor = initializer(base + "_factor", Tensor::scalar(static_cast<float>(node.matmul_factor)));
      add_node("Mul", base + "/Mul_scaled", {queries, factor}, {base + "_scaled"});
      return base + "_scaled";
    };
    if (node.matmul_windows > 1) {
      // Swin's windows: torch's [W, h, ., .] views of the images (quant::attention_product), the
      // scores and probabilities as the QGraph's rows [W h, L, L'].
      const std::int64_t w = node.matmul_windows, lk = b.shape[3] / w;
      const auto heads_of = [&](const std::string& image, const std::string& what, std::int64_t tokens,
                                const std::vector<std::int64_t>& perm) {
        return transpose(reshape(image, what + "_heads", {h, d, w, tokens / w}), what, perm);
      };
      if (node.matmul_form == MatMulForm::Scores) {
        const std::string queries = scaled(heads_of(inputs[0], "queries", q_.tensor(node.inputs[0]).shape[3], {2, 0, 3, 1}));
        add_node("MatMul", node.name, {queries, heads_of(inputs[1], "keys", b.shape[3], {2, 0, 1, 3})}, {base + "_scores"});
        std::string scores = base + "_scores";
        if (!node.bias.empty()) {
          // The bias in the sums' units, as the float constant [1, h, L, L'] torch adds.
          const double unit = q_.tensor(node.inputs[0]).scale * b.scale * node.matmul_factor;
          Tensor bias(DType::F32, {1, h, out.shape[1], out.shape[2]});
          for (std::int64_t i = 0; i < bias.numel(); ++i) {
            bias.data<float>()[i] = static_cast<float>(static_cast<double>(node.bias.as_int64(i)) * unit);
          }
          add_node("Add", base + "/Add_bias", {scores, initializer(base + "_bias", std::move(bias))}, {base + "_biased"});
          scores = base + "_biased";
        }
        const std::string rows = initializer(base + "_rows_shape", Tensor::from_vector<std::int64_t>({3}, out.shape));
        add_node("Reshape", base + "/Reshape_rows", {scores, rows}, {raw});
        return;
      }
      const Shape& a = q_.tensor(node.inputs[0]).shape;
      const std::string probabilities = reshape(inputs[0], "probabilities", {w, h, a[1], lk});
      add_node("MatMul", node.name, {probabilities, heads_of(inputs[1], "values", b.shape[3], {2, 0, 3, 1})},
               {base + "_heads"});
      const std::string merged = transpose(base + "_heads", "merged", {1, 3, 0, 2});
      const std::string dims = initializer(base + "_image_shape", Tensor::from_vector<std::int64_t>({4}, out.shape));
      add_node("Reshape", base + "/Reshape_image", {merged, dims}, {raw});
      return;
    }
    if (node.matmul_form == MatMulForm::Scores) {
      const QTensor& a = q_.tensor(node.inputs[0]);
      const std::string queries = scaled(transpose(reshape(inputs[0], "query_heads", {h, d, a.shape[3]}), "queries"));
      add_node("MatMul", node.name, {queries, reshape(inputs[1], "key_heads", {h, d, b.shape[3]})}, {raw});
      return;
    }
    const std::string values = transpose(reshape(inputs[1], "value_heads", {h, d, b.shape[3]}), "values");
    add_node("MatMul", node.name, {inputs[0], values}, {base + "_heads"});
    const std::string merged = transpose(base + "_heads", "merged");
    const std::string dims = initializer(base + "_image_shape",
                                         Tensor::from_vector<std::int64_t>({4}, {out.shape[0], out.shape[1], out.shape[2], out.shape[3]}));
    add_node("Reshape", base + "/Reshape_image", {merged, dims}, {raw});
  }

  void write_node(const QNode& node) {
    const QTensor& out = q_.tensor(node.output);
    const std::string raw = out.name + "_float";
    std::vector<std::string> inputs;
    for (int i : node.inputs) inputs.push_back(read_name(i));
    switch (node.kind) {
      case QOpKind::Conv: {
        const std::string acc = has_activation(node) ? out.name + "_accumulator" : raw;
        if (node.input_dilations != std::vector<std::int64_t>{1, 1}) {
          write_conv_transpose(node, acc);
        } else {
          auto* conv = add_node("Conv", node.name, conv_operands(node), {acc});
          set_window(conv, node, true);
          set_int(conv, "group", node.group);
        }
        if (acc != raw) write_activation(node, acc, raw);
        break;
      }
      case QOpKind::Add: {
        const std::string sum = has_activation(node) ? out.name + "_sum" : raw;
        add_node("Add", node.name, inputs, {sum});
        if (sum != raw) write_activation(node, sum, raw);
        break;
      }
      case QOpKind::MaxPool: {
        auto* pool = add_node("MaxPool", node.name, inputs, {raw});
        set_window(pool, node, true);
        if (needs_ceil(node)) set_int(pool, "ceil_mode", 1);
        break;
      }
      case QOpKind::AvgPool: {
        const QTensor& in = q_.tensor(node.inputs[0]);
        if (node.kernel[0] == in.shape[2] && node.kernel[1] == in.shape[3] && out.shape[2] == 1 && out.shape[3] == 1 &&
            node.pads_begin == std::vector<std::int64_t>{0, 0} && node.pads_end == std::vector<std::int64_t>{0, 0}) {
          add_node("GlobalAveragePool", node.name, inputs, {raw});
        } else {
          auto* pool = add_node("AveragePool", node.name, inputs, {raw});
          set_window(pool, node, false);
          set_int(pool, "count_include_pad", 1);
          if (needs_ceil(node)) set_int(pool, "ceil_mode", 1);
        }
        break;
      }
      case QOpKind::Concat: set_int(add_node("Concat", node.name, inputs, {raw}), "axis", node.concat_axis); break;
      case QOpKind::Mul: add_node("Mul", node.name, inputs, {raw}); break;
      case QOpKind::Softmax:
        set_int(add_node("Softmax", node.name, {masked(node, inputs[0])}, {raw}), "axis", out.shape.size() == 3 ? 2 : 1);
        break;
      case QOpKind::MatMul: write_matmul(node, inputs, raw); break;
      case QOpKind::ChannelGather: {
        const std::string indices = initializer(
            out.name + "_channels",
            Tensor::from_vector<std::int64_t>({static_cast<std::int64_t>(node.gather_channels.size())},
                                              node.gather_channels));
        set_int(add_node("Gather", node.name, {inputs[0], indices}, {raw}), "axis", 1);
        break;
      }
      case QOpKind::Lut: write_lut(node, inputs[0], raw); break;
      case QOpKind::LayerNorm: write_layernorm(node, inputs[0], raw); break;
      case QOpKind::Resize: {
        const std::vector<float> scales{1.0f, 1.0f, static_cast<float>(node.resize_scales.at(0)),
                                        static_cast<float>(node.resize_scales.at(1))};
        const std::string scales_name = initializer(out.name + "_scales", Tensor::from_vector<float>({4}, scales));
        auto* resize = add_node("Resize", node.name, {inputs[0], "", scales_name}, {raw});
        set_string(resize, "mode", node.resize_mode);
        set_string(resize, "coordinate_transformation_mode", node.resize_coordinate_mode);
        set_string(resize, "nearest_mode", node.resize_nearest_mode);
        break;
      }
      case QOpKind::Reshape: {
        const std::string shape = initializer(out.name + "_shape", Tensor::from_vector<std::int64_t>(
                                                                       {static_cast<std::int64_t>(out.shape.size())}, out.shape));
        add_node("Reshape", node.name, {inputs[0], shape}, {raw});
        break;
      }
      case QOpKind::HwcReshape: write_hwc_reshape(node, inputs[0], raw); break;
      case QOpKind::PixelGather: write_pixel_gather(node, inputs[0], raw); break;
      case QOpKind::Embedding:
        throw UserError(fmt::format("{} (Embedding): the QDQ export does not write token-id inputs and embeddings; "
                                    "run the float model instead",
                                    node.name));
    }
    quantize_dequantize(out, raw, node_result_name(node.output));
  }

  const QGraph& q_;
  onnx::GraphProto* graph_ = nullptr;
};

}  // namespace

std::string export_qdq_model(const QGraph& graph) { return QdqWriter(graph).write(); }

}  // namespace wb::quant
