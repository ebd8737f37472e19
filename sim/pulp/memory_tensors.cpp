#include "sim/pulp/memory_tensors.h"

#include <fmt/format.h>

#include "isa/extent.h"

namespace wb::sim::pulp {

namespace {

// Far above any tensor's dimension; keeps h * w * c inside 64 bits.
constexpr std::int64_t kMaxTensorDim = 1 << 20;

struct Dims {
  std::uint64_t c = 1, h = 1, w = 1;
  // A 3-D tensor [a, b, n] (attention's scores, [heads, queries, keys]) is rows of n: stored
  // row-major, which is HWC with a * b pixels of n channels, and its values are in that order.
  bool rows = false;
  std::uint64_t value_index(std::uint64_t ch, std::uint64_t y, std::uint64_t x) const {
    return rows ? (y * w + x) * c + ch : (ch * h + y) * w + x;
  }
};

Dims dims_of(const std::vector<std::int64_t>& shape) {
  Dims d;
  if (shape.size() == 3) {
    d.rows = true;
    d.c = static_cast<std::uint64_t>(shape[2]);
    d.h = static_cast<std::uint64_t>(shape[0] * shape[1]);
    return d;
  }
  if (shape.size() >= 2) d.c = static_cast<std::uint64_t>(shape[1]);
  if (shape.size() >= 3) d.h = static_cast<std::uint64_t>(shape[2]);
  if (shape.size() >= 4) d.w = static_cast<std::uint64_t>(shape[3]);
  return d;
}

}  // namespace

void write_token_ids(std::span<std::uint8_t> memory, std::uint64_t address, const IntTensor& t) {
  for (std::size_t i = 0; i < t.values.size(); ++i) {
    const auto id = static_cast<std::uint16_t>(t.values[i]);
    memory[address + 2 * i] = static_cast<std::uint8_t>(id & 0xff);
    memory[address + 2 * i + 1] = static_cast<std::uint8_t>(id >> 8);
  }
}

std::uint64_t hwc_bytes(const std::vector<std::int64_t>& shape) {
  const Dims d = dims_of(shape);
  return d.c * d.h * d.w;
}

std::string hwc_problem(std::uint64_t memory_bytes, std::uint64_t address, const std::vector<std::int64_t>& shape,
                        std::uint64_t pixel_bytes) {
  if (shape.empty() || shape.size() > 4) return fmt::format("a shape of {} dimensions (1 to 4)", shape.size());
  for (const std::int64_t d : shape) {
    if (d < 1 || d > kMaxTensorDim) return fmt::format("shape dimension {} outside [1, {}]", d, kMaxTensorDim);
  }
  if (shape[0] != 1 && shape.size() != 3) return fmt::format("batch {} (the cluster runs batch 1)", shape[0]);
  const Dims d = dims_of(shape);
  const std::uint64_t pixel = pixel_bytes != 0 ? pixel_bytes : d.c;
  if (pixel < d.c || pixel > kMaxTensorDim) return fmt::format("pixel stride {} for {} channels", pixel, d.c);
  const auto span = isa::strided_span(1, 0, d.h * d.w, pixel, d.c);
  if (!span || !isa::inside(address, *span, memory_bytes)) {
    return fmt::format("{}x{}x{} bytes at {} lie outside its memory ({} bytes)", d.h, d.w, d.c, address, memory_bytes);
  }
  return {};
}

void write_hwc(std::span<std::uint8_t> memory, std::uint64_t address, const IntTensor& t) {
  const Dims d = dims_of(t.shape);
  for (std::uint64_t c = 0; c < d.c; ++c) {
    for (std::uint64_t h = 0; h < d.h; ++h) {
      for (std::uint64_t w = 0; w < d.w; ++w) {
        memory[address + (h * d.w + w) * d.c + c] =
            static_cast<std::uint8_t>(t.values[d.value_index(c, h, w)] & 0xff);
      }
    }
  }
}

IntTensor read_hwc(std::span<const std::uint8_t> memory, std::uint64_t address,
                   const std::vector<std::int64_t>& shape, bool is_signed, std::uint64_t pixel_bytes) {
  const Dims d = dims_of(shape);
  const std::uint64_t pixel = pixel_bytes != 0 ? pixel_bytes : d.c;
  IntTensor t;
  t.shape = shape;
  t.values.resize(d.c * d.h * d.w);
  for (std::uint64_t c = 0; c < d.c; ++c) {
    for (std::uint64_t h = 0; h < d.h; ++h) {
      for (std::uint64_t w = 0; w < d.w; ++w) {
        const std::uint8_t byte = memory[address + (h * d.w + w) * pixel + c];
        t.values[d.value_index(c, h, w)] = is_signed ? static_cast<std::int8_t>(byte) : byte;
      }
    }
  }
  return t;
}

}  // namespace wb::sim::pulp
