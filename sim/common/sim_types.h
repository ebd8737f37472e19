#pragma once
// What every simulator takes and gives the same way: integer tensors in and out, and the
// options of a run. One definition for all targets, so the workbench drives any simulator
// through one interface (workbench/target/target.h).

#include <cstdint>
#include <filesystem>
#include <vector>

namespace wb::sim {

// Integers of one tensor, NCHW (or N, C), batch 1.
struct IntTensor {
  std::vector<std::int64_t> shape;
  std::vector<std::int32_t> values;
  bool operator==(const IntTensor&) const = default;
};

struct SimOptions {
  bool data = true;                    // false: timing only (--no-data); the cycles are identical
  bool capture_layer_outputs = false;  // read each layer's output back when the layer ends (of the last image)
  // Images streamed through the target one after another, each with the same inputs; 0: the
  // simulator's default (xDNN: 1, or 3 with a Dedicated Block, so that one image runs in the
  // steady state; PULP runs one image).
  std::size_t images = 0;
  std::filesystem::path trace_path;    // Chrome/Perfetto trace events, one track per unit
  std::filesystem::path vcd_path;      // SystemC VCD of the units' busy signals; a simulator
                                       // that writes none refuses a non-empty path
};

}  // namespace wb::sim
