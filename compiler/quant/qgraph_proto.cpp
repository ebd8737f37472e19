#include "compiler/quant/qgraph_proto.h"

#include <fmt/format.h>

#include <cstring>
#include <stdexcept>
#include <string_view>

#include "support/error.h"
#include "qgraph.pb.h"

namespace wb::quant {

namespace {

template <class T, class Repeated>
std::vector<T> to_vector(const Repeated& repeated) {
  return std::vector<T>(repeated.begin(), repeated.end());
}

template <class Repeated, class T>
void fill(Repeated* repeated, const std::vector<T>& values) {
  repeated->Reserve(static_cast<int>(values.size()));
  for (const T& v : values) repeated->Add(v);
}

constexpr std::size_t kBlobAlign = 8;

void write_tensor(const Tensor& t, proto::TensorData* out, std::string& blob) {
  out->set_dtype(static_cast<std::uint32_t>(t.dtype()));
  fill(out->mutable_shape(), t.shape());
  blob.resize((blob.size() + kBlobAlign - 1) / kBlobAlign * kBlobAlign, '\0');
  out->set_blob_offset(blob.size());
  out->set_blob_bytes(t.nbytes());
  blob.append(reinterpret_cast<const char*>(t.raw()), t.nbytes());
}

class Reader {
 public:
  Reader(std::string_view source, std::uint64_t blob_bytes, const BlobReader& read_blob)
      : source_(source), blob_bytes_(blob_bytes), read_blob_(read_blob) {}

  [[noreturn]] void fail(const std::string& what) const {
    throw UserError(fmt::format("{}: not a valid quantized model ({}); delete it to have it rebuilt", source_, what));
  }

  Tensor tensor(const proto::TensorData& in, const std::string& where) {
    if (in.dtype() == 0 && in.shape_size() == 0 && in.blob_bytes() == 0) return Tensor();  // absent
    if (in.dtype() == 0 || in.dtype() > static_cast<std::uint32_t>(DType::Bool)) fail(where + ": bad element type");
    for (const std::int64_t d : in.shape()) {
      if (d < 0) fail(where + ": negative dimension");
    }
    Tensor t;
    try {
      t = Tensor(static_cast<DType>(in.dtype()), to_vector<std::int64_t>(in.shape()));
    } catch (const std::exception&) {
      fail(where + ": bad shape");
    }
    if (t.nbytes() != in.blob_bytes()) fail(where + ": data size does not match the shape");
    if (in.blob_offset() < next_offset_ || in.blob_offset() > blob_bytes_ ||
        in.blob_bytes() > blob_bytes_ - in.blob_offset()) {
      fail(where + ": its bytes are not within the blob");
    }
    if (t.nbytes() > 0) read_blob_(in.blob_offset(), std::span<std::byte>(t.raw(), t.nbytes()));
    next_offset_ = in.blob_offset() + in.blob_bytes();
    return t;
  }

  int index(std::int32_t value, std::size_t count, const std::string& where) const {
    if (value < 0 || static_cast<std::size_t>(value) >= count) fail(where + ": tensor index out of range");
    return value;
  }

 private:
  std::string_view source_;
  std::uint64_t blob_bytes_ = 0, next_offset_ = 0;
  const BlobReader& read_blob_;
};

}  // namespace

SerializedModel serialize_quantized_model(const QuantizedModel& model) {
  SerializedModel serialized;
  std::string& blob = serialized.blob;
  proto::QuantizedModel out;
  const QGraph& graph = model.graph;
  proto::QGraph* g = out.mutable_graph();
  g->set_name(graph.name);
  g->set_scheme(static_cast<std::uint32_t>(graph.scheme));
  for (const QTensor& t : graph.tensors) {
    proto::QTensor* pt = g->add_tensors();
    pt->set_name(t.name);
    fill(pt->mutable_shape(), t.shape);
    pt->set_bits(t.bits);
    pt->set_is_signed(t.is_signed);
    pt->set_scale(t.scale);
    pt->set_threshold(t.threshold);
    if (t.is_constant()) write_tensor(t.data, pt->mutable_data(), blob);
    fill(pt->mutable_source_shape(), t.source_shape);
    pt->set_token_ids(t.token_ids);
  }
  for (const QNode& n : graph.nodes) {
    proto::QNode* pn = g->add_nodes();
    pn->set_kind(static_cast<std::uint32_t>(n.kind));
    pn->set_name(n.name);
    fill(pn->mutable_inputs(), n.inputs);
    pn->set_output(n.output);
    if (!n.weights.empty()) write_tensor(n.weights, pn->mutable_weights(), blob);
    if (!n.bias.empty()) write_tensor(n.bias, pn->mutable_bias(), blob);
    fill(pn->mutable_weight_scale(), n.weight_scale);
    pn->set_weight_bits(n.weight_bits);
    pn->set_group(n.group);
    fill(pn->mutable_kernel(), n.kernel);
    fill(pn->mutable_strides(), n.strides);
    fill(pn->mutable_dilations(), n.dilations);
    if (n.input_dilations != std::vector<std::int64_t>{1, 1}) fill(pn->mutable_input_dilations(), n.input_dilations);
    fill(pn->mutable_pads_begin(), n.pads_begin);
    fill(pn->mutable_pads_end(), n.pads_end);
    proto::Requant* r = pn->mutable_requant();
    fill(r->mutable_multiplier(), n.requant.multiplier);
    fill(r->mutable_offset(), n.requant.offset);
    fill(r->mutable_shift(), n.requant.shift);
    r->set_lo(n.requant.lo);
    r->set_hi(n.requant.hi);
    r->set_intermediate_bits(n.requant.intermediate_bits);
    r->set_rounding(n.requant.rounding);
    fill(pn->mutable_input_multiplier(), n.input_multiplier);
    pn->set_divisor(n.divisor);
    pn->set_folded_batchnorm(n.folded_batchnorm);
    pn->set_act_min(n.act_min);
    pn->set_act_max(n.act_max);
    pn->set_lut_function(n.lut_function);
    pn->set_lut_alpha(n.lut_alpha);
    pn->set_lut_beta(n.lut_beta);
    for (const std::int64_t v : n.lut_table) pn->add_lut_table(v);
    for (const std::int64_t c : n.gather_channels) pn->add_gather_channels(c);
    for (const std::int64_t p : n.gather_pixels) pn->add_gather_pixels(p);
    for (const std::int64_t e : n.softmax_exp_table) pn->add_softmax_exp_table(e);
    for (const std::int64_t l : n.softmax_labels) pn->add_softmax_labels(l);
    pn->set_softmax_causal(n.softmax_causal);
    pn->set_softmax_causal_offset(n.softmax_causal_offset);
    for (const std::int64_t t : n.resize_rows) pn->add_resize_rows(t);
    for (const std::int64_t t : n.resize_cols) pn->add_resize_cols(t);
    pn->set_resize_mode(n.resize_mode);
    pn->set_resize_coordinate_mode(n.resize_coordinate_mode);
    pn->set_resize_nearest_mode(n.resize_nearest_mode);
    for (const double s : n.resize_scales) pn->add_resize_scales(s);
    for (const float v : n.layernorm_gamma) pn->add_layernorm_gamma(v);
    for (const float b : n.layernorm_beta) pn->add_layernorm_beta(b);
    pn->set_layernorm_epsilon(n.layernorm_epsilon);
    pn->set_layernorm_rms(n.layernorm_rms);
    if (n.kind == QOpKind::Concat) pn->set_concat_axis(n.concat_axis);
    if (n.kind == QOpKind::MatMul) {
      pn->set_matmul_form(matmul_form_name(n.matmul_form));
      pn->set_matmul_heads(n.matmul_heads);
      pn->set_matmul_windows(n.matmul_windows);
      pn->set_matmul_factor(n.matmul_factor);
    }
    if (n.kind == QOpKind::LayerNorm) {
      const LayerNormParams& p = n.layernorm;
      proto::LayerNormParams* pl = pn->mutable_layernorm();
      pl->set_n(p.n);
      pl->set_input_lo(p.input_lo);
      pl->set_input_hi(p.input_hi);
      pl->set_output_lo(p.output_lo);
      pl->set_output_hi(p.output_hi);
      pl->set_eps_mantissa(p.eps_mantissa);
      pl->set_eps_exponent(p.eps_exponent);
      pl->set_eps_ceil(p.eps_ceil);
      pl->set_shift(p.shift);
      pl->set_rms(p.rms);
      for (const std::int64_t v : p.gamma_multiplier) pl->add_gamma_multiplier(v);
      for (const std::int64_t b : p.beta_offset) pl->add_beta_offset(b);
    }
  }
  fill(g->mutable_inputs(), graph.inputs);
  fill(g->mutable_outputs(), graph.outputs);
  for (const Tensor& t : model.float_inputs) write_tensor(t, out.add_float_inputs(), blob);
  out.set_synthetic_calibration(model.synthetic_calibration);
  out.set_record_json(model.record_json);
  if (!out.SerializeToString(&serialized.structure)) {
    throw std::runtime_error("quantized model: protobuf serialisation failed");
  }
  return serialized;
}

QuantizedModel parse_quantized_model(std::string_view structure, std::uint64_t blob_bytes, const BlobReader& read_blob,
                                     std::string_view source) {
  Reader in(source, blob_bytes, read_blob);
  proto::QuantizedModel message;
  if (structure.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()) ||
      !message.ParseFromArray(structure.data(), static_cast<int>(structure.size()))) {
    in.fail("protobuf does not parse");
  }
  QuantizedModel model;
  const proto::QGraph& g = message.graph();
  QGraph& graph = model.graph;
  graph.name = g.name();
  if (g.scheme() > static_cast<std::uint32_t>(Scheme::Pulp)) in.fail("bad scheme");
  graph.scheme = static_cast<Scheme>(g.scheme());
  for (const proto::QTensor& pt : g.tensors()) {
    QTensor t;
    t.name = pt.name();
    t.shape = to_vector<std::int64_t>(pt.shape());
    if (pt.bits() != 8 && pt.bits() != 16) in.fail(fmt::format("tensor '{}': bits {}", t.name, pt.bits()));
    t.bits = pt.bits();
    t.is_signed = pt.is_signed();
    t.scale = pt.scale();
    t.threshold = pt.threshold();
    t.data = in.tensor(pt.data(), "tensor '" + t.name + "' data");
    t.source_shape = to_vector<std::int64_t>(pt.source_shape());
    t.token_ids = pt.token_ids();
    graph.tensors.push_back(std::move(t));
  }
  const std::size_t tensors = graph.tensors.size();
  for (const proto::QNode& pn : g.nodes()) {
    QNode n;
    // qop_name's switch names every kind (the compiler checks it is exhaustive): "?" is no kind.
    if (pn.kind() > 255 || std::string_view(qop_name(static_cast<QOpKind>(pn.kind()))) == "?") {
      in.fail(fmt::format("node '{}': bad kind {}", pn.name(), pn.kind()));
    }
    n.kind = static_cast<QOpKind>(pn.kind());
    n.name = pn.name();
    for (const std::int32_t i : pn.inputs()) n.inputs.push_back(in.index(i, tensors, "node '" + n.name + "'"));
    n.output = in.index(pn.output(), tensors, "node '" + n.name + "'");
    n.weights = in.tensor(pn.weights(), "node '" + n.name + "' weights");
    n.bias = in.tensor(pn.bias(), "node '" + n.name + "' bias");
    n.weight_scale = to_vector<double>(pn.weight_scale());
    n.weight_bits = pn.weight_bits();
    n.group = pn.group();
    n.kernel = to_vector<std::int64_t>(pn.kernel());
    n.strides = to_vector<std::int64_t>(pn.strides());
    n.dilations = to_vector<std::int64_t>(pn.dilations());
    if (pn.input_dilations_size() > 0) n.input_dilations = to_vector<std::int64_t>(pn.input_dilations());
    n.pads_begin = to_vector<std::int64_t>(pn.pads_begin());
    n.pads_end = to_vector<std::int64_t>(pn.pads_end());
    const proto::Requant& r = pn.requant();
    n.requant.multiplier = to_vector<std::int64_t>(r.multiplier());
    n.requant.offset = to_vector<std::int64_t>(r.offset());
    n.requant.shift = to_vector<int>(r.shift());
    n.requant.lo = r.lo();
    n.requant.hi = r.hi();
    n.requant.intermediate_bits = r.intermediate_bits();
    n.requant.rounding = r.rounding();
    n.input_multiplier = to_vector<std::int64_t>(pn.input_multiplier());
    n.divisor = pn.divisor();
    n.folded_batchnorm = pn.folded_batchnorm();
    n.act_min = pn.act_min();
    n.act_max = pn.act_max();
    n.lut_function = pn.lut_function();
    n.lut_alpha = pn.lut_alpha();
    n.lut_beta = pn.lut_beta();
    n.lut_table = to_vector<std::int64_t>(pn.lut_table());
    n.gather_channels = to_vector<std::int64_t>(pn.gather_channels());
    n.gather_pixels = to_vector<std::int64_t>(pn.gather_pixels());
    n.softmax_exp_table = to_vector<std::int64_t>(pn.softmax_exp_table());
    n.softmax_labels = to_vector<std::int64_t>(pn.softmax_labels());
    n.softmax_causal = pn.softmax_causal();
    n.softmax_causal_offset = pn.softmax_causal_offset();
    n.resize_rows = to_vector<std::int64_t>(pn.resize_rows());
    n.resize_cols = to_vector<std::int64_t>(pn.resize_cols());
    n.resize_mode = pn.resize_mode();
    n.resize_coordinate_mode = pn.resize_coordinate_mode();
    n.resize_nearest_mode = pn.resize_nearest_mode();
    n.resize_scales = to_vector<double>(pn.resize_scales());
    n.layernorm_gamma = to_vector<float>(pn.layernorm_gamma());
    n.layernorm_beta = to_vector<float>(pn.layernorm_beta());
    n.layernorm_epsilon = pn.layernorm_epsilon();
    n.layernorm_rms = pn.layernorm_rms();
    const proto::LayerNormParams& pl = pn.layernorm();
    n.layernorm.n = pl.n();
    n.layernorm.input_lo = pl.input_lo();
    n.layernorm.input_hi = pl.input_hi();
    n.layernorm.output_lo = pl.output_lo();
    n.layernorm.output_hi = pl.output_hi();
    n.layernorm.eps_mantissa = pl.eps_mantissa();
    n.layernorm.eps_exponent = pl.eps_exponent();
    n.layernorm.eps_ceil = pl.eps_ceil();
    n.layernorm.shift = pl.shift();
    n.layernorm.rms = pl.rms();
    n.layernorm.gamma_multiplier = to_vector<std::int64_t>(pl.gamma_multiplier());
    n.layernorm.beta_offset = to_vector<std::int64_t>(pl.beta_offset());
    if (n.kind == QOpKind::Concat && pn.concat_axis() != 0) n.concat_axis = pn.concat_axis();
    if (n.kind == QOpKind::MatMul) {
      if (pn.matmul_form() != "scores" && pn.matmul_form() != "context") {
        in.fail(fmt::format("node '{}': bad MatMul form '{}'", pn.name(), pn.matmul_form()));
      }
      n.matmul_form = pn.matmul_form() == "scores" ? MatMulForm::Scores : MatMulForm::Context;
      n.matmul_heads = pn.matmul_heads();
      if (pn.matmul_windows() != 0) n.matmul_windows = pn.matmul_windows();
      n.matmul_factor = pn.matmul_factor();
    }
    graph.nodes.push_back(std::move(n));
  }
  for (const std::int32_t i : g.inputs()) graph.inputs.push_back(in.index(i, tensors, "inputs"));
  for (const std::int32_t i : g.outputs()) graph.outputs.push_back(in.index(i, tensors, "outputs"));
  model.synthetic_calibration = message.synthetic_calibration();
  model.record_json = message.record_json();
  for (int i = 0; i < message.float_inputs_size(); ++i) {
    model.float_inputs.push_back(in.tensor(message.float_inputs(i), fmt::format("float input {}", i)));
  }
  try {
    verify_qgraph(graph);
  } catch (const std::logic_error& e) {
    in.fail(e.what());
  }
  return model;
}

}  // namespace wb::quant
