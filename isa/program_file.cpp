#include "isa/program_file.h"

#include <fmt/format.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <fstream>
#include <sstream>
#include <system_error>
#include <type_traits>

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

std::string hw_fingerprint(const HwConfig& config) {
  Fnv64 hash;
  hash.add(config.name);
  hash.add(fmt::format("{:.17g}", config.clock_mhz));
  for (const HwKeyValue& kv : resolved_keys(config)) {
    // A key at its default is left out, so a key added with a default (the machine unchanged)
    // keeps the fingerprints of existing configs, their programs and regress baselines.
    if (kv.key.default_value == kv.value) continue;
    hash.add(kv.key.path);
    hash.add(value_text(kv.value));
  }
  return fmt::format("{:016x}", hash.state);
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

void check_loaded(google::protobuf::MessageLite& program, ProgramHeader& header, bool parsed,
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
}

void check_header_matches(const ProgramHeader& header, const HwConfig& config, const std::string& program_name,
                          Target target, const char* what) {
  if (config.target() != target) {
    throw UserError(fmt::format("{}: {} cannot run on '{}', a {} config", program_name, what, config.name,
                                target_name(config.target())));
  }
  const std::string fingerprint = hw_fingerprint(config);
  if (header.hw_fingerprint() != fingerprint) {
    throw UserError(fmt::format(
        "{}: compiled for hardware '{}' (fingerprint {}), but the config is '{}' (fingerprint {}); compile it "
        "again for this config, with the same --set overrides",
        program_name, header.hw_name(), header.hw_fingerprint(), config.name, fingerprint));
  }
}

}  // namespace wb::isa
