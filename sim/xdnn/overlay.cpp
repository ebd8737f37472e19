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
  SC_THREAD(controller);
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

void Overlay::run(RunState& state) {
  state_ = &state;
  issued_.fill(0);
  completed_.fill(0);
  in_flight_.fill(-1);
  for (auto& q : queue_) q.clear();
  run_started_ = false;
  next_instr_ = 0;
  waiting_for_unit_ = -1;
  if (sc_core::sc_get_status() != sc_core::SC_ELABORATION) start_event_.notify(sc_core::SC_ZERO_TIME);
  sc_core::sc_start();
  if (state.error.empty()) check_finished();
  state_ = nullptr;
}

void Overlay::check_finished() const {
  const auto& instrs = state_->program->instrs();
  const auto n = static_cast<std::size_t>(instrs.size());
  bool finished = next_instr_ >= n;
  for (std::size_t u = 0; u < kUnits; ++u) finished = finished && completed_[u] == issued_[u];
  if (finished) return;
  std::vector<UnitState> units;
  std::string controller = "all instructions issued";
  if (next_instr_ < n) {
    controller = fmt::format("at {}", describe(instrs.Get(static_cast<int>(next_instr_))));
    if (waiting_for_unit_ >= 0) {
      const auto u = static_cast<std::size_t>(waiting_for_unit_);
      controller += fmt::format(", waiting for the {} to complete {} instructions ({} done)",
                                unit_name(static_cast<UnitId>(u)), waiting_for_count_, completed_[u]);
    }
  }
  units.push_back({"controller", controller});
  for (std::size_t u = 0; u < kUnits; ++u) {
    std::string doing = in_flight_[u] >= 0 ? "running " + describe(instrs.Get(static_cast<int>(in_flight_[u]))) : "idle";
    doing += fmt::format(", {} queued, {} of {} issued done", queue_[u].size(), completed_[u], issued_[u]);
    units.push_back({unit_name(static_cast<UnitId>(u)), doing});
  }
  throw SimulationStalled(cycles_since_start(), units);
}

std::string Overlay::race_with_in_flight(std::size_t index) const {
  const auto& instrs = state_->program->instrs();
  const auto mine = isa::xdnn::instruction_accesses(instrs.Get(static_cast<int>(index)));
  for (std::size_t u = 0; u < kUnits; ++u) {
    const std::int64_t other = in_flight_[u];
    if (other < 0 || static_cast<std::size_t>(other) == index) continue;
    // The blocks' weight memories are apart: the same filter cache address is two memories.
    const bool other_block = instrs.Get(static_cast<int>(index)).block() != instrs.Get(static_cast<int>(other)).block();
    for (const Access& a : mine) {
      for (const Access& b : isa::xdnn::instruction_accesses(instrs.Get(static_cast<int>(other)))) {
        if (other_block && a.memory == isa::xdnn::MEMORY_FILTER_CACHE) continue;
        if (conflict(a, b)) {
          return fmt::format("{} {} {} [0x{:x}, 0x{:x}) while {} still {} it: the program lacks a dependency flag",
                             describe(instrs.Get(static_cast<int>(index))), a.write ? "writes" : "reads",
                             isa::xdnn::memory_name(a.memory), a.begin, a.end,
                             describe(instrs.Get(static_cast<int>(other))), b.write ? "writes" : "reads");
        }
      }
    }
  }
  return {};
}

void Overlay::controller() {
  while (true) {
    // The first run finds its state at the start of the simulation; later runs wake it.
    if (state_ == nullptr || run_started_) sc_core::wait(start_event_);
    run_started_ = true;
    RunState& s = *state_;
    s.start = sc_core::sc_time_stamp();
    const auto& instrs = s.program->instrs();
    const auto issue_delay = s.period * static_cast<double>(s.config->xdnn().instr_issue_cycles);
    // Per flag kind, the unit-sequence number after the last instruction of that kind.
    std::uint64_t after_last_pool = 0, after_last_eltwise = 0;
    for (std::size_t i = 0; i < static_cast<std::size_t>(instrs.size()); ++i) {
      if (interrupt_requested()) fail("interrupted");
      if (!s.error.empty()) break;
      const Instr& instr = instrs.Get(static_cast<int>(i));
      sc_core::wait(issue_delay);
      const sc_core::sc_time ready = sc_core::sc_time_stamp();
      next_instr_ = i;
      const auto wait_for = [&](UnitId unit, std::uint64_t count) {
        const auto u = static_cast<std::size_t>(unit);
        waiting_for_unit_ = static_cast<std::int64_t>(u);
        waiting_for_count_ = count;
        while (completed_[u] < count) sc_core::wait(done_event_[u]);
        waiting_for_unit_ = -1;
      };
      const auto& w = instr.wait();
      const auto wait_for_all = [&](UnitId main_unit) {
        const UnitId unit = flagged_unit(instr, main_unit);
        wait_for(unit, issued_[static_cast<std::size_t>(unit)]);
      };
      if (w.conv()) wait_for_all(UnitId::Array);
      if (w.pool()) wait_for(UnitId::PoolEltwise, after_last_pool);
      if (w.eltwise()) wait_for(UnitId::PoolEltwise, after_last_eltwise);
      if (w.upload()) wait_for_all(UnitId::Upload);
      if (w.download()) wait_for_all(UnitId::Download);
      if (w.weights()) wait_for_all(UnitId::Weights);
      if (w.host()) wait_for_all(UnitId::Host);
      // One image at a time: the Dedicated Block has finished it when its array is idle.
      if (w.dedicated()) {
        wait_for(UnitId::DedicatedArray, issued_[static_cast<std::size_t>(UnitId::DedicatedArray)]);
      }
      InstrRecord& record = s.records[i];
      record.issue = cycles_since_start();
      record.stall = static_cast<std::uint64_t>((sc_core::sc_time_stamp() - ready) / s.period + 0.5);
      const UnitId unit = s.unit_of[i];
      const auto u = static_cast<std::size_t>(unit);
      queue_[u].push_back(i);
      ++issued_[u];
      if (instr.has_pool()) after_last_pool = issued_[u];
      if (instr.has_eltwise()) after_last_eltwise = issued_[u];
      work_event_[u].notify(sc_core::SC_ZERO_TIME);
    }
    next_instr_ = static_cast<std::size_t>(instrs.size());
  }
}

void Overlay::ddr_transfer(std::size_t index, const MemoryTransfer& transfer) {
  RunState& s = *state_;
  const sc_core::sc_time request = sc_core::sc_time_stamp();
  const MemoryInitiator::Outcome out = ddr_.transport(transfer, sc_core::SC_ZERO_TIME, s.period);
  if (!out.error.empty()) {
    fail(fmt::format("{}: {}", describe(s.program->instrs().Get(static_cast<int>(index))), out.error));
  }
  const sc_core::sc_time done = request + s.period * static_cast<double>(out.cycles);
  const sc_core::sc_time start = out.occupancy_reported ? out.occupancy_start : request;
  const sc_core::sc_time end = out.occupancy_reported ? out.occupancy_end : done;
  InstrRecord& record = s.records[index];
  // An instruction with two transfers (a streamed input and an output to DDR) spans both.
  if (record.ddr_end == 0) record.ddr_start = cycles_of(start);
  record.ddr_end = cycles_of(end);
  s.ddr_channel.transfers += 1;
  s.ddr_channel.bytes += transfer.shape.bytes();
  s.ddr_channel.busy_cycles += static_cast<std::uint64_t>(std::llround((end - start) / s.period));
  s.ddr_channel.stall_cycles += static_cast<std::uint64_t>((start - request) / s.period);
  // Also when the transfer took no time: a delta cycle, as the DDR units always waited.
  sc_core::wait(done > sc_core::sc_time_stamp() ? done - sc_core::sc_time_stamp() : sc_core::SC_ZERO_TIME);
}

void Overlay::unit_thread(UnitId unit) {
  const auto u = static_cast<std::size_t>(unit);
  while (true) {
    while (queue_[u].empty()) sc_core::wait(work_event_[u]);
    RunState& s = *state_;
    const std::size_t i = queue_[u].front();
    queue_[u].pop_front();
    const Instr& instr = s.program->instrs().Get(static_cast<int>(i));
    InstrRecord& record = s.records[i];
    record.unit = unit;
    record.start = cycles_since_start();
    busy_[u].write(true);
    if (s.error.empty()) {
      const std::string race = race_with_in_flight(i);
      if (!race.empty()) fail(race);
    }
    in_flight_[u] = static_cast<std::int64_t>(i);
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
      ddr_transfer(i, copy_transfer(copy, copy.source_memory() == isa::xdnn::MEMORY_DDR));
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
        ddr_transfer(i, contiguous_transfer(tlm::TLM_READ_COMMAND, conv.input().address(), bytes));
      }
      if (conv.output().memory() == isa::xdnn::MEMORY_DDR) {
        const std::uint64_t bytes = isa::xdnn::buffer_bytes(conv.output().layout());
        record.bytes += bytes;
        ddr_transfer(i, contiguous_transfer(tlm::TLM_WRITE_COMMAND, conv.output().address(), bytes));
      }
      const sc_core::sc_time compute = s.period * static_cast<double>(s.cycles_of[i]);
      const sc_core::sc_time elapsed = sc_core::sc_time_stamp() - begin;
      if (compute > elapsed) sc_core::wait(compute - elapsed);
    } else {
      sc_core::wait(s.period * static_cast<double>(s.cycles_of[i]));
    }
    in_flight_[u] = -1;
    record.end = cycles_since_start();
    busy_[u].write(false);
    ++completed_[u];
    if (s.on_complete) s.on_complete(i);
    done_event_[u].notify(sc_core::SC_ZERO_TIME);
  }
}

}  // namespace wb::sim::xdnn
