#include "sim/pulp/tensor_io.h"

namespace wb::sim::pulp {

namespace {

struct Dims {
  std::uint64_t c = 1, h = 1, w = 1;
};

Dims dims_of(const std::vector<std::int64_t>& shape) {
  Dims d;
  if (shape.size() >= 2) d.c = static_cast<std::uint64_t>(shape[1]);
  if (shape.size() >= 3) d.h = static_cast<std::uint64_t>(shape[2]);
  if (shape.size() >= 4) d.w = static_cast<std::uint64_t>(shape[3]);
  return d;
}

}  // namespace

std::uint64_t hwc_bytes(const std::vector<std::int64_t>& shape) {
  const Dims d = dims_of(shape);
  return d.c * d.h * d.w;
}

void write_hwc(std::vector<std::uint8_t>& memory, std::uint64_t address, const IntTensor& t) {
  const Dims d = dims_of(t.shape);
  for (std::uint64_t c = 0; c < d.c; ++c) {
    for (std::uint64_t h = 0; h < d.h; ++h) {
      for (std::uint64_t w = 0; w < d.w; ++w) {
        memory[address + (h * d.w + w) * d.c + c] =
            static_cast<std::uint8_t>(t.values[(c * d.h + h) * d.w + w] & 0xff);
      }
    }
  }
}

IntTensor read_hwc(const std::vector<std::uint8_t>& memory, std::uint64_t address,
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
        t.values[(c * d.h + h) * d.w + w] = is_signed ? static_cast<std::int8_t>(byte) : byte;
      }
    }
  }
  return t;
}

}  // namespace wb::sim::pulp
