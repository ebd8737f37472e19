#pragma once
// Byte sizes as people write them in configs, sweep specs and on the command line.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace wb {

// Byte sizes: a whole number of bytes, plain (`4194304`) or with a unit: B, kB (1000),
// KiB (1024), MB (1e6), MiB (2^20), GB (1e9), GiB (2^30); a space before the unit and a
// decimal fraction (`1.5MiB`) are allowed if the result is whole bytes. nullopt otherwise,
// and `why` (if given) says what is wrong.
std::optional<std::int64_t> parse_byte_size(std::string_view text, std::string* why = nullptr);
// The largest unit that divides `bytes` exactly: "9 MiB", "64 kB", "1000 bytes".
std::string format_byte_size(std::int64_t bytes);

}  // namespace wb
