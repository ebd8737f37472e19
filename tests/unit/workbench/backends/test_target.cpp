// The target registry: every target has one back end, and each back end's tables are sane.

#include <gtest/gtest.h>

#include <set>

#include "workbench/backends/target.h"

namespace wb {
namespace {

TEST(TargetRegistry, EveryTargetHasOneBackEnd) {
  std::set<Target> seen;
  for (const TargetBackend* backend : all_backends()) {
    EXPECT_TRUE(seen.insert(backend->target()).second) << backend->name();
    EXPECT_EQ(&backend_for(backend->target()), backend);
  }
  EXPECT_EQ(seen, (std::set<Target>{Target::Xdnn, Target::Pulp}));
}

TEST(TargetRegistry, BackEndsDifferInFileAndSchemeAndHaveAnAblation) {
  std::set<std::string> files;
  for (const TargetBackend* backend : all_backends()) {
    EXPECT_TRUE(files.insert(backend->program_file_name()).second);
    EXPECT_EQ(backend->compile_options().target(), backend->name());
    EXPECT_FALSE(backend->compile_options().ablation().empty()) << backend->name();
    // The defaults parse and describe themselves.
    const OptionValues defaults = backend->compile_options().defaults();
    EXPECT_FALSE(backend->compile_options().describe(defaults).empty());
  }
  EXPECT_EQ(backend_for(Target::Xdnn).default_scheme(), quant::Scheme::Xdnn);
  EXPECT_EQ(backend_for(Target::Pulp).default_scheme(), quant::Scheme::Pulp);
}

}  // namespace
}  // namespace wb
