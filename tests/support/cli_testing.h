#pragma once
// Running the `workbench` binary in tests and checking its bad-input contract.

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace wb::test {

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout and stderr together
};

// Runs `workbench ARGS` and captures its output and exit code.
CommandResult workbench(const std::string& args);
// Runs a shell command line (stdout and stderr together).
CommandResult shell(const std::string& command);

// A path under workloads/ as a string.
std::string workload(const std::string& name);

std::size_t line_count(const std::string& text);

// Bad input: exit code 2 and exactly one line of output, which mentions `needle`.
void expect_bad_input(const CommandResult& run, const std::string& needle);

// Bad input that may follow log lines (quantization, compilation): exit 2, an "error:" line
// mentioning `needle`, and no "internal error".
void expect_error(const CommandResult& run, const std::string& needle);

nlohmann::json read_json(const std::filesystem::path& path);

}  // namespace wb::test
