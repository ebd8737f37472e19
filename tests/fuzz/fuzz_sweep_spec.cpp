// The sweep spec loader (workbench/sweep/spec.h) and the expansion into design points that
// `workbench sweep --dry-run` does next (points.h: every axis value loaded with --set,
// constraint expressions parsed and evaluated, compile options checked). The spec lies in
// configs/sweeps/ of the source tree, so the shipped specs' relative paths resolve.

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include "support/error.h"
#include "tests/fuzz/fuzz_support.h"
#include "workbench/sweep/points.h"
#include "workbench/sweep/spec.h"

namespace {

// More points make an input slow without reaching new code.
constexpr std::size_t kMaxPoints = 256;

bool inside_source_tree(const std::filesystem::path& path) {
  const std::filesystem::path root = wb::fuzz::source_dir().lexically_normal();
  const std::filesystem::path relative = path.lexically_normal().lexically_relative(root);
  return !relative.empty() && (*relative.begin() == "configs" || *relative.begin() == "workloads");
}

// Expanding reads the configs and hashes the models it names: only those of configs/ and
// workloads/ (a path such as /proc/kcore or a build's binaries is the user's own doing, and
// not one to read per iteration).
bool worth_expanding(const wb::sweep::SweepSpec& spec) {
  std::size_t points = spec.models.size() * spec.configs.size();
  for (const wb::sweep::Axis& axis : spec.axes) {
    points *= axis.ablation ? 8 : axis.values.size();
    if (points > kMaxPoints) return false;
  }
  for (const auto& config : spec.configs) {
    if (!inside_source_tree(config.path)) return false;
  }
  for (const auto& model : spec.models) {
    if (!inside_source_tree(model.path) || (model.input && !inside_source_tree(*model.input))) return false;
  }
  return points <= kMaxPoints;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::filesystem::path spec_path = wb::fuzz::source_dir() / "configs" / "sweeps" / "fuzz.yaml";
  static const std::filesystem::path workload_dir = wb::fuzz::source_dir() / "workloads";
  try {
    const wb::sweep::SweepSpec spec =
        wb::sweep::parse_sweep_spec(wb::fuzz::as_text(data, size), spec_path, workload_dir);
    if (!worth_expanding(spec)) return 0;
    std::map<std::filesystem::path, std::string> digests;
    (void)wb::sweep::expand_points(spec, digests);
  } catch (const wb::UserError& e) {
    wb::fuzz::ignore(e);
  }
  return 0;
}
