#include "isa/hw_config.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

#include "support/byte_size.h"
#include "support/error.h"
#include "support/spelling.h"

namespace wb {
namespace {

// ---------------------------------------------------------------------------------------
// The schema: every key once, with its kind, unit, range and the field it fills.

using FieldRef = std::variant<std::string*, int*, std::int64_t*, double*, bool*>;

struct KeySpec {
  HwKeyInfo info;
  double min = 0;  // inclusive bounds of Integer, Real and Bytes values
  double max = 0;
  FieldRef (*field)(HwConfig&) = nullptr;  // null for `target`, which selects the section
  bool power_of_two = false;
};

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

// Each target's section of the schema, and what its params block checks once every key is in.
// One row per Target, in its order (HwConfig::params' alternatives follow it too).
struct TargetSchema {
  Target target;
  const char* name;  // the `target` key's value
  const std::vector<KeySpec>& (*keys)();
  HwConfig::Params (*fresh_params)();
};

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

const std::vector<KeySpec>& section_keys(Target target) { return schema_of(target).keys(); }

// The targets' names for messages: "xdnn or pulp".
std::string target_choices() {
  std::string text;
  for (std::size_t i = 0; i < kTargetCount; ++i) {
    if (i > 0) text += i + 1 == kTargetCount ? " or " : ", ";
    text += target_schemas()[i].name;
  }
  return text;
}

// Common keys, then the target's, in file order.
std::vector<const KeySpec*> all_keys(Target target) {
  std::vector<const KeySpec*> keys;
  for (const auto& k : common_keys()) keys.push_back(&k);
  for (const auto& k : section_keys(target)) keys.push_back(&k);
  return keys;
}

const KeySpec* find_key(Target target, std::string_view path) {
  for (const KeySpec* k : all_keys(target)) {
    if (k->info.path == path) return k;
  }
  return nullptr;
}

// The leaf keys below a group ("array" -> rows, cols, ...), empty if `path` is no group.
std::vector<std::string_view> group_members(Target target, std::string_view path) {
  std::vector<std::string_view> members;
  const std::string prefix = std::string(path) + ".";
  for (const KeySpec* k : all_keys(target)) {
    if (k->info.path.starts_with(prefix)) members.push_back(k->info.path.substr(prefix.size()));
  }
  return members;
}

// ---------------------------------------------------------------------------------------
// Values: one parser for YAML scalars and --set values, so both are validated the same way.

const char* expected_kind(HwValueKind kind) {
  switch (kind) {
    case K::Text:
      return "a name";
    case K::Choice:
      return "one of the listed names";
    case K::Integer:
      return "an integer";
    case K::Real:
      return "a number";
    case K::Bytes:
      return "a size (bytes, or with a unit: 512kB, 64 KiB, 9MiB)";
    case K::Boolean:
      return "true or false";
  }
  return "a value";
}

std::string format_number(double v) { return fmt::format("{}", v); }

std::string format_bound(const KeySpec& spec, double v) {
  return spec.info.kind == K::Bytes ? format_byte_size(static_cast<std::int64_t>(v)) : format_number(v);
}

std::string range_error(const KeySpec& spec, const std::string& shown) {
  return fmt::format("{} is out of range [{}, {}]", shown, format_bound(spec, spec.min), format_bound(spec, spec.max));
}

bool is_name(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' ||
           ch == '.';
  });
}

// Parses `text` into the key's field of `config`; returns what is wrong, or "" when it fits.
// `quoted`: the YAML scalar was quoted, so it is a string even if it reads as a number.
std::string assign(const KeySpec& spec, HwConfig& config, const std::string& text, bool quoted) {
  const K kind = spec.info.kind;
  const auto wrong = [&](std::string_view detail = {}) {
    return fmt::format("expected {}, got {}{}", expected_kind(kind),
                       quoted ? fmt::format("the quoted string \"{}\"", text) : fmt::format("'{}'", text),
                       detail.empty() ? "" : fmt::format(" ({})", detail));
  };
  if (kind == K::Choice) return "";  // `target` is read before everything else and has no field
  const FieldRef field = spec.field(config);
  switch (kind) {
    case K::Choice:
      return "";
    case K::Text: {
      if (!is_name(text)) return wrong("letters, digits, '_', '-', '.'; at most 64");
      *std::get<std::string*>(field) = text;
      return "";
    }
    case K::Boolean: {
      if (quoted || (text != "true" && text != "false")) return wrong();
      *std::get<bool*>(field) = text == "true";
      return "";
    }
    case K::Integer: {
      std::int64_t v = 0;
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (quoted || text.empty() || end != text.data() + text.size()) return wrong();
      if (ec == std::errc::result_out_of_range || v < spec.min || v > spec.max) return range_error(spec, text);
      if (spec.power_of_two && (v & (v - 1)) != 0) return fmt::format("{} is not a power of two", v);
      *std::get<int*>(field) = static_cast<int>(v);
      return "";
    }
    case K::Real: {
      double v = 0;
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (quoted || text.empty() || end != text.data() + text.size() || ec != std::errc() || !std::isfinite(v)) {
        return wrong();
      }
      if (v < spec.min || v > spec.max) return range_error(spec, text);
      *std::get<double*>(field) = v;
      return "";
    }
    case K::Bytes: {
      std::string why;
      const auto v = parse_byte_size(text, &why);
      if (!v) return wrong(why);
      if (static_cast<double>(*v) < spec.min || static_cast<double>(*v) > spec.max) {
        return range_error(spec, format_byte_size(*v));
      }
      *std::get<std::int64_t*>(field) = *v;
      return "";
    }
  }
  return "";
}

// ---------------------------------------------------------------------------------------
// The loader: walks the YAML document, remembers where each key came from, applies --set.

struct Origin {
  int line = 0;         // 1-based line in the file, 0 when unknown
  std::string set_arg;  // the --set argument, when the value came from one
};

class Loader {
 public:
  explicit Loader(std::string_view source) : source_(source) {}

  HwConfig load(std::string_view yaml, const std::vector<std::string>& overrides) {
    YAML::Node root;
    try {
      root = YAML::Load(std::string(yaml));
    } catch (const YAML::Exception& e) {
      throw UserError(fmt::format("{}:{}: YAML syntax error: {}", source_, e.mark.line + 1, e.msg));
    }
    if (!root.IsMap()) {
      throw UserError(
          fmt::format("{}:1: expected a map of keys (name, target, clock_mhz, ...) at the top level", source_));
    }
    read_target(root);
    walk(root, "", 1);
    check_missing();
    for (const auto& o : overrides) apply_override(o);
    check_relations();
    return config_;
  }

 private:
  [[noreturn]] void fail(const std::string& path, const std::string& message) const {
    const auto it = origins_.find(path);
    throw UserError(fmt::format("{}: {}: {}", where(it == origins_.end() ? Origin{} : it->second), path, message));
  }

  std::string where(const Origin& o) const {
    if (!o.set_arg.empty()) return fmt::format("{} (--set {})", source_, o.set_arg);
    if (o.line > 0) return fmt::format("{}:{}", source_, o.line);
    return std::string(source_);
  }

  static int line_of(const YAML::Node& node) { return node.Mark().line >= 0 ? node.Mark().line + 1 : 0; }

  // The target decides which keys exist, so it is read before the rest.
  void read_target(const YAML::Node& root) {
    for (const auto& entry : root) {
      if (!entry.first.IsScalar() || entry.first.Scalar() != "target") continue;
      const YAML::Node& value = entry.second;
      const std::string text = value.IsScalar() ? value.Scalar() : std::string();
      const auto& schemas = target_schemas();
      const auto schema = std::find_if(schemas.begin(), schemas.end(), [&](const TargetSchema& s) { return text == s.name; });
      if (schema == schemas.end()) {
        throw UserError(fmt::format("{}:{}: target: expected {}, got {}", source_, line_of(entry.first), target_choices(),
                                    node_text(value)));
      }
      config_.params = schema->fresh_params();
      target_ = config_.target();
      return;
    }
    throw UserError(fmt::format("{}:1: target: missing key ({})", source_, target_choices()));
  }

  std::string unknown_key_message(const std::string& path) const {
    for (const Target other : all_targets()) {
      if (other != target_ && (find_key(other, path) != nullptr || !group_members(other, path).empty())) {
        return fmt::format("unknown key: it belongs to target {}, but this config's target is {}", target_name(other),
                           target_name(target_));
      }
    }
    std::vector<std::string_view> known;
    for (const KeySpec* k : all_keys(target_)) known.push_back(k->info.path);
    const std::string best = closest_spelling(path, known);  // only near misses
    if (!best.empty()) return fmt::format("unknown key (did you mean '{}'?)", best);
    return fmt::format("unknown key for target {} (docs/hw_config.md lists the keys)", target_name(target_));
  }

  static std::string node_text(const YAML::Node& node) {
    if (node.IsNull()) return "nothing";
    if (node.IsSequence()) return "a list";
    if (node.IsMap()) return "a map";
    return fmt::format("'{}'", node.Scalar());
  }

  void walk(const YAML::Node& map, const std::string& prefix, int map_line) {
    groups_[prefix] = map_line;
    for (const auto& entry : map) {
      const int line = line_of(entry.first);
      if (!entry.first.IsScalar()) {
        throw UserError(
            fmt::format("{}:{}: {}: keys must be plain names", source_, line, prefix.empty() ? "(top)" : prefix));
      }
      const std::string path = prefix.empty() ? entry.first.Scalar() : prefix + "." + entry.first.Scalar();
      if (entry.first.Scalar().find('.') != std::string::npos) {
        // One spelling per key: dotted paths are for --set, files nest groups.
        const auto dot = entry.first.Scalar().find('.');
        throw UserError(fmt::format("{}:{}: {}: write it nested, as '{}:' with '{}' under it", source_, line, path,
                                    entry.first.Scalar().substr(0, dot), entry.first.Scalar().substr(dot + 1)));
      }
      if (const auto it = origins_.find(path); it != origins_.end()) {
        throw UserError(
            fmt::format("{}:{}: {}: duplicate key (first given on line {})", source_, line, path, it->second.line));
      }
      origins_[path] = Origin{line, {}};
      const YAML::Node& value = entry.second;
      if (const KeySpec* spec = find_key(target_, path)) {
        if (!value.IsScalar()) {
          fail(path, fmt::format("expected {}, got {}", expected_kind(spec->info.kind), node_text(value)));
        }
        if (spec->field == nullptr) continue;  // target: read first
        const std::string error = assign(*spec, config_, value.Scalar(), value.Tag() == "!");
        if (!error.empty()) fail(path, error);
      } else if (const auto members = group_members(target_, path); !members.empty()) {
        if (!value.IsMap()) {
          fail(path, fmt::format("expected a map with keys {}, got {}", fmt::join(members, ", "), node_text(value)));
        }
        walk(value, path, line);
      } else {
        fail(path, unknown_key_message(path));
      }
    }
  }

  void check_missing() const {
    std::vector<std::string_view> missing;
    for (const KeySpec* k : all_keys(target_)) {
      if (origins_.count(std::string(k->info.path)) == 0) missing.push_back(k->info.path);
    }
    if (missing.empty()) return;
    // The line of the innermost group of the first missing key that the file has.
    std::string group(missing.front());
    int line = 1;
    while (true) {
      const auto dot = group.rfind('.');
      group = dot == std::string::npos ? "" : group.substr(0, dot);
      if (const auto it = groups_.find(group); it != groups_.end()) {
        line = it->second;
        break;
      }
    }
    if (missing.size() == 1) {
      const KeySpec* k = find_key(target_, missing.front());
      throw UserError(fmt::format("{}:{}: {}: missing key: {}{}", source_, line, missing.front(), k->info.meaning,
                                  k->info.unit.empty() ? "" : fmt::format(", in {}", k->info.unit)));
    }
    throw UserError(fmt::format("{}:{}: missing keys {} (docs/hw_config.md describes them)", source_, line,
                                fmt::join(missing, ", ")));
  }

  void apply_override(const std::string& assignment) {
    const auto eq = assignment.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw UserError(fmt::format("{} (--set {}): expected key=value, e.g. --set array.rows=56", source_, assignment));
    }
    const std::string path = assignment.substr(0, eq);
    const std::string text = assignment.substr(eq + 1);
    origins_[path] = Origin{0, assignment};
    if (path == "target") fail(path, "the target cannot be changed with --set; use another config file");
    const KeySpec* spec = find_key(target_, path);
    if (spec == nullptr) {
      if (const auto members = group_members(target_, path); !members.empty()) {
        fail(path, fmt::format("a group of keys; set one of them: {}.{}", path,
                               fmt::join(members, fmt::format(", {}.", path))));
      }
      fail(path, unknown_key_message(path));
    }
    const std::string error = assign(*spec, config_, text, false);
    if (!error.empty()) fail(path, error);
  }

  // Constraints between keys, checked once everything (file and --set) is in.
  void check_relations() const {
    std::visit([this](const auto& params) { check_relations_of(params); }, config_.params);
  }
  void check_relations_of(const XdnnParams&) const {}
  void check_relations_of(const PulpParams& p) const {
    if (p.l1_tile_budget_bytes > p.l1_bytes) {
      fail("l1_tile_budget_bytes", fmt::format("{} is larger than l1_bytes ({})", format_byte_size(p.l1_tile_budget_bytes),
                                               format_byte_size(p.l1_bytes)));
    }
  }

  std::string_view source_;
  HwConfig config_;
  Target target_ = Target::Xdnn;
  std::map<std::string, Origin> origins_;  // every key given, by dotted path
  std::map<std::string, int> groups_;      // every group given ("" = top level), by path: its line
};

}  // namespace

const char* target_name(Target target) { return schema_of(target).name; }

std::vector<Target> all_targets() {
  std::vector<Target> targets;
  for (const TargetSchema& schema : target_schemas()) targets.push_back(schema.target);
  return targets;
}

namespace {

// The config's params block of type P; a UserError naming the config when it is another target's.
template <class P>
const P& section(const HwConfig& config, Target wanted) {
  if (const auto* p = std::get_if<P>(&config.params)) return *p;
  throw UserError(fmt::format("hw config '{}' is for target {}; this needs a config of target {}", config.name,
                              target_name(config.target()), target_name(wanted)));
}

// Derived figures of each params block (DESIGN.md §4.2: formulas, never stored).
double peak_macs(const XdnnParams& x, int bits) {
  const XdnnArrayParams& a = x.array;
  return static_cast<double>(a.rows) * a.cols * (bits == 8 ? a.macs_per_dsp_int8 : a.macs_per_dsp_int16);
}
double peak_macs(const PulpParams& p, int bits) {
  return static_cast<double>(p.cores) * (bits == 8 ? p.core_macs_per_cycle_int8 : p.core_macs_per_cycle_int16);
}
std::string peak_macs_formula(const XdnnParams&, int bits) { return fmt::format("dsps x array.macs_per_dsp_int{}", bits); }
std::string peak_macs_formula(const PulpParams&, int bits) { return fmt::format("cores x core_macs_per_cycle_int{}", bits); }

// The figures before the peaks (what the peaks are made of).
std::vector<HwFigure> leading_figures(const XdnnParams& x, double) {
  return {{"dsps", static_cast<double>(x.array.rows) * x.array.cols, "DSP", "array.rows x array.cols"}};
}
std::vector<HwFigure> leading_figures(const PulpParams&, double) { return {}; }

// The figures after the peaks: memories and channels.
std::vector<HwFigure> memory_figures(const XdnnParams& x, double clock_mhz) {
  return {{"ddr_bytes_per_cycle", x.ddr_gbps * x.ddr_efficiency * 1000.0 / clock_mhz, "bytes/cycle",
           "sustained DDR bandwidth per clock: ddr_gbps x ddr_efficiency / clock"},
          {"ddr_latency_cycles", x.ddr_latency_ns * clock_mhz / 1000.0, "cycles", "ddr_latency_ns in clock cycles"}};
}
std::vector<HwFigure> memory_figures(const PulpParams& p, double clock_mhz) {
  return {{"l1_bank_bytes", static_cast<double>(p.l1_bytes) / p.l1_banks, "bytes", "l1_bytes / l1_banks"},
          {"dma_gbps", p.dma_bytes_per_cycle * clock_mhz / 1000.0, "GB/s",
           "cluster DMA bandwidth per direction: dma_bytes_per_cycle x clock"},
          {"l3_gbps", p.l3_bytes_per_cycle * clock_mhz / 1000.0, "GB/s", "L3 bandwidth: l3_bytes_per_cycle x clock"}};
}

}  // namespace

const XdnnParams& HwConfig::xdnn() const { return section<XdnnParams>(*this, Target::Xdnn); }
const PulpParams& HwConfig::pulp() const { return section<PulpParams>(*this, Target::Pulp); }

HwConfig parse_hw_config(std::string_view yaml, std::string_view source, const std::vector<std::string>& overrides) {
  return Loader(source).load(yaml, overrides);
}

HwConfig load_hw_config(const std::filesystem::path& path, const std::vector<std::string>& overrides) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UserError(fmt::format("{}: cannot read the hardware config", path.string()));
  std::ostringstream text;
  text << in.rdbuf();
  return parse_hw_config(text.str(), path.string(), overrides);
}

double peak_mac_per_cycle(const HwConfig& config, int bits) {
  if (bits != 8 && bits != 16) throw std::invalid_argument(fmt::format("peak_mac_per_cycle: {} bits", bits));
  return std::visit([bits](const auto& params) { return peak_macs(params, bits); }, config.params);
}

double peak_gops(const HwConfig& config, int bits) {
  return 2.0 * peak_mac_per_cycle(config, bits) * config.clock_mhz / 1000.0;
}

std::vector<HwFigure> derived_figures(const HwConfig& config) {
  std::vector<HwFigure> figures =
      std::visit([&](const auto& params) { return leading_figures(params, config.clock_mhz); }, config.params);
  for (const int bits : {8, 16}) {
    figures.push_back({fmt::format("peak_mac_per_cycle_int{}", bits), peak_mac_per_cycle(config, bits), "MAC/cycle",
                       std::visit([bits](const auto& params) { return peak_macs_formula(params, bits); }, config.params)});
  }
  for (const int bits : {8, 16}) {
    figures.push_back({fmt::format("peak_gops_int{}", bits), peak_gops(config, bits), "GOP/s",
                       fmt::format("2 ops/MAC x peak_mac_per_cycle_int{} x clock_mhz", bits)});
  }
  const std::vector<HwFigure> memory =
      std::visit([&](const auto& params) { return memory_figures(params, config.clock_mhz); }, config.params);
  figures.insert(figures.end(), memory.begin(), memory.end());
  return figures;
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
