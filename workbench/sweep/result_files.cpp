#include "workbench/sweep/result_files.h"

#include <fmt/format.h>
#include <signal.h>

#include <algorithm>
#include <fstream>
#include <ostream>
#include <set>
#include <vector>

#include "support/atomic_file.h"
#include "support/error.h"
#include "workbench/version.h"

namespace wb::sweep {

namespace {

// A zombie (killed, not yet reaped by its new parent) still answers kill(pid, 0) but will
// never finish its file: dead for our purposes.
bool process_alive(pid_t pid) {
  if (kill(pid, 0) != 0 && errno != EPERM) return false;
  std::ifstream stat(fmt::format("/proc/{}/stat", pid));
  std::string line;
  if (!std::getline(stat, line)) return true;  // no /proc: trust kill()
  // "pid (comm) S ...": the state follows the last ')' (comm may hold parentheses).
  const std::size_t paren = line.rfind(')');
  if (paren == std::string::npos || paren + 2 >= line.size()) return true;
  const char state = line[paren + 2];
  return state != 'Z' && state != 'X';
}

// A temporary file of write_file_atomically whose writer was killed.
bool stale_temporary(const std::filesystem::path& path) {
  const std::optional<long> writer = partial_file_writer(path);
  return writer && !process_alive(static_cast<pid_t>(*writer));
}

}  // namespace

void remove_stale_temporaries(const std::filesystem::path& work_dir) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(work_dir / "results", ec)) {
    if (stale_temporary(entry.path())) std::filesystem::remove(entry.path(), ec);
  }
}

ImportCounts import_result_files(ResultsDb& db, const std::filesystem::path& work_dir, std::ostream& log) {
  ImportCounts counts;
  const std::filesystem::path dir = work_dir / "results";
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return counts;
  std::set<std::string> known;
  for (const StoredPoint& p : db.points()) known.insert(p.key);
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  for (const std::filesystem::path& file : files) {
    if (stale_temporary(file)) {
      std::filesystem::remove(file, ec);
      continue;
    }
    if (file.extension() != ".json") continue;
    PointResult result;
    try {
      result = read_point_result(file);
    } catch (const UserError& e) {
      log << fmt::format("warning: {} (left in place)\n", e.what());
      ++counts.damaged;
      continue;
    }
    if (known.count(result.key) == 0) {
      ++counts.unknown;
      continue;
    }
    db.store(result);
    std::filesystem::remove(file, ec);
    result.status == "done" ? ++counts.done : ++counts.failed;
  }
  return counts;
}

PointResult failed_point(const std::string& key, int exit_code, std::string error, double seconds) {
  PointResult r;
  r.key = key;
  r.status = "failed";
  r.exit_code = exit_code;
  r.error = std::move(error);
  r.wall_seconds = seconds;
  r.host = host_name();
  r.finished_at = utc_now();
  r.build = build_id();
  return r;
}

PointResult failure_result(const std::string& key, const ProcessOutcome& outcome, double timeout_s) {
  PointResult r = failed_point(key, outcome.timed_out ? -1 : outcome.exit_code, "", outcome.seconds);
  const std::string line = error_line(outcome.output);
  if (outcome.timed_out) {
    r.error = fmt::format("timed out after {:.0f} s", timeout_s);
  } else if (outcome.exit_code > 128) {
    r.error = fmt::format("killed by signal {}{}", outcome.exit_code - 128, line.empty() ? "" : ": " + line);
  } else if (outcome.exit_code == 0) {
    r.error = "exited 0 without writing its result file";
    r.exit_code = 1;
  } else {
    r.error = line.empty() ? fmt::format("exit code {} and no output", outcome.exit_code) : line;
  }
  return r;
}

void write_log(const std::filesystem::path& path, const std::string& output) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  try {
    write_file_atomically(path, output);
  } catch (const UserError&) {
    // A log is a convenience; the failure itself is recorded in the database.
  }
}

}  // namespace wb::sweep
