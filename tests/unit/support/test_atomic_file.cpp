// Output files appear whole or not at all: a failed or interrupted write leaves neither a
// half-written file nor its temporary file behind.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/atomic_file.h"
#include "tests/support/temp_dir.h"

namespace wb {
namespace {

std::vector<std::string> files_in(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) names.push_back(e.path().filename().string());
  return names;
}

TEST(AtomicFile, WritesTheWholeFileAndNothingElse) {
  const test::TempDir dir;
  write_file_atomically(dir / "out.txt", "hello");
  std::ifstream in(dir / "out.txt");
  std::string text;
  std::getline(in, text);
  EXPECT_EQ(text, "hello");
  EXPECT_EQ(files_in(dir.path()), std::vector<std::string>{"out.txt"});
}

TEST(AtomicFile, AWriterThatThrowsLeavesNothing) {
  const test::TempDir dir;
  EXPECT_THROW(write_file_atomically_with(dir / "out.txt",
                                          [](std::ostream& out) {
                                            out << "half";
                                            throw std::runtime_error("interrupted");
                                          }),
               std::runtime_error);
  EXPECT_TRUE(files_in(dir.path()).empty());
}

TEST(AtomicFile, ItsTemporaryFilesAreRecognisedWithTheirWriter) {
  const test::TempDir dir;
  std::optional<long> seen;
  write_file_atomically_with(dir / "r.json", [&](std::ostream&) {
    for (const auto& e : std::filesystem::directory_iterator(dir.path())) seen = partial_file_writer(e.path());
  });
  EXPECT_EQ(seen, static_cast<long>(getpid()));
  EXPECT_EQ(partial_file_writer(dir / "r.json"), std::nullopt);
  EXPECT_EQ(partial_file_writer("x.partial12"), std::nullopt);
  EXPECT_EQ(partial_file_writer("x.partialab.3"), std::nullopt);
  EXPECT_EQ(partial_file_writer("x.json.partial42.7"), 42);
}

// A process killed by SIGINT or SIGTERM in the middle of a write dies of the signal and
// leaves no temporary file.
TEST(AtomicFile, ASignalMidWriteRemovesTheTemporaryFile) {
  for (const int signal_number : {SIGTERM, SIGINT}) {
    const test::TempDir dir;
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      remove_partial_files_on_signal();
      write_file_atomically_with(dir / "trace.json", [&](std::ostream& out) {
        out << std::string(1 << 20, 'x');
        out.flush();
        std::raise(signal_number);
      });
      _exit(0);  // not reached: the handler re-raises the signal with its default action
    }
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the child exited instead of dying of the signal";
    EXPECT_EQ(WTERMSIG(status), signal_number);
    EXPECT_TRUE(files_in(dir.path()).empty()) << files_in(dir.path()).front();
  }
}

}  // namespace
}  // namespace wb
