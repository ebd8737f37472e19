#include "workbench/warnings.h"

#include <algorithm>
#include <mutex>
#include <ostream>
#include <vector>

namespace wb {

namespace {

std::mutex g_mutex;
std::vector<std::string> g_warnings;

}  // namespace

void warn_later(std::string line) {
  const std::lock_guard lock(g_mutex);
  if (std::find(g_warnings.begin(), g_warnings.end(), line) == g_warnings.end()) g_warnings.push_back(std::move(line));
}

void note_later(const std::string& text) { warn_later("note: " + text); }

void print_warnings(std::ostream& os) {
  const std::lock_guard lock(g_mutex);
  for (const std::string& line : g_warnings) os << line << '\n';
  g_warnings.clear();
}

}  // namespace wb
