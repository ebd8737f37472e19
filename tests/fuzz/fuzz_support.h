#pragma once
// What the fuzz targets share (docs/fuzzing.md). A target catches the errors the code
// promises for bad input (wb::UserError, support/error.h) and nothing else: any other exception
// escapes LLVMFuzzerTestOneInput, std::terminate aborts, and libFuzzer (or driver.cpp in a
// normal build) reports the input as a finding, as it does a sanitizer report or a timeout.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <ostream>
#include <streambuf>
#include <string_view>

#include <google/protobuf/stubs/logging.h>

#include "support/error.h"

namespace wb::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// The source tree: the targets read configs/ and workloads/ from it, never the fuzzed paths.
inline std::filesystem::path source_dir() { return WB_FUZZ_SOURCE_DIR; }

// Protobuf logs every string field of invalid UTF-8 it parses (most mutated programs have
// one); the workbench silences it too (workbench/main.cpp).
inline const bool protobuf_silenced = (google::protobuf::SetLogHandler(nullptr), true);

// Swallows what the code under test logs: printing an IR dump per input would be most of the
// time an iteration takes.
inline std::ostream& null_stream() {
  struct Discard : std::streambuf {
    int overflow(int c) override { return c; }
  };
  static Discard buffer;
  static std::ostream stream(&buffer);
  return stream;
}

// Called with every expected error a target ignores: prints it when WB_FUZZ_VERBOSE is set, to
// see how far a seed gets (WB_FUZZ_VERBOSE=1 build/fuzz/tests/fuzz/fuzz_hw_config FILE).
inline void ignore(const UserError& error) {
  static const bool verbose = std::getenv("WB_FUZZ_VERBOSE") != nullptr;
  if (verbose) std::fprintf(stderr, "expected error: %s\n", error.what());
}

// A broken invariant the target checks itself (a round trip that changes the data): abort, so
// the input is kept as a crash.
[[noreturn]] inline void invariant_failed(const char* what) {
  std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
  std::abort();
}

}  // namespace wb::fuzz
