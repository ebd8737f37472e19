#pragma once
// Hand-built xDNN programs for the simulator's unit tests, and a naive NCHW reference of
// the overlay's arithmetic (docs/quant.md, isa/xdnn.proto) written independently of both
// sim/xdnn and compiler/golden: plain loops over dense tensors, no hardware layouts.

#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "isa/hw_config.h"
#include "isa/xdnn.pb.h"
#include "sim/xdnn/xdnn_sim.h"

namespace wb::test::xdnn {

namespace x = wb::isa::xdnn;
using wb::sim::xdnn::IntTensor;

HwConfig config(const std::string& name = "v3_96", const std::vector<std::string>& overrides = {});

struct LayoutSpec {
  std::uint32_t section = 96;  // lanes of an AM word
  std::uint32_t element_bytes = 1;
  bool is_signed = true;
  std::uint32_t replication = 1;
  std::uint32_t channel_offset = 0;
  std::uint32_t buffer_channels = 0;  // 0: (channel_offset + channels) * replication
  std::uint32_t width_stride = 0;     // 0: width
};
x::TensorLayout layout(std::uint32_t c, std::uint32_t h, std::uint32_t w, const LayoutSpec& spec = {});
x::Region region(x::Memory memory, std::uint64_t address, const x::TensorLayout& layout);
x::Window window(std::uint32_t k, std::uint32_t stride, std::uint32_t pad, std::uint32_t dilation = 1);
isa::Requant requant(std::vector<std::int64_t> multiplier, std::vector<std::int64_t> offset,
                   std::vector<std::int32_t> shift, std::int64_t lo, std::int64_t hi,
                   std::uint32_t intermediate_bits = 0);
// Every region's bytes (the whole buffer).
std::uint64_t bytes_of(const x::TensorLayout& layout);

// Builds a program: DDR and AM space bump-allocated from 0, the weights blob in DDR at
// kWeightsAddress (1 MiB), after every activation.
class ProgramBuilder {
 public:
  static constexpr std::uint64_t kWeightsAddress = 1u << 20;
  ProgramBuilder();
  // Appends signed weights (1 or 2 bytes each, little-endian) to the blob; returns their DDR address.
  std::uint64_t add_weights(const std::vector<std::int32_t>& weights, std::uint32_t bytes);
  std::uint64_t ddr(std::uint64_t bytes);  // allocates DDR (64-byte aligned)
  std::uint64_t am(std::uint64_t bytes);   // allocates AM (64-byte aligned)
  x::Layer& layer(const std::string& name, const std::string& type, const x::Region& output,
                  const std::string& output_name = "");
  x::Instr& instr(const std::string& layer);  // appended, id = its position
  x::IoTensor& input(const std::string& name, std::vector<std::int64_t> shape, const x::Region& region);
  x::IoTensor& output(const std::string& name, std::vector<std::int64_t> shape, const x::Region& region);
  // load_weights of `bytes` from DDR `source` to filter-cache `destination`.
  x::Instr& load_weights(const std::string& layer, std::uint64_t source, std::uint64_t destination,
                         std::uint64_t bytes);
  // The program, with ddr_bytes_used covering everything allocated.
  const x::Program& program();

 private:
  x::Program program_;
  std::uint64_t ddr_next_ = 0, am_next_ = 0;
};

// A conv instruction's fields for a whole (untiled) conv of `in` into `out`.
struct ConvSpec {
  x::Region input, output;
  x::Window window;
  std::uint32_t groups = 1;
  std::uint64_t filter_address = 0;
  std::uint32_t weight_bytes = 1;
  std::vector<std::int32_t> bias;
  isa::Requant requant;
  std::uint32_t input_height = 0, input_width = 0;  // 0: the input layout's
};
// Fills conv_height/width from the window, rows [0, output height).
x::Conv& set_conv(x::Instr& instr, const ConvSpec& spec);
std::uint32_t out_size(std::uint32_t in, std::uint32_t k, std::uint32_t stride, std::uint32_t pad_lo,
                       std::uint32_t pad_hi, std::uint32_t dilation = 1);

// --- naive reference -----------------------------------------------------------------
struct Dense {
  std::uint32_t c = 0, h = 0, w = 0;
  std::vector<std::int64_t> v;
  Dense() = default;
  Dense(std::uint32_t c_, std::uint32_t h_, std::uint32_t w_) : c(c_), h(h_), w(w_), v(std::size_t{c_} * h_ * w_, 0) {}
  std::int64_t& at(std::uint32_t ci, std::uint32_t y, std::uint32_t xx) {
    return v[(std::size_t{ci} * h + y) * w + xx];
  }
  std::int64_t at(std::uint32_t ci, std::uint32_t y, std::uint32_t xx) const {
    return v[(std::size_t{ci} * h + y) * w + xx];
  }
};
Dense dense(const IntTensor& t);  // NCHW (N = 1) or N, C
IntTensor tensor(const Dense& d);
std::int64_t ref_rshift_round(std::int64_t v, int s);
std::int64_t ref_requant(std::int64_t v, const isa::Requant& r, std::size_t channel);
// Conv (bias, groups, padding, stride, dilation), then requant.
Dense ref_conv(const Dense& in, const std::vector<std::int32_t>& weights, const std::vector<std::int32_t>& bias,
               std::uint32_t cout, std::uint32_t groups, const x::Window& w, const isa::Requant& r);
Dense ref_pool(const Dense& in, const x::Pool& pool);
Dense ref_eltwise(const Dense& a, const Dense& b, std::int64_t m0, std::int64_t m1, const isa::Requant& r);

// Seeded random integers in [lo, hi].
std::vector<std::int32_t> random_values(std::size_t count, std::int32_t lo, std::int32_t hi, std::uint32_t seed);
IntTensor random_tensor(std::uint32_t c, std::uint32_t h, std::uint32_t w, std::int32_t lo, std::int32_t hi,
                        std::uint32_t seed);

// Options other than the defaults.
sim::xdnn::SimOptions capture_options();  // capture_layer_outputs
sim::xdnn::SimOptions timing_only();      // data = false
sim::xdnn::SimOptions trace_options(const std::filesystem::path& trace);

// Lookups in a result.
const sim::xdnn::LayerStats& layer_stats(const sim::xdnn::SimResult& result, const std::string& name);
const sim::xdnn::UnitStats& unit_stats(const sim::xdnn::SimResult& result, const std::string& name_part);

}  // namespace wb::test::xdnn
