#include "isa/program_file.h"

#include <fmt/format.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <fstream>
#include <set>
#include <sstream>
#include <system_error>
#include <type_traits>
#include <vector>

#include "support/atomic_file.h"
#include "support/error.h"
#include "support/sha256.h"

namespace wb::isa {

namespace {

// FNV-1a, 64 bit: a fingerprint, not a security measure.
struct Fnv64 {
  std::uint64_t state = 0xcbf29ce484222325ULL;
  void add(std::string_view text) {
    for (const unsigned char ch : text) {
      state ^= ch;
      state *= 0x100000001b3ULL;
    }
    state ^= 0xff;  // separator, so ("ab","c") and ("a","bc") differ
    state *= 0x100000001b3ULL;
  }
};

std::string value_text(const HwValue& value) {
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          return v;
        } else if constexpr (std::is_same_v<T, bool>) {
          return v ? "true" : "false";
        } else if constexpr (std::is_same_v<T, double>) {
          return fmt::format("{:.17g}", v);
        } else {
          return std::to_string(v);
        }
      },
      value);
}

}  // namespace

std::map<std::string, std::string> fingerprinted_keys(const HwConfig& config) {
  std::map<std::string, std::string> keys = {{"name", config.name}, {"clock_mhz", fmt::format("{:.17g}", config.clock_mhz)}};
  for (const HwKeyValue& kv : resolved_keys(config)) {
    // A key at its default is left out, so a key added with a default (the machine unchanged)
    // keeps the fingerprints of existing configs, their programs and regress baselines.
    if (kv.key.default_value == kv.value) continue;
    keys[std::string(kv.key.path)] = value_text(kv.value);
  }
  return keys;
}

std::string hw_fingerprint(const HwConfig& config) {
  Fnv64 hash;
  hash.add(config.name);
  hash.add(fmt::format("{:.17g}", config.clock_mhz));
  for (const HwKeyValue& kv : resolved_keys(config)) {
    if (kv.key.default_value == kv.value) continue;  // as fingerprinted_keys
    hash.add(kv.key.path);
    hash.add(value_text(kv.value));
  }
  return fmt::format("{:016x}", hash.state);
}

void record_hw(ProgramHeader& header, const HwConfig& config) {
  header.set_hw_name(config.name);
  header.set_hw_fingerprint(hw_fingerprint(config));
  header.clear_hw_keys();
  for (const auto& [key, value] : fingerprinted_keys(config)) {
    HwKey& recorded = *header.add_hw_keys();
    recorded.set_key(key);
    recorded.set_value(value);
  }
}

void save_message(const google::protobuf::MessageLite& message, const std::filesystem::path& path) {
  std::string bytes;
  if (!message.SerializeToString(&bytes)) throw std::runtime_error("cannot serialise the program");
  write_file_atomically(path, bytes);
}

std::string payload_digest(google::protobuf::MessageLite& program, ProgramHeader& header) {
  std::string kept = std::move(*header.mutable_payload_sha256());
  header.clear_payload_sha256();
  std::string bytes;
  program.ByteSizeLong();  // SerializeWithCachedSizes needs the sizes of this state of the message
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream out(&stream);
    out.SetSerializationDeterministic(true);
    program.SerializeWithCachedSizes(&out);
  }
  header.set_payload_sha256(std::move(kept));
  return sha256_hex(bytes);
}

void seal(google::protobuf::MessageLite& program, ProgramHeader& header) {
  header.set_payload_sha256(payload_digest(program, header));
}

void check_payload_digest(google::protobuf::MessageLite& program, ProgramHeader& header,
                          const std::filesystem::path& path) {
  if (header.payload_sha256() != payload_digest(program, header)) {
    throw UserError(fmt::format("{} is damaged: digest mismatch (its bytes are not the ones 'workbench compile' "
                                "wrote); compile the model again",
                                path.string()));
  }
}

void check_loaded(google::protobuf::MessageLite& program, ProgramHeader& header, bool parsed, std::string_view bytes,
                  const std::string& target, std::uint32_t version, const std::filesystem::path& path, const char* what) {
  if (!parsed || header.target() != target) {
    throw UserError(fmt::format(
        "{}: not {} (corrupted, or not written by 'workbench compile'); compile the model again", path.string(), what));
  }
  if (header.format_version() != version) {
    throw UserError(fmt::format("{}: program format version {}, this workbench reads version {}; compile the model again",
                                path.string(), header.format_version(), version));
  }
  check_payload_digest(program, header, path);
  // The digest is of the program as parsed: bytes that parse to the same program another way
  // (a boolean written as 103, a number in a longer varint) pass it. Compile writes the one
  // encoding protobuf writes, so any other is damage.
  std::string again;
  if (!program.SerializeToString(&again) || again != bytes) {
    throw UserError(fmt::format("{} is damaged: its bytes are not the encoding workbench compile writes; compile the "
                                "model again",
                                path.string()));
  }
}

namespace {

// "; keys that differ (compiled with -> this config): cores 8 -> 4, ..." ("default" for a key
// at its default); "" for a program written before programs recorded their keys.
std::string key_differences(const ProgramHeader& header, const HwConfig& config) {
  if (header.hw_keys().empty()) return "";
  const std::map<std::string, std::string> now = fingerprinted_keys(config);
  std::map<std::string, std::string> then;
  for (const HwKey& recorded : header.hw_keys()) then[recorded.key()] = recorded.value();
  std::vector<std::string> differ;
  const auto value = [](const std::map<std::string, std::string>& keys, const std::string& key) {
    const auto it = keys.find(key);
    return it == keys.end() ? std::string("default") : it->second;
  };
  std::set<std::string> names;
  for (const auto& [key, v] : then) names.insert(key);
  for (const auto& [key, v] : now) names.insert(key);
  for (const std::string& key : names) {
    if (value(then, key) != value(now, key)) differ.push_back(fmt::format("{} {} -> {}", key, value(then, key), value(now, key)));
  }
  if (differ.empty()) return "";
  constexpr std::size_t kShown = 6;
  std::string text = "; keys that differ (compiled with -> this config):";
  for (std::size_t i = 0; i < differ.size() && i < kShown; ++i) text += (i == 0 ? " " : ", ") + differ[i];
  if (differ.size() > kShown) text += fmt::format(" and {} more", differ.size() - kShown);
  return text;
}

}  // namespace

void check_header_matches(const ProgramHeader& header, const HwConfig& config, const std::string& program_name,
                          Target target, const char* what) {
  if (config.target() != target) {
    throw UserError(fmt::format("{}: {} cannot run on '{}', a {} config", program_name, what, config.name,
                                target_name(config.target())));
  }
  const std::string fingerprint = hw_fingerprint(config);
  if (header.hw_fingerprint() != fingerprint) {
    throw UserError(fmt::format(
        "{}: compiled for hardware '{}' (fingerprint {}), but the config is '{}' (fingerprint {}){}; compile it "
        "again for this config, with the same --set overrides",
        program_name, header.hw_name(), header.hw_fingerprint(), config.name, fingerprint,
        key_differences(header, config)));
  }
}

}  // namespace wb::isa
