#pragma once
// A file's SHA-256, remembered by the file's identity so that a run of a 100 MB model it has
// seen before does not read and hash it again (a third of a warm timing-only run of
// ResNet-50, BENCHMARKS.md). As git's index and ccache's direct mode do, the identity is the
// device, inode, size and the modification and change times to the nanosecond; the change
// time cannot be set back by a user, so any write since is seen. An identity is remembered
// only when both times are at least `settled_seconds` old: a file rewritten within one tick of
// the filesystem's clock (git's "racy" case) is always read again.

#include <filesystem>
#include <string>

namespace wb {

inline constexpr int kSettledSeconds = 2;

// The file's SHA-256 (lowercase hex), from `memo_dir` when its identity is remembered there,
// else computed and remembered. UserError as sha256_file when the file cannot be read; a memo
// folder that cannot be read or written only costs the hashing.
std::string remembered_sha256(const std::filesystem::path& file, const std::filesystem::path& memo_dir,
                              int settled_seconds = kSettledSeconds);

}  // namespace wb
