#include "support/utf8.h"

#include <fmt/format.h>

#include <cstdint>

#include "support/error.h"

namespace wb {
namespace {

// The length of the well-formed UTF-8 sequence starting at text[i] (RFC 3629: no overlong
// forms, no surrogates, nothing past U+10FFFF), or 0.
std::size_t sequence_length(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<std::uint8_t>(text[k]); };
  const std::uint8_t lead = byte(i);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  std::uint8_t low = 0x80, high = 0xBF;  // the second byte's range
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  if (byte(i + 1) < low || byte(i + 1) > high) return 0;
  for (std::size_t k = 2; k < length; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return length;
}

}  // namespace

std::string valid_utf8(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<std::uint8_t>(text[i]);
    const std::size_t length = sequence_length(text, i);
    const bool control = length == 1 && (c < 0x20 || c == 0x7F) && c != '\n' && c != '\t';
    if (length == 0 || control) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
      ++i;
      continue;
    }
    out.append(text.substr(i, length));
    i += length;
  }
  return out;
}

void require_text(std::string_view content, std::string_view source, std::string_view what) {
  for (std::size_t i = 0; i < content.size();) {
    const std::size_t length = sequence_length(content, i);
    if (length == 0 || content[i] == '\0') {
      throw UserError(fmt::format("{}: not a text file (byte {} is \\x{:02x}, which no UTF-8 text holds); {}", source, i,
                                  static_cast<unsigned>(static_cast<unsigned char>(content[i])), what));
    }
    i += length;
  }
}

}  // namespace wb
