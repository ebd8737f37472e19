#pragma once
// What both program formats do the same way: fingerprint the hardware config, write a
// program atomically, read one back, and refuse one of another format version, target or
// hardware config (DESIGN.md §4.3).

#include <cstdint>
#include <filesystem>
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

// UserError when the program was compiled for another target or hardware config.
void check_header_matches(const ProgramHeader& header, const HwConfig& config, const std::string& program_name,
                          Target target, const char* what);

}  // namespace wb::isa
