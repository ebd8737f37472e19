#pragma once
// Where tests find their data. Paths are compiled in (tests/CMakeLists.txt) so a test
// binary can run from any working directory.

#include <cstdlib>
#include <filesystem>

namespace wb::test {

inline std::filesystem::path source_dir() { return WB_TEST_SOURCE_DIR; }
inline std::filesystem::path workloads_dir() { return source_dir() / "workloads"; }
inline std::filesystem::path conformance_dir() { return std::filesystem::path(WB_TEST_SHARED_DIR) / "onnx-conformance" / "node"; }
inline std::filesystem::path workbench_binary() { return WB_TEST_WORKBENCH_BINARY; }

// The cache the export script writes the large models to (scripts/export_workloads.py).
inline std::filesystem::path workload_cache_dir() {
  if (const char* dir = std::getenv("WB_CACHE_DIR")) return std::filesystem::path(dir) / "workloads";
  if (const char* xdg = std::getenv("XDG_CACHE_HOME")) return std::filesystem::path(xdg) / "workbench" / "workloads";
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home ? home : "/tmp") / ".cache" / "workbench" / "workloads";
}

}  // namespace wb::test
