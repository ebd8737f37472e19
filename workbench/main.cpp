// The `workbench` command line: one file per command in workbench/cli/ registers its options
// and calls the library; main parses, runs the command named, and maps its errors to exit
// codes: 0 ok, 2 bad input or usage, 1 anything else (DESIGN.md §4.5).

#include <CLI/CLI.hpp>

#include <google/protobuf/stubs/logging.h>
#include <malloc.h>

#include <iostream>
#include <new>

#include "support/atomic_file.h"
#include "support/error.h"
#include "workbench/cli/commands.h"
#include "workbench/console_progress.h"
#include "workbench/version.h"
#include "workbench/warnings.h"

namespace {

// A run allocates and frees tensors of tens of MB again and again (the model's initializers,
// activations, patch rows). glibc serves each from a fresh mmap and unmaps it on free, so
// every one is page-faulted in anew: a third of a timing-only ResNet-50 run. Served from
// the heap and kept there, freed pages are reused instead (peak memory grows by ~50 MB).
void keep_freed_memory() {
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mallopt(M_TOP_PAD, 64 << 20);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace wb::cli;
  keep_freed_memory();
  wb::remove_partial_files_on_signal();
  // Damaged inputs are reported once, as our own error; protobuf's parser would also print
  // "[libprotobuf ERROR ...]" lines of its own.
  google::protobuf::SetLogHandler(nullptr);
  CLI::App app{"workbench: compile ONNX networks for DNN accelerators (xDNN, PULP), simulate them, verify "
               "bit-exactly.\nExit codes: 0 ok, 1 not bit-exact (or an internal error), 2 bad input or usage."};
  app.set_version_flag("--version", wb::build_id());
  app.require_subcommand(1);
  app.fallthrough();

  ChosenCommand chosen;
  add_inspect(app, chosen);
  add_passes(app, chosen);
  add_infer(app, chosen);
  add_quantize(app, chosen);
  add_compile(app, chosen);
  add_run(app, chosen);
  add_sim(app, chosen);
  add_verify(app, chosen);
  add_hw(app, chosen);
  add_sweep(app, chosen);
  add_report(app, chosen);
  add_compare(app, chosen);
  add_regress(app, chosen);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitBadInput;
  }

  // Long phases show their progress on stderr (support/progress.h), unless the command draws its own.
  static wb::ConsoleProgress console_progress(std::cerr, wb::stderr_is_terminal());
  // Warnings follow the command's output, or the error line that ended it.
  const struct PrintWarnings {
    ~PrintWarnings() { wb::print_warnings(std::cerr); }
  } print_warnings_at_exit;
  // Then the steps' timings, unless an error ended the command (its line comes first, alone).
  const struct PrintTimings {
    ~PrintTimings() { console_progress.print_timings(); }
  } print_timings_at_exit;
  if (chosen.show_progress) wb::set_progress_sink(&console_progress);

  try {
    return chosen.run();
  } catch (const wb::UserError& e) {
    console_progress.discard_timings();
    std::cerr << "error: " << e.what() << '\n';
    return kExitBadInput;
  } catch (const std::bad_alloc&) {
    console_progress.discard_timings();
    std::cerr << "error: out of memory (the model's tensors do not fit in this machine's memory)\n";
    return kExitBadInput;
  } catch (const std::exception& e) {
    console_progress.discard_timings();
    std::cerr << "internal error: " << wb::valid_utf8(e.what()) << " (please report this with the command line)\n";
    return kExitFailure;
  }
}
