#pragma once
// Text that is always valid UTF-8: an error quoting a binary file, or a YAML parser's message
// about one, must neither write raw bytes to a terminal nor fail to decode in Python.

#include <string>
#include <string_view>

namespace wb {

// `text` with every byte that is not part of a well-formed UTF-8 sequence, and every control
// character but newline and tab, written as "\xNN".
std::string valid_utf8(std::string_view text);

// UserError "SOURCE: not a text file (byte K is \xNN: ...); WHAT" when `content` holds a NUL or a
// byte outside well-formed UTF-8 (a binary file given where text belongs).
void require_text(std::string_view content, std::string_view source, std::string_view what);

}  // namespace wb
