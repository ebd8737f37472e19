#pragma once
// Numbers as the console tables print them.

#include <cstdint>
#include <string>

namespace wb {

// 1234567 -> "1,234,567"; -1234 -> "-1,234".
std::string grouped(std::int64_t value);
std::string grouped(std::uint64_t value);
// Other integer types pick one of the two by signedness.
inline std::string grouped(int value) { return grouped(static_cast<std::int64_t>(value)); }
inline std::string grouped(unsigned value) { return grouped(static_cast<std::uint64_t>(value)); }
inline std::string grouped(long long value) { return grouped(static_cast<std::int64_t>(value)); }
inline std::string grouped(unsigned long long value) { return grouped(static_cast<std::uint64_t>(value)); }

}  // namespace wb
