#pragma once
// Runs a 2-D copy of either target's programs byte by byte, as the DMA engines do, so that a
// test can check what a compiler's copies move: rows (at least one) of `count` chunks, each
// row and chunk at its own stride. isa::xdnn::Copy and isa::pulp::DmaCopy share the fields.

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace wb::test {

template <class StridedCopy>
void run_strided_copy(const StridedCopy& c, const std::vector<std::uint8_t>& source,
                      std::vector<std::uint8_t>& destination) {
  const std::uint64_t rows = c.rows() == 0 ? 1 : c.rows();
  for (std::uint64_t r = 0; r < rows; ++r) {
    for (std::uint64_t i = 0; i < c.count(); ++i) {
      for (std::uint64_t b = 0; b < c.chunk_bytes(); ++b) {
        const std::uint64_t from = c.source() + r * c.source_row_stride() + i * c.source_stride() + b;
        const std::uint64_t to = c.destination() + r * c.destination_row_stride() + i * c.destination_stride() + b;
        ASSERT_LT(from, source.size());
        ASSERT_LT(to, destination.size());
        destination[to] = source[from];
      }
    }
  }
}

}  // namespace wb::test
