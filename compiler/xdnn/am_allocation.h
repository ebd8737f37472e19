#pragma once
// AM allocation over a schedule. Each buffer is live from the step of its first writer (the
// step of its first reader for a network input, which is uploaded then) to the step of its
// last use. Four offline strategies place every buffer at one address for its whole life:
// `top` (time order, lowest fitting address), `bottom` (time order, highest), `bysize`
// (largest first, lowest address; xfDNN's) and `bestfit` (time order, the smallest gap that
// fits). `auto` tries them in that order and keeps the first that fits, else the smallest
// extent. When none fits, an online allocator walks the schedule and spills to DDR: the
// victims are the resident buffers whose next use is furthest away (Belady), downloaded
// when their data is still needed and uploaded again before their next use. A DDR-resident
// buffer (row_tiling.h) takes no AM; its stripe buffers are allocated like any other.
//
// Pre: a schedule of the plan's layers. Post: per step, the AM address of every buffer the
// layer touches and the DDR transfers to do before and after it; or a UserError naming the
// layer that cannot fit and the smallest AM that would work.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "compiler/xdnn/buffer_plan.h"
#include "compiler/xdnn/schedule.h"

namespace wb::xdnn {

struct Transfer {
  enum class Kind { Upload, Download } kind;
  int buffer = -1;
  std::uint64_t am_address = 0;
  bool spill = false;  // a spill or refill (false: network input/output traffic)
};

struct AllocationStep {
  std::vector<Transfer> before;           // uploads (and spill downloads) before the layer
  std::map<int, std::uint64_t> address;   // buffer -> AM address, for the buffers the layer touches
  std::vector<Transfer> after;            // downloads after the layer (network outputs)
};

struct Interval {
  int first = 0, last = 0;  // steps, inclusive
};

struct Allocation {
  std::string strategy;                  // the strategy kept ("top", ..., "spill")
  std::vector<AllocationStep> steps;     // one per scheduled layer
  std::uint64_t extent_bytes = 0;        // highest AM address used + 1
  std::uint64_t spill_download_bytes = 0;
  std::uint64_t spill_upload_bytes = 0;
  int spilled_buffers = 0;
  std::map<std::string, std::uint64_t> strategy_extents;  // offline strategies tried -> extent (0: did not fit)
};

// Buffers' live intervals over `order` (steps), as described above; first > last for a
// buffer nobody touches.
std::vector<Interval> live_intervals(const BufferPlan& plan, const std::vector<int>& order);

// `layer_names` index by layer, for the error message.
Allocation allocate_am(const BufferPlan& plan, const Schedule& schedule, std::uint64_t am_bytes,
                       AllocatorChoice choice, const std::vector<std::string>& layer_names);

}  // namespace wb::xdnn
