#include "compiler/pulp/l3_image.h"

#include <fmt/format.h>

#include <stdexcept>

#include "compiler/pulp/tile_geometry.h"
#include "isa/pulp_program.h"

namespace wb::pulp {

namespace {

using quant::QGraph;

// Padding keeps every entry word-aligned.
void pad_to_alignment(std::string& image) {
  while (image.size() % kL3ImageAlign != 0) image.push_back(0);
}

// The input channels one output channel reads: all, its group's or (depthwise) its own.
std::uint32_t channels_per_filter(const LayerShape& s) {
  if (s.kind == isa::pulp::KERNEL_DEPTHWISE) return 1;
  if (s.kind == isa::pulp::KERNEL_GROUPED_CONV) return s.group_c_in();
  return s.c_in;
}

}  // namespace

std::uint64_t per_channel_weights(const LayerShape& s) {
  return std::uint64_t{s.k_h} * s.k_w * channels_per_filter(s);
}

void append_weights(const QGraph& graph, const PLayer& layer, const LayerShape& s, std::string& image) {
  const quant::QNode& node = graph.nodes[static_cast<std::size_t>(layer.node)];
  const std::int64_t cin_g = channels_per_filter(s);
  image.reserve(image.size() + static_cast<std::size_t>(node.weights.numel() + 4 * s.c_out + kL3ImageAlign));
  // The scheme's weights are int8: read them as such (any other type element by element).
  const std::int8_t* int8 = node.weights.dtype() == DType::I8 ? node.weights.data<std::int8_t>() : nullptr;
  for (std::int64_t co = 0; co < s.c_out; ++co) {
    for (std::int64_t kh = 0; kh < s.k_h; ++kh) {
      for (std::int64_t kw = 0; kw < s.k_w; ++kw) {
        for (std::int64_t ci = 0; ci < cin_g; ++ci) {
          const std::int64_t index = ((co * cin_g + ci) * s.k_h + kh) * s.k_w + kw;
          const std::int8_t w = int8 != nullptr ? int8[index] : static_cast<std::int8_t>(node.weights.as_int64(index));
          image.push_back(static_cast<char>(w));
        }
      }
    }
  }
  for (std::int64_t co = 0; co < s.c_out; ++co) {
    const auto b = static_cast<std::uint32_t>(
        static_cast<std::int32_t>(node.bias.numel() > 0 ? node.bias.as_int64(co) : 0));
    for (int byte = 0; byte < 4; ++byte) image.push_back(static_cast<char>((b >> (8 * byte)) & 0xffu));
  }
  pad_to_alignment(image);
}

void append_table(const QGraph& graph, const PLayer& layer, const LayerShape& s, std::string& image) {
  const quant::QNode& node = graph.nodes[static_cast<std::size_t>(layer.node)];
  if (s.kind == isa::pulp::KERNEL_MATMUL) {
    for (std::int64_t i = 0; i < node.bias.numel(); ++i) {
      const auto v = static_cast<std::uint32_t>(static_cast<std::int32_t>(node.bias.as_int64(i)));
      for (int byte = 0; byte < 4; ++byte) image.push_back(static_cast<char>((v >> (8 * byte)) & 0xffu));
    }
  } else if (s.kind == isa::pulp::KERNEL_SOFTMAX) {
    if (node.softmax_exp_table.size() * 4 != kSoftmaxTableBytes) {
      throw std::logic_error(fmt::format("softmax '{}' has {} exp table entries, not {}", node.name,
                                         node.softmax_exp_table.size(), kSoftmaxTableBytes / 4));
    }
    for (const std::int64_t entry : node.softmax_exp_table) {
      const auto e = static_cast<std::uint32_t>(entry);
      for (int byte = 0; byte < 4; ++byte) image.push_back(static_cast<char>((e >> (8 * byte)) & 0xffu));
    }
    if (s.softmax_labels) {
      for (const std::uint8_t label : *s.softmax_labels) image.push_back(static_cast<char>(label));
    }
  } else if (s.kind == isa::pulp::KERNEL_LAYERNORM) {
    const auto put = [&](std::int64_t v, int bytes) {
      const auto u = static_cast<std::uint64_t>(v);
      for (int byte = 0; byte < bytes; ++byte) image.push_back(static_cast<char>((u >> (8 * byte)) & 0xffu));
    };
    for (const std::int64_t g : node.layernorm.gamma_multiplier) put(g, 4);
    for (const std::int64_t b : node.layernorm.beta_offset) put(b, 8);
  } else if (s.kind == isa::pulp::KERNEL_RESIZE) {
    const auto put_u16 = [&](std::int64_t v) {
      image.push_back(static_cast<char>(v & 0xff));
      image.push_back(static_cast<char>((v >> 8) & 0xff));
    };
    for (const auto* taps : {&node.resize_rows, &node.resize_cols}) {
      for (std::size_t i = 0; i + 2 < taps->size(); i += 3) {
        put_u16((*taps)[i]);
        put_u16((*taps)[i + 1]);
        put_u16((*taps)[i + 2]);
        put_u16(0);
      }
    }
  } else if (s.kind == isa::pulp::KERNEL_LUT) {
    if (node.lut_table.size() != kLutTableBytes) {
      throw std::logic_error(fmt::format("lut '{}' has {} table entries, not {}", node.name, node.lut_table.size(),
                                         kLutTableBytes));
    }
    for (const std::int64_t entry : node.lut_table) image.push_back(static_cast<char>(entry & 0xff));
  } else {
    // Indices into the channels a tile reads, which start at gather_first.
    for (const std::int64_t channel : node.gather_channels) {
      const std::int64_t index = channel - s.gather_first;
      image.push_back(static_cast<char>(index & 0xff));
      image.push_back(static_cast<char>((index >> 8) & 0xff));
    }
  }
  pad_to_alignment(image);
}

void append_constant(const quant::QTensor& t, std::string& image) {
  const PixelDims d = pixel_dims(t);
  const std::uint64_t pixels = std::uint64_t{d.h} * d.w;
  const bool rows = t.shape.size() == 3;
  for (std::uint64_t p = 0; p < pixels; ++p) {
    for (std::uint64_t c = 0; c < d.c; ++c) {
      const std::uint64_t index = rows ? p * d.c + c : c * pixels + p;
      image.push_back(static_cast<char>(t.data.as_int64(static_cast<std::int64_t>(index)) & 0xff));
    }
  }
  pad_to_alignment(image);
}

}  // namespace wb::pulp
