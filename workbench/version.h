#pragma once
// What build this is: the version, and the git commit of the source tree it was built from
// (cmake/GitInfo.cmake refreshes it at every build). Reports record it; a sweep point's key
// hashes it, so results of another build are never taken for this one's.

#include <string>
#include <string_view>

namespace wb {

inline constexpr std::string_view kVersion = "0.1.0";

// The commit's full hash; empty when built outside a git checkout.
std::string_view build_git_commit();
// A fingerprint of the changes not committed when this was built (the diff against the
// commit and the untracked files); empty for a clean tree.
std::string_view build_git_changes();
inline bool build_git_dirty() { return !build_git_changes().empty(); }
// "0.1.0+3553808a9c1e", or "0.1.0+3553808a9c1e+dirty.1f2e3d4c5b" for a tree with changes;
// "0.1.0" without git.
std::string build_id();

}  // namespace wb
