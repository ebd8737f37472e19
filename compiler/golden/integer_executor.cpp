#include "compiler/golden/integer_executor.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "compiler/golden/integer_kernels.h"
#include "compiler/ir/token_layout.h"
#include "support/cpu_threads.h"
#include "support/error.h"

namespace wb::golden {

using quant::QGraph;
using quant::QNode;
using quant::QOpKind;
using quant::QTensor;

namespace {

// The integer kernels (integer_kernels.h); the float reference's are kernels.h's, not included here.
using namespace integer;

// Checks the executor makes beyond quant::verify_qgraph, so that a run never indexes out of
// range and never has to narrow a value silently.

// A requantising node's clamp lies inside its output's type.
void check_requant(const QNode& node, const QTensor& out) {
  const quant::Requant& r = node.requant;
  if (r.lo < out.lo() || r.hi > out.hi()) {
    throw std::logic_error(fmt::format("requant clamp [{}, {}] exceeds the range [{}, {}] of output {}", r.lo, r.hi,
                                       out.lo(), out.hi(), out.name));
  }
  if (r.channels() == 0) throw std::logic_error("empty requant");
}

// A conv's weights, bias, groups and window agree with its tensors.
void check_conv(const QNode& node, const QTensor& in, const QTensor& out) {
  if (node.weights.dtype() != DType::I8 && node.weights.dtype() != DType::I16) {
    throw std::logic_error(fmt::format("weights are {} (I8 or I16 expected)", dtype_name(node.weights.dtype())));
  }
  if (!node.bias.empty() && node.bias.dtype() != DType::I32) {
    throw std::logic_error(fmt::format("bias is {} (I32 expected)", dtype_name(node.bias.dtype())));
  }
  if (node.group < 1 || out.shape[1] % node.group != 0) {
    throw std::logic_error(fmt::format("{} output channels in {} groups", out.shape[1], node.group));
  }
  if (out.shape[0] != in.shape[0]) throw std::logic_error("input and output batch differ");
  if (node.kernel.size() != 2 || node.kernel[0] != node.weights.shape()[2] || node.kernel[1] != node.weights.shape()[3]) {
    throw std::logic_error(fmt::format("kernel attribute differs from the weights {}", format_shape(node.weights.shape())));
  }
  (void)make_window(node, in.shape, out.shape);
}

void check_node(const QGraph& graph, const QNode& node) {
  const QTensor& out = graph.tensor(node.output);
  const QTensor& in = graph.tensor(node.inputs[0]);
  for (int index : node.inputs) (void)graph.tensor(index).dtype();  // 8 or 16 bits
  (void)out.dtype();
  if (node.kind == QOpKind::Conv || node.kind == QOpKind::Add || node.kind == QOpKind::AvgPool ||
      node.kind == QOpKind::Mul || node.kind == QOpKind::MatMul) {
    check_requant(node, out);
  }
  switch (node.kind) {
    case QOpKind::Conv: check_conv(node, in, out); break;
    case QOpKind::MaxPool:
    case QOpKind::AvgPool:
      (void)make_window(node, in.shape, out.shape);
      if (out.shape[0] != in.shape[0] || out.shape[1] != in.shape[1]) {
        throw std::logic_error("a pool keeps the batch and channels");
      }
      break;
    case QOpKind::Add:
      for (int index : node.inputs) {
        if (graph.tensor(index).shape != out.shape) {
          throw std::logic_error(fmt::format("input {} has shape {}, the output {}", graph.tensor(index).name,
                                             format_shape(graph.tensor(index).shape), format_shape(out.shape)));
        }
      }
      break;
    case QOpKind::Concat: {
      const auto axis = static_cast<std::size_t>(node.concat_axis);
      if (out.shape.size() <= axis) throw std::logic_error(fmt::format("concat output of rank <= {}", axis));
      std::int64_t along = 0;
      for (int index : node.inputs) {
        const Shape& s = graph.tensor(index).shape;
        Shape expected = out.shape;
        if (s.size() == expected.size()) expected[axis] = s[axis];
        if (s != expected) {
          throw std::logic_error(fmt::format("input {} of shape {} cannot be concatenated into {} along axis {}",
                                             graph.tensor(index).name, format_shape(s), format_shape(out.shape), axis));
        }
        along += s[axis];
      }
      if (along != out.shape[axis]) throw std::logic_error("the concatenated inputs differ from the output's size");
      break;
    }
    case QOpKind::HwcReshape:
      if (in.shape.size() != 4 || out.shape.size() != 4 || in.shape[0] != 1 || out.shape[0] != 1) {
        throw std::logic_error("an HWC reshape regroups the pixels of N=1 NCHW images");
      }
      [[fallthrough]];
    case QOpKind::Reshape:
      if (num_elements(in.shape) != num_elements(out.shape)) {
        throw std::logic_error(fmt::format("reshape of {} into {}", format_shape(in.shape), format_shape(out.shape)));
      }
      break;
    case QOpKind::Lut:
      if (in.shape != out.shape) throw std::logic_error("a lut keeps the shape");
      if (static_cast<std::int64_t>(node.lut_table.size()) != in.hi() - in.lo() + 1) {
        throw std::logic_error(fmt::format("{} table entries for an input of {} values", node.lut_table.size(),
                                           in.hi() - in.lo() + 1));
      }
      for (const std::int64_t v : node.lut_table) {
        if (v < out.lo() || v > out.hi()) throw std::logic_error(fmt::format("table entry {} outside the output's range", v));
      }
      break;
    case QOpKind::Mul:
      for (int index : node.inputs) {
        const Shape& s = graph.tensor(index).shape;
        bool broadcasts = s.size() == out.shape.size();
        for (std::size_t d = 0; broadcasts && d < s.size(); ++d) broadcasts = s[d] == out.shape[d] || s[d] == 1;
        if (!broadcasts) {
          throw std::logic_error(fmt::format("input {} of shape {} does not broadcast to {}", graph.tensor(index).name,
                                             format_shape(s), format_shape(out.shape)));
        }
      }
      if (node.requant.channels() != 1) throw std::logic_error("a mul requantises per tensor");
      break;
    case QOpKind::MatMul:
      if (node.requant.channels() != 1) throw std::logic_error("a matmul requantises per tensor");
      break;  // the shapes: quant::verify_qgraph
    case QOpKind::Softmax:
      if (in.shape != out.shape || node.softmax_exp_table.size() != 256 || in.bits != 8 || out.is_signed) {
        throw std::logic_error("a softmax keeps the shape, has 256 exp entries, an 8-bit input and a uint8 output");
      }
      if (!node.softmax_labels.empty() &&
          (in.shape.size() != 3 || in.shape[1] != in.shape[2] ||
           static_cast<std::int64_t>(node.softmax_labels.size()) % in.shape[1] != 0 ||
           in.shape[0] % (static_cast<std::int64_t>(node.softmax_labels.size()) / in.shape[1]) != 0)) {
        throw std::logic_error("a masked softmax has one region label per token of square windowed scores");
      }
      break;
    case QOpKind::LayerNorm:
      if (in.shape != out.shape || (in.shape.size() != 2 && in.shape.size() != 4) ||
          node.layernorm.n != static_cast<std::size_t>(in.shape[1])) {
        throw std::logic_error("a layer norm keeps the [N, C] or NCHW shape and has parameters for its channels");
      }
      break;
    case QOpKind::Resize:
      if (in.shape.size() != 4 || out.shape.size() != 4 ||
          static_cast<std::int64_t>(node.resize_rows.size()) != 3 * out.shape[2] ||
          static_cast<std::int64_t>(node.resize_cols.size()) != 3 * out.shape[3]) {
        throw std::logic_error("a resize has three numbers per output row and column of NCHW tensors");
      }
      break;
    case QOpKind::PixelGather:
      if (in.shape.size() != 4 || out.shape.size() != 4 || in.shape[0] != out.shape[0] || in.shape[1] != out.shape[1] ||
          static_cast<std::int64_t>(node.gather_pixels.size()) != out.shape[2] * out.shape[3]) {
        throw std::logic_error("a pixel gather names one input pixel per output pixel of NCHW tensors");
      }
      for (const std::int64_t p : node.gather_pixels) {
        if (p < 0 || p >= in.shape[2] * in.shape[3]) throw std::logic_error(fmt::format("gathered pixel {} out of range", p));
      }
      break;
    case QOpKind::Embedding:
      if (node.inputs.size() != 2 || in.shape.size() != 4 || !graph.tensor(node.inputs[1]).token_ids ||
          out.shape != Shape{1, in.shape[1], 1, num_elements(graph.tensor(node.inputs[1]).shape)}) {
        throw std::logic_error("an embedding reads a table [1, C, 1, V] and token ids, and writes the image [1, C, 1, T]");
      }
      break;
    case QOpKind::ChannelGather:
      if (in.shape.size() != 4 || out.shape.size() != 4 ||
          static_cast<std::int64_t>(node.gather_channels.size()) != out.shape[1]) {
        throw std::logic_error("a channel gather names one input channel per output channel of NCHW tensors");
      }
      for (const std::int64_t c : node.gather_channels) {
        if (c < 0 || c >= in.shape[1]) throw std::logic_error(fmt::format("gathered channel {} out of range", c));
      }
      break;
  }
}

Tensor execute(const QGraph& graph, const QNode& node, const std::vector<const Tensor*>& args) {
  switch (node.kind) {
    case QOpKind::Conv:
      return run_conv(graph, node, *args[0]);
    case QOpKind::Add:
      return run_add(graph, node, *args[0], *args[1]);
    case QOpKind::MaxPool:
    case QOpKind::AvgPool:
      return run_pool(graph, node, *args[0]);
    case QOpKind::Concat:
      return run_concat(graph, node, args);
    case QOpKind::Reshape:
      return args[0]->reshaped(graph.tensor(node.output).shape);
    case QOpKind::HwcReshape:
      return run_hwc_reshape(graph, node, *args[0]);
    case QOpKind::PixelGather:
      return run_pixel_gather(graph, node, *args[0]);
    case QOpKind::Embedding:
      return run_embedding(graph, node, *args[0], *args[1]);
    case QOpKind::Lut:
      return run_lut(graph, node, *args[0]);
    case QOpKind::Mul:
      return run_mul(graph, node, *args[0], *args[1]);
    case QOpKind::MatMul:
      return run_matmul(graph, node, *args[0], *args[1]);
    case QOpKind::ChannelGather:
      return run_channel_gather(graph, node, *args[0]);
    case QOpKind::Softmax:
      return run_softmax(graph, node, *args[0]);
    case QOpKind::Resize:
      return run_resize(graph, node, *args[0]);
    case QOpKind::LayerNorm:
      return run_layernorm(graph, node, *args[0]);
  }
  throw std::logic_error("unknown QOpKind");
}

void check_input(const QTensor& t, const Tensor& tensor, DType expected) {
  if (tensor.dtype() != expected || tensor.shape() != t.shape) {
    throw UserError(fmt::format("input '{}' is {}{} but the quantized model expects {}{}", t.name,
                                dtype_name(tensor.dtype()), format_shape(tensor.shape()), dtype_name(expected),
                                format_shape(t.shape)));
  }
}

void check_input_count(const QGraph& graph, std::size_t given) {
  if (given != graph.inputs.size()) {
    throw UserError(fmt::format("the quantized model has {} input{} but {} {} given", graph.inputs.size(),
                                graph.inputs.size() == 1 ? "" : "s", given, given == 1 ? "was" : "were"));
  }
}

// Token ids as users give them (int32 or int64, the model's shape): the ids themselves, U16.
Tensor token_ids_input(const QTensor& t, const Tensor& ids) {
  if ((ids.dtype() != DType::I64 && ids.dtype() != DType::I32) || ids.shape() != t.shape) {
    throw UserError(fmt::format("input '{}' is {}{} but the quantized model expects token ids, int64 or int32 of shape {}",
                                t.name, dtype_name(ids.dtype()), format_shape(ids.shape()), format_shape(t.shape)));
  }
  std::vector<std::int32_t> q(static_cast<std::size_t>(ids.numel()));
  for (std::int64_t i = 0; i < ids.numel(); ++i) {
    const std::int64_t id = ids.as_int64(i);
    if (id < 0 || id > t.hi()) {
      throw UserError(fmt::format("input '{}': token id {} (element {}) is outside 0..{}", t.name, id, i, t.hi()));
    }
    q[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(id);
  }
  return narrow(q, t);
}

}  // namespace

Tensor quantize_input(const QTensor& t, const Tensor& float_input) {
  if (t.token_ids) return token_ids_input(t, float_input);
  if (float_input.dtype() != DType::F32 || float_input.shape() != t.float_shape()) {
    throw UserError(fmt::format("input '{}' is {}{} but the quantized model expects {}{}", t.name,
                                dtype_name(float_input.dtype()), format_shape(float_input.shape()),
                                dtype_name(DType::F32), format_shape(t.float_shape())));
  }
  const float scale = static_cast<float>(t.scale);
  const auto lo = static_cast<float>(t.lo()), hi = static_cast<float>(t.hi());
  const float* x = float_input.data<float>();
  // A token sequence given as [1, T, C] (or [T, 1, C]: row-major [T, C] both, or a KV cache's
  // [1, h, T, d]) for the image [1, C, 1, T]: element (t, c) of the rows is element (c, t) of the
  // image (token_layout.h).
  const bool tokens = !t.source_shape.empty();
  if (tokens && (!is_source_image_of(t.source_shape, t.shape) || float_input.numel() != t.shape[1] * t.shape[3])) {
    throw std::logic_error(fmt::format("input '{}': source shape {} is not the tokens of the image {}", t.name,
                                       format_shape(t.source_shape), format_shape(t.shape)));
  }
  std::vector<std::int32_t> q(static_cast<std::size_t>(float_input.numel()));
  for (std::int64_t i = 0; i < float_input.numel(); ++i) {
    if (std::isnan(x[i])) throw UserError(fmt::format("input '{}' holds a NaN (element {})", t.name, i));
    const float rounded = std::nearbyint(x[i] / scale);  // ties to even in the default rounding mode
    const std::int64_t at = tokens ? image_offset_of(t.source_shape, t.shape, i) : i;
    q[static_cast<std::size_t>(at)] = static_cast<std::int32_t>(std::clamp(rounded, lo, hi));
  }
  return narrow(q, t);
}

void check_token_ids(const QGraph& graph, const std::vector<Tensor>& quantized_inputs) {
  for (const QNode& node : graph.nodes) {
    if (node.kind != QOpKind::Embedding) continue;
    const auto input = std::find(graph.inputs.begin(), graph.inputs.end(), node.inputs[1]);
    const auto i = static_cast<std::size_t>(input - graph.inputs.begin());
    if (input == graph.inputs.end() || i >= quantized_inputs.size()) continue;
    const std::int64_t rows = graph.tensor(node.inputs[0]).shape[3];
    const Tensor& ids = quantized_inputs[i];
    for (std::int64_t k = 0; k < ids.numel(); ++k) {
      if (ids.as_int64(k) < rows) continue;
      throw UserError(fmt::format("input '{}': token id {} (position {}) is outside the table of embedding {} ({} "
                                  "rows); give ids in 0..{}",
                                  graph.tensor(*input).name, ids.as_int64(k), k, node.name, rows, rows - 1));
    }
  }
}

Tensor dequantize(const QTensor& t, const Tensor& q) {
  if (q.dtype() != t.dtype() || q.shape() != t.shape) {
    throw UserError(fmt::format("tensor '{}' is {}{} but {}{} was expected", t.name, dtype_name(q.dtype()),
                                format_shape(q.shape()), dtype_name(t.dtype()), format_shape(t.shape)));
  }
  const std::vector<std::int32_t> values = widen(q);
  Tensor out(DType::F32, t.float_shape());
  float* y = out.data<float>();
  const float scale = static_cast<float>(t.scale);
  const bool tokens = !t.source_shape.empty();
  if (tokens && !is_source_image_of(t.source_shape, t.shape)) {
    throw std::logic_error(fmt::format("tensor '{}': source shape {} is not the tokens of the image {}", t.name,
                                       format_shape(t.source_shape), format_shape(t.shape)));
  }
  for (std::size_t i = 0; i < values.size(); ++i) {
    const auto from = tokens ? static_cast<std::size_t>(image_offset_of(t.source_shape, t.shape, static_cast<std::int64_t>(i)))
                             : i;
    y[i] = scale * static_cast<float>(values[from]);
  }
  return out;
}

IntegerExecutor::IntegerExecutor(const QGraph& graph) : graph_(graph) {
  quant::verify_qgraph(graph);
  for (int input : graph.inputs) (void)graph.tensor(input).dtype();
  std::vector<int> last_use(graph.tensors.size(), -1);
  for (std::size_t k = 0; k < graph.nodes.size(); ++k) {
    const QNode& node = graph.nodes[k];
    try {
      check_node(graph, node);
    } catch (const std::logic_error& e) {
      throw std::logic_error(fmt::format("QGraph node {} ({}): {}", node.name, quant::qop_name(node.kind), e.what()));
    }
    for (int input : node.inputs) last_use[static_cast<std::size_t>(input)] = static_cast<int>(k);
  }
  release_after_.resize(graph.nodes.size());
  for (std::size_t t = 0; t < last_use.size(); ++t) {
    const bool is_output =
        std::find(graph.outputs.begin(), graph.outputs.end(), static_cast<int>(t)) != graph.outputs.end();
    if (last_use[t] >= 0 && !is_output)
      release_after_[static_cast<std::size_t>(last_use[t])].push_back(static_cast<int>(t));
  }
}

std::vector<Tensor> IntegerExecutor::run(const std::vector<Tensor>& float_inputs, const Observer& observer) const {
  check_input_count(graph_, float_inputs.size());
  std::vector<Tensor> quantized;
  for (std::size_t i = 0; i < float_inputs.size(); ++i) {
    quantized.push_back(quantize_input(graph_.tensor(graph_.inputs[i]), float_inputs[i]));
  }
  return run_quantized(quantized, observer);
}

std::vector<Tensor> IntegerExecutor::run_quantized(const std::vector<Tensor>& inputs, const Observer& observer) const {
  fit_threads_to_idle_cpus();
  check_input_count(graph_, inputs.size());
  std::vector<Tensor> values(graph_.tensors.size());
  for (std::size_t t = 0; t < graph_.tensors.size(); ++t) {
    if (graph_.tensors[t].is_constant()) values[t] = graph_.tensors[t].data;
  }
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const int index = graph_.inputs[i];
    check_input(graph_.tensor(index), inputs[i], graph_.tensor(index).dtype());
    values[static_cast<std::size_t>(index)] = inputs[i];
    if (observer) observer(index, inputs[i]);
  }
  check_token_ids(graph_, inputs);
  std::vector<const Tensor*> args;
  for (std::size_t k = 0; k < graph_.nodes.size(); ++k) {
    const QNode& node = graph_.nodes[k];
    args.clear();
    for (int input : node.inputs) args.push_back(&values[static_cast<std::size_t>(input)]);
    Tensor& result = values[static_cast<std::size_t>(node.output)];
    try {
      result = execute(graph_, node, args);
    } catch (const std::logic_error& e) {
      throw std::logic_error(fmt::format("QGraph node {} ({}): {}", node.name, quant::qop_name(node.kind), e.what()));
    }
    if (observer) observer(node.output, result);
    for (int t : release_after_[k]) values[static_cast<std::size_t>(t)] = Tensor();
  }
  std::vector<Tensor> outputs;
  for (int index : graph_.outputs) outputs.push_back(values[static_cast<std::size_t>(index)]);
  return outputs;
}

}  // namespace wb::golden
