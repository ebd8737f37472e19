#include "tests/support/cli_testing.h"

#include <fstream>

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cstdio>

#include "tests/support/test_paths.h"

namespace wb::test {

CommandResult workbench(const std::string& args) { return shell(workbench_binary().string() + " " + args); }

CommandResult shell(const std::string& command_line) {
  const std::string command = command_line + " 2>&1";
  CommandResult run;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  std::array<char, 4096> buffer{};
  std::size_t n = 0;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) run.out.append(buffer.data(), n);
  const int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

std::string workload(const std::string& name) { return (workloads_dir() / name).string(); }

std::size_t line_count(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

void expect_bad_input(const CommandResult& run, const std::string& needle) {
  EXPECT_EQ(run.exit_code, 2) << run.out;
  EXPECT_EQ(line_count(run.out), 1u) << run.out;
  EXPECT_NE(run.out.find("error: "), std::string::npos) << run.out;
  EXPECT_NE(run.out.find(needle), std::string::npos) << run.out;
}

void expect_error(const CommandResult& run, const std::string& needle) {
  EXPECT_EQ(run.exit_code, 2) << run.out;
  EXPECT_NE(run.out.find("error: "), std::string::npos) << run.out;
  EXPECT_NE(run.out.find(needle), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find("internal error"), std::string::npos) << run.out;
}

nlohmann::json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

}  // namespace wb::test
