// What the Python module needs of the library: one process runs both targets (SystemC
// elaborates once), and an interrupt request stops each phase that polls it.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

#include "support/interrupt.h"
#include "tests/support/test_paths.h"
#include "workbench/run.h"

namespace wb::run_in_process_test {
namespace {

RunCommand tiny_run(const std::string& config, bool data) {
  CompileRequest request;
  request.model = (test::source_dir() / "workloads" / "tiny_resnet.onnx").string();
  request.hw = (test::source_dir() / "configs" / config).string();
  request.calib_count = 2;
  RunCommand command;
  command.compile = to_compile_command(request);
  command.no_data = !data;
  command.outputs.table = false;
  return command;
}

TEST(RunInProcess, BothTargetsRunInOneProcessEitherFirst) {
  std::ostringstream log;
  const report::RunReport pulp = run_model(tiny_run("gap8.yaml", true), log);
  const report::RunReport xdnn = run_model(tiny_run("v3_96.yaml", true), log);
  const report::RunReport pulp_again = run_model(tiny_run("gap8.yaml", true), log);
  EXPECT_EQ(pulp.verdict, "bit-exact");
  EXPECT_EQ(xdnn.verdict, "bit-exact");
  EXPECT_EQ(pulp_again.totals.cycles, pulp.totals.cycles);
  EXPECT_EQ(pulp.target, "pulp");
  EXPECT_EQ(xdnn.target, "xdnn");
}

// Timing only: no calibration and no golden check, so the simulator is what stops.
TEST(RunInProcess, AnInterruptStopsEachSimulatorAndTheNextRunIsWhole) {
  std::ostringstream log;
  for (const char* config : {"gap8.yaml", "v3_96.yaml"}) {
    const report::RunReport whole = run_model(tiny_run(config, false), log);
    request_interrupt();
    EXPECT_THROW(run_model(tiny_run(config, false), log), Interrupted) << config;
    clear_interrupt();
    EXPECT_EQ(run_model(tiny_run(config, false), log).totals.cycles, whole.totals.cycles) << config;
  }
}

TEST(RunInProcess, AnInterruptStopsTheCalibration) {
  std::ostringstream log;
  request_interrupt();
  EXPECT_THROW(run_model(tiny_run("gap8.yaml", true), log), Interrupted);
  clear_interrupt();
}

}  // namespace
}  // namespace wb::run_in_process_test
