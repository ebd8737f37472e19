#include "sim/pulp/programs/dory_tile_loop.h"

#include <algorithm>
#include <charconv>
#include <stdexcept>
#include <string>

namespace wb::sim::pulp {

namespace {

#include "sim/pulp/programs/dory_tile_loop_ops.inc"

// The compiled code's stack offsets are from the layer function's entry; its caller's frame
// (DORY's network loop) sits above it.
constexpr std::uint32_t kCallerFrameBytes = 16;

std::string_view stretch_ops(DoryStretch stretch, bool depthwise, bool core0) {
  switch (stretch) {
    case DoryStretch::Entry:
      return depthwise ? (core0 ? kDoryDepthwiseEntryCore0 : kDoryDepthwiseEntryOtherCores)
                       : (core0 ? kDoryConvEntryCore0 : kDoryConvEntryOtherCores);
    case DoryStretch::Before:
      return depthwise ? (core0 ? kDoryDepthwiseBeforeCore0 : kDoryDepthwiseBeforeOtherCores)
                       : (core0 ? kDoryConvBeforeCore0 : kDoryConvBeforeOtherCores);
    case DoryStretch::After:
      break;
  }
  return depthwise ? (core0 ? kDoryDepthwiseAfterCore0 : kDoryDepthwiseAfterOtherCores)
                   : (core0 ? kDoryConvAfterCore0 : kDoryConvAfterOtherCores);
}

// Which of the stretch's barriers the transfers come before: the entry programs the first tile's
// copies before its second barrier, a tile's code the next tile's before its first (the one
// before the kernel), the code after a kernel the write-back before its last.
std::size_t transfers_before_barrier(DoryStretch stretch) { return stretch == DoryStretch::Before ? 0 : 1; }

}  // namespace

CoreProgram parse_dory_ops(std::string_view text, std::uint32_t stack_top) {
  CoreProgram program;
  CoreProgramBuilder b(program);
  while (!text.empty()) {
    const std::size_t end = std::min(text.find(' '), text.size());
    const std::string_view token = text.substr(0, end);
    text.remove_prefix(std::min(end + 1, text.size()));
    if (token.empty()) continue;
    if (token == "A") {
      b.alu();
    } else if (token == "B") {
      b.branch();
    } else if (token == "D") {
      b.divide();
    } else if (token == "|") {
      b.barrier();
    } else if (token[0] == 'L' || token[0] == 'S') {
      const bool feeds = token.back() == '+';
      const std::string_view number = token.substr(1, token.size() - 1 - (feeds ? 1 : 0));
      int offset = 0;
      const auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), offset);
      if (ec != std::errc() || ptr != number.data() + number.size() || offset > 0 ||
          static_cast<std::uint32_t>(-offset) + kCallerFrameBytes > stack_top) {
        throw std::invalid_argument("DORY tile-loop op '" + std::string(token) + "': not a stack offset");
      }
      const std::uint32_t address = stack_top - kCallerFrameBytes - static_cast<std::uint32_t>(-offset);
      if (token[0] == 'L') {
        b.load(address, 4, feeds);
      } else {
        b.store(address, 4);
      }
    } else {
      throw std::invalid_argument("DORY tile-loop op '" + std::string(token) + "' is none of A, B, D, |, L, S");
    }
  }
  return program;
}

std::uint32_t dory_rows_of_core(std::uint32_t rows, int cores, int core) {
  if (cores <= 0) return 0;
  const std::uint32_t chunk = (rows + static_cast<std::uint32_t>(cores) - 1) / static_cast<std::uint32_t>(cores);
  const std::uint32_t start = std::min(chunk * static_cast<std::uint32_t>(core), rows);
  return std::min(start + chunk, rows) - start;
}

std::vector<CoreProgram> dory_tile_loop_programs(DoryStretch stretch, bool depthwise,
                                                 const std::vector<std::uint32_t>& transfers,
                                                 const std::vector<std::uint32_t>& stack_tops) {
  std::vector<CoreProgram> programs;
  programs.reserve(stack_tops.size());
  for (std::size_t core = 0; core < stack_tops.size(); ++core) {
    CoreProgram code = parse_dory_ops(stretch_ops(stretch, depthwise, core == 0), stack_tops[core]);
    // The transfers go in before the stretch's chosen barrier.
    std::size_t at = code.size(), seen = 0;
    for (std::size_t i = 0; i < code.size(); ++i) {
      if (code[i].kind != CoreOpKind::Barrier) continue;
      if (seen++ == transfers_before_barrier(stretch)) {
        at = i;
        break;
      }
    }
    CoreProgram transfer_ops;
    CoreProgramBuilder b(transfer_ops);
    const std::uint32_t n = core < transfers.size() ? transfers[core] : 0;
    for (std::uint32_t t = 0; t < n; ++t) {
      b.alu(kDoryOpsPerTransfer - 1);
      b.branch();
    }
    code.insert(code.begin() + static_cast<std::ptrdiff_t>(at), transfer_ops.begin(), transfer_ops.end());
    programs.push_back(std::move(code));
  }
  return programs;
}

}  // namespace wb::sim::pulp
