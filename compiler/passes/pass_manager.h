#pragma once
// Runs a pipeline of passes ("remove-identity,fold-batchnorm,...") over a graph. After each
// pass it removes dead values, re-infers shapes and verifies the graph. It, not the passes,
// prints the IR: after every pass, after chosen ones, only when they changed something,
// after a failure; to a stream or into a folder, one file per pass (as MLIR does).

#include <filesystem>
#include <iosfwd>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "compiler/passes/pass.h"

namespace wb {

struct PassManagerOptions {
  bool print_after_all = false;
  std::set<std::string> print_after;  // pass names
  bool print_only_if_changed = true;
  std::optional<std::filesystem::path> dump_dir;  // NN-<pass>.txt instead of the stream
  std::ostream* print_stream = nullptr;            // default std::cerr
};

struct PassRecord {
  std::string name;
  bool changed = false;
  double milliseconds = 0;
  std::map<std::string, std::int64_t> counters;
};

class PassManager {
 public:
  explicit PassManager(PassManagerOptions options = {});

  // Parses a comma-separated pipeline; "default" expands to kDefaultPipeline. UserError on
  // an unknown pass or an order that breaks a pass's must_follow().
  static PassManager from_pipeline(std::string_view pipeline, PassManagerOptions options = {});

  void add(std::unique_ptr<Pass> pass);
  std::string pipeline() const;

  // Runs every pass in order. A pass that throws has its name prepended to the error, and
  // the graph as it was left is printed first.
  std::vector<PassRecord> run(Graph& graph);

 private:
  void print(const Graph& graph, const std::string& title, std::size_t index, const std::string& pass);

  PassManagerOptions options_;
  std::vector<std::unique_ptr<Pass>> passes_;
};

// "fold-batchnorm: batchnorms folded 53" lines for every counter of every pass.
std::string format_pass_statistics(const std::vector<PassRecord>& records);

}  // namespace wb
