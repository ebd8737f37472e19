#pragma once
// Files the commands read and write: whole-file reads, and the checks an output or input path
// gets before any long work starts (so a typo fails in a second, not after a simulation).

#include <filesystem>
#include <string>
#include <string_view>

namespace wb {

// Checks, before any long work and without creating anything, that the output folder `dir`
// that option `what` (e.g. "-o") names can be made: UserError naming it when it is a file or
// its nearest existing ancestor is not a writable folder.
void check_output_folder(const std::filesystem::path& dir, std::string_view what);
// Creates that folder (with the same errors).
void create_output_folder(const std::filesystem::path& dir, std::string_view what);
// Checks that output file `path` (option `what`) can be written: not a folder, its folder
// exists and is writable. UserError naming it otherwise. Writes nothing.
void check_output_file(const std::filesystem::path& path, std::string_view what);
// Checks that input file `path` (option `what`) exists and is a readable file.
void check_input_file(const std::filesystem::path& path, std::string_view what);
// UserError unless `path` is a regular file: "no such file", or "a directory, not a file".
void require_regular_file(const std::filesystem::path& path);
// The file's bytes, in one read; UserError naming it when it is missing or cannot be read.
std::string read_file_bytes(const std::filesystem::path& path);

}  // namespace wb
