#pragma once
// Throughput mode (compile option mode=throughput; docs/xdnn.md, "Throughput mode"): the
// latency-mode program split between the processing element's two blocks, as ML Suite's
// throughput JSON was a pass over its latency JSON. The network's first convolution moves to
// the Dedicated Block: it reads the network input from DDR and writes its output to a DDR
// slot of the image queue (ML Suite's throughput_mode_interbuf) instead of AM. The Main Block
// uploads that slot into the AM buffer the convolution wrote before (ML Suite's mb_input
// XNGather) once the Dedicated Block has finished the image, and runs the rest. With two
// slots the Dedicated Block runs image i+1 while the Main Block runs image i.

#include <cstdint>
#include <string>

#include "isa/hw_config.h"
#include "isa/xdnn.pb.h"

namespace wb::xdnn {

struct ThroughputSplit {
  std::string dedicated_layer;      // the layer the Dedicated Block runs
  std::uint64_t handover_bytes = 0;  // per image: written to the slot, and read back
  bool streamed = false;  // the Main Block's first layer reads the slot itself (no gather)
};

// Image-queue slots: one the Dedicated Block writes while the Main Block reads the other.
inline constexpr std::uint32_t kImageQueueSlots = 2;

// Rewrites `program` (a latency-mode program) in place; the dependency flags are set again
// for each block. UserError when the network does not start as the Dedicated Block needs (one
// input, read only by a first convolution on the array that streams it from DDR), naming why.
ThroughputSplit split_for_throughput(isa::xdnn::Program& program, const XdnnParams& hw);

}  // namespace wb::xdnn
