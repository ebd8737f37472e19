#include "compiler/quant/quant_json.h"

#include "compiler/quant/requant_params.h"

namespace wb::quant {
namespace {

using nlohmann::json;

json tensor_json(const QTensor& t) {
  json j = {{"bits", t.bits}, {"signed", t.is_signed}, {"scale", t.scale}, {"threshold", t.threshold},
            {"shape", t.shape}};
  if (t.is_constant()) j["values"] = t.data.to_int64_vector();  // a constant operand's integers
  if (!t.source_shape.empty()) j["source_shape"] = t.source_shape;  // an input given as tokens [1, T, C]
  return j;
}

void add_requant(json& layer, const Requant& r) {
  layer["multiplier"] = r.multiplier;
  layer["offset"] = r.offset;
  layer["shift"] = r.shift;
  layer["lo"] = r.lo;
  layer["hi"] = r.hi;
  layer["intermediate_bits"] = r.intermediate_bits;
  layer["rounding"] = r.rounding;
}

// The parameters under the names the real tool chains use.
void add_scheme_fields(json& layer, const QGraph& graph, const QNode& node) {
  const Requant& r = node.requant;
  switch (graph.scheme) {
    case Scheme::Pow2: break;
    case Scheme::Xdnn:
      if (node.kind == QOpKind::Conv || node.kind == QOpKind::Add || node.kind == QOpKind::AvgPool) {
        layer["scale"] = r.multiplier;
        // Our accumulator is exact (int64), so the whole shift is applied after the multiply.
        layer["prescale_shift"] = std::vector<int>(r.shift.size(), 0);
        layer["postscale_shift"] = r.shift;
      }
      break;
    case Scheme::Pulp:
      if (node.kind == QOpKind::Conv && r.intermediate_bits == 0) {
        std::vector<std::int64_t> lambda;
        const int d = r.shift.at(0);
        for (std::size_t c = 0; c < r.multiplier.size(); ++c) {
          const std::int64_t bias = node.bias.empty() ? 0 : node.bias.as_int64(static_cast<std::int64_t>(c));
          lambda.push_back(r.multiplier[c] * bias + (d > 0 ? std::int64_t{1} << (d - 1) : 0));
        }
        layer["k"] = r.multiplier;
        layer["lambda"] = lambda;
        layer["d"] = d;
        layer["act_prec"] = pulp_batchnorm_needs_64bit(graph, node) ? "64bit" : "32bit";
      } else if (node.kind == QOpKind::Conv || node.kind == QOpKind::AvgPool) {
        layer["outmul"] = r.multiplier.at(0);
        layer["outshift"] = r.shift.at(0);
      } else if (node.kind == QOpKind::Add) {
        layer["out_mult1"] = node.input_multiplier.at(0);
        layer["out_mult2"] = node.input_multiplier.at(1);
        layer["out_shift"] = r.shift.at(0);
      }
      break;
  }
}

json layer_json(const QGraph& graph, const QNode& node) {
  const QTensor& in = graph.tensor(node.inputs.at(0));
  const QTensor& out = graph.tensor(node.output);
  json inputs = json::array();
  for (int i : node.inputs) inputs.push_back(graph.tensor(i).name);
  json layer = {{"name", node.name},
                {"type", qop_name(node.kind)},
                {"inputs", inputs},
                {"output", out.name},
                {"bw_layer_in", in.bits},
                {"bw_layer_out", out.bits},
                {"th_layer_in", in.threshold},
                {"th_layer_out", out.threshold},
                {"sf_layer_in", in.scale},
                {"sf_layer_out", out.scale},
                {"signed_in", in.is_signed},
                {"signed_out", out.is_signed}};
  if (node.kind == QOpKind::Conv) {
    const double qmax = static_cast<double>((std::int64_t{1} << (node.weight_bits - 1)) - 1);
    std::vector<double> th;
    for (double s : node.weight_scale) th.push_back(s * qmax);
    layer["bw_params"] = node.weight_bits;
    layer["th_params"] = th;
    layer["sf_params"] = node.weight_scale;
    layer["per_channel"] = node.weight_scale.size() > 1;
    layer["group"] = node.group;
    layer["kernel"] = node.kernel;
    layer["strides"] = node.strides;
    layer["pads"] = {node.pads_begin[0], node.pads_begin[1], node.pads_end[0], node.pads_end[1]};
    if (node.input_dilations != std::vector<std::int64_t>{1, 1}) layer["input_dilations"] = node.input_dilations;
    layer["folded_batchnorm"] = node.folded_batchnorm;
  }
  if (node.kind == QOpKind::Add) layer["input_multiplier"] = node.input_multiplier;
  if (node.kind == QOpKind::AvgPool) layer["divisor"] = node.divisor;
  if (node.kind == QOpKind::Concat) layer["axis"] = node.concat_axis;
  if (node.kind == QOpKind::MatMul) {
    layer["form"] = matmul_form_name(node.matmul_form);
    layer["heads"] = node.matmul_heads;
    layer["windows"] = node.matmul_windows;
    layer["factor"] = node.matmul_factor;
  }
  if (node.kind == QOpKind::Conv || node.kind == QOpKind::Add || node.kind == QOpKind::AvgPool ||
      node.kind == QOpKind::MatMul) {
    add_requant(layer, node.requant);
  } else if (node.kind == QOpKind::LayerNorm) {
    // docs/quant.md "Integer LayerNorm": the float parameters and the integers derived from them.
    const LayerNormParams& p = node.layernorm;
    layer["epsilon"] = node.layernorm_epsilon;
    layer["rms"] = node.layernorm_rms;
    layer["gamma"] = node.layernorm_gamma;
    layer["beta"] = node.layernorm_beta;
    layer["gamma_multiplier"] = p.gamma_multiplier;
    layer["beta_offset"] = p.beta_offset;
    layer["shift"] = p.shift;
    layer["eps_mantissa"] = p.eps_mantissa;
    layer["eps_exponent"] = p.eps_exponent;
    layer["lo"] = p.output_lo;
    layer["hi"] = p.output_hi;
    layer["rounding"] = "half_up";
    layer["intermediate_bits"] = 0;
  } else {
    // Pure data movement: same integers, the output's range.
    layer["lo"] = out.lo();
    layer["hi"] = out.hi();
    layer["rounding"] = "none";
    layer["intermediate_bits"] = 0;
  }
  add_scheme_fields(layer, graph, node);
  return layer;
}

}  // namespace

nlohmann::json qgraph_to_json(const QGraph& graph, const nlohmann::json& extra) {
  json tensors = json::object();
  for (const QTensor& t : graph.tensors) tensors[t.name] = tensor_json(t);
  json network = json::array();
  for (const QNode& node : graph.nodes) network.push_back(layer_json(graph, node));
  json inputs = json::array();
  json outputs = json::array();
  for (int i : graph.inputs) inputs.push_back(graph.tensor(i).name);
  for (int i : graph.outputs) outputs.push_back(graph.tensor(i).name);
  json doc = {{"version", 1},     {"scheme", scheme_name(graph.scheme)},
              {"graph", graph.name}, {"inputs", inputs},
              {"outputs", outputs}, {"tensors", tensors},
              {"network", network}};
  for (const auto& [key, value] : extra.items()) doc[key] = value;
  return doc;
}

}  // namespace wb::quant
