#pragma once
// A sweep spec (configs/sweeps/*.yaml, docs/sweeps.md): base configs of either target, the
// axes (any HwConfig key that --set takes, and compile_opt), grid or zip, constraints that
// drop points, the models, the mode (timing or verify), quantization and report settings.
// Parsing is separate from expanding into points (points.h): this file only reads and
// checks the YAML; every error names the file, the line and the key, as the hw config
// loader's do.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/frontend/input_shapes.h"
#include "compiler/quant/qgraph.h"

namespace wb::sweep {

enum class Mode { Timing, Verify };  // timing: --no-data, cycles only; verify: bit-exact check too
const char* mode_name(Mode mode);    // "timing", "verify"
enum class Combine { Grid, Zip };    // grid: cartesian product; zip: the i-th values together

// Where a value came from in the spec, for messages: "sweep.yaml:12: axes.am_bytes".
struct SpecPlace {
  int line = 0;
  std::string key;
};

struct SpecModel {
  std::string name;                            // as tables show it: the workload name or the file's stem
  std::filesystem::path path;                  // the ONNX file
  std::optional<std::filesystem::path> input;  // verify mode: the float input (else seeded N(0,1))
  std::vector<GivenShape> shapes;              // `shape:` the sizes of symbolic input dimensions
  SpecPlace place;
};

struct SpecConfig {
  std::filesystem::path path;
  SpecPlace place;
};

struct AxisValue {
  std::string text;  // a --set value ("2MiB"), or compile options ("a=off,b=cost"; "default": none)
  int line = 0;
};

inline constexpr std::string_view kCompileOptAxis = "compile_opt";

struct Axis {
  std::string name;  // a HwConfig key ("array.rows") or compile_opt
  std::vector<AxisValue> values;
  bool ablation = false;  // compile_opt: ablation (defaults, then each optimisation off in turn)
  SpecPlace place;
};

struct Constraint {
  std::string expression;
  SpecPlace place;
};

// One Pareto plot of the report: x is an expression over the config's keys (a resource:
// "array.rows * array.cols"), y a result total; both minimised unless y is a rate.
struct ParetoPlot {
  std::string x, x_label, y;
  std::string group;  // an axis: the points drawn in one colour per value of it ("": one colour)
  SpecPlace place;
};

struct QuantizationSpec {
  std::optional<quant::Scheme> scheme;  // empty: each target's own
  int calib_count = 16;
  std::string calib_method = "max";
  double percentile = 99.99;
  std::optional<std::filesystem::path> calib_dir;
  std::uint64_t seed = 1;
};

struct SweepSpec {
  std::filesystem::path path;
  std::string text;  // the file's bytes, stored with the results
  std::string name, description;
  Mode mode = Mode::Timing;
  std::vector<SpecConfig> configs;
  std::vector<SpecModel> models;
  std::vector<Axis> axes;
  Combine combine = Combine::Grid;
  std::vector<Constraint> constraints;
  QuantizationSpec quantization;
  double timeout_s = 1800;  // per point
  std::vector<ParetoPlot> pareto;
};

// Reads and checks a spec: unknown or duplicate keys, wrong types, an empty axis, a model or
// config that does not exist, a malformed range — one UserError "FILE:LINE: KEY: what".
// `workload_dir` is where exported workloads are looked up by name.
SweepSpec load_sweep_spec(const std::filesystem::path& path, const std::filesystem::path& workload_dir);
SweepSpec parse_sweep_spec(std::string_view yaml, const std::filesystem::path& path,
                           const std::filesystem::path& workload_dir);

// "FILE:LINE: KEY" for messages.
std::string where(const SweepSpec& spec, const SpecPlace& place);

// The values of a range "A .. B step S" (A, A+S, ... up to B) or "A .. B x F" (A, A*F, ...
// up to B); A, B and S may carry byte units (8KiB). nullopt if `text` is not a range;
// UserError (prefixed with `where`) if it is a malformed one.
std::optional<std::vector<std::string>> expand_range(std::string_view text, const std::string& where);

}  // namespace wb::sweep
