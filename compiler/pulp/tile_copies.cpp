#include "compiler/pulp/tile_copies.h"

#include <algorithm>
#include <stdexcept>

#include "isa/pulp_program.h"

namespace wb::pulp {

namespace {

using isa::pulp::is_matmul;

}  // namespace

TileAddresses costing_addresses(const LayerShape& s) {
  TileAddresses at;
  at.input = L2View{0, 0, s.w_in, s.c_in, 0};
  at.input_b = s.kind == isa::pulp::KERNEL_MUL ? L2View{0, 0, s.b_w, s.b_c, 0} : at.input;
  at.output = L2View{0, 0, s.w_out, s.c_out, 0};
  return at;
}

isa::pulp::KernelCall tile_kernel_call(const LayerShape& s, const TileGeometry& g, isa::pulp::Parallel parallel,
                                       const TileAddresses& at, bool depthwise_plane, bool input_chw) {
  isa::pulp::KernelCall call;
  call.set_kind(s.kind);
  call.set_parallel(parallel);
  call.set_input(at.l1_input);
  call.set_input_b(at.l1_input_b);
  call.set_output(at.l1_output);
  call.set_weights(at.l1_weights);
  call.set_bias(at.l1_bias);
  call.set_im2col(at.l1_im2col);
  call.set_h_in(g.rows.in_size);
  call.set_w_in(g.cols.in_size);
  call.set_c_in(g.cin_size);
  call.set_h_out(g.rows.out_size);
  call.set_w_out(g.cols.out_size);
  call.set_c_out(g.c_size);
  call.set_k_h(s.k_h);
  call.set_k_w(s.k_w);
  call.set_stride_h(s.stride_h);
  call.set_stride_w(s.stride_w);
  call.set_dilation_h(s.dilation_h);
  call.set_dilation_w(s.dilation_w);
  call.set_pad_top(g.rows.pad_before);
  call.set_pad_bottom(g.rows.pad_after);
  call.set_pad_left(g.cols.pad_before);
  call.set_pad_right(g.cols.pad_after);
  if (s.kind == isa::pulp::KERNEL_GROUPED_CONV) call.set_groups(g.c_size / s.group_c_out());
  call.set_depthwise_plane(depthwise_plane);
  call.set_input_chw(input_chw);
  if (s.kind == isa::pulp::KERNEL_RESIZE) {
    call.set_resize_row0(g.rows.out_begin);
    call.set_resize_col0(g.cols.out_begin);
    call.set_resize_input_row0(g.rows.in_begin);
    call.set_resize_input_col0(g.cols.in_begin);
    call.set_resize_table_rows(static_cast<std::uint32_t>(s.resize_rows->size() / 3));
    call.set_resize_table_cols(static_cast<std::uint32_t>(s.resize_cols->size() / 3));
  }
  if (s.kind == isa::pulp::KERNEL_SOFTMAX && s.softmax_labels) {
    call.set_softmax_label_tokens(s.softmax_label_tokens);
    call.set_softmax_label_heads(s.softmax_label_heads);
    call.set_softmax_label_windows(s.softmax_label_windows);
    call.set_softmax_row0(g.rows.out_begin);
  }
  if (s.kind == isa::pulp::KERNEL_SOFTMAX && s.softmax_causal_queries > 0) {
    call.set_softmax_causal_queries(s.softmax_causal_queries);
    call.set_softmax_causal_offset(s.softmax_causal_offset);
    call.set_softmax_row0(g.rows.out_begin);
  }
  if (s.kind == isa::pulp::KERNEL_MUL) {
    call.set_b_h(s.b_h == 1 ? 1 : g.rows.out_size);
    call.set_b_w(s.b_w == 1 ? 1 : g.cols.out_size);
    call.set_b_c(s.b_c == 1 ? 1 : g.c_size);
  }
  if (is_matmul(s.kind) && g.cin_size < s.c_in) {
    call.set_cin_tiled(true);
    call.set_first_cin_tile(g.cin_begin == 0);
    call.set_last_cin_tile(g.cin_begin + g.cin_size == s.c_in);
    call.set_accumulator(at.l1_accumulator);
  }
  return call;
}

isa::pulp::DmaCopy hwc_block_copy(const L2View& view, std::uint32_t row, std::uint32_t col, std::uint32_t c,
                                  std::uint32_t rows, std::uint32_t cols, std::uint32_t cs, std::uint64_t l1,
                                  bool to_l1, isa::pulp::Memory near_memory) {
  isa::pulp::DmaCopy copy;
  const std::uint64_t pixel = view.channels;
  const std::uint64_t row_stride = std::uint64_t{view.width} * pixel;
  if (view.ring_rows != 0 && row % view.ring_rows + rows > view.ring_rows) {
    throw std::logic_error("hwc_block_copy: rows wrap around a ring view (use hwc_block_copies)");
  }
  const std::uint64_t view_row = view.ring_rows != 0 ? row % view.ring_rows : std::uint64_t{row} - view.row0;
  const std::uint64_t far = view.address + view_row * row_stride + std::uint64_t{col} * pixel + (c - view.c0);
  const std::uint64_t dense_row = std::uint64_t{cols} * cs;
  std::uint64_t far_stride, near_stride, chunk, count, far_row_stride = 0, near_row_stride = 0, copy_rows = 0;
  if (cs == view.channels) {
    // Whole pixels: each row of the block is one contiguous run.
    chunk = dense_row;
    count = rows;
    far_stride = row_stride;
    near_stride = dense_row;
  } else {
    chunk = cs;
    count = cols;
    far_stride = pixel;
    near_stride = cs;
    copy_rows = rows;
    far_row_stride = row_stride;
    near_row_stride = dense_row;
  }
  if (to_l1) {
    copy.set_source_memory(view.memory);
    copy.set_source(far);
    copy.set_source_stride(far_stride);
    copy.set_source_row_stride(far_row_stride);
    copy.set_destination_memory(near_memory);
    copy.set_destination(l1);
    copy.set_destination_stride(near_stride);
    copy.set_destination_row_stride(near_row_stride);
  } else {
    copy.set_source_memory(near_memory);
    copy.set_source(l1);
    copy.set_source_stride(near_stride);
    copy.set_source_row_stride(near_row_stride);
    copy.set_destination_memory(view.memory);
    copy.set_destination(far);
    copy.set_destination_stride(far_stride);
    copy.set_destination_row_stride(far_row_stride);
  }
  copy.set_chunk_bytes(chunk);
  copy.set_count(count);
  copy.set_rows(copy_rows);
  return copy;
}

std::vector<isa::pulp::DmaCopy> hwc_block_copies(const L2View& view, std::uint32_t row, std::uint32_t col,
                                                 std::uint32_t c, std::uint32_t rows, std::uint32_t cols,
                                                 std::uint32_t cs, std::uint64_t l1, bool to_l1) {
  const std::uint32_t before_wrap = view.ring_rows == 0 ? rows : std::min(rows, view.ring_rows - row % view.ring_rows);
  std::vector<isa::pulp::DmaCopy> copies{hwc_block_copy(view, row, col, c, before_wrap, cols, cs, l1, to_l1)};
  if (before_wrap < rows) {
    const std::uint64_t dense_row = std::uint64_t{cols} * cs;
    copies.push_back(hwc_block_copy(view, row + before_wrap, col, c, rows - before_wrap, cols, cs,
                                    l1 + before_wrap * dense_row, to_l1));
  }
  return copies;
}

std::vector<isa::pulp::DmaCopy> depthwise_chw_copies(const L2View& view, std::uint32_t row, std::uint32_t col,
                                                     std::uint32_t c, std::uint32_t rows, std::uint32_t cols,
                                                     std::uint32_t cs, std::uint64_t l1) {
  std::vector<isa::pulp::DmaCopy> copies;
  const std::uint64_t plane = std::uint64_t{rows} * cols;
  // Each channel a block of one channel: rows of `cols` single bytes, `channels` apart in L2 and
  // dense in its plane.
  for (std::uint32_t ch = 0; ch < cs; ++ch) {
    copies.push_back(hwc_block_copy(view, row, col, c + ch, rows, cols, 1, l1 + ch * plane, true));
  }
  return copies;
}

std::vector<isa::pulp::DmaCopy> tile_input_copies(const LayerShape& s, const TileGeometry& g, bool input, bool weights,
                                                  const TileAddresses& at, bool input_chw) {
  std::vector<isa::pulp::DmaCopy> copies;
  if (input && input_chw && g.rows.in_size > 0 && g.cols.in_size > 0) {
    for (const auto& c : depthwise_chw_copies(at.input, g.rows.in_begin, g.cols.in_begin, g.cin_begin,
                                              g.rows.in_size, g.cols.in_size, g.cin_size, at.l1_input)) {
      copies.push_back(c);
    }
  } else if (input && g.rows.in_size > 0 && g.cols.in_size > 0) {
    for (const auto& copy : hwc_block_copies(at.input, g.rows.in_begin, g.cols.in_begin, g.cin_begin, g.rows.in_size,
                                             g.cols.in_size, g.cin_size, at.l1_input, true)) {
      copies.push_back(copy);
    }
    if (s.kind == isa::pulp::KERNEL_ADD) {
      for (const auto& copy : hwc_block_copies(at.input_b, g.rows.in_begin, g.cols.in_begin, g.cin_begin,
                                               g.rows.in_size, g.cols.in_size, g.cin_size, at.l1_input_b, true)) {
        copies.push_back(copy);
      }
    } else if (s.kind == isa::pulp::KERNEL_MUL) {
      // The slice of the broadcast operand the tile reads (the SE gate's: its channels).
      const bool rows = s.b_h != 1, cols = s.b_w != 1, channels = s.b_c != 1;
      copies.push_back(hwc_block_copy(at.input_b, rows ? g.rows.in_begin : 0, cols ? g.cols.in_begin : 0,
                                      channels ? g.cin_begin : 0, rows ? g.rows.in_size : 1,
                                      cols ? g.cols.in_size : 1, channels ? g.cin_size : 1, at.l1_input_b, true));
    }
  }
  if (weights && table_bytes(s) > 0) {
    isa::pulp::DmaCopy table;
    table.set_source_memory(isa::pulp::MEMORY_L2);
    table.set_source(at.weights);
    table.set_destination_memory(isa::pulp::MEMORY_L1);
    table.set_destination(at.l1_weights);
    table.set_chunk_bytes(table_bytes(s));
    table.set_count(1);
    copies.push_back(table);
  }
  if (weights && isa::pulp::has_weights(s.kind)) {
    const std::uint64_t window = std::uint64_t{s.k_h} * s.k_w;
    const std::uint64_t per_channel = window * (is_matmul(s.kind)                            ? s.c_in
                                                : s.kind == isa::pulp::KERNEL_GROUPED_CONV ? s.group_c_in()
                                                                                           : 1);
    isa::pulp::DmaCopy w;
    w.set_source_memory(isa::pulp::MEMORY_L2);
    w.set_source(at.weights + (g.c_begin - at.weights_c0) * per_channel);
    w.set_destination_memory(isa::pulp::MEMORY_L1);
    w.set_destination(at.l1_weights);
    if (is_matmul(s.kind) && g.cin_size < s.c_in) {
      // [c][k_h][k_w][cin0 .. cin0 + cins) of [c][k_h][k_w][c_in]: rows of output channels,
      // chunks of input channels per kernel position.
      w.set_source(w.source() + g.cin_begin);
      w.set_chunk_bytes(g.cin_size);
      w.set_count(window);
      w.set_source_stride(s.c_in);
      w.set_destination_stride(g.cin_size);
      w.set_rows(g.c_size);
      w.set_source_row_stride(per_channel);
      w.set_destination_row_stride(window * g.cin_size);
    } else {
      w.set_chunk_bytes(per_channel * g.c_size);
      w.set_count(1);
    }
    copies.push_back(w);
    isa::pulp::DmaCopy b;
    b.set_source_memory(isa::pulp::MEMORY_L2);
    b.set_source(at.bias + 4 * std::uint64_t{g.c_begin - at.weights_c0});
    b.set_destination_memory(isa::pulp::MEMORY_L1);
    b.set_destination(at.l1_bias);
    b.set_chunk_bytes(4 * std::uint64_t{g.c_size});
    b.set_count(1);
    copies.push_back(b);
  }
  return copies;
}

isa::pulp::DmaCopy tile_output_copy(const LayerShape&, const TileGeometry& g, const TileAddresses& at) {
  return hwc_block_copy(at.output, g.rows.out_begin, g.cols.out_begin, g.c_begin, g.rows.out_size, g.cols.out_size,
                        g.c_size, at.l1_output, false);
}

std::vector<isa::pulp::DmaCopy> tile_output_copies(const LayerShape&, const TileGeometry& g, const TileAddresses& at) {
  return hwc_block_copies(at.output, g.rows.out_begin, g.cols.out_begin, g.c_begin, g.rows.out_size, g.cols.out_size,
                          g.c_size, at.l1_output, false);
}

}  // namespace wb::pulp
