#include "sim/xdnn/trace.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <utility>

#include "isa/xdnn_program.h"
#include "sim/common/trace_file.h"

namespace wb::sim::xdnn {

namespace {

using isa::xdnn::Instr;

// The operation an instruction performs, named as both simulators' traces name them.
const char* operation_name(const Instr& instr) {
  switch (instr.op_case()) {
    case Instr::kConv: return instr.conv().on_host() ? "host_conv" : "conv";
    case Instr::kPool: return "pool";
    case Instr::kEltwise: return "eltwise";
    case Instr::kUpload: return "load";
    case Instr::kDownload: return "store";
    case Instr::kLoadWeights: return "load_weights";
    case Instr::kHostElementwise: return "host_elementwise";
    case Instr::OP_NOT_SET: break;
  }
  return "?";
}

}  // namespace

std::string track_name(UnitId unit) {
  std::string name = unit_name(unit);
  std::replace_if(name.begin(), name.end(), [](char c) { return c == ' ' || c == '/'; }, '_');
  return name;
}

void write_trace(const std::filesystem::path& path, const isa::xdnn::Program& program,
                 const std::vector<InstrRecord>& records, const std::vector<std::int64_t>& waited_on,
                 double clock_mhz) {
  nlohmann::json events = nlohmann::json::array();
  events.push_back({{"name", "process_name"}, {"ph", "M"}, {"pid", 1}, {"args", {{"name", "xdnn"}}}});
  std::array<bool, kUnits> used{};
  for (const InstrRecord& r : records) used[static_cast<std::size_t>(r.unit)] = used[static_cast<std::size_t>(r.unit)] || r.ran;
  for (std::size_t u = 0; u < kUnits; ++u) {
    // The Dedicated Block's tracks only where it ran (throughput mode).
    const auto unit = static_cast<UnitId>(u);
    if (!used[u] && (unit == UnitId::DedicatedArray || unit == UnitId::DedicatedWeights)) continue;
    events.push_back({{"name", "thread_name"}, {"ph", "M"}, {"pid", 1}, {"tid", u},
                      {"args", {{"name", track_name(static_cast<UnitId>(u))}}}});
  }
  const std::size_t channel = kUnits;
  events.push_back({{"name", "thread_name"}, {"ph", "M"}, {"pid", 1}, {"tid", channel}, {"args", {{"name", "ddr_channel"}}}});
  const double us_per_cycle = 1.0 / clock_mhz;
  const auto at = [&](std::uint64_t cycle) { return static_cast<double>(cycle) * us_per_cycle; };
  std::vector<std::pair<std::uint64_t, std::int64_t>> busy_units, bytes_in_flight;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const InstrRecord& r = records[i];
    if (!r.ran) continue;
    if (!r.ran) continue;
    const Instr& instr = program.instrs(static_cast<int>(i));
    nlohmann::json args = {{"layer", instr.layer()}, {"id", instr.id()}, {"mnemonic", isa::xdnn::instr_mnemonic(instr)},
                           {"stall_cycles", r.stall}};
    const bool copy = instr.has_upload() || instr.has_download() || instr.has_load_weights();
    const char* src = instr.has_download() ? "am" : "ddr";
    const char* dst = instr.has_download() ? "ddr" : instr.has_load_weights() ? "filter_cache" : instr.has_upload() ? "am" : "array";
    if (r.bytes > 0) {
      args["bytes"] = r.bytes;
      args["src"] = src;
      args["dst"] = dst;
    }
    events.push_back({{"name", operation_name(instr)}, {"cat", copy ? "transfer" : "compute"}, {"ph", "X"}, {"pid", 1},
                      {"tid", static_cast<std::size_t>(r.unit)}, {"ts", at(r.start)}, {"dur", at(r.end) - at(r.start)},
                      {"args", args}});
    busy_units.emplace_back(r.start, 1);
    busy_units.emplace_back(r.end, -1);
    if (r.bytes > 0) {
      // The channel's own track: when the bytes held it (a streamed input appears here as
      // its own transfer, beside the conv that reads it).
      events.push_back({{"name", copy ? operation_name(instr) : "stream"}, {"cat", "transfer"}, {"ph", "X"},
                        {"pid", 1}, {"tid", channel}, {"ts", at(r.ddr_start)}, {"dur", at(r.ddr_end) - at(r.ddr_start)},
                        {"args", {{"layer", instr.layer()}, {"id", instr.id()}, {"bytes", r.bytes}, {"src", src}, {"dst", dst}}}});
      bytes_in_flight.emplace_back(r.ddr_start, static_cast<std::int64_t>(r.bytes));
      bytes_in_flight.emplace_back(r.ddr_end, -static_cast<std::int64_t>(r.bytes));
    }
    if (waited_on[i] >= 0) {
      const InstrRecord& w = records[static_cast<std::size_t>(waited_on[i])];
      const std::size_t flow = events.size();  // a unique id
      events.push_back({{"name", "wait"}, {"cat", "dependency"}, {"ph", "s"}, {"id", flow}, {"pid", 1},
                        {"tid", static_cast<std::size_t>(w.unit)}, {"ts", at(w.start)}});
      events.push_back({{"name", "wait"}, {"cat", "dependency"}, {"ph", "f"}, {"bp", "e"}, {"id", flow}, {"pid", 1},
                        {"tid", static_cast<std::size_t>(r.unit)}, {"ts", at(r.start)}});
    }
  }
  add_counter_events(events, "busy_units", "units", std::move(busy_units), us_per_cycle);
  add_counter_events(events, "ddr_bytes_in_flight", "bytes", std::move(bytes_in_flight), us_per_cycle);
  write_trace_file(path, std::move(events));
}

std::vector<std::int64_t> flag_wait_sources(const std::vector<InstrRecord>& records, const CompletedAt& completed_at) {
  std::vector<std::int64_t> waited_on(records.size(), -1);
  for (std::size_t i = 0; i < records.size(); ++i) {
    const InstrRecord& r = records[i];
    const auto it = r.stall > 0 ? completed_at.find(r.issue) : completed_at.end();
    if (it == completed_at.end()) continue;
    for (const std::size_t j : it->second) {
      if (j < i) waited_on[i] = static_cast<std::int64_t>(j);
    }
  }
  return waited_on;
}

}  // namespace wb::sim::xdnn
