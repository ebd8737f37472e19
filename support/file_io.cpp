#include "support/file_io.h"

#include <fmt/format.h>
#include <unistd.h>

#include <fstream>

#include "support/error.h"

namespace wb {

void require_regular_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::is_regular_file(path, ec)) return;
  if (std::filesystem::is_directory(path, ec)) throw UserError(fmt::format("{}: a directory, not a file", path.string()));
  if (std::filesystem::exists(path, ec)) throw UserError(fmt::format("{}: not a regular file", path.string()));
  throw UserError(fmt::format("{}: no such file", path.string()));
}

std::string read_file_bytes(const std::filesystem::path& path) {
  std::error_code ec;
  require_regular_file(path);
  std::ifstream file(path, std::ios::binary);
  if (!file) throw UserError(fmt::format("{}: cannot be opened", path.string()));
  // One read into a string of the file's size: streaming through a stringstream copies a
  // 100 MB model three times.
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) throw UserError(fmt::format("{}: cannot be read: {}", path.string(), ec.message()));
  std::string content(static_cast<std::size_t>(size), '\0');
  file.read(content.data(), static_cast<std::streamsize>(size));
  if (static_cast<std::uintmax_t>(file.gcount()) != size) {
    throw UserError(fmt::format("{}: read {} of {} bytes (did the file change while it was read?)", path.string(),
                                file.gcount(), size));
  }
  return content;
}

void check_output_folder(const std::filesystem::path& dir, std::string_view what) {
  std::error_code ec;
  std::filesystem::path existing = std::filesystem::absolute(dir, ec);
  while (!std::filesystem::exists(existing, ec) && existing.has_parent_path() && existing != existing.parent_path()) {
    existing = existing.parent_path();
  }
  if (!std::filesystem::is_directory(existing, ec)) {
    throw UserError(fmt::format("{}: {} {} a file, not a folder; give a folder path", dir.string(), what,
                                existing == std::filesystem::absolute(dir, ec) ? "names" : "lies under"));
  }
  if (::access(existing.c_str(), W_OK) != 0) {
    throw UserError(fmt::format("{}: cannot write the {} folder: {} is not writable", dir.string(), what,
                                existing.string()));
  }
}

void create_output_folder(const std::filesystem::path& dir, std::string_view what) {
  check_output_folder(dir, what);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw UserError(fmt::format("{}: cannot create the {} folder: {}", dir.string(), what, ec.message()));
  if (::access(dir.c_str(), W_OK) != 0) {
    throw UserError(fmt::format("{}: the {} folder is not writable", dir.string(), what));
  }
}

void check_output_file(const std::filesystem::path& path, std::string_view what) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw UserError(fmt::format("{}: {} names a folder; give a file path", path.string(), what));
  }
  const std::filesystem::path folder = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  if (!std::filesystem::is_directory(folder, ec)) {
    throw UserError(fmt::format("{}: cannot write {}: folder {} does not exist", path.string(), what, folder.string()));
  }
  if (::access(folder.c_str(), W_OK) != 0 || (std::filesystem::exists(path, ec) && ::access(path.c_str(), W_OK) != 0)) {
    throw UserError(fmt::format("{}: cannot write {}: permission denied", path.string(), what));
  }
}

void check_input_file(const std::filesystem::path& path, std::string_view what) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw UserError(fmt::format("{}: no such file ({})", path.string(), what));
  if (std::filesystem::is_directory(path, ec)) {
    throw UserError(fmt::format("{}: {} names a folder; give a file", path.string(), what));
  }
  if (::access(path.c_str(), R_OK) != 0) {
    throw UserError(fmt::format("{}: cannot read {}: permission denied", path.string(), what));
  }
}

}  // namespace wb
