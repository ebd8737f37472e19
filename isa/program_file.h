#pragma once
// What both program formats do the same way: fingerprint the hardware config, write a
// program atomically, read one back, and refuse one of another format version, target or
// hardware config (DESIGN.md §4.3).

#include <cstdint>
#include <filesystem>
#include <string>

#include <google/protobuf/message_lite.h>

#include "isa/hw_config.h"
#include "isa/program_common.pb.h"

namespace wb::isa {

// A stable digest of every resolved key of the config (name included), as 16 hex digits.
std::string hw_fingerprint(const HwConfig& config);

// Writes atomically (a temporary file renamed into place): a failed write leaves no file.
void save_message(const google::protobuf::MessageLite& message, const std::filesystem::path& path);

// The file's bytes; UserError naming it when it cannot be opened.
std::string read_file_bytes(const std::filesystem::path& path);
// After parsing a program (`parsed` says whether that worked): UserError naming the file when
// it did not parse, is not of `target` ("xdnn"/"pulp"; `what` says "an xDNN program") or is
// of another format version.
void check_header(const ProgramHeader& header, bool parsed, const std::string& target, std::uint32_t version,
                  const std::filesystem::path& path, const char* what);

// UserError when the program was compiled for another target or hardware config.
void check_header_matches(const ProgramHeader& header, const HwConfig& config, const std::string& program_name,
                          Target target, const char* what);

}  // namespace wb::isa
