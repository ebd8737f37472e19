#include "sim/xdnn/overlay.h"

#include <fmt/format.h>

#include <cmath>

#include "isa/xdnn_access.h"
#include "isa/xdnn_program.h"
#include "sim/common/watchdog.h"
#include "sim/xdnn/kernels.h"
#include "support/interrupt.h"

namespace wb::sim::xdnn {

namespace {

using isa::xdnn::Instr;

using isa::xdnn::Access;
using isa::xdnn::conflict;

std::string describe(const Instr& instr) {
  return fmt::format("instruction {} ({}, layer '{}')", instr.id(), isa::xdnn::instr_mnemonic(instr), instr.layer());
}

}  // namespace

const char* unit_name(UnitId unit) {
  switch (unit) {
    case UnitId::Array: return "array";
    case UnitId::PoolEltwise: return "pool/eltwise";
    case UnitId::Upload: return "ddr upload";
    case UnitId::Download: return "ddr download";
    case UnitId::Weights: return "weight loader";
    case UnitId::Host: return "host";
    case UnitId::DedicatedArray: return "dedicated array";
    case UnitId::DedicatedWeights: return "dedicated weight loader";
    case UnitId::kCount: break;
  }
  return "?";
}

Overlay::Overlay(sc_core::sc_module_name name) : sc_core::sc_module(name), ddr_("ddr_socket", "DDR") {
  in_flight_.fill(-1);
  SC_THREAD(main_controller);
  SC_THREAD(dedicated_controller);
  SC_THREAD(array_thread);
  SC_THREAD(pool_thread);
  SC_THREAD(upload_thread);
  SC_THREAD(download_thread);
  SC_THREAD(weights_thread);
  SC_THREAD(host_thread);
  SC_THREAD(dedicated_array_thread);
  SC_THREAD(dedicated_weights_thread);
}

UnitId Overlay::flagged_unit(const Instr& instr, UnitId main_unit) {
  if (instr.block() != isa::xdnn::BLOCK_DEDICATED) return main_unit;
  if (main_unit == UnitId::Array) return UnitId::DedicatedArray;
  if (main_unit == UnitId::Weights) return UnitId::DedicatedWeights;
  return main_unit;
}

void Overlay::execute_on_memories(const Instr& instr) {
  RunState& s = *state_;
  const bool dedicated = instr.block() == isa::xdnn::BLOCK_DEDICATED;
  if (dedicated) std::swap(s.memories.filter_cache, s.dedicated_filter_cache);
  try {
    execute(instr, s.memories);
  } catch (...) {
    if (dedicated) std::swap(s.memories.filter_cache, s.dedicated_filter_cache);
    throw;
  }
  if (dedicated) std::swap(s.memories.filter_cache, s.dedicated_filter_cache);
}

std::uint64_t Overlay::cycles_since_start() const { return cycles_of(sc_core::sc_time_stamp()); }

std::uint64_t Overlay::cycles_of(sc_core::sc_time t) const {
  return static_cast<std::uint64_t>((t - state_->start) / state_->period + 0.5);
}

void Overlay::fail(const std::string& message) {
  if (state_->error.empty()) state_->error = message;
}

void Overlay::begin(RunState& state) {
  state_ = &state;
  issued_.fill(0);
  completed_.fill(0);
  in_flight_.fill(-1);
  for (auto& q : queue_) q.clear();
  run_started_.fill(false);
  finished_.fill(false);
  next_instr_.fill(0);
  waiting_for_unit_.fill(-1);
  block_issued_.fill(0);
  block_completed_.fill(0);
  image_of_block_.fill(0);
  dedicated_images_done_ = 0;
  handovers_done_ = 0;
  handovers_per_image_ = 0;
  for (auto& list : block_instrs_) list.clear();
  const auto& instrs = state.program->instrs();
  for (int i = 0; i < instrs.size(); ++i) {
    const Instr& instr = instrs.Get(i);
    block_instrs_[instr.block() == isa::xdnn::BLOCK_DEDICATED ? 1 : 0].push_back(static_cast<std::size_t>(i));
    if (instr.source_from_image_queue()) ++handovers_per_image_;
  }
  state.image_begin.assign(state.images, 0);
  state.image_end.assign(state.images, 0);
  state.start = sc_core::sc_time_stamp();
  if (sc_core::sc_get_status() != sc_core::SC_ELABORATION) start_event_.notify(sc_core::SC_ZERO_TIME);
}

void Overlay::end() {
  // The run is let go however it ended, a stall thrown included.
  struct Release {
    Overlay& overlay;
    ~Release() { overlay.state_ = nullptr; }
  } release{*this};
  if (state_->error.empty()) check_finished();
}

std::size_t Overlay::instruction_count() const { return static_cast<std::size_t>(state_->program->instrs_size()); }

const Instr& Overlay::instruction_at(std::size_t slot, Instr& scratch) const {
  const isa::xdnn::Program& program = *state_->program;
  const std::size_t n = instruction_count();
  const Instr& instr = program.instrs(static_cast<int>(slot % n));
  const std::uint64_t queue_slot = program.image_queue().slots() == 0 ? 0 : (slot / n) % program.image_queue().slots();
  if (queue_slot == 0 || (!instr.output_from_image_queue() && !instr.source_from_image_queue())) return instr;
  scratch = instr;
  const std::uint64_t offset = queue_slot * program.image_queue().slot_bytes();
  if (scratch.output_from_image_queue() && scratch.has_conv()) {
    auto* out = scratch.mutable_conv()->mutable_output();
    out->set_address(out->address() + offset);
  }
  if (scratch.source_from_image_queue() && scratch.has_upload()) {
    scratch.mutable_upload()->set_source(scratch.upload().source() + offset);
  }
  if (scratch.source_from_image_queue() && scratch.has_conv()) {
    auto* in = scratch.mutable_conv()->mutable_input();
    in->set_address(in->address() + offset);
  }
  return scratch;
}

void Overlay::check_finished() const {
  const auto& instrs = state_->program->instrs();
  const std::size_t n = instruction_count();
  bool finished = finished_[0] && finished_[1];
  for (std::size_t u = 0; u < kUnits; ++u) finished = finished && completed_[u] == issued_[u];
  if (finished) return;
  std::vector<UnitState> units;
  for (std::size_t b = 0; b < kBlocks; ++b) {
    if (block_instrs_[b].empty()) continue;
    std::string controller = "all instructions issued";
    if (!finished_[b]) {
      controller = fmt::format("image {}, at {}", image_of_block_[b], describe(instrs.Get(static_cast<int>(next_instr_[b]))));
      if (waiting_for_unit_[b] >= 0) {
        const auto u = static_cast<std::size_t>(waiting_for_unit_[b]);
        controller += fmt::format(", waiting for the {} to complete {} instructions ({} done)",
                                  unit_name(static_cast<UnitId>(u)), waiting_for_count_[b], completed_[u]);
      }
    }
    units.push_back({b == 0 ? "controller" : "dedicated controller", controller});
  }
  for (std::size_t u = 0; u < kUnits; ++u) {
    std::string doing = in_flight_[u] >= 0
                            ? "running " + describe(instrs.Get(static_cast<int>(static_cast<std::size_t>(in_flight_[u]) % n)))
                            : "idle";
    doing += fmt::format(", {} queued, {} of {} issued done", queue_[u].size(), completed_[u], issued_[u]);
    units.push_back({unit_name(static_cast<UnitId>(u)), doing});
  }
  throw SimulationStalled(cycles_since_start(), units);
}

std::string Overlay::race_with_in_flight(std::size_t slot) const {
  Instr scratch, other_scratch;
  const Instr& instr = instruction_at(slot, scratch);
  const auto mine = isa::xdnn::instruction_accesses(instr);
  for (std::size_t u = 0; u < kUnits; ++u) {
    const std::int64_t other = in_flight_[u];
    if (other < 0 || static_cast<std::size_t>(other) == slot) continue;
    const Instr& running = instruction_at(static_cast<std::size_t>(other), other_scratch);
    // The blocks' weight memories are apart: the same filter cache address is two memories.
    const bool other_block = instr.block() != running.block();
    for (const Access& a : mine) {
      for (const Access& b : isa::xdnn::instruction_accesses(running)) {
        if (other_block && a.memory == isa::xdnn::MEMORY_FILTER_CACHE) continue;
        if (conflict(a, b)) {
          return fmt::format("{} {} {} [0x{:x}, 0x{:x}) while {} still {} it: the program lacks a dependency flag",
                             describe(instr), a.write ? "writes" : "reads", isa::xdnn::memory_name(a.memory), a.begin,
                             a.end, describe(running), b.write ? "writes" : "reads");
        }
      }
    }
  }
  return {};
}

void Overlay::wait_drained(isa::xdnn::Block block) {
  const auto b = static_cast<std::size_t>(block);
  while (block_completed_[b] < block_issued_[b]) sc_core::wait(block_event_[b]);
}

void Overlay::controller(isa::xdnn::Block block) {
  const auto b = static_cast<std::size_t>(block);
  while (true) {
    // The first run finds its state at the start of the simulation; later runs wake it.
    if (state_ == nullptr || run_started_[b]) sc_core::wait(start_event_);
    run_started_[b] = true;
    RunState& s = *state_;
    const bool dedicated = block == isa::xdnn::BLOCK_DEDICATED;
    // The block that reads the network input writes each image's input when it starts it.
    const bool reads_input = dedicated || block_instrs_[1].empty();
    const std::uint64_t slots = std::max<std::uint64_t>(s.program->image_queue().slots(), 1);
    std::array<std::uint64_t, 2> after_last_pool_eltwise{};
    for (std::size_t k = 0; k < s.images && !block_instrs_[b].empty() && s.error.empty(); ++k) {
      // One image at a time on each block.
      wait_drained(block);
      if (k > 0 && dedicated) {
        dedicated_images_done_ = k;
        dedicated_event_.notify(sc_core::SC_ZERO_TIME);
      }
      if (k > 0 && !dedicated) {
        s.image_end[k - 1] = cycles_since_start();
        if (s.on_image_end) s.on_image_end(k - 1);
      }
      // The image-queue slot this image writes is free once the Main Block has read it back.
      while (dedicated && k >= slots && handovers_done_ < (k - slots + 1) * handovers_per_image_) {
        sc_core::wait(handover_event_);
      }
      image_of_block_[b] = k;
      if (reads_input && s.on_image_start) s.on_image_start(k);
      issue_image(block, k, after_last_pool_eltwise);
    }
    wait_drained(block);
    if (!block_instrs_[b].empty() && s.error.empty()) {
      if (dedicated) {
        dedicated_images_done_ = s.images;
        dedicated_event_.notify(sc_core::SC_ZERO_TIME);
      } else {
        s.image_end[s.images - 1] = cycles_since_start();
        if (s.on_image_end) s.on_image_end(s.images - 1);
      }
    }
    finished_[b] = true;
  }
}

void Overlay::issue_image(isa::xdnn::Block block, std::size_t image, std::array<std::uint64_t, 2>& after_last) {
  const auto b = static_cast<std::size_t>(block);
  RunState& s = *state_;
  const auto& instrs = s.program->instrs();
  const std::size_t n = instruction_count();
  const auto issue_delay = s.period * static_cast<double>(s.config->xdnn().instr_issue_cycles);
  for (const std::size_t i : block_instrs_[b]) {
    if (interrupt_requested()) fail("interrupted");
    if (!s.error.empty()) return;
    const Instr& instr = instrs.Get(static_cast<int>(i));
    // The Dedicated Block runs one layer: its weights, loaded for the first image, stay.
    if (block == isa::xdnn::BLOCK_DEDICATED && image > 0 && instr.has_load_weights()) continue;
    sc_core::wait(issue_delay);
    const sc_core::sc_time ready = sc_core::sc_time_stamp();
    next_instr_[b] = i;
    const auto wait_for = [&](UnitId unit, std::uint64_t count) {
      const auto u = static_cast<std::size_t>(unit);
      waiting_for_unit_[b] = static_cast<std::int64_t>(u);
      waiting_for_count_[b] = count;
      while (completed_[u] < count) sc_core::wait(done_event_[u]);
      waiting_for_unit_[b] = -1;
    };
    const auto wait_for_all = [&](UnitId main_unit) {
      const UnitId unit = flagged_unit(instr, main_unit);
      wait_for(unit, issued_[static_cast<std::size_t>(unit)]);
    };
    const auto& w = instr.wait();
    if (w.conv()) wait_for_all(UnitId::Array);
    if (w.pool()) wait_for(UnitId::PoolEltwise, after_last[0]);
    if (w.eltwise()) wait_for(UnitId::PoolEltwise, after_last[1]);
    if (w.upload()) wait_for_all(UnitId::Upload);
    if (w.download()) wait_for_all(UnitId::Download);
    if (w.weights()) wait_for_all(UnitId::Weights);
    if (w.host()) wait_for_all(UnitId::Host);
    // The handover: the Dedicated Block has finished this image.
    while (w.dedicated() && dedicated_images_done_ <= image) sc_core::wait(dedicated_event_);
    const std::size_t slot = image * n + i;
    InstrRecord& record = s.records[slot];
    record.ran = true;
    record.issue = cycles_since_start();
    record.stall = static_cast<std::uint64_t>((sc_core::sc_time_stamp() - ready) / s.period + 0.5);
    if (s.image_begin[image] == 0 || record.issue < s.image_begin[image]) s.image_begin[image] = record.issue;
    const UnitId unit = s.unit_of[i];
    const auto u = static_cast<std::size_t>(unit);
    queue_[u].push_back(slot);
    ++issued_[u];
    ++block_issued_[b];
    if (instr.has_pool()) after_last[0] = issued_[u];
    if (instr.has_eltwise()) after_last[1] = issued_[u];
    work_event_[u].notify(sc_core::SC_ZERO_TIME);
  }
}

void Overlay::ddr_transfer(std::size_t slot, const MemoryTransfer& transfer) {
  RunState& s = *state_;
  const sc_core::sc_time request = sc_core::sc_time_stamp();
  const MemoryInitiator::Outcome out = ddr_.transport(transfer, sc_core::SC_ZERO_TIME, s.period);
  if (!out.error.empty()) {
    fail(fmt::format("{}: {}", describe(s.program->instrs().Get(static_cast<int>(slot % instruction_count()))),
                     out.error));
  }
  const sc_core::sc_time done = request + s.period * static_cast<double>(out.cycles);
  const sc_core::sc_time start = out.occupancy_reported ? out.occupancy_start : request;
  const sc_core::sc_time end = out.occupancy_reported ? out.occupancy_end : done;
  InstrRecord& record = s.records[slot];
  // The channel's statistics are one image's, the last (a stream's steady state), as the layers'.
  const bool counted = slot / instruction_count() + 1 == s.images;
  // An instruction with two transfers (a streamed input and an output to DDR) spans both.
  if (record.ddr_end == 0) record.ddr_start = cycles_of(start);
  record.ddr_end = cycles_of(end);
  if (counted) {
    s.ddr_channel.transfers += 1;
    s.ddr_channel.bytes += transfer.shape.bytes();
    s.ddr_channel.busy_cycles += static_cast<std::uint64_t>(std::llround((end - start) / s.period));
    s.ddr_channel.stall_cycles += static_cast<std::uint64_t>((start - request) / s.period);
  }
  // Also when the transfer took no time: a delta cycle, as the DDR units always waited.
  sc_core::wait(done > sc_core::sc_time_stamp() ? done - sc_core::sc_time_stamp() : sc_core::SC_ZERO_TIME);
}

void Overlay::unit_thread(UnitId unit) {
  const auto u = static_cast<std::size_t>(unit);
  while (true) {
    while (queue_[u].empty()) sc_core::wait(work_event_[u]);
    RunState& s = *state_;
    const std::size_t slot = queue_[u].front();
    queue_[u].pop_front();
    const std::size_t i = slot % instruction_count();
    Instr scratch;
    const Instr& instr = instruction_at(slot, scratch);
    InstrRecord& record = s.records[slot];
    record.unit = unit;
    record.start = cycles_since_start();
    busy_[u].write(true);
    if (s.error.empty()) {
      const std::string race = race_with_in_flight(slot);
      if (!race.empty()) fail(race);
    }
    in_flight_[u] = static_cast<std::int64_t>(slot);
    if (s.data && s.error.empty()) {
      try {
        execute_on_memories(instr);
      } catch (const std::exception& e) {
        fail(fmt::format("{}: {}", describe(instr), e.what()));
      }
    }
    if (instr.has_load_weights() && instr.load_weights().source_memory() == isa::xdnn::MEMORY_AM) {
      // Staged weights: from AM, over no DDR.
      record.bytes = isa::xdnn::copy_bytes(instr.load_weights());
      sc_core::wait(s.period * static_cast<double>(s.cycles_of[i]));
    } else if (unit == UnitId::Upload || unit == UnitId::Download || unit == UnitId::Weights ||
               unit == UnitId::DedicatedWeights) {
      const isa::xdnn::Copy& copy =
          instr.has_upload() ? instr.upload() : instr.has_download() ? instr.download() : instr.load_weights();
      record.bytes = isa::xdnn::copy_bytes(copy);
      ddr_transfer(slot, copy_transfer(copy, copy.source_memory() == isa::xdnn::MEMORY_DDR));
    } else if (instr.has_conv() && !instr.conv().on_host() &&
               (instr.conv().input().memory() == isa::xdnn::MEMORY_DDR ||
                instr.conv().output().memory() == isa::xdnn::MEMORY_DDR)) {
      // A streamed input: the tiling engine reads it from DDR while the array computes; the
      // Dedicated Block's output goes to DDR the same way (throughput mode).
      const isa::xdnn::Conv& conv = instr.conv();
      const sc_core::sc_time begin = sc_core::sc_time_stamp();
      if (conv.input().memory() == isa::xdnn::MEMORY_DDR) {
        const std::uint64_t bytes = isa::xdnn::buffer_bytes(conv.input().layout());
        record.bytes += bytes;
        ddr_transfer(slot, contiguous_transfer(tlm::TLM_READ_COMMAND, conv.input().address(), bytes));
      }
      if (conv.output().memory() == isa::xdnn::MEMORY_DDR) {
        const std::uint64_t bytes = isa::xdnn::buffer_bytes(conv.output().layout());
        record.bytes += bytes;
        ddr_transfer(slot, contiguous_transfer(tlm::TLM_WRITE_COMMAND, conv.output().address(), bytes));
      }
      const sc_core::sc_time compute = s.period * static_cast<double>(s.cycles_of[i]);
      const sc_core::sc_time elapsed = sc_core::sc_time_stamp() - begin;
      if (compute > elapsed) sc_core::wait(compute - elapsed);
    } else if (unit == UnitId::Host && s.card != nullptr) {
      s.card->run_host_instruction(s.host_bytes[i], s.cycles_of[i]);
    } else {
      sc_core::wait(s.period * static_cast<double>(s.cycles_of[i]));
    }
    in_flight_[u] = -1;
    record.end = cycles_since_start();
    busy_[u].write(false);
    ++completed_[u];
    const auto b = static_cast<std::size_t>(instr.block() == isa::xdnn::BLOCK_DEDICATED ? 1 : 0);
    ++block_completed_[b];
    block_event_[b].notify(sc_core::SC_ZERO_TIME);
    if (instr.source_from_image_queue()) {
      ++handovers_done_;
      handover_event_.notify(sc_core::SC_ZERO_TIME);
    }
    if (s.on_complete && slot / instruction_count() + 1 == s.images) s.on_complete(i);
    done_event_[u].notify(sc_core::SC_ZERO_TIME);
  }
}

}  // namespace wb::sim::xdnn
