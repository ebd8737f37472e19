#include "tests/support/cli_testing.h"

#include <fstream>

#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
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

MeasuredRun measured_workbench(const std::vector<std::string>& args) {
  MeasuredRun run;
  int pipe_ends[2];
  if (pipe(pipe_ends) != 0) return run;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_ends[1], 1);
  posix_spawn_file_actions_adddup2(&actions, pipe_ends[1], 2);
  posix_spawn_file_actions_addclose(&actions, pipe_ends[0]);
  const std::string binary = workbench_binary().string();
  std::vector<char*> argv = {const_cast<char*>(binary.c_str())};
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const auto start = std::chrono::steady_clock::now();
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_ends[1]);
  if (spawned != 0) {
    close(pipe_ends[0]);
    return run;
  }
  std::array<char, 4096> buffer{};
  ssize_t n = 0;
  while ((n = read(pipe_ends[0], buffer.data(), buffer.size())) > 0) run.out.append(buffer.data(), static_cast<std::size_t>(n));
  close(pipe_ends[0]);
  int status = 0;
  struct rusage usage {};
  if (wait4(pid, &status, 0, &usage) != pid) return run;
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.peak_rss_bytes = static_cast<std::uint64_t>(usage.ru_maxrss) * 1024;  // Linux: kilobytes
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
