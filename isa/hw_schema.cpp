#include "isa/hw_schema.h"

#include <type_traits>

namespace wb::hw_schema {
namespace {

XdnnParams& xd(HwConfig& c) { return std::get<XdnnParams>(c.params); }
PulpParams& pu(HwConfig& c) { return std::get<PulpParams>(c.params); }

constexpr double kKiB = 1024.0;
constexpr double kMiB = kKiB * 1024;
constexpr double kGiB = kMiB * 1024;

using K = HwValueKind;

// One key of the schema: path, kind, unit, inclusive range, meaning, the field it fills.
KeySpec key(std::string_view path, HwValueKind kind, std::string_view unit, double min, double max,
            std::string_view meaning, FieldRef (*field)(HwConfig&)) {
  return KeySpec{HwKeyInfo{path, kind, unit, meaning}, min, max, field};
}

KeySpec power_of_two(KeySpec spec) {
  spec.power_of_two = true;
  return spec;
}

const std::vector<KeySpec>& common_keys() {
  static const std::vector<KeySpec> keys = {
      key("name", K::Text, "", 0, 0, "name of the machine (letters, digits, '_', '-', '.')",
          [](HwConfig& c) -> FieldRef { return &c.name; }),
      key("target", K::Choice, "", 0, 0, "which machine this is: xdnn or pulp; selects the keys below", nullptr),
      key("clock_mhz", K::Real, "MHz", 1, 10000, "clock of the array (xdnn) or cluster (pulp)",
          [](HwConfig& c) -> FieldRef { return &c.clock_mhz; }),
  };
  return keys;
}

const std::vector<KeySpec>& xdnn_keys() {
  static const std::vector<KeySpec> keys = {
      key("array.rows", K::Integer, "DSP", 1, 1024, "DSP rows of the systolic array (its height)",
          [](HwConfig& c) -> FieldRef { return &xd(c).array.rows; }),
      key("array.cols", K::Integer, "DSP", 1, 1024, "DSP columns of the systolic array",
          [](HwConfig& c) -> FieldRef { return &xd(c).array.cols; }),
      key("array.macs_per_dsp_int8", K::Integer, "MAC/DSP/cycle", 1, 8, "MACs one DSP does per cycle on 8-bit operands",
          [](HwConfig& c) -> FieldRef { return &xd(c).array.macs_per_dsp_int8; }),
      key("array.macs_per_dsp_int16", K::Integer, "MAC/DSP/cycle", 1, 8,
          "MACs one DSP does per cycle on 16-bit operands",
          [](HwConfig& c) -> FieldRef { return &xd(c).array.macs_per_dsp_int16; }),
      key("am_bytes", K::Bytes, "bytes", kKiB, static_cast<double>(kMaxAmBytes), "on-chip Active Memory holding activations",
          [](HwConfig& c) -> FieldRef { return &xd(c).am_bytes; }),
      key("am_read_ports", K::Integer, "ports", 1, 16, "AM read ports, one AM word each per cycle",
          [](HwConfig& c) -> FieldRef { return &xd(c).am_read_ports; }),
      key("am_write_ports", K::Integer, "ports", 1, 16, "AM write ports, one AM word each per cycle",
          [](HwConfig& c) -> FieldRef { return &xd(c).am_write_ports; }),
      key("am_width_align", K::Integer, "words", 1, 1024,
          "a tensor row in AM starts on a multiple of this many AM words (v2 aligns rows)",
          [](HwConfig& c) -> FieldRef { return &xd(c).am_width_align; }),
      key("filter_cache_bytes", K::Bytes, "bytes", kKiB, kGiB, "on-chip weight buffer, both halves of the ping-pong",
          [](HwConfig& c) -> FieldRef { return &xd(c).filter_cache_bytes; }),
      key("max_filter_elements", K::Integer, "elements", 1, 1 << 24, "largest filter H x W x D the array accepts",
          [](HwConfig& c) -> FieldRef { return &xd(c).max_filter_elements; }),
      key("depthwise", K::Boolean, "", 0, 0, "depthwise convolution runs on the array",
          [](HwConfig& c) -> FieldRef { return &xd(c).depthwise; }),
      key("pool_elements_per_cycle", K::Integer, "elements/cycle", 1, 65536,
          "standalone pool unit: output elements per cycle",
          [](HwConfig& c) -> FieldRef { return &xd(c).pool_elements_per_cycle; }),
      key("eltwise_elements_per_cycle", K::Integer, "elements/cycle", 1, 65536,
          "eltwise-add unit: output elements per cycle",
          [](HwConfig& c) -> FieldRef { return &xd(c).eltwise_elements_per_cycle; }),
      key("ddr_gbps", K::Real, "GB/s", 0.01, 10000,
          "theoretical bandwidth of the PE's DDR channel (1 GB/s = 1e9 bytes/s)",
          [](HwConfig& c) -> FieldRef { return &xd(c).ddr_gbps; }),
      key("ddr_efficiency", K::Real, "fraction", 0.01, 1, "share of ddr_gbps sustained on long bursts",
          [](HwConfig& c) -> FieldRef { return &xd(c).ddr_efficiency; }),
      key("ddr_latency_ns", K::Real, "ns", 0, 100000, "latency of one DDR transfer before data flows",
          [](HwConfig& c) -> FieldRef { return &xd(c).ddr_latency_ns; }),
      key("ddr_bytes", K::Bytes, "bytes", kMiB, 1024 * kGiB, "DDR capacity a program may address",
          [](HwConfig& c) -> FieldRef { return &xd(c).ddr_bytes; }),
      key("instr_issue_cycles", K::Integer, "cycles", 0, 1 << 20,
          "controller cycles to decode and issue one instruction to its unit",
          [](HwConfig& c) -> FieldRef { return &xd(c).instr_issue_cycles; }),
      key("host_fc_softmax", K::Boolean, "", 0, 0,
          "FC runs on a host model (as ML Suite did), not on the array (a Softmax always does: the overlay has no unit for it)",
          [](HwConfig& c) -> FieldRef { return &xd(c).host_fc_softmax; }),
      key("host_gops", K::Real, "GOP/s", 0.001, 1e6,
          "host CPU throughput for host layers (what the overlay cannot run, and FC with host_fc_softmax)",
          [](HwConfig& c) -> FieldRef { return &xd(c).host_gops; }),
      key("host_link_gbps", K::Real, "GB/s", 0.001, 1e6,
          "host <-> card link (PCIe) that a host layer's input and output cross",
          [](HwConfig& c) -> FieldRef { return &xd(c).host_link_gbps; }),
  };
  return keys;
}

const std::vector<KeySpec>& pulp_keys() {
  static const std::vector<KeySpec> keys = {
      key("cores", K::Integer, "cores", 1, 16, "cluster cores running kernels",
          [](HwConfig& c) -> FieldRef { return &pu(c).cores; }),
      key("core_macs_per_cycle_int8", K::Integer, "MAC/core/cycle", 1, 16,
          "one core's SIMD dot product on 8-bit operands",
          [](HwConfig& c) -> FieldRef { return &pu(c).core_macs_per_cycle_int8; }),
      key("core_macs_per_cycle_int16", K::Integer, "MAC/core/cycle", 1, 16,
          "one core's SIMD dot product on 16-bit operands",
          [](HwConfig& c) -> FieldRef { return &pu(c).core_macs_per_cycle_int16; }),
      key("l1_bytes", K::Bytes, "bytes", kKiB, 16 * kMiB, "shared L1 TCDM",
          [](HwConfig& c) -> FieldRef { return &pu(c).l1_bytes; }),
      power_of_two(key("l1_banks", K::Integer, "banks", 1, 64, "word-interleaved L1 banks (a power of two)",
                       [](HwConfig& c) -> FieldRef { return &pu(c).l1_banks; })),
      key("l1_tile_budget_bytes", K::Bytes, "bytes", kKiB, 16 * kMiB,
          "L1 the tiler may fill with tiles (L1 minus stacks)",
          [](HwConfig& c) -> FieldRef { return &pu(c).l1_tile_budget_bytes; }),
      key("l2_bytes", K::Bytes, "bytes", kKiB, kGiB, "L2 memory",
          [](HwConfig& c) -> FieldRef { return &pu(c).l2_bytes; }),
      key("l3_bytes", K::Bytes, "bytes", kKiB, 64 * kGiB, "L3 memory (HyperRAM)",
          [](HwConfig& c) -> FieldRef { return &pu(c).l3_bytes; }),
      key("l3_flash_bytes", K::Bytes, "bytes", 0, 64 * kGiB,
          "read-only L3 (HyperFlash) on the same bus, where the weights stay",
          [](HwConfig& c) -> FieldRef { return &pu(c).l3_flash_bytes; }),
      key("dma_bytes_per_cycle", K::Integer, "bytes/cycle", 1, 1024, "cluster DMA bandwidth L2<->L1, per direction",
          [](HwConfig& c) -> FieldRef { return &pu(c).dma_bytes_per_cycle; }),
      key("dma_burst_bytes", K::Bytes, "bytes", 4, 65536, "largest cluster DMA burst",
          [](HwConfig& c) -> FieldRef { return &pu(c).dma_burst_bytes; }),
      key("dma_outstanding_transfers", K::Integer, "transfers", 1, 64, "cluster DMA transfers in flight per direction",
          [](HwConfig& c) -> FieldRef { return &pu(c).dma_outstanding_transfers; }),
      key("dma_latency_cycles", K::Integer, "cycles", 0, 100000,
          "latency of one cluster DMA transfer before data flows",
          [](HwConfig& c) -> FieldRef { return &pu(c).dma_latency_cycles; }),
      key("l3_bytes_per_cycle", K::Real, "bytes/cycle", 0.001, 1024, "uDMA bandwidth L3<->L2",
          [](HwConfig& c) -> FieldRef { return &pu(c).l3_bytes_per_cycle; }),
      key("l3_latency_cycles", K::Integer, "cycles", 0, 1000000, "latency of one L3 transfer before data flows",
          [](HwConfig& c) -> FieldRef { return &pu(c).l3_latency_cycles; }),
      key("barrier_cycles", K::Integer, "cycles", 0, 100000, "hardware barrier across the cores",
          [](HwConfig& c) -> FieldRef { return &pu(c).barrier_cycles; }),
      key("wakeup_cycles", K::Integer, "cycles", 0, 100000, "event-unit wake-up of a sleeping core",
          [](HwConfig& c) -> FieldRef { return &pu(c).wakeup_cycles; }),
  };
  return keys;
}

}  // namespace

const std::array<TargetSchema, kTargetCount>& target_schemas() {
  static const std::array<TargetSchema, kTargetCount> schemas = {{
      {Target::Xdnn, "xdnn", xdnn_keys, [] { return HwConfig::Params{XdnnParams{}}; }},
      {Target::Pulp, "pulp", pulp_keys, [] { return HwConfig::Params{PulpParams{}}; }},
  }};
  return schemas;
}

static_assert(std::variant_size_v<HwConfig::Params> == kTargetCount, "one params block per Target");
static_assert(std::is_same_v<std::variant_alternative_t<static_cast<std::size_t>(Target::Xdnn), HwConfig::Params>,
                             XdnnParams>);
static_assert(std::is_same_v<std::variant_alternative_t<static_cast<std::size_t>(Target::Pulp), HwConfig::Params>,
                             PulpParams>);

const TargetSchema& schema_of(Target target) { return target_schemas().at(static_cast<std::size_t>(target)); }

std::string target_choices() {
  std::string text;
  for (std::size_t i = 0; i < kTargetCount; ++i) {
    if (i > 0) text += i + 1 == kTargetCount ? " or " : ", ";
    text += target_schemas()[i].name;
  }
  return text;
}

std::vector<const KeySpec*> all_keys(Target target) {
  std::vector<const KeySpec*> keys;
  for (const auto& k : common_keys()) keys.push_back(&k);
  for (const auto& k : schema_of(target).keys()) keys.push_back(&k);
  return keys;
}

const KeySpec* find_key(Target target, std::string_view path) {
  for (const KeySpec* k : all_keys(target)) {
    if (k->info.path == path) return k;
  }
  return nullptr;
}

std::vector<std::string_view> group_members(Target target, std::string_view path) {
  std::vector<std::string_view> members;
  const std::string prefix = std::string(path) + ".";
  for (const KeySpec* k : all_keys(target)) {
    if (k->info.path.starts_with(prefix)) members.push_back(k->info.path.substr(prefix.size()));
  }
  return members;
}

}  // namespace wb::hw_schema

namespace wb {

using namespace hw_schema;

const char* target_name(Target target) { return schema_of(target).name; }

std::vector<Target> all_targets() {
  std::vector<Target> targets;
  for (const TargetSchema& schema : target_schemas()) targets.push_back(schema.target);
  return targets;
}

std::vector<HwKeyInfo> hw_keys(Target target) {
  std::vector<HwKeyInfo> keys;
  for (const KeySpec* k : all_keys(target)) keys.push_back(k->info);
  return keys;
}

std::vector<HwKeyValue> resolved_keys(const HwConfig& config) {
  std::vector<HwKeyValue> values;
  // The accessors hand out mutable pointers; here they are only read.
  auto& mutable_config = const_cast<HwConfig&>(config);
  for (const KeySpec* k : all_keys(config.target())) {
    if (k->field == nullptr) {
      values.push_back({k->info, std::string(target_name(config.target()))});
      continue;
    }
    const HwValue value = std::visit(
        [](auto* field) -> HwValue {
          using T = std::remove_pointer_t<decltype(field)>;
          if constexpr (std::is_same_v<T, int>) {
            return static_cast<std::int64_t>(*field);
          } else {
            return *field;
          }
        },
        k->field(mutable_config));
    values.push_back({k->info, value});
  }
  return values;
}

}  // namespace wb
