#include "compiler/pulp/layer_mapping.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <limits>

#include "compiler/pulp/deconv_phases.h"
#include "compiler/quant/qgraph_queries.h"
#include "isa/op_counts.h"
#include "isa/pulp_program.h"

namespace wb::pulp {

namespace {

using isa::pulp::KernelKind;
using quant::QGraph;
using quant::QNode;
using quant::QOpKind;

std::int64_t dim(const quant::QTensor& t, std::size_t i) { return quant::dim_or_one(t, i); }

// Everything the int8 kernels need of a node's tensors, or why not.
std::string tensor_problem(const QGraph& graph, const QNode& node) {
  for (const int t : node.inputs) {
    const auto& q = graph.tensor(t);
    if (q.bits != 8) return fmt::format("input '{}' is {}-bit; PULP-NN's kernels here are 8-bit", q.name, q.bits);
    if (q.shape.size() != 3 && dim(q, 0) != 1) return fmt::format("input '{}' has batch {}; batch 1 only", q.name, dim(q, 0));
  }
  const auto& out = graph.tensor(node.output);
  if (out.bits != 8) return fmt::format("output '{}' is {}-bit; PULP-NN's kernels here are 8-bit", out.name, out.bits);
  return {};
}

// Our conv, grouped conv and depthwise kernels dilate (PULP-NN's have no dilation); pools do not.
std::string window_problem(const QNode& node) {
  if (node.kind != QOpKind::Conv && (node.dilations[0] != 1 || node.dilations[1] != 1)) {
    return fmt::format("dilation {}x{}; only the conv kernels dilate", node.dilations[0], node.dilations[1]);
  }
  // with_deconv_phases lowered every transposed conv it could; the one left says why not.
  if (node.kind == QOpKind::Conv && node.input_dilations != std::vector<std::int64_t>{1, 1}) {
    const std::string why = deconv_phases_problem(node);
    return why.empty() ? "a transposed conv the phase lowering left (with_deconv_phases)" : why;
  }
  return {};
}

// What the grouped conv kernel needs of the grouping: groups that divide both channel counts
// (the QGraph checks this; a program must never hold a fractional group).
std::string grouping_problem(const QNode& node, std::int64_t in_channels, std::int64_t out_channels) {
  if (node.group < 1 || in_channels % node.group != 0 || out_channels % node.group != 0) {
    return fmt::format("{} groups do not divide its {} input and {} output channels; the grouped conv kernel runs "
                       "whole groups",
                       node.group, in_channels, out_channels);
  }
  return {};
}

// What the resize kernel needs: NCHW of one type in and out (the same scale: a resize keeps
// the values), indices that fit its uint16 tables, a table entry per output row and column.
std::string resize_problem(const QGraph& graph, const QNode& node) {
  const auto& in = graph.tensor(node.inputs.at(0));
  const auto& out = graph.tensor(node.output);
  if (in.shape.size() != 4 || out.shape.size() != 4) return "not NCHW; the resize kernel resizes images";
  if (in.is_signed != out.is_signed) return "input and output types differ; the resize kernel keeps the type";
  if (dim(in, 1) != dim(out, 1)) return "the channels change; the resize kernel keeps them";
  for (const std::int64_t d : {dim(in, 2), dim(in, 3), dim(out, 2), dim(out, 3)}) {
    if (d > 65535) return fmt::format("a side of {}; the resize kernel's tables index 65535", d);
  }
  if (node.resize_rows.size() != static_cast<std::size_t>(3 * dim(out, 2)) ||
      node.resize_cols.size() != static_cast<std::size_t>(3 * dim(out, 3))) {
    return "its tables do not have three numbers per output row and column";
  }
  // A tile's input is the span from its first entry's first tap to its last entry's second
  // (tile_geometry's row_window): the taps must be in the input, in order and weighted 0..256.
  const auto ordered = [](const std::vector<std::int64_t>& taps, std::int64_t inputs) {
    for (std::size_t i = 0; i < taps.size(); i += 3) {
      const bool inside = taps[i] >= 0 && taps[i] <= taps[i + 1] && taps[i + 1] < inputs;
      const bool after = i == 0 || (taps[i] >= taps[i - 3] && taps[i + 1] >= taps[i - 2]);
      if (!inside || !after || taps[i + 2] < 0 || taps[i + 2] > 256) return false;
    }
    return true;
  };
  if (!ordered(node.resize_rows, dim(in, 2)) || !ordered(node.resize_cols, dim(in, 3))) {
    return "its taps are not non-decreasing indices inside the input with weights 0..256; the resize kernel's "
           "tiles read the span of their taps";
  }
  return {};
}

// What the layernorm kernel needs: a row of channels per pixel, 8-bit in and out at the bounds
// the node's parameters were made for, a shift whose rounding lies in the high word (33..61: a
// node within the contract's 2^20 gamma limit has at least 40), one gamma and beta per channel.
std::string layernorm_problem(const QGraph& graph, const QNode& node) {
  const auto& in = graph.tensor(node.inputs.at(0));
  const auto& out = graph.tensor(node.output);
  const quant::LayerNormParams& p = node.layernorm;
  if (in.shape != out.shape) return "input and output shapes differ; the layernorm kernel keeps the shape";
  if (in.shape.size() != 2 && in.shape.size() != 4) return "not NCHW or [N, C]; the layernorm kernel normalises channels";
  const auto n = static_cast<std::size_t>(dim(in, 1));
  if (p.n != n || p.gamma_multiplier.size() != n || p.beta_offset.size() != n) {
    return fmt::format("its parameters are for rows of {} with {} gammas and {} betas, the tensor has {} channels",
                       p.n, p.gamma_multiplier.size(), p.beta_offset.size(), n);
  }
  const quant::IntFormat in_format{8, in.is_signed}, out_format{8, out.is_signed};
  if (p.input_lo != in_format.lo() || p.input_hi != in_format.hi() || p.output_lo != out_format.lo() ||
      p.output_hi != out_format.hi()) {
    return fmt::format("its bounds [{}, {}] -> [{}, {}] are not the 8-bit tensors' ranges; the layernorm kernel "
                       "reads and clamps to the tensors' types",
                       p.input_lo, p.input_hi, p.output_lo, p.output_hi);
  }
  if (p.shift < 33 || p.shift > 61) {
    return fmt::format("shift {} outside 33..61; the layernorm kernel rounds in the accumulator's high word", p.shift);
  }
  // n^3 * 255^2 < 2^64: the kernel's sum of squares is 64-bit (the parameters checked the same).
  if (n > 65536) return fmt::format("{} channels; the layernorm kernel's sum of squares holds rows of 65536", n);
  return {};
}

bool is_pointwise(const QNode& node) {
  return node.kernel[0] == 1 && node.kernel[1] == 1 && node.strides[0] == 1 && node.strides[1] == 1 &&
         node.pads_begin[0] == 0 && node.pads_begin[1] == 0 && node.pads_end[0] == 0 && node.pads_end[1] == 0;
}

// The concat whose buffer holds each concat: the one with the longest input list that starts
// with this one's inputs (DenseNet's dense block concatenates [x0], [x0, y1], [x0, y1, y2], ...:
// each a channel prefix of the block's last, so all live in the last one's buffer), else itself.
std::map<int, int> concat_owners(const QGraph& graph) {
  std::vector<int> concats;
  std::map<int, int> owners;
  for (std::size_t n = 0; n < graph.nodes.size(); ++n) {
    if (graph.nodes[n].kind != QOpKind::Concat) continue;
    if (graph.nodes[n].concat_axis == 1) {
      concats.push_back(static_cast<int>(n));
    } else {
      owners[static_cast<int>(n)] = static_cast<int>(n);  // along W: never a prefix view
    }
  }
  for (const int c : concats) {
    const auto& inputs = graph.nodes[static_cast<std::size_t>(c)].inputs;
    int owner = c;
    for (const int d : concats) {
      const auto& longer = graph.nodes[static_cast<std::size_t>(d)].inputs;
      if (longer.size() > graph.nodes[static_cast<std::size_t>(owner)].inputs.size() &&
          std::equal(inputs.begin(), inputs.end(), longer.begin())) {
        owner = d;
      }
    }
    owners[c] = owner;
  }
  return owners;
}

// Records where each input of a concat is written, or says why it cannot be placed: the
// producer writes into the concat's tensor (its readers read that slice), so the input must be
// a layer's output, not a network input or output, and not already in another concat. A
// channel concat that is a channel prefix of a longer one is a view of the longer one's buffer.
// A concat along W of one-row images (tokens) places each input's pixels after the previous
// input's: in HWC they follow each other (a reshape of a producer's image to one row is the same
// bytes, so its producer writes there).
std::string place_concat(const QGraph& graph, const QNode& node, int owner_node, LayerMapping& mapping) {
  if (std::string problem = tensor_problem(graph, node); !problem.empty()) return problem;
  const auto& out = graph.tensor(node.output);
  if (out.shape.size() != 4) return fmt::format("output '{}' is not NCHW; only concats of images are placed", out.name);
  const bool along_w = node.concat_axis == 3;
  if (!along_w && node.concat_axis != 1) return fmt::format("a concat along axis {}; only channels and W are placed", node.concat_axis);
  if (along_w && dim(out, 2) != 1) {
    return fmt::format("a concat along W of images of {} rows; only one-row images (tokens) are placed", dim(out, 2));
  }
  const QNode& owner = graph.nodes[static_cast<std::size_t>(owner_node)];
  if (&owner != &node) {
    mapping.slices[node.output] = ConcatSlice{owner.output, 0, static_cast<std::uint32_t>(dim(out, 1)), 0};
    return {};
  }
  std::map<int, ConcatSlice> placed;
  std::uint32_t offset = 0;
  for (const int input : node.inputs) {
    const int t = along_w ? resolve_alias(mapping, input) : input;
    const auto& in = graph.tensor(t);
    const auto& read = graph.tensor(input);  // as the concat reads it: its tokens
    if (in.is_constant()) {
      return fmt::format("input '{}' is a constant; the compiler copies it with a layer of its own first "
                         "(with_constant_copies)",
                         in.name);
    }
    const bool produced = std::any_of(mapping.layers.begin(), mapping.layers.end(),
                                      [&](const PLayer& layer) { return layer.output == t; });
    if (!produced) {
      return fmt::format("input '{}' is not the output of a conv, add or pool layer (a network input, reshape or "
                         "concat that is not a channel prefix of this one); only layer outputs are written into a "
                         "concat",
                         in.name);
    }
    if (std::count(graph.outputs.begin(), graph.outputs.end(), t) != 0) {
      return fmt::format("input '{}' is also a network output, which must be a dense tensor", in.name);
    }
    if (mapping.slices.count(t) != 0 || placed.count(t) != 0) {
      return fmt::format("input '{}' is already written into another concat (or twice into this one); a layer "
                         "writes its output to one place",
                         in.name);
    }
    const auto channels = static_cast<std::uint32_t>(dim(in, 1));
    if (along_w) {
      placed[t] = ConcatSlice{node.output, 0, channels, offset, channels != dim(out, 1)};
      offset += static_cast<std::uint32_t>(dim(read, 2) * dim(read, 3));
    } else {
      placed[t] = ConcatSlice{node.output, offset, channels, 0};
      offset += channels;
    }
  }
  for (const auto& [t, slice] : placed) mapping.slices[t] = slice;
  return {};
}

// Whether `a` stored HWC is `b`'s bytes: the same channels and the same number of pixels, in
// the same row-major order.
bool same_bytes(const quant::QTensor& a, const quant::QTensor& b) {
  const PixelDims x = pixel_dims(a), y = pixel_dims(b);
  return x.c == y.c && std::uint64_t{x.h} * x.w == std::uint64_t{y.h} * y.w && quant::element_count(a) == quant::element_count(b);
}

// What the matmul kernel needs of attention's products: the forms the QGraph defines, heads
// that divide the channels of the one-row images Q, K and V, and one requant entry.
std::string matmul_problem(const QGraph& graph, const QNode& node) {
  const auto& a = graph.tensor(node.inputs.at(0));
  const auto& b = graph.tensor(node.inputs.at(1));
  const bool scores = node.matmul_form == quant::MatMulForm::Scores;
  const auto one_row_image = [](const quant::QTensor& t) { return t.shape.size() == 4 && t.shape[0] == 1 && t.shape[2] == 1; };
  if (!one_row_image(b) || (scores && !one_row_image(a)) || (!scores && a.shape.size() != 3)) {
    return "operands are not attention's (one-row images of tokens, and the [h, T, T'] probabilities); the matmul "
           "kernel runs attention's two products";
  }
  if (node.matmul_heads < 1 || dim(b, 1) % node.matmul_heads != 0) {
    return fmt::format("{} heads do not divide {} channels", node.matmul_heads, dim(b, 1));
  }
  if (node.requant.channels() != 1) return "more than one requant entry; the matmul kernel requantises per tensor";
  if (!node.bias.empty()) {
    // The cores sum in 32-bit registers: the bias and every product of the reduction must fit.
    const std::int64_t products = (dim(b, 1) / node.matmul_heads) * 255 * 255;
    std::int64_t largest = 0;
    for (std::int64_t i = 0; i < node.bias.numel(); ++i) largest = std::max(largest, std::abs(node.bias.as_int64(i)));
    if (largest + products > std::numeric_limits<std::int32_t>::max()) {
      return fmt::format("the scores' bias reaches {}, so with the products of {} channels the cores' 32-bit sums "
                         "could overflow",
                         largest, dim(b, 1) / node.matmul_heads);
    }
  }
  return {};
}

// The mul kernel broadcasts its second operand only: the operand of the output's shape goes
// first (the product commutes), the other must be 1 or the output's in each NCHW dimension.
std::string order_mul_operands(const QGraph& graph, PLayer& layer) {
  const auto& out = graph.tensor(layer.output);
  const auto aligned = [&](int t) {
    const auto& shape = graph.tensor(t).shape;
    std::vector<std::int64_t> nchw(out.shape.size(), 1);
    for (std::size_t k = 0; k < shape.size() && k < nchw.size(); ++k) nchw[nchw.size() - 1 - k] = shape[shape.size() - 1 - k];
    return shape.size() <= out.shape.size() ? nchw : shape;
  };
  if (aligned(layer.inputs.at(0)) != out.shape) std::swap(layer.inputs.at(0), layer.inputs.at(1));
  if (aligned(layer.inputs.at(0)) != out.shape) {
    return "neither operand has the output's shape; the mul kernel broadcasts its second operand only";
  }
  const std::vector<std::int64_t> b = aligned(layer.inputs.at(1));
  for (std::size_t d = 0; d < b.size(); ++d) {
    if (b[d] != 1 && b[d] != out.shape[d]) {
      return fmt::format("operand '{}' does not broadcast to the output", graph.tensor(layer.inputs.at(1)).name);
    }
  }
  if (out.shape.size() != 4 || b[0] != 1) return "the mul kernel multiplies NCHW tensors of batch 1";
  return {};
}

}  // namespace

const char* kernel_type_name(KernelKind kind) { return isa::pulp::kernel_kind_name(kind); }

PixelDims pixel_dims(const quant::QTensor& t) {
  const auto u32 = [](std::int64_t v) { return static_cast<std::uint32_t>(v); };
  if (t.shape.size() == 3) return {u32(t.shape[2]), u32(t.shape[0] * t.shape[1]), 1};
  return {u32(dim(t, 1)), u32(dim(t, 2)), u32(dim(t, 3))};
}

quant::QGraph with_constant_copies(const QGraph& graph) {
  QGraph lowered = graph;
  lowered.nodes.clear();
  for (const QNode& node : graph.nodes) {
    QNode reader = node;
    if (node.kind == QOpKind::Concat) {
      for (int& input : reader.inputs) {
        if (!graph.tensor(input).is_constant()) continue;
        quant::QTensor copy = graph.tensor(input);
        copy.name += "_copy";
        copy.data = Tensor{};
        lowered.tensors.push_back(copy);
        QNode pool;
        pool.kind = QOpKind::MaxPool;  // 1x1, stride 1: a copy, of the same type and scale
        pool.name = node.name + "/copy_" + graph.tensor(input).name;
        pool.inputs = {input};
        pool.output = static_cast<int>(lowered.tensors.size()) - 1;
        lowered.nodes.push_back(pool);
        input = pool.output;
      }
    }
    lowered.nodes.push_back(std::move(reader));
  }
  return lowered;
}

bool reads_regrouped(const LayerMapping& mapping, int tensor) {
  for (auto it = mapping.aliases.find(tensor); it != mapping.aliases.end(); it = mapping.aliases.find(tensor)) {
    if (mapping.regrouped.count(tensor) != 0) return true;
    tensor = it->second;
  }
  return false;
}

int resolve_alias(const LayerMapping& mapping, int tensor) {
  for (auto it = mapping.aliases.find(tensor); it != mapping.aliases.end(); it = mapping.aliases.find(tensor)) {
    tensor = it->second;
  }
  return tensor;
}

LayerMapping map_layers(const QGraph& graph) {
  LayerMapping mapping;
  const auto unsupported = [&](const QNode& node, const std::string& why) {
    mapping.unsupported.push_back(fmt::format("node '{}' ({}): {}", node.name, quant::qop_name(node.kind), why));
  };
  const std::map<int, int> owners = concat_owners(graph);
  for (std::size_t n = 0; n < graph.nodes.size(); ++n) {
    const QNode& node = graph.nodes[n];
    // An add reads a constant from the L3 image like a second input; so does the copy layer a
    // concat's constant gets (with_constant_copies: a max pool).
    if (node.kind != QOpKind::Add && node.kind != QOpKind::Concat && node.kind != QOpKind::MaxPool) {
      const auto constant = std::find_if(node.inputs.begin(), node.inputs.end(),
                                         [&](int t) { return graph.tensor(t).is_constant(); });
      if (constant != node.inputs.end()) {
        unsupported(node, fmt::format("reads the constant '{}'; only an add (or a concat's copy) reads a constant "
                                      "operand, from the L3 image",
                                      graph.tensor(*constant).name));
        continue;
      }
    }
    if (node.kind == QOpKind::Reshape || node.kind == QOpKind::HwcReshape) {
      // Stored HWC, both keep their input's bytes: views, no layer.
      mapping.aliases[node.output] = resolve_alias(mapping, node.inputs.at(0));
      if (node.kind == QOpKind::HwcReshape) mapping.regrouped.insert(node.output);
      continue;
    }
    if (node.kind == QOpKind::Concat) {
      if (const std::string problem = place_concat(graph, node, owners.at(static_cast<int>(n)), mapping);
          !problem.empty()) {
        unsupported(node, problem);
      }
      continue;
    }
    std::string problem = tensor_problem(graph, node);
    if (problem.empty() && node.kind != QOpKind::Add) problem = window_problem(node);
    for (const int t : node.inputs) {
      if (problem.empty() && reads_regrouped(mapping, t)) {
        problem = fmt::format("reads '{}', an image's pixels regrouped as tokens in place (HwcReshape); only a concat "
                              "along W or the network's output reads it",
                              graph.tensor(t).name);
      }
    }
    PLayer layer;
    layer.name = node.name;
    layer.node = static_cast<int>(n);
    layer.output = node.output;
    for (const int t : node.inputs) layer.inputs.push_back(resolve_alias(mapping, t));
    const auto& in = graph.tensor(layer.inputs.at(0));
    const auto& out = graph.tensor(node.output);
    switch (node.kind) {
      case QOpKind::Conv: {
        const std::int64_t channels = dim(in, 1);
        if (node.group == 1) {
          const bool one_pixel = dim(in, 2) == 1 && dim(in, 3) == 1 && dim(out, 2) == 1 && dim(out, 3) == 1;
          layer.kind = one_pixel && is_pointwise(node) ? isa::pulp::KERNEL_LINEAR
                       : is_pointwise(node)            ? isa::pulp::KERNEL_POINTWISE
                                                       : isa::pulp::KERNEL_CONV;
        } else if (node.group == channels && dim(out, 1) == channels) {
          layer.kind = isa::pulp::KERNEL_DEPTHWISE;
        } else {
          // Any other grouping (a depthwise multiplier included) runs the grouped conv kernel.
          layer.kind = isa::pulp::KERNEL_GROUPED_CONV;
          if (problem.empty()) problem = grouping_problem(node, channels, dim(out, 1));
        }
        layer.macs = quant::conv_macs(graph, node);
        layer.ops = 2 * layer.macs;
        break;
      }
      case QOpKind::Add:
        layer.kind = isa::pulp::KERNEL_ADD;
        // Stored HWC, an operand of the output's channels and pixel count is the output's
        // bytes (Swin's window attention returns tokens [1, C, 1, H W] to a stage of [1, C, H, W]).
        if (problem.empty() && (!same_bytes(graph.tensor(layer.inputs.at(1)), out) || !same_bytes(in, out))) {
          problem = "broadcasting add; the add kernel adds two tensors of one shape";
        }
        if (problem.empty() && in.is_constant() && graph.tensor(layer.inputs.at(1)).is_constant()) {
          problem = "both operands are constants; nothing computes them at run time";
        }
        layer.ops = quant::element_count(out);
        break;
      case QOpKind::MaxPool:
      case QOpKind::AvgPool:
        layer.kind = node.kind == QOpKind::MaxPool ? isa::pulp::KERNEL_MAXPOOL : isa::pulp::KERNEL_AVGPOOL;
        layer.ops = quant::pool_ops(graph, node);
        break;
      case QOpKind::Lut:
        layer.kind = isa::pulp::KERNEL_LUT;
        // A Flatten between (MobileNetV3's classifier) keeps the bytes: a 1x1 image's HWC is its flat order.
        if (problem.empty() && in.shape != out.shape &&
            (quant::element_count(in) != quant::element_count(out) || dim(in, 2) != 1 || dim(in, 3) != 1)) {
          problem = "input and output shapes differ; a table lookup keeps the shape";
        }
        layer.ops = quant::element_count(out);
        break;
      case QOpKind::ChannelGather:
        // Data movement: 0 ops (DESIGN.md 4.4 counts arithmetic; xDNN's gather counts the same).
        layer.kind = isa::pulp::KERNEL_GATHER;
        if (problem.empty() && dim(in, 1) > 65536) problem = "more than 65536 input channels; the index table is uint16";
        if (problem.empty() && node.gather_channels.empty()) problem = "no output channels";
        break;
      case QOpKind::Softmax: {
        // Over the channels of each row: an [N, C] (or [N, C, 1, 1]) row is a 1x1 image of C
        // channels, whose HWC bytes are its flat order (so a Flatten between reads the same bytes).
        // Attention's scores [h, T, T'] are h T pixels of T' channels (pixel_dims): the softmax
        // over the keys is the kernel's over each pixel's channels.
        layer.kind = isa::pulp::KERNEL_SOFTMAX;
        const bool rows = in.shape.size() == 3 && in.shape == out.shape;
        if (problem.empty() && !rows &&
            (dim(in, 2) != 1 || dim(in, 3) != 1 || dim(out, 2) != 1 || dim(out, 3) != 1 ||
             quant::element_count(in) != quant::element_count(out))) {
          problem = "not over the channels of one pixel; the softmax kernel normalises each pixel's channels";
        }
        if (problem.empty() && out.is_signed) problem = "a signed output; the softmax kernel writes uint8 probabilities";
        // Swin's shifted-window mask: region labels of W windows of L tokens on the rows
        // [W h, L, L] (the QGraph's verifier checks the shape); the kernel reads them as bytes.
        if (problem.empty() && !node.softmax_labels.empty() && (!rows || dim(out, 2) > 256)) {
          problem = "region labels on other than windowed scores [W h, L, L] of at most 256 tokens a window";
        }
        if (problem.empty() && dim(out, 1) > 65535) {
          problem = "more than 65535 channels; the softmax kernel's row sum is a 32-bit register";
        }
        if (problem.empty() &&
            node.softmax_exp_table.size() != static_cast<std::size_t>(quant::kSoftmaxTableEntries)) {
          problem = fmt::format("{} exp table entries, not {}", node.softmax_exp_table.size(),
                                quant::kSoftmaxTableEntries);
        }
        layer.ops = isa::kSoftmaxOpsPerElement * quant::element_count(out);  // as xDNN's host softmax
        break;
      }
      case QOpKind::Mul:
        layer.kind = isa::pulp::KERNEL_MUL;
        if (problem.empty()) problem = order_mul_operands(graph, layer);
        layer.ops = quant::element_count(out);
        break;
      case QOpKind::Resize:
        layer.kind = isa::pulp::KERNEL_RESIZE;
        if (problem.empty()) problem = resize_problem(graph, node);
        // As xDNN's host resize counts it (isa/op_counts.h): per output element 4 reads, 3
        // multiply-adds, the rounding.
        layer.ops = isa::kResizeOpsPerElement * quant::element_count(out);
        break;
      case QOpKind::LayerNorm:
        // Over the channels of each pixel (an [N, C] row is a 1x1 image of C channels).
        layer.kind = isa::pulp::KERNEL_LAYERNORM;
        if (problem.empty()) problem = layernorm_problem(graph, node);
        layer.ops = isa::kLayerNormOpsPerElement * quant::element_count(out);  // isa/op_counts.h
        break;
      case QOpKind::MatMul:
        layer.kind = isa::pulp::KERNEL_MATMUL;
        if (problem.empty()) problem = matmul_problem(graph, node);
        layer.macs = quant::matmul_macs(graph, node);
        layer.ops = 2 * layer.macs;
        break;
      case QOpKind::PixelGather:
        // Swin's moved pixels: the cluster DMA copies runs of whole pixels, the cores do nothing
        // (compiler/pulp/pixel_gather_layer.h).
        layer.kind = isa::pulp::KERNEL_PIXEL_COPY;
        if (problem.empty() && (in.shape.size() != 4 || out.shape.size() != 4 || dim(in, 1) != dim(out, 1))) {
          problem = "a gather of pixels reads and writes images [1, C, H, W] of the same channels";
        }
        break;
      default: problem = "no PULP-NN kernel"; break;
    }
    if (!problem.empty()) {
      unsupported(node, problem);
      continue;
    }
    mapping.layers.push_back(std::move(layer));
  }
  return mapping;
}

}  // namespace wb::pulp
