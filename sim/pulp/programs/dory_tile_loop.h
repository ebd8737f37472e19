#pragma once
// DORY 2021's layer loop as the cluster's cores run it (tiler=dory: isa/pulp.proto's
// Tiling.dory_tile_loop). Every core runs DORY's generated layer function: per tile it steps the
// loop's indices and double-buffer offsets, programs its share of the next tile's copies, fills
// the kernel's 27 arguments and meets a team barrier; after the kernel it meets another, waits for
// the DMA, programs its share of the write-back and meets a third (DORY 6d01e9c,
// templates/layer_templates/layer_template.c). The ops are that code compiled and run
// (tests/bench/dory_tile_loop/, docs/pulp.md "DORY's tile loop"), in sim/pulp/programs/dory_tile_loop_ops.inc.
// The DMA transfers a core programs are added per core: DORY's copy functions split a copy's rows
// over the cores, `ceil(rows / cores)` each, one transfer per row of an input tile and one per
// pixel of an output tile, each transfer three writes to the DMA's queue and the loop's four ops.

#include <cstdint>
#include <string_view>
#include <vector>

#include "sim/pulp/cores/core_ops.h"

namespace wb::sim::pulp {

enum class DoryStretch {
  Entry,   // the layer's code up to its first kernel call (the constants' and first tile's copies)
  Before,  // a later tile's code before its kernel call (the next tile's copies, the arguments)
  After,   // the code after a kernel call (the DMA wait, the write-back's copies, the loop's end)
};

// The ops each transfer a core programs costs: three stores to the DMA's command queue (a
// cluster peripheral, not an L1 bank), three address updates, the loop's taken branch.
inline constexpr std::uint32_t kDoryOpsPerTransfer = 7;

// The cores' programs of one stretch: `depthwise` picks the template's depthwise code (else its
// convolution code); `transfers[c]` are the DMA transfers core c programs in it; `stack_tops[c]`
// where core c's stack ends (its loads and stores hit the stack at the compiled code's offsets).
std::vector<CoreProgram> dory_tile_loop_programs(DoryStretch stretch, bool depthwise,
                                                 const std::vector<std::uint32_t>& transfers,
                                                 const std::vector<std::uint32_t>& stack_tops);

// DORY's split of `rows` rows over `cores` cores: core c's share, ceil(rows / cores) or what is left.
std::uint32_t dory_rows_of_core(std::uint32_t rows, int cores, int core);

// The op text of one stretch as the table holds it ("A", "B", "D", "|", "L<offset>[+]",
// "S<offset>"): a std::invalid_argument names the first token that is none of these.
CoreProgram parse_dory_ops(std::string_view text, std::uint32_t stack_top);

}  // namespace wb::sim::pulp
