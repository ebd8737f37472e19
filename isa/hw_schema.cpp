#include "isa/hw_schema.h"

#include <deque>
#include <iterator>
#include <mutex>
#include <stdexcept>
#include <type_traits>

namespace wb::hw_schema {
namespace {


XdnnParams& xd(HwConfig& c) { return std::get<XdnnParams>(c.params); }
PulpParams& pu(HwConfig& c) { return std::get<PulpParams>(c.params); }

constexpr double kKiB = 1024.0;
constexpr double kMiB = kKiB * 1024;
constexpr double kGiB = kMiB * 1024;

using K = HwValueKind;
constexpr HwProvenance kPerConfig = HwProvenance::PerConfig;

// A key without a presence (the common keys: required).
KeySpec key(std::string_view path, HwValueKind kind, std::string_view unit, double min, double max,
            std::string_view meaning, HwProvenance provenance, std::string_view source,
            FieldRef (*field)(HwConfig&)) {
  return KeySpec{HwKeyInfo{path, kind, unit, meaning, provenance, source, std::nullopt}, min, max, field};
}

// Fresh params of `Params`, as a config: the defaults of its own sections' keys.
template <class Params>
const HwConfig& fresh_config() {
  static const HwConfig fresh = [] {
    HwConfig c;
    c.params = Params{};
    return c;
  }();
  return fresh;
}

// The registered model sections, in registration order.
std::vector<ModelSection>& model_sections() {
  static std::vector<ModelSection> sections;
  return sections;
}

std::mutex& model_sections_mutex() {
  static std::mutex mutex;
  return mutex;
}

// A target's keys: its own sections, then the model sections registered for it, then its
// energies. Rebuilt when a section has been registered since (static initialisation); every
// list built stays until exit, so pointers into one handed out stay valid.
const std::vector<KeySpec>& with_model_sections(Target target, const std::vector<KeySpec>& own,
                                                const std::vector<KeySpec>& energy) {
  struct Built {
    std::size_t sections = 0;
    const std::vector<KeySpec>* keys = nullptr;
  };
  static std::array<Built, kTargetCount> built;
  static std::deque<std::vector<KeySpec>> lists;  // a deque: adding one moves none
  const std::lock_guard lock(model_sections_mutex());
  Built& b = built.at(static_cast<std::size_t>(target));
  if (b.keys == nullptr || b.sections != model_sections().size()) {
    std::vector<KeySpec>& keys = lists.emplace_back(own);
    for (const ModelSection& section : model_sections()) {
      if (section.target != target) continue;
      std::vector<KeySpec> part = section.keys();
      keys.insert(keys.end(), part.begin(), part.end());
    }
    keys.insert(keys.end(), energy.begin(), energy.end());
    b = {model_sections().size(), &keys};
  }
  return *b.keys;
}

}  // namespace

const std::vector<KeySpec>& common_keys() {
  static const std::vector<KeySpec> keys = {
      key("name", K::Text, "", 0, 0, "name of the machine (letters, digits, '_', '-', '.')", kPerConfig,
          "names the file's machine; not a figure", [](HwConfig& c) -> FieldRef { return &c.name; }),
      key("target", K::Choice, "", 0, 0, "which machine this is: xdnn or pulp; selects the keys below", kPerConfig,
          "the kind of machine the file describes; not a figure", nullptr),
      key("clock_mhz", K::Real, "MHz", 1, 10000, "clock of the array (xdnn) or cluster (pulp)", kPerConfig,
          "xDNN: published (REFERENCE.md); gap8: published (DORY's GAP8 description); pulp_open: chosen (DORY's "
          "PULP_gvsoc description, 100 MHz as GAP8)",
          [](HwConfig& c) -> FieldRef { return &c.clock_mhz; }),
  };
  return keys;
}

namespace {

// Each target's own keys, in file order: the sections of isa/hw_keys_*.def one after another,
// each row a key of the section `section` (an expression of the config `c`) of `Params`.
#define WB_HW_ROW(Params, section, ...) WB_HW_SCHEMA_ROW(fresh_config<Params>(), section, __VA_ARGS__)

const std::vector<KeySpec>& xdnn_keys() {
  static const std::vector<KeySpec> own = {
#define WB_HW_KEY(...) WB_HW_ROW(XdnnParams, xd(c).array, __VA_ARGS__)
#include "isa/hw_keys_xdnn_array.def"
#define WB_HW_KEY(...) WB_HW_ROW(XdnnParams, xd(c), __VA_ARGS__)
#include "isa/hw_keys_xdnn.def"
#define WB_HW_KEY(...) WB_HW_ROW(XdnnParams, xd(c).dedicated, __VA_ARGS__)
#include "isa/hw_keys_xdnn_dedicated.def"
  };
  static const std::vector<KeySpec> energy = {
#define WB_HW_KEY(...) WB_HW_ROW(XdnnParams, xd(c).energy, __VA_ARGS__)
#include "isa/hw_keys_xdnn_energy.def"
  };
  return with_model_sections(Target::Xdnn, own, energy);
}

// The PULP keys. Sources: REFERENCE.md's PULP section, DORY's GAP8 and PULP_gvsoc hardware
// descriptions, the CV32E40P user manual ("Pipeline Details"); the predictor's counts are
// perf/pulp's section (perf/pulp/kernel_cycles.def), registered between these and the energies.
const std::vector<KeySpec>& pulp_keys() {
  static const std::vector<KeySpec> own = {
#define WB_HW_KEY(...) WB_HW_ROW(PulpParams, pu(c), __VA_ARGS__)
#include "isa/hw_keys_pulp.def"
#define WB_HW_KEY(...) WB_HW_ROW(PulpParams, pu(c).core, __VA_ARGS__)
#include "isa/hw_keys_pulp_core.def"
  };
  static const std::vector<KeySpec> energy = {
#define WB_HW_KEY(...) WB_HW_ROW(PulpParams, pu(c).energy, __VA_ARGS__)
#include "isa/hw_keys_pulp_energy.def"
  };
  return with_model_sections(Target::Pulp, own, energy);
}

// Fresh params of a target: its own sections' initial values and each registered model
// section's.
template <class Params>
HwConfig::Params fresh_params_with_models(Target target) {
  Params params;
  const std::lock_guard lock(model_sections_mutex());
  for (const ModelSection& section : model_sections()) {
    if (section.target == target) params.models.insert_or_assign(std::string(section.name), section.fresh());
  }
  return params;
}

#undef WB_HW_ROW

}  // namespace

const std::array<TargetSchema, kTargetCount>& target_schemas() {
  static const std::array<TargetSchema, kTargetCount> schemas = {{
      {Target::Xdnn, "xdnn", xdnn_keys, [] { return fresh_params_with_models<XdnnParams>(Target::Xdnn); }},
      {Target::Pulp, "pulp", pulp_keys, [] { return fresh_params_with_models<PulpParams>(Target::Pulp); }},
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

KeySpec make_key(Presence presence, const HwConfig& fresh, std::string_view path, HwValueKind kind,
                 std::string_view unit, double min, double max, std::string_view meaning, HwProvenance provenance,
                 std::string_view source, FieldRef (*field)(HwConfig&)) {
  KeySpec spec = key(path, kind, unit, min, max, meaning, provenance, source, field);
  spec.power_of_two = presence == Presence::required_power_of_two;
  if (presence == Presence::defaulted) spec.info.default_value = value_of(spec, fresh);
  return spec;
}

void register_model_section(const ModelSection& section) {
  const std::lock_guard lock(model_sections_mutex());
  for (const ModelSection& other : model_sections()) {
    if (other.target == section.target && other.name == section.name) {
      throw std::logic_error("model section '" + std::string(section.name) + "' registered twice");
    }
  }
  model_sections().push_back(section);
}

HwValue value_of(const KeySpec& key, const HwConfig& config) {
  // The accessors hand out mutable pointers; here they are only read.
  auto& readable = const_cast<HwConfig&>(config);
  return std::visit(
      [](auto* field) -> HwValue {
        using T = std::remove_pointer_t<decltype(field)>;
        if constexpr (std::is_same_v<T, int>) {
          return static_cast<std::int64_t>(*field);
        } else {
          return *field;
        }
      },
      key.field(readable));
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
  for (const KeySpec* k : all_keys(config.target())) {
    if (k->field == nullptr) {
      values.push_back({k->info, std::string(target_name(config.target()))});
      continue;
    }
    values.push_back({k->info, value_of(*k, config)});
  }
  return values;
}

const char* provenance_name(HwProvenance provenance) {
  switch (provenance) {
    case HwProvenance::Published:
      return "published";
    case HwProvenance::Chosen:
      return "chosen";
    case HwProvenance::Derived:
      return "derived";
    case HwProvenance::PerConfig:
      return "per config";
  }
  return "?";
}

}  // namespace wb
