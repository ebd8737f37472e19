#include "tests/support/browser_testing.h"

#include <gtest/gtest.h>
#include <png.h>

#include <cstdio>
#include <memory>
#include <set>
#include <vector>

#include "tests/support/cli_testing.h"

namespace wb::test {

namespace {

// As the machine's documentation says headless Chromium must run here: no sandbox as root,
// no GPU, and none of the background connections the closed network refuses.
std::string chromium_command(const std::filesystem::path& profile) {
  return chromium_binary() +
         " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking "
         "--disable-component-update --disable-sync --disable-dev-shm-usage --user-data-dir=" +
         profile.string();
}

// The test process's Chromium profile: made at the first page, removed when the process
// ends (Chromium has exited by then: every call waits for it), so no run leaves one behind.
struct Profile {
  std::filesystem::path dir;
  Profile() {
    char pattern[] = "/tmp/wb-chromium-XXXXXX";
    const char* made = mkdtemp(pattern);
    dir = made != nullptr ? made : "/tmp/wb-chromium";
  }
  ~Profile() {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
};

std::filesystem::path profile_dir() {
  static const Profile profile;
  return profile.dir;
}

}  // namespace

std::string chromium_binary() {
  for (const char* candidate : {"/usr/bin/chromium", "/usr/bin/chromium-browser"}) {
    if (std::filesystem::exists(candidate)) return candidate;
  }
  return "";
}

std::string rendered_dom(const std::filesystem::path& html) {
  if (chromium_binary().empty()) {
    ADD_FAILURE() << "chromium not found: install Debian's chromium (scripts/setup.sh does this)";
    return "";
  }
  // stderr (dbus noise) goes away; the DOM is the whole stdout.
  const CommandResult run =
      shell(chromium_command(profile_dir()) + " --dump-dom file://" + std::filesystem::absolute(html).string() +
            " 2>/dev/null");
  EXPECT_EQ(run.exit_code, 0) << run.out.substr(0, 2000);
  return run.out;
}

void screenshot(const std::filesystem::path& html, const std::filesystem::path& png, int width, int height) {
  if (chromium_binary().empty()) {
    ADD_FAILURE() << "chromium not found: install Debian's chromium (scripts/setup.sh does this)";
    return;
  }
  const CommandResult run = shell(chromium_command(profile_dir()) + " --hide-scrollbars --screenshot=" + png.string() +
                                  " --window-size=" + std::to_string(width) + "," + std::to_string(height) +
                                  " file://" + std::filesystem::absolute(html).string());
  EXPECT_EQ(run.exit_code, 0) << run.out.substr(0, 2000);
  EXPECT_TRUE(std::filesystem::exists(png)) << run.out.substr(0, 2000);
}

ImageStats png_stats(const std::filesystem::path& path) {
  ImageStats stats;
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  if (png_image_begin_read_from_file(&image, path.c_str()) == 0) {
    ADD_FAILURE() << path << ": not a readable PNG: " << image.message;
    return stats;
  }
  image.format = PNG_FORMAT_RGB;
  std::vector<unsigned char> pixels(PNG_IMAGE_SIZE(image));
  if (png_image_finish_read(&image, nullptr, pixels.data(), 0, nullptr) == 0) {
    ADD_FAILURE() << path << ": PNG decoding failed: " << image.message;
    return stats;
  }
  stats.width = static_cast<int>(image.width);
  stats.height = static_cast<int>(image.height);
  std::set<unsigned> colours;
  std::size_t non_white = 0;
  const std::size_t count = static_cast<std::size_t>(image.width) * image.height;
  for (std::size_t i = 0; i < count; ++i) {
    const unsigned char r = pixels[3 * i], g = pixels[3 * i + 1], b = pixels[3 * i + 2];
    if (r < 240 || g < 240 || b < 240) ++non_white;
    colours.insert((unsigned{r} >> 4) << 8 | (unsigned{g} >> 4) << 4 | (unsigned{b} >> 4));
  }
  stats.non_white_fraction = count > 0 ? static_cast<double>(non_white) / static_cast<double>(count) : 0.0;
  stats.colours = colours.size();
  return stats;
}

}  // namespace wb::test
