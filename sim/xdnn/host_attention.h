#pragma once
// The host model's arithmetic for attention (isa/xdnn.proto, HOST_MATMUL and
// HOST_SOFTMAX_ROWS), written from the program's contract, not from compiler/golden: the two
// products of self-attention per head, and the softmax over the keys of each query's row. A
// rank-3 [h, T, T'] tensor is the image (h T) x 1 x T' (channel k T + i, pixel j).

#include <cstdint>
#include <string>
#include <vector>

#include "isa/xdnn.pb.h"
#include "sim/xdnn/memory.h"

namespace wb::sim::xdnn {

// "" when a HOST_MATMUL's operands, output, heads and requant fit each other, else why not.
std::string host_matmul_problem(const isa::xdnn::HostElementwise& h);

// The output (dense, channels x height x width) of a HOST_MATMUL of dense a and b.
std::vector<std::int32_t> host_matmul(const isa::xdnn::HostElementwise& h, const DenseTensor& a, const DenseTensor& b);

// Multiply-accumulates of a HOST_MATMUL (the host's compute time counts 2 ops each, as the
// array's MACs count in DESIGN.md §4.4).
std::uint64_t host_matmul_macs(const isa::xdnn::HostElementwise& h);

// The softmax of one row of n 8-bit values x[i * stride] into y[i * stride]: m = max x,
// e = exp_table[x - m + 255], y = min(255, (e * 256 + sum(e) / 2) / sum(e)). The table is
// checked before the run (256 entries, the last 65536, so the sum is never 0).
// With `labels` (n entries, one per element), only the elements labelled `label` count: the
// others are out of the max and the sum and get 0 (Swin's shifted-window mask). Only the first
// `kept` elements count (a causal mask: the keys up to the query's position); the rest get 0.
void softmax_row(const std::int32_t* x, std::int32_t* y, std::size_t n, std::size_t stride,
                 const google::protobuf::RepeatedField<std::int32_t>& exp_table, const std::int32_t* labels = nullptr,
                 std::int32_t label = 0, std::size_t kept = SIZE_MAX);

// HOST_SOFTMAX_ROWS: softmax_row over the W elements of each (channel, row) of a; with
// softmax_labels (W L region labels, isa/xdnn.proto), each row keeps its query's region; with
// softmax_causal_queries Q, row r keeps the keys up to r % Q + softmax_causal_offset.
std::vector<std::int32_t> host_softmax_rows(const DenseTensor& a, const isa::xdnn::HostElementwise& h);

}  // namespace wb::sim::xdnn
