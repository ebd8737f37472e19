#include "workbench/regress/check.h"

#include <fmt/format.h>

#include <chrono>
#include <ostream>
#include <random>
#include <sstream>
#include <system_error>

#include "support/error.h"
#include "workbench/regress/baseline.h"
#include "workbench/regress/compare.h"
#include "workbench/regress/run_sources.h"
#include "workbench/sweep/point_result.h"
#include "workbench/sweep/sweep.h"
#include "workbench/version.h"

namespace wb::regress {

namespace {

// A work folder: the given one (kept), or a fresh temporary one removed afterwards.
class WorkDir {
 public:
  explicit WorkDir(const std::optional<std::filesystem::path>& given) {
    if (given) {
      path_ = *given;
      std::filesystem::create_directories(path_);
      return;
    }
    // A folder this run creates: one left by a killed run (or another checkout's run) holds
    // manifests that the sweeps would resume from.
    std::random_device random;
    do {
      path_ = std::filesystem::temp_directory_path() / fmt::format("wb-regress-{:08x}", random());
    } while (!std::filesystem::create_directory(path_));
    owned_ = true;
  }
  ~WorkDir() {
    if (!owned_) return;
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  WorkDir(const WorkDir&) = delete;
  WorkDir& operator=(const WorkDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  bool owned_ = false;
};

std::filesystem::path folder_of(const std::filesystem::path& file) {
  return file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
}

}  // namespace

std::vector<RunRecord> run_matrix(const std::vector<std::filesystem::path>& specs, const std::filesystem::path& base_dir,
                                  const std::filesystem::path& work_dir, std::size_t jobs,
                                  const std::filesystem::path& executable, std::ostream& log) {
  if (specs.empty()) throw UserError("regress: the matrix has no sweep spec; give them with --matrix SPEC.yaml");
  std::vector<RunRecord> runs;
  for (const std::filesystem::path& relative : specs) {
    const std::filesystem::path spec = relative.is_absolute() ? relative : base_dir / relative;
    if (!std::filesystem::is_regular_file(spec)) {
      throw UserError(fmt::format("{}: no such sweep spec (listed in the baseline's matrix)", spec.string()));
    }
    sweep::SweepOptions sweep;
    sweep.spec = spec;
    sweep.db = work_dir / (spec.stem().string() + ".db");
    sweep.jobs = jobs;
    sweep.executable = executable;
    const auto start = std::chrono::steady_clock::now();
    std::ostringstream sweep_log;
    // Exit 1 (a point failed or is not bit-exact) is a result here: it is compared like any figure.
    sweep::run_sweep(sweep, sweep_log, sweep_log);
    std::vector<RunRecord> points = load_runs(*sweep.db);
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    log << fmt::format("matrix {}: {} runs in {:.1f} s\n", relative.generic_string(), points.size(), took.count());
    for (RunRecord& run : points) runs.push_back(std::move(run));
  }
  return runs;
}

int run_check(const CheckOptions& options, std::ostream& out) {
  const Baseline baseline = read_baseline(options.baseline);
  const WorkDir work(options.work_dir);
  const std::vector<RunRecord> current =
      run_matrix(baseline.matrix, folder_of(options.baseline), work.path(), options.jobs, options.executable, out);
  CompareOptions compare;
  compare.any_change_fails = true;
  compare.max_layers = options.max_layers;
  const Comparison comparison = compare_runs(baseline.runs, current, compare);
  print_comparison(comparison, compare, out);
  if (comparison_fails(comparison, compare)) {
    out << fmt::format("regress check: the figures differ from {} (worse and better alike fail until the baseline is "
                       "updated). If the change is intended: workbench regress update-baseline {} --reason \"why\", "
                       "and commit the diff\n",
                       options.baseline.string(), options.baseline.string());
    return 1;
  }
  std::size_t rows = 0;
  for (const RunRecord& run : current) rows += 1 + run.layers.size();
  out << fmt::format("regress check: {} runs, {} rows: every figure as in {}\n", current.size(), rows,
                     options.baseline.string());
  return 0;
}

int run_update_baseline(const CheckOptions& options, std::ostream& out) {
  if (options.reason.empty()) {
    throw UserError("update-baseline: say why the figures change with --reason \"...\" (kept in the file's history)");
  }
  Baseline baseline;
  const bool existed = std::filesystem::exists(options.baseline);
  if (existed) baseline = read_baseline(options.baseline);
  if (!options.matrix.empty()) {
    baseline.matrix.clear();
    const std::filesystem::path base = std::filesystem::absolute(folder_of(options.baseline));
    for (const auto& spec : options.matrix) {
      baseline.matrix.push_back(std::filesystem::absolute(spec).lexically_relative(base));
    }
  }
  const WorkDir work(options.work_dir);
  std::vector<RunRecord> current =
      run_matrix(baseline.matrix, folder_of(options.baseline), work.path(), options.jobs, options.executable, out);
  if (existed && !baseline.runs.empty()) {
    CompareOptions compare;
    compare.any_change_fails = true;
    compare.max_layers = options.max_layers;
    try {
      print_comparison(compare_runs(baseline.runs, current, compare), compare, out);
    } catch (const UserError&) {
      out << "(the new matrix has no run in common with the old baseline)\n";
    }
  }
  for (RunRecord& run : current) {
    run.compile_seconds = run.simulate_seconds = 0;  // not figures: the baseline keeps none
  }
  baseline.runs = std::move(current);
  baseline.history.push_back({sweep::utc_now(), build_id(), options.reason});
  write_baseline(baseline, options.baseline);
  std::size_t rows = 0;
  for (const RunRecord& run : baseline.runs) rows += 1 + run.layers.size();
  out << fmt::format("wrote {}: {} runs, {} rows; review the diff and commit it\n", options.baseline.string(),
                     baseline.runs.size(), rows);
  return 0;
}

}  // namespace wb::regress
