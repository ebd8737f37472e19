#pragma once
// Tensors in and out of the simulated memories: NCHW integers <-> HWC bytes (int8 or uint8). A
// 3-D tensor [a, b, n] (attention's scores and probabilities) is a * b rows of n values, stored
// row-major: the HWC of a * b pixels of n channels.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "sim/pulp/pulp_sim.h"

namespace wb::sim::pulp {

// Writes `t` (NCHW, batch 1; or N, C) as HWC bytes at `address`.
void write_hwc(std::span<std::uint8_t> memory, std::uint64_t address, const IntTensor& t);

// Writes token ids (IoTensor.bits 16: [1, T] or any shape, in order) as little-endian uint16 at
// `address`.
void write_token_ids(std::span<std::uint8_t> memory, std::uint64_t address, const IntTensor& t);

// Reads a tensor of `shape` (NCHW, or N, C) stored HWC at `address`, its pixels
// `pixel_bytes` apart (0: its channels; more for a channel slice of a wider tensor).
IntTensor read_hwc(std::span<const std::uint8_t> memory, std::uint64_t address, const std::vector<std::int64_t>& shape,
                   bool is_signed, std::uint64_t pixel_bytes = 0);

std::uint64_t hwc_bytes(const std::vector<std::int64_t>& shape);

// "" when a tensor of `shape` stored HWC at `address` (pixels `pixel_bytes` apart, 0: its
// channels) lies inside a memory of `memory_bytes`, else why not (a bad shape included).
std::string hwc_problem(std::uint64_t memory_bytes, std::uint64_t address, const std::vector<std::int64_t>& shape,
                        std::uint64_t pixel_bytes = 0);

}  // namespace wb::sim::pulp
