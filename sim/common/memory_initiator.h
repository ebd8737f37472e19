#pragma once
// The initiator side of a memory boundary (docs/tlm.md): one timing transaction per transfer
// through a simple_initiator_socket, and the delay the bound model annotates read back in
// whole clock cycles. The payload's data pointer is scratch (sim/common/memory_target.h says
// why); the caller moves the bytes in its own memories.

#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "sim/common/memory_target.h"

namespace wb::sim {

struct MemoryTransfer {
  tlm::tlm_command command = tlm::TLM_READ_COMMAND;  // read: out of the memory; write: into it
  std::uint64_t address = 0;                       // the memory's address of the first byte
  TransferShape shape;                             // its bytes in the memory (copied into the payload)
};

// One contiguous run of `bytes` at `address`.
MemoryTransfer contiguous_transfer(tlm::tlm_command command, std::uint64_t address, std::uint64_t bytes);

// A copy of `rows` x `count` chunks (xDNN's Copy and PULP's DmaCopy share these fields) as a
// DMA moves it: chunks, then rows, merged into longer runs where they are contiguous on both
// sides; the strides are the memory's side's. `memory_is_source`: the boundary's memory is the
// copy's source (a read there) or its destination (a write).
template <typename Copy>
MemoryTransfer copy_transfer(const Copy& copy, bool memory_is_source) {
  MemoryTransfer t;
  t.command = memory_is_source ? tlm::TLM_READ_COMMAND : tlm::TLM_WRITE_COMMAND;
  t.address = memory_is_source ? copy.source() : copy.destination();
  TransferShape& s = t.shape;
  s.rows = std::max<std::uint64_t>(copy.rows(), 1);
  s.count = copy.count();
  s.chunk_bytes = copy.chunk_bytes();
  s.stride = memory_is_source ? copy.source_stride() : copy.destination_stride();
  s.row_stride = memory_is_source ? copy.source_row_stride() : copy.destination_row_stride();
  if (s.count <= 1 || (copy.source_stride() == s.chunk_bytes && copy.destination_stride() == s.chunk_bytes)) {
    s.chunk_bytes *= s.count;
    s.count = 1;
  }
  if (s.count == 1 &&
      (s.rows == 1 || (copy.source_row_stride() == s.chunk_bytes && copy.destination_row_stride() == s.chunk_bytes))) {
    s.chunk_bytes *= s.rows;
    s.rows = 1;
  }
  if (s.count == 1) s.stride = 0;
  if (s.rows == 1) s.row_stride = 0;
  return t;
}

class MemoryInitiator {
 public:
  // `boundary` names the memory in errors ("DDR").
  MemoryInitiator(const char* socket_name, std::string boundary);

  tlm_utils::simple_initiator_socket<MemoryInitiator> socket;

  struct Outcome {
    std::uint64_t cycles = 0;   // from the transfer's begin until it completes, rounded up to whole cycles
    sc_core::sc_time waited;    // simulated time that passed inside b_transport (a model that wait()s)
    bool occupancy_reported = false;
    sc_core::sc_time occupancy_start, occupancy_end;  // ChannelOccupancy, when reported
    std::string error;          // "" or what went wrong: the model's error response, a delay it took back
  };

  // Issues `transfer` (at least one byte) beginning at sc_time_stamp() + `offset`. Called from a
  // SystemC thread: a bound model may wait() inside b_transport.
  Outcome transport(const MemoryTransfer& transfer, sc_core::sc_time offset, sc_core::sc_time period);

 private:
  std::string boundary_;
  std::vector<unsigned char> scratch_;  // the payloads' data: bytes no model may rely on
};

}  // namespace wb::sim
