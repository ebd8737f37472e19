#pragma once
// TLM-2.0 at the simulators' memory boundaries (docs/tlm.md): xDNN's DDR, PULP's L2 (the
// cluster DMA's side) and L3 (the uDMA's side) are targets behind a
// tlm_utils::simple_target_socket, reached with one b_transport per transfer. This file holds
// what every boundary shares: the payload's extensions, the base of the default targets, and
// how a user supplies another model before the simulator elaborates.
//
// The transactions carry timing, not data: the simulators keep their memories as byte arrays
// and copy the bytes themselves (the functional core apart from its timing, STYLE.md), and a
// timing-only run (--no-data) has no bytes at all. A bound model gets a valid data pointer, as
// the base protocol requires, to scratch bytes it must not rely on.

#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include <cstdint>
#include <functional>
#include <string>

#include "isa/hw_config.h"

namespace wb::sim {

// Where a transfer's bytes lie in the memory: `rows` rows `row_stride` bytes apart, each of
// `count` chunks `stride` bytes apart, each chunk `chunk_bytes` long, the first at the
// payload's address (data_length = rows x count x chunk_bytes; a stride is 0 where there is
// only one row or one chunk). A chunk is what the initiator
// moves as one contiguous run: chunks (and rows) contiguous on both sides of a copy are merged
// into one. A model may ignore it and see data_length bytes at the address.
class TransferShape : public tlm::tlm_extension<TransferShape> {
 public:
  std::uint64_t rows = 1, count = 1, chunk_bytes = 0;
  std::uint64_t stride = 0, row_stride = 0;
  std::uint64_t bytes() const { return rows * count * chunk_bytes; }
  tlm::tlm_extension_base* clone() const override;
  void copy_from(const tlm::tlm_extension_base& other) override;
};

// When the transfer held a channel the target models (its bytes moving), in absolute simulated
// time: filled in by a target that models one (the default DDR target); the initiator's trace,
// bounds and channel statistics read it. A model that leaves it: the transfer's whole delay
// counts as holding the channel, with no wait for it.
class ChannelOccupancy : public tlm::tlm_extension<ChannelOccupancy> {
 public:
  bool reported = false;
  sc_core::sc_time start, end;
  tlm::tlm_extension_base* clone() const override;
  void copy_from(const tlm::tlm_extension_base& other) override;
};

// A transfer as a default target prices it.
struct TransferRequest {
  tlm::tlm_command command = tlm::TLM_READ_COMMAND;
  std::uint64_t address = 0, bytes = 0;
  TransferShape shape;      // the payload's, or one chunk of `bytes`
  sc_core::sc_time begin;   // sc_time_stamp() + the annotated delay
};

// The base of the default targets. b_transport refuses what the base protocol lets a target
// refuse (a command other than read or write, byte enables, a streaming width, no bytes, a
// shape that does not add up to the length) with the matching error response, prices the
// transfer with serve() and adds that to the annotated delay. It never waits (loosely timed)
// and never touches the data.
class MemoryTarget : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<MemoryTarget> socket;

 protected:
  explicit MemoryTarget(sc_core::sc_module_name name);
  // Whether the simulator has given the target its parameters for this run.
  virtual bool configured() const = 0;
  // The time from request.begin until the transfer completes; `occupancy` is the payload's,
  // to fill in when the target models a channel.
  virtual sc_core::sc_time serve(const TransferRequest& request, ChannelOccupancy& occupancy) = 0;

 private:
  void b_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay);
};

// Supplies the model a memory boundary binds to instead of its default target (docs/tlm.md).
// Called once, when the simulator elaborates (at its first simulate() of the process), with
// that run's config; the module behind the returned socket must live as long as the process.
using MemoryModelFactory = std::function<tlm::tlm_target_socket<>&(const HwConfig& config)>;

// One boundary's choice of model, which SystemC fixes at elaboration (once per process).
class MemoryModelSlot {
 public:
  // `setter` names the function that sets it, `boundary` the memory ("DDR"), `simulator` whose.
  MemoryModelSlot(std::string setter, std::string boundary, std::string simulator);
  // std::logic_error once the simulator has elaborated.
  void set(MemoryModelFactory factory);
  // At elaboration: the bound model's socket, or nullptr for the default target.
  tlm::tlm_target_socket<>* elaborate(const HwConfig& config);
  // Whether a model was bound (its factory needs the config of a run).
  bool bound() const { return static_cast<bool>(factory_); }

 private:
  std::string setter_, boundary_, simulator_;
  MemoryModelFactory factory_;
  bool elaborated_ = false;
};

}  // namespace wb::sim
