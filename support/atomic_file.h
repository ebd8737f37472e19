#pragma once
// Output files appear whole or not at all: each is written to a temporary file beside it
// (`<path>.partial<pid>.<n>`) and renamed into place. A failed write removes the temporary
// file; so does SIGINT or SIGTERM once remove_partial_files_on_signal() is installed (the
// process then dies of the signal as it would have), so an interrupted run leaves no
// `*.partial*` file behind.

#include <filesystem>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string_view>

namespace wb {

// UserError naming `path` when the file cannot be written (missing folder, disk full).
void write_file_atomically(const std::filesystem::path& path, std::string_view bytes);
// The same for content produced by `write` into the stream (a trace of tens of MB).
void write_file_atomically_with(const std::filesystem::path& path, const std::function<void(std::ostream&)>& write);

// Installs the SIGINT/SIGTERM handlers (once; later calls do nothing).
void remove_partial_files_on_signal();

// The process id of the writer when `path` names one of these temporary files (a writer
// killed with SIGKILL leaves it; whoever reads the folder can remove it once that process
// is gone), else nullopt.
std::optional<long> partial_file_writer(const std::filesystem::path& path);

}  // namespace wb
