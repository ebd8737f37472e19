#pragma once
// What both program formats do the same way: fingerprint the hardware config, write a
// program atomically, read one back, and refuse one of another format version, target or
// hardware config (DESIGN.md §4.3).

#include <cstdint>
#include <filesystem>
#include <limits>
#include <map>
#include <string>
#include <string_view>

#include <google/protobuf/message_lite.h>

#include "isa/hw_config.h"
#include "isa/program_common.pb.h"

namespace wb::isa {

// A stable digest of every resolved key of the config (name included; a key at its default left
// out), as 16 hex digits.
std::string hw_fingerprint(const HwConfig& config);
// What the fingerprint digests: `name`, `clock_mhz` and every key not at its default, each with
// its value as text.
std::map<std::string, std::string> fingerprinted_keys(const HwConfig& config);
// Records the config a program is compiled for in its header: name, fingerprint and keys.
void record_hw(ProgramHeader& header, const HwConfig& config);

// Writes atomically (a temporary file renamed into place): a failed write leaves no file.
void save_message(const google::protobuf::MessageLite& message, const std::filesystem::path& path);

// SHA-256 (hex) of `program` serialised deterministically with header.payload_sha256 empty;
// `header` is the program's own header (cleared for the digest, then restored).
std::string payload_digest(google::protobuf::MessageLite& program, ProgramHeader& header);
// Sets header.payload_sha256 to the program's payload digest.
void seal(google::protobuf::MessageLite& program, ProgramHeader& header);
// UserError "PATH is damaged: digest mismatch" unless header.payload_sha256 is the digest.
void check_payload_digest(google::protobuf::MessageLite& program, ProgramHeader& header,
                          const std::filesystem::path& path);

// After parsing a program (`parsed` says whether that worked): UserError naming the file when
// it did not parse, is not of `target` ("xdnn"/"pulp"; `what` says "an xDNN program"), is
// of another format version, or its payload digest does not match.
void check_loaded(google::protobuf::MessageLite& program, ProgramHeader& header, bool parsed, std::string_view bytes,
                  const std::string& target, std::uint32_t version, const std::filesystem::path& path, const char* what);

// The one save and load routine of both formats (`Program` is isa/pulp.proto's Network or
// isa/xdnn.proto's Program: a message with a `header`): writes a sealed copy atomically; parses
// `bytes` and checks them (check_loaded), naming the file `name` in every error.
template <class Program>
void save_sealed(const Program& program, const std::filesystem::path& path) {
  Program sealed = program;
  seal(sealed, *sealed.mutable_header());
  save_message(sealed, path);
}

template <class Program>
Program parse_checked(std::string_view bytes, const std::filesystem::path& name, const std::string& target,
                      std::uint32_t version, const char* what) {
  Program program;
  // Protobuf reads at most 2 GiB; a larger file is not one compile wrote.
  const bool parsed = bytes.size() <= static_cast<std::size_t>(std::numeric_limits<int>::max()) &&
                      program.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
  check_loaded(program, *program.mutable_header(), parsed, bytes, target, version, name, what);
  return program;
}

// UserError when the program was compiled for another target or hardware config.
void check_header_matches(const ProgramHeader& header, const HwConfig& config, const std::string& program_name,
                          Target target, const char* what);

}  // namespace wb::isa
