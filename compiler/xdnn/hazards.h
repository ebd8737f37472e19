#pragma once
// Dependency flags: the controller issues instructions in order, and each unit runs its own
// in order; before an instruction issues it waits for every earlier instruction of each
// flagged unit. The tracker sets the fewest flags that order every conflicting pair of
// accesses (read-after-write, write-after-read, write-after-write on overlapping bytes and
// channels), using what earlier waits already guarantee (a unit's completion implies the
// completion of everything its own instructions waited for).

#include <array>
#include <cstdint>
#include <vector>

#include "isa/xdnn.pb.h"
#include "isa/xdnn_access.h"

namespace wb::xdnn {

enum class Unit { Upload, Download, Conv, Pool, Eltwise, Weights, Host, kCount };
inline constexpr std::size_t kUnitCount = static_cast<std::size_t>(Unit::kCount);

using isa::xdnn::Access;

class HazardTracker {
 public:
  // Returns the flags instruction `accesses` on `unit` must wait on, and records it.
  isa::xdnn::Wait add(Unit unit, const std::vector<Access>& accesses);

 private:
  using Clock = std::array<std::uint64_t, kUnitCount>;
  struct Pending {
    std::uint64_t index;  // position within its unit
    std::vector<Access> accesses;
    Clock clock;          // what was known complete when it issued
  };
  std::array<std::vector<Pending>, kUnitCount> pending_{};
  std::array<std::uint64_t, kUnitCount> issued_{};
  Clock known_{};  // per unit: instructions known complete at the controller
};

}  // namespace wb::xdnn
