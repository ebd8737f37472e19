#include "isa/hw_config.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <regex>
#include <set>
#include <stdexcept>

#include "isa/hw_schema.h"
#include "support/byte_size.h"
#include "support/error.h"
#include "support/file_io.h"
#include "support/spelling.h"
#include "support/utf8.h"

namespace wb {
namespace {

using namespace hw_schema;
using K = HwValueKind;

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

  HwConfig load(std::string_view yaml, const std::vector<std::string>& overrides, HwChecks checks) {
    require_text(yaml, source_, "a hardware config is a YAML text file (docs/hw_config.md)");
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
    resolve_relatives();
    if (checks == HwChecks::All) check_relations();
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
        if (value.Tag() != "!" && take_relative(*spec, path, value.Scalar())) continue;
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
      // A key with a default already holds it: the params started fresh.
      if (!k->info.default_value && origins_.count(std::string(k->info.path)) == 0) missing.push_back(k->info.path);
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
    if (take_relative(*spec, path, text)) return;
    const std::string error = assign(*spec, config_, text, false);
    if (!error.empty()) fail(path, error);
  }

  // A size written relative to another size of the config, "l1_bytes - 28836": kept until
  // every value (file and --set) is in, so that it follows the other key's final value (a
  // sweep's L1 axis moves the tile budget with it). A plain value given later replaces it.
  struct Relative {
    std::string key, text;
    std::int64_t offset = 0;  // added to the key's value
  };

  bool take_relative(const KeySpec& spec, const std::string& path, const std::string& text) {
    relatives_.erase(path);
    if (spec.info.kind != K::Bytes) return false;
    static const std::regex form(R"(^\s*([A-Za-z_][A-Za-z0-9_.]*)\s*([+-])\s*(\S.*?)\s*$)");
    std::smatch m;
    if (!std::regex_match(text, m, form)) return false;
    const std::string key = m[1].str();
    const KeySpec* other = find_key(target_, key);
    if (other == nullptr || other->info.kind != K::Bytes || key == path) {
      fail(path, fmt::format("'{}': {} is not another size key of a {} config (write a size, or SIZE_KEY - SIZE as in "
                             "l1_bytes - 28836)",
                             text, key, target_name(target_)));
    }
    std::string why;
    const auto size = parse_byte_size(m[3].str(), &why);
    if (!size) fail(path, fmt::format("'{}': {} is not a size ({})", text, m[3].str(), why));
    relatives_[path] = Relative{key, text, m[2].str() == "-" ? -*size : *size};
    return true;
  }

  void resolve_relatives() {
    for (const auto& [path, relative] : relatives_) {
      if (relatives_.count(relative.key) > 0) {
        fail(path, fmt::format("'{}': {} is itself relative; refer to a key given as a size", relative.text,
                               relative.key));
      }
      const std::int64_t base = std::get<std::int64_t>(value_of(*find_key(target_, relative.key), config_));
      const std::int64_t value = base + relative.offset;
      const std::string resolved = fmt::format("'{}' = {} ({} is {})", relative.text, value, relative.key,
                                               format_byte_size(base));
      if (value <= 0) fail(path, fmt::format("{}: not a size (give {} a value of its own)", resolved, path));
      const std::string error = assign(*find_key(target_, path), config_, std::to_string(value), false);
      if (!error.empty()) fail(path, fmt::format("{}: {}", resolved, error));
    }
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
  std::map<std::string, Relative> relatives_;  // sizes given relative to another, by path
};

// The config's params block of type P; a UserError naming the config when it is another target's.
template <class P>
const P& section(const HwConfig& config, Target wanted) {
  if (const auto* p = std::get_if<P>(&config.params)) return *p;
  throw UserError(fmt::format("hw config '{}' is for target {}; this needs a config of target {}", config.name,
                              target_name(config.target()), target_name(wanted)));
}

}  // namespace

const XdnnParams& HwConfig::xdnn() const { return section<XdnnParams>(*this, Target::Xdnn); }
const PulpParams& HwConfig::pulp() const { return section<PulpParams>(*this, Target::Pulp); }

HwConfig parse_hw_config(std::string_view yaml, std::string_view source, const std::vector<std::string>& overrides,
                         HwChecks checks) {
  return Loader(source).load(yaml, overrides, checks);
}

HwConfig load_hw_config(const std::filesystem::path& path, const std::vector<std::string>& overrides) {
  return parse_hw_config(read_file_bytes(path), path.string(), overrides);
}

}  // namespace wb
