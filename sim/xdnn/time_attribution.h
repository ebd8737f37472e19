#pragma once
// Where each layer's time went on the overlay (docs/xdnn.md, "Where the time goes"): its span,
// cut into named causes that add up to it. The span starts when the controller reaches the
// layer's first instruction that is not a weight load; but when that instruction then waited
// for another layer's instruction (on a flag, or in its unit's queue: its input being
// computed, or the unit busy), from the moment that one completed: that wait is the other
// layer's time. Weights prefetched earlier count only inside the span. It ends at the layer's
// last completion. Later instructions' waits, inside the span, are the layer's. Pure
// arithmetic on the instruction records, so it is tested without SystemC.

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

namespace wb::sim::xdnn {

// Highest priority first: when a layer has several things going on at once, the cycle counts
// for the first of them (weights loading while the array computes is compute, not waiting).
enum class TimeCause {
  Array,           // its conv runs on the array
  PoolEltwise,     // its pool or eltwise runs on the pool/eltwise block
  Host,            // its conv or elementwise op runs on the host
  WeightsDdr,      // its weights travel from DDR to the filter cache (or, staged, to AM)
  WeightsAm,       // its weights travel from AM (staged there) to the filter cache
  ActivationDdr,   // its activations travel to or from DDR (copies, and a streamed input the array waits for)
  Queued,          // issued, waiting for its unit to finish another layer's instruction
  DependencyWait,  // the controller holds its instruction on a dependency flag
  Issue,           // the controller issues its instructions, or is still at other layers' (in-order issue)
  kCount
};
inline constexpr std::size_t kTimeCauses = static_cast<std::size_t>(TimeCause::kCount);
// The name reports use: "array", "pool_eltwise", "host", "weights_ddr", "weights_am", "activation_ddr",
// "queued", "dependency_wait", "issue".
std::string_view time_cause_name(TimeCause cause);

// One instruction as the overlay ran it (cycles from the run's start).
struct InstrTiming {
  std::size_t layer = 0;
  TimeCause work = TimeCause::Array;  // what its running time is: Array, PoolEltwise, Host, WeightsDdr, WeightsAm or ActivationDdr
  std::uint64_t issue = 0, stall = 0, start = 0, end = 0;
  // Of [start, end), the cycles the unit computes; the rest is a streamed input's DDR transfer
  // (ActivationDdr). Ignored for the DDR causes.
  std::uint64_t compute = 0;
  bool weight_load = false;       // a load_weights or a staging upload: may run before the span, outside it
  bool waited_for_other = false;  // its flag wait ended with another layer's instruction completing
  bool queued_for_other = false;  // its wait in the unit's queue ended so
};

struct LayerTime {
  std::uint64_t begin = 0, end = 0;  // the span; begin = end for a layer without instructions
  std::array<std::uint64_t, kTimeCauses> cycles{};  // adds up to end - begin
  std::uint64_t span() const { return end - begin; }
};

// Per layer (`layers` of them), from the records of every instruction in program order; issue_cycles is
// xdnn.instr_issue_cycles (the controller's time per instruction before its flags).
std::vector<LayerTime> attribute_time(const std::vector<InstrTiming>& instrs, std::size_t layers,
                                      std::uint64_t issue_cycles);

// The cycles in which two or more spans overlap, counted once per extra layer: the sum of the
// spans minus the length of their union.
std::uint64_t overlapped_cycles(const std::vector<LayerTime>& layers);

}  // namespace wb::sim::xdnn
