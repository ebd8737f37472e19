#include "tests/unit/sim/xdnn/xdnn_sim_testing.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <stdexcept>

#include "isa/xdnn_program.h"
#include "tests/support/test_paths.h"

namespace wb::test::xdnn {

HwConfig config(const std::string& name, const std::vector<std::string>& overrides) {
  return load_hw_config(source_dir() / "configs" / (name + ".yaml"), overrides);
}

x::TensorLayout layout(std::uint32_t c, std::uint32_t h, std::uint32_t w, const LayoutSpec& spec) {
  x::TensorLayout l;
  l.set_channels(c);
  l.set_height(h);
  l.set_width(w);
  l.set_section_channels(spec.section);
  l.set_width_stride(spec.width_stride != 0 ? spec.width_stride : w);
  l.set_replication(spec.replication);
  l.set_element_bytes(spec.element_bytes);
  l.set_is_signed(spec.is_signed);
  l.set_channel_offset(spec.channel_offset);
  l.set_buffer_channels(spec.buffer_channels != 0 ? spec.buffer_channels
                                                  : (spec.channel_offset + c) * spec.replication);
  return l;
}

x::Region region(x::Memory memory, std::uint64_t address, const x::TensorLayout& layout) {
  x::Region r;
  r.set_memory(memory);
  r.set_address(address);
  *r.mutable_layout() = layout;
  return r;
}

x::Window window(std::uint32_t k, std::uint32_t stride, std::uint32_t pad, std::uint32_t dilation) {
  x::Window w;
  w.set_kernel_h(k);
  w.set_kernel_w(k);
  w.set_stride_h(stride);
  w.set_stride_w(stride);
  w.set_pad_top(pad);
  w.set_pad_left(pad);
  w.set_pad_bottom(pad);
  w.set_pad_right(pad);
  w.set_dilation_h(dilation);
  w.set_dilation_w(dilation);
  return w;
}

isa::Requant requant(std::vector<std::int64_t> multiplier, std::vector<std::int64_t> offset,
                   std::vector<std::int32_t> shift, std::int64_t lo, std::int64_t hi, std::uint32_t intermediate_bits) {
  isa::Requant r;
  for (auto v : multiplier) r.add_multiplier(v);
  for (auto v : offset) r.add_offset(v);
  for (auto v : shift) r.add_shift(v);
  r.set_lo(lo);
  r.set_hi(hi);
  r.set_intermediate_bits(intermediate_bits);
  return r;
}

std::uint64_t bytes_of(const x::TensorLayout& l) {
  const std::uint64_t sections = (l.buffer_channels() + l.section_channels() - 1) / l.section_channels();
  return sections * l.height() * l.width_stride() * l.section_channels() * l.element_bytes();
}

ProgramBuilder::ProgramBuilder() {
  program_.mutable_header()->set_format_version(isa::xdnn::kXdnnFormatVersion);
  program_.mutable_header()->set_target("xdnn");
  program_.set_weights_address(kWeightsAddress);
}

std::uint64_t ProgramBuilder::add_weights(const std::vector<std::int32_t>& weights, std::uint32_t bytes) {
  std::string& blob = *program_.mutable_weights();
  const std::uint64_t address = program_.weights_address() + blob.size();
  for (const std::int32_t w : weights) {
    blob.push_back(static_cast<char>(w & 0xff));
    if (bytes == 2) blob.push_back(static_cast<char>((w >> 8) & 0xff));
  }
  return address;
}

std::uint64_t ProgramBuilder::ddr(std::uint64_t bytes) {
  const std::uint64_t address = (ddr_next_ + 63) / 64 * 64;
  ddr_next_ = address + bytes;
  if (ddr_next_ > kWeightsAddress) throw std::invalid_argument("ProgramBuilder: DDR activations reach the weights");
  return address;
}

std::uint64_t ProgramBuilder::am(std::uint64_t bytes) {
  const std::uint64_t address = (am_next_ + 63) / 64 * 64;
  am_next_ = address + bytes;
  return address;
}

x::Layer& ProgramBuilder::layer(const std::string& name, const std::string& type, const x::Region& output,
                                const std::string& output_name) {
  x::Layer& l = *program_.add_layers();
  l.set_name(name);
  l.set_type(type);
  l.set_output(output_name.empty() ? name + ":out" : output_name);
  *l.mutable_output_region() = output;
  l.set_output_materialized(true);
  return l;
}

x::Instr& ProgramBuilder::instr(const std::string& layer) {
  x::Instr& i = *program_.add_instrs();
  i.set_id(static_cast<std::uint32_t>(program_.instrs_size() - 1));
  i.set_layer(layer);
  return i;
}

x::IoTensor& ProgramBuilder::input(const std::string& name, std::vector<std::int64_t> shape, const x::Region& region) {
  x::IoTensor& io = *program_.add_inputs();
  io.set_name(name);
  for (auto d : shape) io.add_shape(d);
  *io.mutable_region() = region;
  io.set_scale(1.0);
  io.set_bits(8 * region.layout().element_bytes());
  return io;
}

x::IoTensor& ProgramBuilder::output(const std::string& name, std::vector<std::int64_t> shape, const x::Region& region) {
  x::IoTensor& io = *program_.add_outputs();
  io.set_name(name);
  for (auto d : shape) io.add_shape(d);
  *io.mutable_region() = region;
  io.set_scale(1.0);
  io.set_bits(8 * region.layout().element_bytes());
  return io;
}

x::Instr& ProgramBuilder::load_weights(const std::string& layer, std::uint64_t source, std::uint64_t destination,
                                       std::uint64_t bytes) {
  x::Instr& i = instr(layer);
  x::Copy& c = *i.mutable_load_weights();
  c.set_source_memory(x::MEMORY_DDR);
  c.set_source(source);
  c.set_destination_memory(x::MEMORY_FILTER_CACHE);
  c.set_destination(destination);
  c.set_chunk_bytes(bytes);
  c.set_count(1);
  c.set_source_stride(bytes);
  c.set_destination_stride(bytes);
  return i;
}

const x::Program& ProgramBuilder::program() {
  program_.set_ddr_bytes_used(kWeightsAddress + program_.weights().size());
  return program_;
}

std::uint32_t out_size(std::uint32_t in, std::uint32_t k, std::uint32_t stride, std::uint32_t pad_lo,
                       std::uint32_t pad_hi, std::uint32_t dilation) {
  return (in + pad_lo + pad_hi - dilation * (k - 1) - 1) / stride + 1;
}

x::Conv& set_conv(x::Instr& instr, const ConvSpec& spec) {
  x::Conv& c = *instr.mutable_conv();
  *c.mutable_input() = spec.input;
  *c.mutable_output() = spec.output;
  *c.mutable_window() = spec.window;
  c.set_groups(spec.groups);
  c.set_filter_address(spec.filter_address);
  c.set_weight_bytes(spec.weight_bytes);
  for (auto b : spec.bias) c.add_bias(b);
  *c.mutable_requant() = spec.requant;
  const std::uint32_t ih = spec.input_height != 0 ? spec.input_height : spec.input.layout().height();
  const std::uint32_t iw = spec.input_width != 0 ? spec.input_width : spec.input.layout().width();
  c.set_input_height(ih);
  c.set_input_width(iw);
  const x::Window& w = spec.window;
  c.set_conv_height(out_size(ih, w.kernel_h(), w.stride_h(), w.pad_top(), w.pad_bottom(), w.dilation_h()));
  c.set_conv_width(out_size(iw, w.kernel_w(), w.stride_w(), w.pad_left(), w.pad_right(), w.dilation_w()));
  c.set_row_begin(0);
  c.set_row_end(spec.output.layout().height());
  return c;
}

Dense dense(const IntTensor& t) {
  std::uint32_t c = 1, h = 1, w = 1;
  if (t.shape.size() == 4) {
    c = static_cast<std::uint32_t>(t.shape[1]);
    h = static_cast<std::uint32_t>(t.shape[2]);
    w = static_cast<std::uint32_t>(t.shape[3]);
  } else if (t.shape.size() == 2) {
    c = static_cast<std::uint32_t>(t.shape[1]);
  } else {
    throw std::invalid_argument("dense: shape must be NCHW or NC");
  }
  Dense d(c, h, w);
  if (t.values.size() != d.v.size()) throw std::invalid_argument("dense: size mismatch");
  std::copy(t.values.begin(), t.values.end(), d.v.begin());
  return d;
}

IntTensor tensor(const Dense& d) {
  IntTensor t;
  t.shape = {1, d.c, d.h, d.w};
  for (auto v : d.v) t.values.push_back(static_cast<std::int32_t>(v));
  return t;
}

__extension__ typedef __int128 Wide;  // GCC's 128-bit integer, without -Wpedantic's complaint

std::int64_t ref_rshift_round(std::int64_t v, int s) {
  if (s == 0) return v;
  if (s > 0) return static_cast<std::int64_t>((static_cast<Wide>(v) + (static_cast<Wide>(1) << (s - 1))) >> s);
  return static_cast<std::int64_t>(static_cast<Wide>(v) * (static_cast<Wide>(1) << -s));
}

std::int64_t ref_requant(std::int64_t v, const isa::Requant& r, std::size_t c) {
  const auto pick = [c](const auto& field) {
    return field.size() == 1 ? field.Get(0) : field.Get(static_cast<int>(c));
  };
  std::int64_t y = ref_rshift_round(v * pick(r.multiplier()) + pick(r.offset()), pick(r.shift()));
  if (r.intermediate_bits() == 16) {
    y &= 0xffff;
    if (y >= 0x8000) y -= 0x10000;
  }
  return std::min(std::max(y, r.lo()), r.hi());
}

Dense ref_conv(const Dense& in, const std::vector<std::int32_t>& weights, const std::vector<std::int32_t>& bias,
               std::uint32_t cout, std::uint32_t groups, const x::Window& w, const isa::Requant& r) {
  const std::uint32_t cin_g = in.c / groups, cout_g = cout / groups;
  Dense out(cout, out_size(in.h, w.kernel_h(), w.stride_h(), w.pad_top(), w.pad_bottom(), w.dilation_h()),
            out_size(in.w, w.kernel_w(), w.stride_w(), w.pad_left(), w.pad_right(), w.dilation_w()));
  for (std::uint32_t co = 0; co < cout; ++co) {
    const std::uint32_t g = co / cout_g;
    for (std::uint32_t oy = 0; oy < out.h; ++oy) {
      for (std::uint32_t ox = 0; ox < out.w; ++ox) {
        std::int64_t acc = bias.empty() ? 0 : bias[co];
        for (std::uint32_t ci = 0; ci < cin_g; ++ci) {
          for (std::uint32_t ky = 0; ky < w.kernel_h(); ++ky) {
            for (std::uint32_t kx = 0; kx < w.kernel_w(); ++kx) {
              const std::int64_t iy = std::int64_t{oy} * w.stride_h() - w.pad_top() + std::int64_t{ky} * w.dilation_h();
              const std::int64_t ix =
                  std::int64_t{ox} * w.stride_w() - w.pad_left() + std::int64_t{kx} * w.dilation_w();
              if (iy < 0 || ix < 0 || iy >= in.h || ix >= in.w) continue;
              const std::size_t wi = ((std::size_t{co} * cin_g + ci) * w.kernel_h() + ky) * w.kernel_w() + kx;
              acc += std::int64_t{weights[wi]} *
                     in.at(g * cin_g + ci, static_cast<std::uint32_t>(iy), static_cast<std::uint32_t>(ix));
            }
          }
        }
        out.at(co, oy, ox) = ref_requant(acc, r, co);
      }
    }
  }
  return out;
}

Dense ref_pool(const Dense& in, const x::Pool& pool) {
  const x::Window& w = pool.window();
  Dense out(in.c, out_size(in.h, w.kernel_h(), w.stride_h(), w.pad_top(), w.pad_bottom(), w.dilation_h()),
            out_size(in.w, w.kernel_w(), w.stride_w(), w.pad_left(), w.pad_right(), w.dilation_w()));
  for (std::uint32_t c = 0; c < in.c; ++c) {
    for (std::uint32_t oy = 0; oy < out.h; ++oy) {
      for (std::uint32_t ox = 0; ox < out.w; ++ox) {
        std::int64_t acc = pool.kind() == x::POOL_MAX ? std::numeric_limits<std::int64_t>::min() : 0;
        for (std::uint32_t ky = 0; ky < w.kernel_h(); ++ky) {
          for (std::uint32_t kx = 0; kx < w.kernel_w(); ++kx) {
            const std::int64_t iy = std::int64_t{oy} * w.stride_h() - w.pad_top() + std::int64_t{ky} * w.dilation_h();
            const std::int64_t ix = std::int64_t{ox} * w.stride_w() - w.pad_left() + std::int64_t{kx} * w.dilation_w();
            if (iy < 0 || ix < 0 || iy >= in.h || ix >= in.w) continue;  // padding: 0 for AVG, never wins for MAX
            const std::int64_t v = in.at(c, static_cast<std::uint32_t>(iy), static_cast<std::uint32_t>(ix));
            acc = pool.kind() == x::POOL_MAX ? std::max(acc, v) : acc + v;
          }
        }
        out.at(c, oy, ox) = pool.kind() == x::POOL_AVG ? ref_requant(acc, pool.requant(), c) : acc;
      }
    }
  }
  return out;
}

Dense ref_eltwise(const Dense& a, const Dense& b, std::int64_t m0, std::int64_t m1, const isa::Requant& r) {
  Dense out(a.c, a.h, a.w);
  for (std::uint32_t c = 0; c < a.c; ++c) {
    for (std::uint32_t y = 0; y < a.h; ++y) {
      for (std::uint32_t xx = 0; xx < a.w; ++xx)
        out.at(c, y, xx) = ref_requant(a.at(c, y, xx) * m0 + b.at(c, y, xx) * m1, r, c);
    }
  }
  return out;
}

std::vector<std::int32_t> random_values(std::size_t count, std::int32_t lo, std::int32_t hi, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<std::int32_t> dist(lo, hi);
  std::vector<std::int32_t> v(count);
  for (auto& e : v) e = dist(rng);
  return v;
}

IntTensor random_tensor(std::uint32_t c, std::uint32_t h, std::uint32_t w, std::int32_t lo, std::int32_t hi,
                        std::uint32_t seed) {
  return IntTensor{{1, c, h, w}, random_values(std::size_t{c} * h * w, lo, hi, seed)};
}

sim::xdnn::SimOptions capture_options() {
  sim::xdnn::SimOptions o;
  o.capture_layer_outputs = true;
  return o;
}

sim::xdnn::SimOptions timing_only() {
  sim::xdnn::SimOptions o;
  o.data = false;
  return o;
}

sim::xdnn::SimOptions trace_options(const std::filesystem::path& trace) {
  sim::xdnn::SimOptions o;
  o.trace_path = trace;
  return o;
}

const sim::xdnn::LayerStats& layer_stats(const sim::xdnn::SimResult& result, const std::string& name) {
  for (const auto& l : result.layers) {
    if (l.name == name) return l;
  }
  throw std::invalid_argument("no layer " + name);
}

const sim::xdnn::UnitStats& unit_stats(const sim::xdnn::SimResult& result, const std::string& name_part) {
  for (const auto& u : result.units) {
    if (u.unit.find(name_part) != std::string::npos) return u;
  }
  throw std::invalid_argument("no unit named like " + name_part);
}

}  // namespace wb::test::xdnn
