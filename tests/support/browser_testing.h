#pragma once
// Rendering a page in headless Chromium (Debian's chromium, scripts/setup.sh installs it)
// and looking at the result: the DOM after the page's load handlers ran, a screenshot, and
// what the screenshot shows.

#include <cstddef>
#include <filesystem>
#include <string>

namespace wb::test {

// The chromium binary; "" when there is none.
std::string chromium_binary();

// The serialised DOM of a local page after load (scripts run). Fails the calling test (with
// the reason) when chromium is missing or fails.
std::string rendered_dom(const std::filesystem::path& html);

// A PNG screenshot of a local page at the given window size.
void screenshot(const std::filesystem::path& html, const std::filesystem::path& png, int width, int height);

struct ImageStats {
  int width = 0, height = 0;
  double non_white_fraction = 0;  // pixels that are not (near) white
  std::size_t colours = 0;        // distinct colours (quantised to 4 bits a channel)
};
// Reads a PNG (libpng); the test fails when it cannot be read.
ImageStats png_stats(const std::filesystem::path& png);

}  // namespace wb::test
