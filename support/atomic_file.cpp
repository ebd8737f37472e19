#include "support/atomic_file.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <csignal>
#include <cstring>
#include <fstream>
#include <mutex>

#include "support/error.h"

namespace wb {
namespace {

// The temporary files being written, in fixed storage a signal handler may read: a slot is
// claimed under a mutex, its path copied in, then marked in use (atomically) for the handler.
struct PartialFiles {
  static constexpr std::size_t kSlots = 32;
  static constexpr std::size_t kPathBytes = 4096;
  std::array<std::array<char, kPathBytes>, kSlots> paths{};
  std::array<std::atomic<bool>, kSlots> in_use{};
  std::mutex claim;
};

PartialFiles& partial_files() {
  static PartialFiles files;
  return files;
}

// Registers a temporary file for the handler while it exists (not at all when the table is
// full or the path too long: the file is then only removed on a failed write).
class PartialFile {
 public:
  explicit PartialFile(const std::filesystem::path& path) : path_(path) {
    const std::string text = path.string();
    PartialFiles& files = partial_files();
    const std::lock_guard lock(files.claim);
    for (std::size_t i = 0; i < PartialFiles::kSlots && text.size() < PartialFiles::kPathBytes; ++i) {
      if (files.in_use[i].load()) continue;
      std::memcpy(files.paths[i].data(), text.c_str(), text.size() + 1);
      files.in_use[i].store(true);
      slot_ = static_cast<int>(i);
      break;
    }
  }
  ~PartialFile() {
    if (slot_ >= 0) partial_files().in_use[static_cast<std::size_t>(slot_)].store(false);
    if (!renamed_) {
      std::error_code ignored;
      std::filesystem::remove(path_, ignored);
    }
  }
  PartialFile(const PartialFile&) = delete;
  PartialFile& operator=(const PartialFile&) = delete;
  void renamed() { renamed_ = true; }

 private:
  std::filesystem::path path_;
  int slot_ = -1;
  bool renamed_ = false;
};

extern "C" void remove_partial_files_and_die(int signal_number) {
  PartialFiles& files = partial_files();
  for (std::size_t i = 0; i < PartialFiles::kSlots; ++i) {
    if (files.in_use[i].load()) ::unlink(files.paths[i].data());
  }
  std::signal(signal_number, SIG_DFL);
  std::raise(signal_number);
}

}  // namespace

namespace {
constexpr std::string_view kPartialMarker = ".partial";
}  // namespace

std::optional<long> partial_file_writer(const std::filesystem::path& path) {
  // <name>.partial<pid>.<n>
  const std::string name = path.filename().string();
  const std::size_t marker = name.rfind(kPartialMarker);
  if (marker == std::string::npos) return std::nullopt;
  const std::string rest = name.substr(marker + kPartialMarker.size());
  const std::size_t dot = rest.find('.');
  const auto digits = [](std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (dot == std::string::npos || !digits(std::string_view(rest).substr(0, dot)) ||
      !digits(std::string_view(rest).substr(dot + 1)) || dot > 9) {
    return std::nullopt;
  }
  return std::stol(rest.substr(0, dot));
}

void write_file_atomically_with(const std::filesystem::path& path, const std::function<void(std::ostream&)>& write) {
  // Unique per process and per call, so threads of one process never share a temporary file.
  static std::atomic<std::uint64_t> calls{0};
  std::filesystem::path temporary = path;
  temporary += fmt::format("{}{}.{}", kPartialMarker, ::getpid(), calls++);
  PartialFile partial(temporary);
  {
    std::ofstream file(temporary, std::ios::binary | std::ios::trunc);
    if (!file) throw UserError(fmt::format("{}: cannot be written (does the folder exist?)", path.string()));
    write(file);
    file.flush();
    if (!file) throw UserError(fmt::format("{}: write failed (disk full?)", path.string()));
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) throw UserError(fmt::format("{}: cannot be written: {}", path.string(), ec.message()));
  partial.renamed();
}

void write_file_atomically(const std::filesystem::path& path, std::string_view bytes) {
  write_file_atomically_with(path, [&](std::ostream& out) {
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  });
}

void remove_partial_files_on_signal() {
  static const bool installed = [] {
    partial_files();  // constructed before any handler can run
    struct sigaction action {};
    action.sa_handler = remove_partial_files_and_die;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
    return true;
  }();
  (void)installed;
}

}  // namespace wb
