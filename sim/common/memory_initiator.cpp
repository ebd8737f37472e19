#include "sim/common/memory_initiator.h"

#include <fmt/format.h>

#include <limits>
#include <stdexcept>

namespace wb::sim {

MemoryTransfer contiguous_transfer(tlm::tlm_command command, std::uint64_t address, std::uint64_t bytes) {
  MemoryTransfer t;
  t.command = command;
  t.address = address;
  t.shape.chunk_bytes = bytes;
  return t;
}

MemoryInitiator::MemoryInitiator(const char* socket_name, std::string boundary)
    : socket(socket_name), boundary_(std::move(boundary)) {}

MemoryInitiator::Outcome MemoryInitiator::transport(const MemoryTransfer& transfer, sc_core::sc_time offset,
                                                    sc_core::sc_time period) {
  const std::uint64_t bytes = transfer.shape.bytes();
  const char* what = transfer.command == tlm::TLM_READ_COMMAND ? "read" : "write";
  if (bytes == 0 || bytes > std::numeric_limits<unsigned int>::max()) {
    throw std::logic_error(fmt::format("a {} of {} bytes at 0x{:x} on the {} boundary: a transaction's length is 1 "
                                       "to 2^32 - 1 bytes", what, bytes, transfer.address, boundary_));
  }
  if (scratch_.size() < bytes) scratch_.resize(bytes);
  // A payload per transfer, not one shared: a model that waits inside b_transport may be
  // entered again by another thread of the same initiator.
  tlm::tlm_generic_payload payload;
  payload.set_command(transfer.command);
  payload.set_address(transfer.address);
  payload.set_data_ptr(scratch_.data());
  payload.set_data_length(static_cast<unsigned int>(bytes));
  payload.set_streaming_width(static_cast<unsigned int>(bytes));
  payload.set_byte_enable_ptr(nullptr);
  payload.set_byte_enable_length(0);
  payload.set_dmi_allowed(false);
  payload.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  auto* shape = new TransferShape;  // the payload owns its extensions and frees them
  shape->copy_from(transfer.shape);
  payload.set_extension(shape);
  payload.set_extension(new ChannelOccupancy);

  const sc_core::sc_time called = sc_core::sc_time_stamp();
  const sc_core::sc_time begin = called + offset;
  sc_core::sc_time delay = offset;
  socket->b_transport(payload, delay);
  Outcome out;
  out.waited = sc_core::sc_time_stamp() - called;
  if (payload.is_response_error()) {
    out.error = fmt::format("the {} model answered {} to a {} of {} bytes at 0x{:x}", boundary_,
                            payload.get_response_string(), what, bytes, transfer.address);
    return out;
  }
  if (payload.get_response_status() != tlm::TLM_OK_RESPONSE) {
    out.error = fmt::format("the {} model left a {} of {} bytes at 0x{:x} without a response", boundary_, what, bytes,
                            transfer.address);
    return out;
  }
  const sc_core::sc_time done = sc_core::sc_time_stamp() + delay;
  if (done < begin) {
    out.error = fmt::format("the {} model annotated a {} of {} bytes at 0x{:x} to end before it began", boundary_,
                            what, bytes, transfer.address);
    return out;
  }
  const sc_core::sc_time took = done - begin;
  out.cycles = (took.value() + period.value() - 1) / period.value();
  const ChannelOccupancy* occupancy = payload.get_extension<ChannelOccupancy>();
  if (occupancy != nullptr && occupancy->reported) {
    if (occupancy->start < begin || occupancy->end < occupancy->start || occupancy->end > done) {
      out.error = fmt::format("the {} model reported its channel held outside its {} of {} bytes at 0x{:x}",
                              boundary_, what, bytes, transfer.address);
      return out;
    }
    out.occupancy_reported = true;
    out.occupancy_start = occupancy->start;
    out.occupancy_end = occupancy->end;
  }
  return out;
}

}  // namespace wb::sim
