// The instruction fields taken from QGraph nodes: windows, a row stripe's window (padding only
// where the whole tensor's window has it, checked against every output row's reach) and the
// requant of a range of output channels.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "compiler/xdnn/instruction_fields.h"

namespace wb::xdnn {
namespace {

quant::QNode window_node(std::int64_t k, std::int64_t stride, std::int64_t pad_begin, std::int64_t pad_end,
                         std::int64_t dilation = 1) {
  quant::QNode node;
  node.kind = quant::QOpKind::MaxPool;
  node.kernel = {k, k + 1};
  node.strides = {stride, stride + 1};
  node.dilations = {dilation, 1};
  node.pads_begin = {pad_begin, pad_begin + 1};
  node.pads_end = {pad_end, pad_end + 2};
  return node;
}

TEST(InstructionFields, AWindowIsTheNodesGeometry) {
  const isa::xdnn::Window w = window_of(window_node(3, 2, 1, 0, 2));
  EXPECT_EQ(std::vector<std::uint32_t>({w.kernel_h(), w.kernel_w(), w.stride_h(), w.stride_w(), w.pad_top(),
                                        w.pad_left(), w.pad_bottom(), w.pad_right(), w.dilation_h(), w.dilation_w()}),
            (std::vector<std::uint32_t>{3, 4, 2, 3, 1, 2, 0, 2, 2, 1}));
}

// A stripe of output rows [begin, end) reading input rows [in_begin, in_end): the padding at
// its top is the rows its first output row reaches above in_begin, at its bottom the rows its
// last output row reaches at or past in_end (never negative); columns keep the whole window.
TEST(InstructionFields, AStripesWindowPadsWhereItsRowsReachPastItsInput) {
  for (const std::int64_t k : {1, 2, 3, 5}) {
    for (const std::int64_t stride : {1, 2}) {
      for (const std::int64_t dilation : {1, 2}) {
        for (std::int64_t pad = 0; pad < k; ++pad) {
          const std::int64_t height = 12;
          const std::int64_t reach = (k - 1) * dilation + 1;
          if (height + 2 * pad < reach) continue;
          const auto out_rows = static_cast<std::uint32_t>((height + 2 * pad - reach) / stride + 1);
          const quant::QNode node = window_node(k, stride, pad, pad, dilation);
          for (std::uint32_t begin = 0; begin < out_rows; ++begin) {
            for (std::uint32_t end = begin + 1; end <= out_rows; ++end) {
              // The input rows the stripe reads, clipped to the tensor (as row_tiling brings them up).
              const std::int64_t first = std::int64_t{begin} * stride - pad;
              const std::int64_t last = (std::int64_t{end} - 1) * stride - pad + reach - 1;
              const auto in_begin = static_cast<std::uint32_t>(std::max<std::int64_t>(first, 0));
              const auto in_end = static_cast<std::uint32_t>(std::min<std::int64_t>(last + 1, height));
              SCOPED_TRACE(testing::Message() << "k" << k << " s" << stride << " d" << dilation << " p" << pad
                                              << " rows " << begin << ".." << end);
              const isa::xdnn::Window w = window_of_rows(node, {begin, end}, in_begin, in_end);
              EXPECT_EQ(w.pad_top(), static_cast<std::uint32_t>(in_begin - first));
              EXPECT_EQ(w.pad_bottom(), static_cast<std::uint32_t>(std::max<std::int64_t>(last + 1 - in_end, 0)));
              // Inside the tensor there is no padding.
              if (begin > 0 && first >= 0) {
                EXPECT_EQ(w.pad_top(), 0u);
              }
              if (last < height) {
                EXPECT_EQ(w.pad_bottom(), 0u);
              }
              EXPECT_EQ(w.pad_left(), static_cast<std::uint32_t>(pad + 1));
              EXPECT_EQ(w.pad_right(), static_cast<std::uint32_t>(pad + 2));
              EXPECT_EQ(w.kernel_h(), static_cast<std::uint32_t>(k));
            }
          }
        }
      }
    }
  }
}

TEST(InstructionFields, ARequantIsSlicedWhereItIsPerChannel) {
  quant::Requant r;
  r.multiplier = {10, 11, 12, 13, 14};
  r.offset = {7};  // one for every channel
  r.shift = {3, 4, 5, 6, -1};
  r.lo = -128;
  r.hi = 127;
  r.intermediate_bits = 16;
  const isa::Requant slice = requant_of(r, 1, 4, 5);
  EXPECT_EQ(std::vector<std::int64_t>(slice.multiplier().begin(), slice.multiplier().end()),
            (std::vector<std::int64_t>{11, 12, 13}));
  EXPECT_EQ(std::vector<std::int64_t>(slice.offset().begin(), slice.offset().end()), (std::vector<std::int64_t>{7}));
  EXPECT_EQ(std::vector<std::int32_t>(slice.shift().begin(), slice.shift().end()), (std::vector<std::int32_t>{4, 5, 6}));
  EXPECT_EQ(slice.lo(), -128);
  EXPECT_EQ(slice.hi(), 127);
  EXPECT_EQ(slice.intermediate_bits(), 16u);
  // The last channel alone, with its negative (left) shift.
  const isa::Requant last = requant_of(r, 4, 5, 5);
  EXPECT_EQ(last.multiplier(0), 14);
  EXPECT_EQ(last.shift(0), -1);
  // One channel in all: nothing to slice.
  quant::Requant one;
  one.multiplier = {3};
  one.offset = {1};
  one.shift = {2};
  const isa::Requant whole = requant_of(one, 0, 1, 1);
  EXPECT_EQ(whole.multiplier_size(), 1);
  EXPECT_EQ(whole.shift(0), 2);
}

}  // namespace
}  // namespace wb::xdnn
