#pragma once
// The hardware description (DESIGN.md §4.2): one YAML file describes one machine, and the
// same HwConfig drives the compiler (what fits where) and the simulator (how long things
// take). The structs are plain data, as gem5's params: every field has its unit in its name
// or comment, and nothing here has behaviour beyond validation and derived figures.
// Only the loader reads YAML; it rejects unknown keys, wrong types, missing keys and values
// out of range, naming the file, the line and the dotted key (docs/hw_config.md).

#include <any>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "isa/energy_params.h"
#include "isa/pulp_timing.h"

namespace wb {

// The targets a config can describe, in the order of HwConfig::params' alternatives.
enum class Target { Xdnn, Pulp };
inline constexpr std::size_t kTargetCount = 2;
const char* target_name(Target target);  // "xdnn", "pulp": the config's `target` value
// Every target, in declaration order.
std::vector<Target> all_targets();

// The DSP array of an xDNN overlay. A v2 28x32 array has 28 rows and 32 columns.
struct XdnnArrayParams {
#define WB_HW_KEY(type, field, initial, ...) type field = initial;
#include "isa/hw_keys_xdnn_array.def"
};

// The Dedicated Block of xDNN v3 (ML Suite's throughput mode): a smaller array of its own that
// runs only the network's first convolution (compile option mode=throughput). Its size is not
// published; the defaults are chosen from what it runs (docs/xdnn.md, "Throughput mode").
struct XdnnDedicatedBlockParams {
#define WB_HW_KEY(type, field, initial, ...) type field = initial;
#include "isa/hw_keys_xdnn_dedicated.def"
};

// The values of the key sections that models above isa/ declare and read (perf/pulp's
// `predictor.*`), by section name, each the model's own struct (isa/hw_schema.h,
// register_model_section): isa/ keeps hardware facts only.
using HwModelSections = std::map<std::string, std::any, std::less<>>;

// The largest am_bytes a config may give (its key's range); a layer needing more cannot run.
inline constexpr std::int64_t kMaxAmBytes = std::int64_t{1} << 30;

// The most PEs a card may carry (the `pes` key's range): twice the U250's four.
inline constexpr int kMaxXdnnPes = 8;

struct XdnnParams {
  XdnnArrayParams array;
#define WB_HW_KEY(type, field, initial, ...) type field = initial;
#include "isa/hw_keys_xdnn.def"
  XdnnDedicatedBlockParams dedicated;  // the Dedicated Block (throughput mode)
  XdnnEnergyParams energy;             // per-event energies and static power (energy_params.h)
  HwModelSections models;              // the models' own sections (none registered for xDNN today)
};

// A PULP cluster (GAP8-like). Cycles are cluster clock cycles. Each section's keys are declared
// once, with their defaults and sources, in isa/hw_keys_*.def (`defaulted`: a config may leave
// the key out).
struct PulpParams {
#define WB_HW_KEY(type, field, initial, ...) type field = initial;
#include "isa/hw_keys_pulp.def"
  PulpCorePipeline core;       // the cluster model's RI5CY pipeline
  PulpEnergyParams energy;     // per-event energies and static power (energy_params.h)
  HwModelSections models;      // the models' own sections: perf/pulp's `predictor` (kernel_cycles.h)
};

struct HwConfig {
  // One alternative per Target, in its order (hw_config.cpp checks the two agree).
  using Params = std::variant<XdnnParams, PulpParams>;

  std::string name;
  double clock_mhz = 0;  // clock of the array / cluster, MHz
  Params params;

  Target target() const { return static_cast<Target>(params.index()); }
  // The target's section; a UserError naming the config when it is the other target's.
  const XdnnParams& xdnn() const;
  const PulpParams& pulp() const;
};

// Reads a config file, validates it, then applies `--set key=value` overrides in order,
// validated the same way. Every failure is a UserError of one line naming the file, the
// line (or the --set it came from) and the dotted key. A size may be written relative to
// another size key, `l1_tile_budget_bytes: l1_bytes - 28836`: it is resolved once every value
// is in, so it follows that key's final value (docs/hw_config.md).
HwConfig load_hw_config(const std::filesystem::path& path, const std::vector<std::string>& overrides = {});
// Which checks parse_hw_config makes: every one, or each key's own (kind, range) without the
// rules between keys (a tile budget within its memory): a sweep checks one axis value alone
// that way, and its points whole.
enum class HwChecks { All, KeysOnly };
// The same from YAML text; `source` names it in messages (usually the file's path).
HwConfig parse_hw_config(std::string_view yaml, std::string_view source,
                         const std::vector<std::string>& overrides = {}, HwChecks checks = HwChecks::All);

// Derived figures: formulas over the parameters, never stored. `bits` is 8 or 16.
// 1 MAC = 2 ops; GOP/s = 2 * MAC/cycle * clock.
double peak_mac_per_cycle(const HwConfig& config, int bits);
double peak_gops(const HwConfig& config, int bits);

struct HwFigure {
  std::string name;  // "peak_gops_int8"
  double value = 0;
  std::string unit;  // "GOP/s"
  std::string meaning;
};
// Every derived figure of the config's target, in a fixed order (what `hw show` prints).
std::vector<HwFigure> derived_figures(const HwConfig& config);

// The schema: every key of a target, in file order, with its unit, meaning, where its value
// comes from and, for a key a config may leave out, its default.
enum class HwValueKind { Text, Choice, Integer, Real, Bytes, Boolean };
using HwValue = std::variant<std::int64_t, double, bool, std::string>;
// Where a key's value comes from; the key's `source` says which publication, or how.
enum class HwProvenance {
  Published,  // a figure of the real system (REFERENCE.md, a manual, DORY's descriptions)
  Chosen,     // a model constant nobody publishes, with how its value was chosen
  Derived,    // counted from what the hardware does (the instructions of PULP-NN's loops)
  PerConfig,  // differs between configs (published in one, chosen in another): each config's comment says
};
const char* provenance_name(HwProvenance provenance);  // "published", "chosen", "derived", "per config"
struct HwKeyInfo {
  std::string_view path;  // dotted: "array.rows"
  HwValueKind kind;
  std::string_view unit;  // "MHz", "bytes", ... ("" for text and booleans)
  std::string_view meaning;
  HwProvenance provenance;
  std::string_view source;             // the publication, or how the value was chosen or derived
  std::optional<HwValue> default_value;  // a key a config may leave out; none: required
};
std::vector<HwKeyInfo> hw_keys(Target target);
// The key's accepted range as docs/hw_config.md writes it ("1 .. 4096, a power of two",
// "1 KiB .. 1 GiB"); "" for keys without one (text, choices, booleans) and unknown keys.
std::string hw_key_range(Target target, std::string_view path);

struct HwKeyValue {
  HwKeyInfo key;
  HwValue value;  // Integer and Bytes: int64; Real: double; Boolean: bool; Text, Choice: string
};
// The resolved config as (key, value) pairs, in schema order.
std::vector<HwKeyValue> resolved_keys(const HwConfig& config);
// A value as text: true/false, bytes as format_byte_size writes them ("64 KiB"), numbers plainly.
std::string hw_value_text(HwValueKind kind, const HwValue& value);

// The Markdown tables docs/hw_config.md carries between its `keys:begin/end` markers (a test
// keeps them equal): every key of the schema with its range, default and source, and its value
// in each of `configs` (the shipped ones, in the order given) of its target.
std::string hw_keys_markdown(const std::vector<HwConfig>& configs);

}  // namespace wb
