// The Slurm executor against a real single-node Slurm on 127.0.0.1 (scripts/slurm-local.sh,
// started by this test's fixture): the same sweep through Slurm and locally yields the same
// records; collect is idempotent; a resubmission submits only what is missing.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <map>

#include "tests/support/cli_testing.h"
#include "tests/support/onnx_builder.h"
#include "tests/support/test_paths.h"
#include "workbench/sweep/results_db.h"

namespace wb {
namespace {

using test::CommandResult;
using testing::HasSubstr;

class SlurmSweep : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::filesystem::path conf = std::filesystem::path(WB_TEST_SLURM_DIR) / "slurm.conf";
    ASSERT_TRUE(std::filesystem::exists(conf)) << conf << " missing: the slurm fixture (scripts/slurm-local.sh start) "
                                                          "did not start the cluster";
    setenv("SLURM_CONF", conf.c_str(), 1);
    const CommandResult sinfo = test::shell("sinfo -h -o %t");
    ASSERT_EQ(sinfo.exit_code, 0) << sinfo.out;
  }
};

// Tiny ResNet on both targets, verify mode: 2 AM sizes on v3_96 (one too small: a failed
// point) and 2 core counts on gap8 are 4 + 4 points... kept to the axes each target has.
std::filesystem::path write_spec(const test::TempDir& dir, const std::string& name, const std::string& am_values) {
  const auto path = dir / (name + ".yaml");
  std::ofstream(path) << fmt::format(
      "name: {}\nmode: verify\nconfigs: [{}]\nmodels: [{}]\nquantization: {{calib_count: 2}}\naxes:\n"
      "  am_bytes: [{}]\n  compile_opt: [default, weight_pingpong=off]\n",
      name, (test::source_dir() / "configs" / "v3_96.yaml").string(), test::workload("tiny_resnet.onnx"), am_values);
  return path;
}

struct Record {
  std::string status, verdict;
  int exit_code = 0;
  std::uint64_t cycles = 0;
  std::vector<std::uint64_t> layer_cycles;
  bool operator==(const Record&) const = default;
};

std::map<std::string, Record> records(const std::string& db_path) {
  const sweep::ResultsDb db(db_path, false);
  std::map<std::string, Record> all;
  for (const auto& p : db.points()) {
    Record r{p.status, p.verdict, p.exit_code, p.cycles, {}};
    for (const auto& layer : db.layers(p.key)) r.layer_cycles.push_back(layer.cycles);
    all[p.key] = r;
  }
  return all;
}

TEST_F(SlurmSweep, YieldsTheSameRecordsAsTheLocalExecutor) {
  const test::TempDir dir;
  const auto spec = write_spec(dir, "small", "4KiB, 1MiB, 2MiB");
  const std::string local = (dir / "local.db").string(), slurm = (dir / "slurm.db").string();
  const CommandResult l = test::workbench(fmt::format("sweep {} --db {} -j 2", spec.string(), local));
  ASSERT_EQ(l.exit_code, 0) << l.out;
  const CommandResult s = test::workbench(
      fmt::format("sweep {} --db {} --executor slurm --chunk 2 --max-concurrent 2 --wait", spec.string(), slurm));
  ASSERT_EQ(s.exit_code, 0) << s.out;
  EXPECT_THAT(s.out, HasSubstr("submitted Slurm job"));
  EXPECT_THAT(s.out, HasSubstr("array task(s) of up to 2 point(s), 6 points"));
  const auto a = records(local), b = records(slurm);
  ASSERT_EQ(a.size(), 6u);
  EXPECT_EQ(a, b);
  std::size_t failed = 0;
  for (const auto& [key, r] : a) failed += r.status == "failed";
  EXPECT_GE(failed, 1u);  // 4 KiB of AM: recorded as failed by the array task, as locally

  // collect is idempotent; status reads the database and Slurm.
  const CommandResult collect = test::workbench(fmt::format("sweep collect {}", slurm));
  ASSERT_EQ(collect.exit_code, 0) << collect.out;
  EXPECT_THAT(collect.out, HasSubstr("imported 0 result file(s)"));
  EXPECT_EQ(records(slurm), b);
  const CommandResult status = test::workbench(fmt::format("sweep status {}", slurm));
  ASSERT_EQ(status.exit_code, 0) << status.out;
  EXPECT_THAT(status.out, HasSubstr("missing      0"));
  EXPECT_THAT(status.out, HasSubstr("finished"));
}

TEST_F(SlurmSweep, AResubmissionSubmitsOnlyWhatIsMissing) {
  const test::TempDir dir;
  const std::string db = (dir / "grow.db").string();
  const CommandResult first = test::workbench(
      fmt::format("sweep {} --db {} --executor slurm --wait", write_spec(dir, "grow", "1MiB").string(), db));
  ASSERT_EQ(first.exit_code, 0) << first.out;
  // The same design space grown by one AM size: only its two points are submitted.
  const CommandResult grown = test::workbench(
      fmt::format("sweep {} --db {} --executor slurm --wait", write_spec(dir, "grow", "1MiB, 4MiB").string(), db));
  ASSERT_EQ(grown.exit_code, 0) << grown.out;
  EXPECT_THAT(grown.out, HasSubstr("4 points, 2 already stored, 2 to run"));
  EXPECT_THAT(grown.out, HasSubstr(", 2 points\n"));
  // Nothing missing: nothing submitted.
  const CommandResult again = test::workbench(
      fmt::format("sweep {} --db {} --executor slurm", write_spec(dir, "grow", "1MiB, 4MiB").string(), db));
  ASSERT_EQ(again.exit_code, 0) << again.out;
  EXPECT_THAT(again.out, HasSubstr("0 to run"));
  EXPECT_EQ(again.out.find("submitted"), std::string::npos);
  for (const auto& [key, r] : records(db)) EXPECT_EQ(r.status, "done") << key;
}

}  // namespace
}  // namespace wb
