#pragma once
// One back end of the workbench (DESIGN.md §3): everything a command needs from a target,
// behind one interface, so `run`, `compile`, `sim`, `verify`, `sweep` and `regress` never
// branch on the target. A back end compiles a QGraph for a HwConfig into a program, writes
// and loads (and validates) program files, simulates a program with or without data, and
// turns the simulator's statistics into report rows. Each target registers one
// TargetBackend (target_registry.cpp); a third target is a compiler/ + sim/ folder pair, its
// adapter beside this file (<target>_backend.cpp) and one registration line.

#include <filesystem>
#include <iosfwd>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "support/option_table.h"
#include "compiler/quant/qgraph.h"
#include "isa/hw_config.h"
#include "isa/program_common.pb.h"
#include "sim/common/sim_types.h"
#include "workbench/report/report.h"
#include "workbench/report/report_stats.h"
#include "workbench/report/target_description.h"

namespace wb {

// A program of one target, in memory: just compiled, or loaded from its file.
class TargetProgram {
 public:
  virtual ~TargetProgram() = default;
  // Model name, quantization scheme, hw fingerprint, compile options.
  virtual const isa::ProgramHeader& header() const = 0;
  // The same, to record what the program was compiled from before it is written.
  virtual isa::ProgramHeader& mutable_header() = 0;
  // The network inputs as the program quantises them (float inputs are quantised with these).
  virtual std::vector<quant::QTensor> inputs() const = 0;
};

// A simulated run, as the commands need it: the report's per-layer rows and totals (the
// caller fills its header and verdict), the network outputs, and each layer output the
// simulator read back (with SimOptions::capture_layer_outputs), in program order.
struct TargetRun {
  report::RunReport report;
  std::vector<sim::IntTensor> outputs;  // empty without data
  struct Layer {
    std::string name, tensor;  // the layer, and its output's QGraph tensor name
    sim::IntTensor values;
  };
  std::vector<Layer> layer_outputs;
  std::string summary;  // one line: what was simulated ("simulated 212 instructions")
};

// Where each layer of a network runs on a target (DESIGN.md §4.6), as its compiler maps it,
// and the nodes that run nowhere.
struct Partition {
  struct Layer {
    std::string name, type;
    std::string unit;    // as report::LayerRow::unit: array, pool, eltwise, ddr, host / cores
    std::string reason;  // a host layer: why the accelerator does not run it
  };
  std::vector<Layer> layers;             // in the compiler's layer order
  std::vector<std::string> unsupported;  // "node 'x' (Conv): reason"
};

class TargetBackend {
 public:
  explicit TargetBackend(const TargetDescription& description) : description_(description) {}
  virtual ~TargetBackend() = default;

  const TargetDescription& description() const { return description_; }  // report/target_description.h
  Target target() const { return description_.target; }
  const char* name() const { return target_name(target()); }
  std::string_view display_name() const { return description_.display_name; }
  quant::Scheme default_scheme() const { return description_.default_scheme; }
  std::string program_file_name() const { return std::string(description_.program_file); }
  std::string_view offchip_level() const { return description_.offchip_level; }
  const std::vector<report::StatDecl>& statistics() const { return description_.statistics; }
  const std::vector<report::StatNote>& statistic_notes() const { return description_.statistic_notes; }
  const std::vector<std::string_view>& time_causes() const { return description_.time_causes; }
  const std::vector<std::string_view>& energy_components() const { return description_.energy_components; }

  // The `--compile-opt` table of this target's compiler.
  virtual const OptionTable& compile_options() const = 0;

  // QGraph -> program. UserError for what cannot be mapped (unsupported nodes, a layer that
  // does not fit), naming it.
  virtual std::unique_ptr<TargetProgram> compile(const quant::QGraph& graph, const HwConfig& config,
                                                 const OptionValues& options) const = 0;
  // Which unit runs each layer, without compiling the whole program (no memory planning):
  // `inspect --hw` prints it.
  virtual Partition partition(const quant::QGraph& graph, const HwConfig& config, const OptionValues& options) const = 0;
  // Lines of compile figures, as `compile` and `run` print them (for a compiled program).
  virtual void print_compile_summary(const TargetProgram& program, std::ostream& os) const = 0;
  // Writes the program file, its text forms and compile.json into `dir`, each atomically;
  // returns the names written.
  virtual std::vector<std::string> write(const TargetProgram& program, const std::filesystem::path& dir) const = 0;
  // Reads a program file and checks it was compiled for `config`; UserError naming the file
  // otherwise (missing, another target or format version, another hw config, corrupted).
  virtual std::unique_ptr<TargetProgram> load(const std::filesystem::path& path, const HwConfig& config) const = 0;
  // Builds the simulator's SystemC modules ahead of any simulation of the process (SystemC
  // elaborates once): every back end's, before the first run of any, so one process can run
  // both targets (the Python module).
  virtual void elaborate_ahead() const = 0;
  // Runs a program on the target's simulator. `inputs` are the quantised network inputs.
  virtual TargetRun simulate(const TargetProgram& program, const HwConfig& config,
                             const std::vector<sim::IntTensor>& inputs, const sim::SimOptions& options) const = 0;

 private:
  const TargetDescription& description_;
};

// The back end of a target, or of a config's target.
const TargetBackend& backend_for(Target target);
const TargetBackend& backend_for(const HwConfig& config);
// Every registered back end, in registration order.
std::vector<const TargetBackend*> all_backends();
// The back end called `name` ("xdnn"), or nullptr.
const TargetBackend* find_backend(std::string_view name);

}  // namespace wb
