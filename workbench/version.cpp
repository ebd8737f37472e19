#include "workbench/version.h"

#include <fmt/format.h>

namespace wb {

std::string build_id() {
  const std::string_view commit = build_git_commit();
  return fmt::format("{}{}{}{}{}", kVersion, commit.empty() ? "" : "+", commit.substr(0, 12),
                     build_git_dirty() ? "+dirty." : "", build_git_changes());
}

}  // namespace wb
