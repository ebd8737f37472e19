#pragma once
// KERNEL_RESIZE's functional kernel (isa/pulp.proto): nearest or bilinear, per output pixel the
// four taps its row and column table entries name, quant::resize_value's arithmetic written
// again here (the golden model checks it). Apart from sim/pulp/kernels/kernels.cpp, which dispatches.

#include <cstdint>
#include <span>
#include <string>

#include "isa/pulp.pb.h"

namespace wb::sim::pulp {

// The bytes of one table entry: 4 little-endian uint16 (first, second, Q8 weight, 0).
inline constexpr std::uint64_t kResizeEntryBytes = 8;

// Bytes of the call's tables at `weights`: resize_table_rows + resize_table_cols entries.
std::uint64_t resize_table_bytes(const isa::pulp::KernelCall& call);

// "" or what the call's fields get wrong for a resize: the tile's entries beyond the tables, a
// channel count that changes, a type that changes, a parallel other than HO, a window.
std::string resize_call_problem(const isa::pulp::KernelCall& call);

// Runs a well-formed resize call on the L1 bytes. The tables are data (they arrive by DMA): an
// index outside the tile's input or a weight above 256 is a UserError naming the entry, raised
// before any output byte is written.
void run_resize(const isa::pulp::KernelCall& call, std::span<std::uint8_t> l1);

}  // namespace wb::sim::pulp
