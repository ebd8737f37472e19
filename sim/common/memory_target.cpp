#include "sim/common/memory_target.h"

#include <fmt/format.h>

#include <stdexcept>

namespace wb::sim {

tlm::tlm_extension_base* TransferShape::clone() const { return new TransferShape(*this); }

void TransferShape::copy_from(const tlm::tlm_extension_base& other) {
  const auto& shape = static_cast<const TransferShape&>(other);
  rows = shape.rows;
  count = shape.count;
  chunk_bytes = shape.chunk_bytes;
  stride = shape.stride;
  row_stride = shape.row_stride;
}

tlm::tlm_extension_base* ChannelOccupancy::clone() const { return new ChannelOccupancy(*this); }

void ChannelOccupancy::copy_from(const tlm::tlm_extension_base& other) {
  const auto& occupancy = static_cast<const ChannelOccupancy&>(other);
  reported = occupancy.reported;
  start = occupancy.start;
  end = occupancy.end;
}

MemoryTarget::MemoryTarget(sc_core::sc_module_name name) : sc_core::sc_module(name), socket("socket") {
  socket.register_b_transport(this, &MemoryTarget::b_transport);
}

void MemoryTarget::b_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay) {
  payload.set_dmi_allowed(false);
  const tlm::tlm_command command = payload.get_command();
  if (command != tlm::TLM_READ_COMMAND && command != tlm::TLM_WRITE_COMMAND) {
    payload.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
    return;
  }
  if (payload.get_byte_enable_ptr() != nullptr) {
    payload.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    return;
  }
  TransferRequest request;
  request.command = command;
  request.address = payload.get_address();
  request.bytes = payload.get_data_length();
  request.shape.chunk_bytes = request.bytes;
  if (payload.get_streaming_width() < request.bytes) {
    payload.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
    return;
  }
  if (const TransferShape* shape = payload.get_extension<TransferShape>()) request.shape.copy_from(*shape);
  if (request.bytes == 0 || request.shape.rows == 0 || request.shape.count == 0 ||
      request.shape.bytes() != request.bytes || !configured()) {
    payload.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
    return;
  }
  request.begin = sc_core::sc_time_stamp() + delay;
  ChannelOccupancy ignored;
  ChannelOccupancy* occupancy = payload.get_extension<ChannelOccupancy>();
  delay += serve(request, occupancy != nullptr ? *occupancy : ignored);
  payload.set_response_status(tlm::TLM_OK_RESPONSE);
}

MemoryModelSlot::MemoryModelSlot(std::string setter, std::string boundary, std::string simulator)
    : setter_(std::move(setter)), boundary_(std::move(boundary)), simulator_(std::move(simulator)) {}

void MemoryModelSlot::set(MemoryModelFactory factory) {
  if (elaborated_) {
    throw std::logic_error(fmt::format(
        "{}: the {} simulator has elaborated, and its {} model with it; SystemC elaborates once per process, so "
        "call {} before the process's first simulate() (docs/tlm.md)",
        setter_, simulator_, boundary_, setter_));
  }
  factory_ = std::move(factory);
}

tlm::tlm_target_socket<>* MemoryModelSlot::elaborate(const HwConfig& config) {
  elaborated_ = true;
  return factory_ ? &factory_(config) : nullptr;
}

}  // namespace wb::sim
