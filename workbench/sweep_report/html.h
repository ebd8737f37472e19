#pragma once
// What an HTML page needs escaped or encoded: text and attribute escaping, and images as
// base64 data URIs (the report is one self-contained file).

#include <string>
#include <string_view>

namespace wb::sweep {

// &, <, >, " and ' as entities.
std::string escape_html(std::string_view text);
// "data:image/svg+xml;base64,..." of an SVG document.
std::string svg_data_uri(std::string_view svg);
std::string base64(std::string_view bytes);

}  // namespace wb::sweep
