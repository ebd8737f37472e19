#pragma once
// DDR layout: the weight blob first (weight_packing.h), then, each 64-byte aligned, one home
// per buffer that needs one and the scratch areas of concat copies and channel gathers, in
// the order emission first asks for them. A home is where a buffer lives in DDR: a network
// input or output, a spilled or DDR-resident buffer, a host layer's operand or result.
//
// Network inputs and outputs sit in their homes compactly, channels innermost (the host's HWC
// image: no section padding), and so do the operands and results of host elementwise layers
// (the host CPU reads dense tensors); every other buffer's home is its AM image. The copies
// between a home and AM follow from that (home_copies).
//
// Pre: a buffer plan of the mapping. Post: homes and scratch areas disjoint, after the
// weights; bytes_used() covers them all.

#include <cstdint>
#include <vector>

#include "compiler/quant/qgraph.h"
#include "compiler/xdnn/am_allocation.h"
#include "compiler/xdnn/buffer_plan.h"
#include "compiler/xdnn/layer_mapping.h"
#include "compiler/xdnn/row_tiling.h"
#include "isa/xdnn.pb.h"

namespace wb::xdnn {

inline constexpr std::uint64_t kDdrAlignment = 64;

class DdrLayout {
 public:
  // Homes and scratch start after `weight_bytes` of weights at address 0.
  DdrLayout(const quant::QGraph& graph, const LayerMapping& mapping, const BufferPlan& plan, std::uint64_t weight_bytes);

  // The buffer is read or written by a Lut, Mul or Softmax on the host.
  bool host_elementwise_operand(int buffer) const;
  // Its home is dense, channels innermost (else it is the buffer's AM image).
  bool compact(int buffer) const;
  // The layout of the buffer's home.
  isa::xdnn::TensorLayout home_layout(int buffer) const;
  // The address of the buffer's home, placed at the first call.
  std::uint64_t home(int buffer);
  // Tensor `tensor` (a slice of its buffer) in its buffer's home.
  isa::xdnn::Region region(int tensor);
  // A fresh area of `bytes` (a concat copy's or a gather's way through DDR).
  std::uint64_t scratch(std::uint64_t bytes);
  // End of the highest area placed so far.
  std::uint64_t bytes_used() const { return cursor_; }

  // Copies of rows `rows` of channels [c0, c1) of a buffer between its home and AM at
  // `am_address`, where AM holds exactly those rows of the buffer (all of them, or a stripe),
  // in the direction `kind` (upload: DDR -> AM). Whole sections of a home that is the AM
  // image go as one copy of their rows (one linear copy when the rows are all of them); a
  // compact home, or part of a section, as one 3-D gather/scatter per section.
  std::vector<isa::xdnn::Copy> home_copies(Transfer::Kind kind, int buffer, std::uint64_t am_address, RowRange rows,
                                           std::uint32_t c0, std::uint32_t c1);

 private:
  const quant::QGraph& graph_;
  const LayerMapping& mapping_;
  const BufferPlan& plan_;
  std::vector<std::uint64_t> home_;  // by buffer; kUnplaced until asked for
  std::vector<bool> host_elementwise_operand_;
  std::uint64_t cursor_ = 0;
};

}  // namespace wb::xdnn
