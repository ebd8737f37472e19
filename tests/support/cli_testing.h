#pragma once
// Running the `workbench` binary in tests and checking its bad-input contract.

#include <filesystem>
#include <nlohmann/json.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace wb::test {

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout and stderr together
};

// Runs `workbench ARGS` and captures its output and exit code.
CommandResult workbench(const std::string& args);
// Runs a shell command line (stdout and stderr together).
CommandResult shell(const std::string& command);

// A run with what it cost the machine: its own peak resident memory and wall time (the
// child's rusage from wait4, so nothing else the test process ran is counted).
struct MeasuredRun : CommandResult {
  std::uint64_t peak_rss_bytes = 0;
  double seconds = 0;
};
// Runs `workbench ARGS...` (no shell: each argument as given), stdout and stderr together.
MeasuredRun measured_workbench(const std::vector<std::string>& args);

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
