#include "compiler/quant/requant_params.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "support/error.h"

namespace wb::quant {

FixedPointFactor fixed_point_factor(double factor, std::int64_t max_multiplier, int min_shift, int max_shift) {
  if (!(factor > 0) || !std::isfinite(factor)) {
    throw UserError(fmt::format("requantisation factor {} is not a positive finite number", factor));
  }
  for (int shift = max_shift; shift >= min_shift; --shift) {
    // Compared as a double first: llround of a value beyond int64 is undefined.
    const double scaled = std::round(std::ldexp(factor, shift));
    if (scaled <= static_cast<double>(max_multiplier)) return {static_cast<std::int64_t>(scaled), shift};
  }
  throw UserError(fmt::format("requantisation factor {} needs a multiplier above {} even with shift {}", factor,
                              max_multiplier, min_shift));
}

namespace {

constexpr std::int64_t kMax16 = 32767;
constexpr std::int64_t kInt32Limit = std::int64_t{1} << 31;

// log2 of a factor that must be an exact power of two (pow2 scheme).
int exact_log2(double factor, const QNode& node) {
  int exponent = 0;
  const double mantissa = std::frexp(factor, &exponent);
  if (mantissa != 0.5) {
    throw UserError(fmt::format("node {}: the pow2 scheme needs power-of-two scale ratios, got {}", node.name, factor));
  }
  return exponent - 1;
}

std::int64_t rounded_bound(float bound, double scale, std::int64_t fallback, bool is_lower) {
  if (!std::isfinite(bound)) return fallback;
  // Clamped before the conversion: a bound far beyond the tensor's range (a huge clip value, a
  // tiny scale) only means "no clamp", and would overflow int64.
  const double limit = 0x1p62;
  const double q = std::clamp(std::nearbyint(static_cast<double>(bound) / scale), -limit, limit);
  return is_lower ? std::max(static_cast<std::int64_t>(q), fallback) : std::min(static_cast<std::int64_t>(q), fallback);
}

void set_clamp(QNode& node, const QTensor& out) {
  node.requant.lo = rounded_bound(node.act_min, out.scale, out.lo(), true);
  node.requant.hi = rounded_bound(node.act_max, out.scale, out.hi(), false);
  if (node.requant.lo > node.requant.hi) node.requant.lo = node.requant.hi;
}

void set_single(Requant& r, std::int64_t multiplier, int shift, bool floor_rounding) {
  r.multiplier = {multiplier};
  r.shift = {shift};
  r.offset = {floor_rounding && shift > 0 ? -(std::int64_t{1} << (shift - 1)) : 0};
  r.rounding = floor_rounding ? "floor" : "round";
}

double weight_scale(const QNode& node, std::size_t c) {
  return node.weight_scale.size() == 1 ? node.weight_scale[0] : node.weight_scale[c];
}

// Largest |sum(w * x) + bias| the conv's types allow, per output channel.
std::vector<std::int64_t> accumulator_bounds(const QNode& node, const QTensor& in) {
  const std::int64_t x_max = std::max(std::llabs(in.lo()), std::llabs(in.hi()));
  const std::int64_t c_out = node.weights.shape()[0];
  const std::int64_t per_channel = node.weights.numel() / c_out;
  std::vector<std::int64_t> bounds(static_cast<std::size_t>(c_out), 0);
  const Tensor w64 = node.weights.cast(DType::I64);
  const auto* w = w64.data<std::int64_t>();
  for (std::int64_t c = 0; c < c_out; ++c) {
    std::int64_t sum = 0;
    for (std::int64_t i = 0; i < per_channel; ++i) sum += std::llabs(w[c * per_channel + i]);
    bounds[static_cast<std::size_t>(c)] = sum * x_max + (node.bias.empty() ? 0 : std::llabs(node.bias.as_int64(c)));
  }
  return bounds;
}

void conv_pow2(QNode& node, const QTensor& in, const QTensor& out) {
  const int shift = exact_log2(out.scale / (in.scale * node.weight_scale.at(0)), node);
  set_single(node.requant, 1, shift, false);
}

void conv_xdnn(QNode& node, const QTensor& in, const QTensor& out) {
  Requant& r = node.requant;
  r = Requant{};
  const auto c_out = static_cast<std::size_t>(out.shape[1]);
  for (std::size_t c = 0; c < c_out; ++c) {
    const FixedPointFactor f = fixed_point_factor(in.scale * weight_scale(node, c) / out.scale, kMax16);
    r.multiplier.push_back(f.multiplier);
    r.shift.push_back(f.shift);
    r.offset.push_back(0);
  }
}

// PULP-NN's batch-norm path: k[c] (15 bits, as much precision as fits), lambda[c] int32, one
// d per layer. Whether the kernel's int32 product can overflow is the backend's concern
// (pulp_batchnorm_needs_64bit): our arithmetic is exact either way.
void conv_pulp_batchnorm(QNode& node, const QTensor& in, const QTensor& out) {
  const auto c_out = static_cast<std::size_t>(out.shape[1]);
  for (int d = 31; d >= 0; --d) {
    Requant r;
    r.rounding = "round";
    bool fits = true;
    for (std::size_t c = 0; c < c_out && fits; ++c) {
      const double factor = in.scale * weight_scale(node, c) / out.scale;
      const double k_real = std::round(std::ldexp(factor, d));
      if (k_real > static_cast<double>(kMax16)) {
        fits = false;
        break;
      }
      const auto k = static_cast<std::int64_t>(k_real);
      const std::int64_t bias = node.bias.empty() ? 0 : node.bias.as_int64(static_cast<std::int64_t>(c));
      // lambda = k * bias + rounding must be an int32; a bias beyond int32 never fits (and
      // bounding it first keeps k * bias, k < 2^15, inside int64).
      fits = bias > -kInt32Limit && bias < kInt32Limit &&
             std::llabs(k * bias) + (d > 0 ? std::int64_t{1} << (d - 1) : 0) < kInt32Limit;
      r.multiplier.push_back(k);
      r.shift.push_back(d);
      r.offset.push_back(0);
    }
    if (fits) {
      node.requant = std::move(r);
      return;
    }
  }
  throw UserError(fmt::format("node {}: no PULP batch-norm requantisation (k, lambda, d) fits its int32 lambda",
                              node.name));
}

// PULP-NN's plain path: (m * acc) >> d kept in an int16, no rounding. d <= 16 keeps the
// int64 result's low 16 bits equal to the kernel's int32 ones even when m * acc wraps.
void conv_pulp_plain(QNode& node, const QTensor& in, const QTensor& out) {
  if (node.weight_scale.size() != 1) {
    throw UserError(fmt::format("node {}: the PULP plain requantisation path needs per-tensor weight scales",
                                node.name));
  }
  const FixedPointFactor f = fixed_point_factor(in.scale * node.weight_scale[0] / out.scale, kMax16, 0, 16);
  set_single(node.requant, f.multiplier, f.shift, true);
  node.requant.intermediate_bits = 16;
}

void assign_conv(QGraph& graph, QNode& node) {
  const QTensor& in = graph.tensor(node.inputs[0]);
  const QTensor& out = graph.tensor(node.output);
  switch (graph.scheme) {
    case Scheme::Pow2: conv_pow2(node, in, out); break;
    case Scheme::Xdnn: conv_xdnn(node, in, out); break;
    case Scheme::Pulp:
      if (node.folded_batchnorm && node.weight_scale.size() > 1) {
        conv_pulp_batchnorm(node, in, out);
      } else {
        conv_pulp_plain(node, in, out);
      }
      break;
  }
  set_clamp(node, out);
}

void assign_add(QGraph& graph, QNode& node) {
  const QTensor& a = graph.tensor(node.inputs[0]);
  const QTensor& b = graph.tensor(node.inputs[1]);
  const QTensor& out = graph.tensor(node.output);
  if (graph.scheme == Scheme::Pulp) {
    // (a * m1 + b * m2) >> d: the largest d whose multipliers fit 16 bits.
    for (int d = 24; d >= 0; --d) {
      const double m1_real = std::round(std::ldexp(a.scale / out.scale, d));
      const double m2_real = std::round(std::ldexp(b.scale / out.scale, d));
      if (m1_real <= static_cast<double>(kMax16) && m2_real <= static_cast<double>(kMax16)) {
        const auto m1 = static_cast<std::int64_t>(m1_real);
        const auto m2 = static_cast<std::int64_t>(m2_real);
        node.input_multiplier = {m1, m2};
        set_single(node.requant, 1, d, true);
        set_clamp(node, out);
        return;
      }
    }
    throw UserError(fmt::format("node {}: add input scales {} and {} are too far above the output's {}", node.name,
                                a.scale, b.scale, out.scale));
  }
  if (a.scale != b.scale) {
    throw UserError(fmt::format("node {}: the {} scheme needs both add inputs at one scale ({} vs {})", node.name,
                                scheme_name(graph.scheme), a.scale, b.scale));
  }
  node.input_multiplier = {1, 1};
  if (graph.scheme == Scheme::Pow2) {
    set_single(node.requant, 1, exact_log2(out.scale / a.scale, node), false);
  } else {
    const FixedPointFactor f = fixed_point_factor(a.scale / out.scale, kMax16);
    set_single(node.requant, f.multiplier, f.shift, false);
  }
  set_clamp(node, out);
}

// One requant entry for a real factor (value scale / output scale), by scheme: pow2 an exact
// shift; xdnn a 16-bit multiplier; pulp a 16-bit multiplier with PULP-NN's truncation and
// shifts up to `pulp_max_shift`.
void set_per_tensor(QGraph& graph, QNode& node, double factor, int pulp_max_shift) {
  switch (graph.scheme) {
    case Scheme::Pow2: set_single(node.requant, 1, exact_log2(1.0 / factor, node), false); break;
    case Scheme::Xdnn: {
      const FixedPointFactor f = fixed_point_factor(factor, kMax16);
      set_single(node.requant, f.multiplier, f.shift, false);
      break;
    }
    case Scheme::Pulp: {
      const FixedPointFactor f = fixed_point_factor(factor, kMax16, 0, pulp_max_shift);
      set_single(node.requant, f.multiplier, f.shift, true);
      break;
    }
  }
  set_clamp(node, graph.tensor(node.output));
}

void assign_avgpool(QGraph& graph, QNode& node) {
  const QTensor& in = graph.tensor(node.inputs[0]);
  const QTensor& out = graph.tensor(node.output);
  set_per_tensor(graph, node, in.scale / (out.scale * static_cast<double>(node.divisor)), 24);
}

// y = requant(a * b): the product's scale is s_a * s_b. Per scheme as Add and AvgPool are:
// pow2 an exact shift, xdnn a 16-bit multiplier, pulp a 16-bit multiplier with PULP-NN's
// truncation. |a * b| <= 2^14 (8-bit) or 2^30 (16-bit); times a 16-bit multiplier it stays
// within int64 in every case.
void assign_mul(QGraph& graph, QNode& node) {
  const QTensor& a = graph.tensor(node.inputs[0]);
  const QTensor& b = graph.tensor(node.inputs[1]);
  const QTensor& out = graph.tensor(node.output);
  set_per_tensor(graph, node, a.scale * b.scale / out.scale, 31);
}

// Attention's products: y = requant(sum a * b) at the factor s_a s_b f / s_y, f the folded
// 1 / sqrt(d). pow2 takes it only when f is a power of two (heads of 4, 16, 64, 256 channels).
void assign_matmul(QGraph& graph, QNode& node) {
  const QTensor& a = graph.tensor(node.inputs[0]);
  const QTensor& b = graph.tensor(node.inputs[1]);
  const QTensor& out = graph.tensor(node.output);
  int exponent = 0;
  if (graph.scheme == Scheme::Pow2 && std::frexp(node.matmul_factor, &exponent) != 0.5) {
    throw UserError(fmt::format("node {} (MatMul): the pow2 scheme requantizes by shifts, and the factor {:g} folded "
                                "into it (1 / sqrt of the head size) is not a power of two; quantize with the xdnn "
                                "or pulp scheme",
                                node.name, node.matmul_factor));
  }
  set_per_tensor(graph, node, a.scale * b.scale * node.matmul_factor / out.scale, 31);
}

}  // namespace

std::vector<std::int64_t> lut_table(const QTensor& in, const QTensor& out, const std::string& function, float alpha,
                                    float beta) {
  std::vector<std::int64_t> table;
  table.reserve(static_cast<std::size_t>(in.hi() - in.lo() + 1));
  for (std::int64_t q = in.lo(); q <= in.hi(); ++q) {
    const double y = lut_function_value(function, static_cast<double>(q) * in.scale, alpha, beta);
    const double level = std::nearbyint(y / out.scale);  // half to even, as QuantizeLinear
    table.push_back(static_cast<std::int64_t>(
        std::clamp(level, static_cast<double>(out.lo()), static_cast<double>(out.hi()))));
  }
  return table;
}

Tensor matmul_bias_levels(const Tensor& bias, double sums_scale) {
  const Shape& s = bias.shape();
  const Shape rows = s.size() == 4 ? Shape{s[1], s[2], s[3]} : s;
  std::vector<std::int32_t> levels(static_cast<std::size_t>(bias.numel()));
  for (std::int64_t i = 0; i < bias.numel(); ++i) {
    const double v = std::nearbyint(bias.as_double(i) / sums_scale);
    levels[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(std::clamp(v, -2147483648.0, 2147483647.0));
  }
  return Tensor::from_vector<std::int32_t>(rows, levels);
}

std::vector<std::int64_t> softmax_exp_table(const QTensor& in) {
  std::vector<std::int64_t> table(kSoftmaxTableEntries);
  for (int i = 0; i < kSoftmaxTableEntries; ++i) {
    const double e = std::exp(static_cast<double>(i - (kSoftmaxTableEntries - 1)) * in.scale);
    table[static_cast<std::size_t>(i)] = static_cast<std::int64_t>(std::nearbyint(std::ldexp(e, kSoftmaxExpBits)));
  }
  return table;
}

LayerNormParams layernorm_params(const QTensor& in, const QTensor& out, const QNode& node) {
  LayerNormSpec spec;
  spec.n = node.layernorm_gamma.size();
  spec.scale_in = in.scale;
  spec.input = IntFormat{in.bits, in.is_signed};
  spec.scale_out = out.scale;
  spec.output = IntFormat{out.bits, out.is_signed};
  spec.epsilon = node.layernorm_epsilon;
  spec.rms = node.layernorm_rms;
  try {
    return make_layernorm_params(spec, node.layernorm_gamma, node.layernorm_beta);
  } catch (const UserError& e) {
    throw UserError(fmt::format("node {} (LayerNorm): {}", node.name, e.what()));
  }
}

std::vector<std::int64_t> conv_accumulator_bounds(const QGraph& graph, const QNode& node) {
  return accumulator_bounds(node, graph.tensor(node.inputs.at(0)));
}

bool pulp_batchnorm_needs_64bit(const QGraph& graph, const QNode& node) {
  const std::vector<std::int64_t> bounds = conv_accumulator_bounds(graph, node);
  const Requant& r = node.requant;
  for (std::size_t c = 0; c < bounds.size(); ++c) {
    const std::int64_t k = r.multiplier.size() == 1 ? r.multiplier[0] : r.multiplier[c];
    const int d = r.shift.size() == 1 ? r.shift[0] : r.shift[c];
    if (k * bounds[c] + (d > 0 ? std::int64_t{1} << (d - 1) : 0) >= kInt32Limit) return true;
  }
  return false;
}

void assign_requant(QGraph& graph) {
  for (QNode& node : graph.nodes) {
    switch (node.kind) {
      case QOpKind::Conv: assign_conv(graph, node); break;
      case QOpKind::Add: assign_add(graph, node); break;
      case QOpKind::AvgPool: assign_avgpool(graph, node); break;
      case QOpKind::Mul: assign_mul(graph, node); break;
      case QOpKind::MatMul: assign_matmul(graph, node); break;
      case QOpKind::Lut:
        node.lut_table = lut_table(graph.tensor(node.inputs[0]), graph.tensor(node.output), node.lut_function,
                                   node.lut_alpha, node.lut_beta);
        break;
      case QOpKind::Softmax: node.softmax_exp_table = softmax_exp_table(graph.tensor(node.inputs[0])); break;
      case QOpKind::LayerNorm:
        node.layernorm = layernorm_params(graph.tensor(node.inputs[0]), graph.tensor(node.output), node);
        break;
      case QOpKind::MaxPool:
      case QOpKind::Concat:
      case QOpKind::ChannelGather:
      case QOpKind::PixelGather:
      case QOpKind::Embedding:
      case QOpKind::Resize:
      case QOpKind::Reshape:
      case QOpKind::HwcReshape: break;
    }
  }
}

}  // namespace wb::quant
