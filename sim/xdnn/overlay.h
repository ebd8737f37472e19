#pragma once
// The SystemC modules of one PE of the overlay: one thread per unit (array, pool/eltwise block, DDR
// upload, DDR download, weight loader, host; the Dedicated Block's array and weight loader)
// and a controller per block (the Main Block's, the Dedicated Block's in throughput mode).
// Elaborated once per process, a card's PEs of them; each run hands it a RunState (program, config, memories,
// statistics, how many images). The DDR units and a streamed conv input or output reach DDR
// through one TLM initiator socket (docs/tlm.md).

#include <systemc>

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "isa/hw_config.h"
#include "isa/xdnn.pb.h"
#include "sim/common/bandwidth_port.h"
#include "sim/common/memory_initiator.h"
#include "sim/xdnn/card.h"
#include "sim/xdnn/memory.h"
#include "sim/xdnn/timing.h"

namespace wb::sim::xdnn {

// The Dedicated Block's array and weight loader (throughput mode) are units of their own.
enum class UnitId { Array, PoolEltwise, Upload, Download, Weights, Host, DedicatedArray, DedicatedWeights, kCount };
inline constexpr std::size_t kUnits = static_cast<std::size_t>(UnitId::kCount);
const char* unit_name(UnitId unit);

// One executed instruction, for statistics and the trace.
struct InstrRecord {
  std::uint64_t issue = 0, start = 0, end = 0;  // cycles from the run's start
  std::uint64_t stall = 0;                      // cycles waited at the controller on flags
  std::uint64_t bytes = 0;                      // DDR bytes (copies, a streamed input)
  std::uint64_t ddr_start = 0, ddr_end = 0;     // when those bytes held the DDR channel
  UnitId unit = UnitId::Array;
  bool ran = false;  // false: not run for this image (the Dedicated Block's weights load once)
};

// The blocks of a processing element, as isa::xdnn::Block numbers them.
inline constexpr std::size_t kBlocks = 2;

struct RunState {
  const isa::xdnn::Program* program = nullptr;
  const HwConfig* config = nullptr;
  Memories memories;
  // Images streamed through the PE, one after another on each block; in throughput mode the
  // Dedicated Block runs image i+1 while the Main Block runs image i.
  std::size_t images = 1;
  // Per image: when its first instruction issued and its last completed.
  std::vector<std::uint64_t> image_begin, image_end;
  // Called when the block reading the network input starts an image (writes its inputs), and
  // when the Main Block has finished one (reads its outputs).
  std::function<void(std::size_t)> on_image_start, on_image_end;
  // The Dedicated Block's own weight memory (throughput mode): its instructions' filter cache.
  BackingStore dedicated_filter_cache;
  bool data = true;
  std::vector<InstrRecord> records;       // per image and instruction: image * instructions + index
  std::vector<UnitId> unit_of;            // per instruction
  std::vector<std::uint64_t> cycles_of;   // per instruction, compute cycles (non-DDR units)
  std::vector<HostLinkBytes> host_bytes;  // per instruction, what a host instruction moves over the host link
  // The card's host link and host, shared with its other PEs: the host unit's instructions
  // run there.
  CardSharedStages* card = nullptr;
  // The DDR channel as the DDR engine saw it: every transfer, its bytes, and from the model's
  // ChannelOccupancy when it reports one, else the transfer's whole time, busy and stall.
  BandwidthPortStats ddr_channel;
  sc_core::sc_time period;
  sc_core::sc_time start;
  std::string error;                      // first failure; the run stops issuing
  // Called when an instruction of the last image completes (the layer-output capture).
  std::function<void(std::size_t)> on_complete;
};

class Overlay : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(Overlay);
  explicit Overlay(sc_core::sc_module_name name);

  // Takes `state` as the next run; the caller runs the simulation (sc_start until the model is
  // idle; the PEs of a card in one simulation), then calls end().
  void begin(RunState& state);
  // Throws SimulationStalled when the run left instructions not issued or not completed.
  void end();
  sc_core::sc_signal<bool>& busy(UnitId unit) { return busy_[static_cast<std::size_t>(unit)]; }
  // Bound to the DDR model when the overlay elaborates.
  tlm::tlm_initiator_socket<>& ddr_socket() { return ddr_.socket; }

 private:
  void main_controller() { controller(isa::xdnn::BLOCK_MAIN); }
  void dedicated_controller() { controller(isa::xdnn::BLOCK_DEDICATED); }
  void controller(isa::xdnn::Block block);
  // Issues `block`'s instructions of `image` in order, each after the flags it waits on.
  void issue_image(isa::xdnn::Block block, std::size_t image, std::array<std::uint64_t, 2>& after_last_pool_eltwise);
  // Returns when every instruction `block` issued has completed.
  void wait_drained(isa::xdnn::Block block);
  // The instruction of a record slot, its image-queue addresses moved to the image's slot.
  const isa::xdnn::Instr& instruction_at(std::size_t slot, isa::xdnn::Instr& scratch) const;
  std::size_t instruction_count() const;
  void unit_thread(UnitId unit);
  void array_thread() { unit_thread(UnitId::Array); }
  void pool_thread() { unit_thread(UnitId::PoolEltwise); }
  void upload_thread() { unit_thread(UnitId::Upload); }
  void download_thread() { unit_thread(UnitId::Download); }
  void weights_thread() { unit_thread(UnitId::Weights); }
  void host_thread() { unit_thread(UnitId::Host); }
  void dedicated_array_thread() { unit_thread(UnitId::DedicatedArray); }
  void dedicated_weights_thread() { unit_thread(UnitId::DedicatedWeights); }
  // The unit a flag of `instr` names: the Dedicated Block's own array and loader for its instructions.
  static UnitId flagged_unit(const isa::xdnn::Instr& instr, UnitId main_unit);
  // Runs `instr` on the memories (the Dedicated Block's on its own weight memory).
  void execute_on_memories(const isa::xdnn::Instr& instr);
  void fail(const std::string& message);
  // One DDR transfer of instruction `index`: returns when it has completed; records when its
  // bytes held the channel.
  void ddr_transfer(std::size_t index, const MemoryTransfer& transfer);
  std::uint64_t cycles_since_start() const;
  std::uint64_t cycles_of(sc_core::sc_time t) const;
  // A conflicting access of an instruction in flight on another unit, or "".
  std::string race_with_in_flight(std::size_t index) const;
  void check_finished() const;

  RunState* state_ = nullptr;
  std::array<bool, kBlocks> run_started_{};  // each controller has taken the current run
  std::array<bool, kBlocks> finished_{};     // ... and issued all of it
  sc_core::sc_event start_event_;
  std::array<std::vector<std::size_t>, kBlocks> block_instrs_;  // each block's instructions, in order
  std::array<std::uint64_t, kBlocks> block_issued_{}, block_completed_{};
  std::array<sc_core::sc_event, kBlocks> block_event_;
  std::array<std::size_t, kBlocks> image_of_block_{};  // the image each controller is issuing
  std::size_t dedicated_images_done_ = 0;  // images the Dedicated Block has finished
  std::uint64_t handovers_done_ = 0;       // Main Block reads of the image queue completed
  std::uint64_t handovers_per_image_ = 0;
  sc_core::sc_event dedicated_event_, handover_event_;
  std::array<std::deque<std::size_t>, kUnits> queue_;  // record slots
  std::array<sc_core::sc_event, kUnits> work_event_;
  std::array<sc_core::sc_event, kUnits> done_event_;
  std::array<std::uint64_t, kUnits> issued_{};
  std::array<std::uint64_t, kUnits> completed_{};
  std::array<std::int64_t, kUnits> in_flight_{};  // record slot running on each unit, -1 none
  std::array<std::size_t, kBlocks> next_instr_{};           // each controller's position
  std::array<std::int64_t, kBlocks> waiting_for_unit_{-1, -1};  // the unit it waits for, -1 none
  std::array<std::uint64_t, kBlocks> waiting_for_count_{};  // ... until it has completed this many
  std::array<sc_core::sc_signal<bool>, kUnits> busy_;
  MemoryInitiator ddr_;
};

}  // namespace wb::sim::xdnn
