// The folders are the architecture (DESIGN.md §3): each folder is one library, and a library
// may use only the libraries below it. This test holds the code to that table twice: every
// `#include "folder/..."` of every source file, and every wb_* library a folder's
// CMakeLists.txt links. A new edge is a design decision: change the table and DESIGN.md
// together, with the reason.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/test_paths.h"

namespace wb {
namespace {

struct Folder {
  std::string path;     // "compiler/ir"
  std::string library;  // "wb_ir"
  std::set<std::string> may_use;  // folders below it
};

// Everything may use support/; nothing above the compilers and simulators is used by them.
const std::vector<Folder>& folders() {
  static const std::vector<Folder> table = {
      {"support", "wb_support", {}},
      {"isa", "wb_isa", {"support"}},
      {"perf/energy", "wb_perf_energy", {"isa", "support"}},
      // The predictor prices its predicted events with the energy model (tiler=energy).
      {"perf/pulp", "wb_perf_pulp", {"perf/energy", "isa", "support"}},
      // The target-independent compiler: no isa/, no back end, no simulator.
      {"compiler/ir", "wb_ir", {"support"}},
      {"compiler/quant", "wb_quant", {"compiler/ir", "support"}},
      {"compiler/frontend", "wb_frontend", {"compiler/ir", "compiler/quant", "support"}},
      {"compiler/golden", "wb_golden", {"compiler/ir", "compiler/quant", "support"}},
      // What passes rewrite with, then the token-layout rewriter, then the passes themselves.
      {"compiler/passes/rewrite", "wb_rewrite", {"compiler/ir", "compiler/golden", "support"}},
      {"compiler/passes/token_layout", "wb_token_layout", {"compiler/passes/rewrite", "compiler/ir", "support"}},
      {"compiler/passes",
       "wb_passes",
       {"compiler/passes/rewrite", "compiler/passes/token_layout", "compiler/ir", "compiler/golden", "compiler/quant",
        "support"}},
      // The back ends: they meet the simulators only in isa/.
      {"compiler/xdnn", "wb_xdnn_compiler", {"compiler/ir", "compiler/quant", "isa", "support"}},
      {"compiler/pulp",
       "wb_pulp_compiler",
       {"compiler/ir", "compiler/quant", "isa", "perf/pulp", "perf/energy", "support"}},
      {"sim/common", "wb_sim_common", {"isa", "support"}},
      {"sim/xdnn", "wb_sim_xdnn", {"sim/common", "isa", "support"}},
      // Never perf/: the simulators measure what the predictors predict (issue #37). The cluster
      // model by job: functional kernels, the cores' cycle engine, what the cores execute, and
      // the SystemC modules that put them together.
      {"sim/pulp/kernels", "wb_sim_pulp_kernels", {"sim/common", "isa", "support"}},
      {"sim/pulp/cores", "wb_sim_pulp_cores", {"isa", "support"}},
      {"sim/pulp/programs", "wb_sim_pulp_programs", {"sim/pulp/cores", "isa", "support"}},
      {"sim/pulp",
       "wb_sim_pulp",
       {"sim/pulp/kernels", "sim/pulp/cores", "sim/pulp/programs", "sim/common", "isa", "support"}},
      // The workbench's own floors: the run report, then the targets' back ends over it; the
      // commands' library (workbench/) and its other subfolders above both may use anything.
      {"workbench/report",
       "wb_report",
       {"sim/xdnn", "perf/energy", "compiler/quant", "compiler/ir", "isa", "support"}},
      {"workbench/backends",
       "wb_backends",
       {"workbench/report", "compiler/xdnn", "compiler/pulp", "compiler/quant", "compiler/ir", "sim/xdnn", "sim/pulp",
        "sim/common", "perf/pulp", "perf/energy", "isa", "support"}},
  };
  return table;
}

// Folders above all of these (workbench/ and its other subfolders, tests): may use anything,
// and nothing in the table may use them.
const std::vector<std::string> kTop = {"workbench", "python", "tests"};

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The table's folder (or a top folder) a path inside the source tree belongs to: the longest
// matching prefix. nullopt for a path outside every known folder (e.g. a generated header
// included without its folder).
std::optional<std::string> folder_of(const std::string& path) {
  std::optional<std::string> best;
  const auto consider = [&](const std::string& folder) {
    if (path.rfind(folder + "/", 0) == 0 && (!best || folder.size() > best->size())) best = folder;
  };
  for (const Folder& f : folders()) consider(f.path);
  for (const std::string& top : kTop) consider(top);
  return best;
}

const Folder* table_entry(const std::string& folder) {
  for (const Folder& f : folders()) {
    if (f.path == folder) return &f;
  }
  return nullptr;
}

TEST(LibraryGraph, EveryIncludeFollowsTheTable) {
  const std::filesystem::path root = test::source_dir();
  const std::regex include(R"re(^\s*#\s*include\s+"([^"]+)")re");
  std::vector<std::string> violations;
  std::size_t files = 0;
  for (const Folder& folder : folders()) {
    ASSERT_TRUE(std::filesystem::is_directory(root / folder.path)) << folder.path;
    for (const auto& entry : std::filesystem::directory_iterator(root / folder.path)) {
      const std::string ext = entry.path().extension().string();
      if (ext != ".h" && ext != ".cpp") continue;
      ++files;
      std::istringstream lines(read_text(entry.path()));
      std::string line;
      while (std::getline(lines, line)) {
        std::smatch m;
        if (!std::regex_search(line, m, include)) continue;
        const std::string included = m[1];
        const auto target = folder_of(included);
        if (!target || *target == folder.path) continue;
        if (folder.may_use.count(*target) == 0) {
          violations.push_back(std::filesystem::relative(entry.path(), root).string() + " includes " + included);
        }
      }
    }
  }
  EXPECT_GT(files, 100u) << "the walk found too few sources: is the table's folder list stale?";
  EXPECT_THAT(violations, testing::IsEmpty());
}

TEST(LibraryGraph, EveryFolderIsOneLibraryLinkingOnlyWhatTheTableAllows) {
  const std::filesystem::path root = test::source_dir();
  // wb_add_library(NAME SOURCES ... PUBLIC_DEPS ... PRIVATE_DEPS ...): the wb_* names after NAME.
  const std::regex call(R"(wb_add_library\(\s*(wb_\w+)([^)]*)\))");
  const std::regex dependency(R"(\b(wb_\w+)\b)");
  std::map<std::string, std::string> folder_of_library;
  for (const Folder& f : folders()) folder_of_library[f.library] = f.path;
  std::vector<std::string> problems;
  for (const Folder& folder : folders()) {
    const std::string cmake = read_text(root / folder.path / "CMakeLists.txt");
    std::vector<std::string> defined;
    for (std::sregex_iterator it(cmake.begin(), cmake.end(), call), end; it != end; ++it) {
      const std::string library = (*it)[1];
      defined.push_back(library);
      const std::string args = (*it)[2];
      for (std::sregex_iterator d(args.begin(), args.end(), dependency), dend; d != dend; ++d) {
        const std::string used = (*d)[1];
        const auto known = folder_of_library.find(used);
        // A second library of the same folder (sim/pulp's kernels) counts as the folder.
        if (known == folder_of_library.end()) {
          if (std::find(defined.begin(), defined.end(), used) == defined.end()) {
            problems.push_back(folder.path + ": " + library + " links " + used + ", which is no library of the table");
          }
          continue;
        }
        if (known->second != folder.path && folder.may_use.count(known->second) == 0) {
          problems.push_back(folder.path + ": " + library + " links " + used + " (" + known->second + ")");
        }
      }
    }
    if (std::find(defined.begin(), defined.end(), folder.library) == defined.end()) {
      problems.push_back(folder.path + "/CMakeLists.txt does not define " + folder.library);
    }
  }
  EXPECT_THAT(problems, testing::IsEmpty());
}

TEST(LibraryGraph, NothingBelowTheTopIncludesIt) {
  // The table's folders never name workbench/, python/ or tests/ (checked above through
  // may_use); this guards the table itself: no entry may list a top folder.
  for (const Folder& f : folders()) {
    for (const std::string& used : f.may_use) {
      EXPECT_EQ(std::find(kTop.begin(), kTop.end(), used), kTop.end()) << f.path << " may use " << used;
      EXPECT_NE(table_entry(used), nullptr) << f.path << " may use " << used << ", which is not in the table";
    }
  }
}

}  // namespace
}  // namespace wb
