// `workbench sweep` / `report` end to end on the checked-in tiny models: points on both
// targets, resume, a point that cannot compile, show / export / report, and bad input.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <thread>

#include "tests/support/cli_testing.h"
#include "tests/support/onnx_builder.h"
#include "tests/support/test_paths.h"

namespace wb {
namespace {

using test::CommandResult;
using test::expect_bad_input;
using test::workbench;
using testing::HasSubstr;

std::string read(const std::filesystem::path& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::size_t lines(const std::string& text) { return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')); }

// A spec in `dir` over the tiny ResNet on v3_96 (AM sizes) and gap8 (cores).
std::filesystem::path write_spec(const test::TempDir& dir, const std::string& name, const std::string& body) {
  const auto path = dir / (name + ".yaml");
  std::ofstream(path) << fmt::format("name: {}\nmodels: [{}]\n{}", name, test::workload("tiny_resnet.onnx"), body);
  return path;
}

std::string configs(const std::string& names) {
  std::string list;
  for (const std::string name : {"v3_96", "gap8"}) {
    if (names.find(name) != std::string::npos) {
      list += (list.empty() ? "" : ", ") + (test::source_dir() / "configs" / (name + ".yaml")).string();
    }
  }
  return "configs: [" + list + "]\n";
}

TEST(SweepCli, RunsResumesShowsExportsAndReports) {
  const test::TempDir dir;
  // 4 KiB of AM cannot hold even one row stripe of the tiny ResNet's layers on 96 rows: that
  // point fails (exit 2, the reason recorded) and the sweep goes on.
  const auto spec = write_spec(dir, "mini", configs("v3_96") +
                                                "mode: verify\nquantization: {calib_count: 2}\naxes:\n  am_bytes: [4KiB, 2MiB]\n"
                                                "  array.rows: [32, 96]\nreport:\n  pareto:\n"
                                                "    - {x: am_bytes / MiB, x_label: AM (MiB), y: latency_ms, group: array.rows}\n"
                                                "    - {x: array.rows, y: latency_ms}\n");
  const std::string db = (dir / "mini.db").string();
  const CommandResult run = workbench(fmt::format("sweep {} --db {} -j 2", spec.string(), db));
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_THAT(run.out, HasSubstr("4 points, 0 already stored, 4 to run (verify mode)"));
  EXPECT_THAT(run.out, HasSubstr("[4/4]"));  // plain progress lines: not a terminal
  EXPECT_THAT(run.out, HasSubstr("FAILED tiny_resnet v3_96 am_bytes=4KiB array.rows=96"));
  EXPECT_THAT(run.out, HasSubstr("sweep mini: 4 points: 3 done, 1 failed"));
  EXPECT_TRUE(std::filesystem::is_directory(dir / "mini.sweep" / "models"));
  EXPECT_TRUE(std::filesystem::is_empty(dir / "mini.sweep" / "results"));  // every result imported

  // A rerun runs nothing, and removes what a killed writer left half-written, even while that
  // writer is a zombie nobody has reaped yet (it still answers kill(pid, 0)).
  const pid_t zombie = fork();
  ASSERT_GE(zombie, 0);
  if (zombie == 0) _exit(0);
  const auto is_zombie = [&] {
    std::string stat;
    std::getline(std::ifstream(fmt::format("/proc/{}/stat", zombie)), stat);
    const std::size_t paren = stat.rfind(')');
    return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'Z';
  };
  for (int i = 0; i < 500 && !is_zombie(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_TRUE(is_zombie());
  const std::filesystem::path half = dir / "mini.sweep" / "results" / fmt::format("ab.json.partial{}.0", zombie);
  std::ofstream(half) << "{\"key\":";
  const CommandResult again = workbench(fmt::format("sweep {} --db {}", spec.string(), db));
  EXPECT_EQ(again.exit_code, 0) << again.out;
  EXPECT_THAT(again.out, HasSubstr("4 points, 4 already stored, 0 to run"));
  EXPECT_FALSE(std::filesystem::exists(half)) << "a zombie's temporary file was kept";
  waitpid(zombie, nullptr, 0);

  const CommandResult show = workbench(fmt::format("sweep show {} --sort cycles --where status=done", db));
  ASSERT_EQ(show.exit_code, 0) << show.out;
  EXPECT_THAT(show.out, HasSubstr("bit-exact"));
  EXPECT_THAT(show.out, HasSubstr("3 of 4 points shown"));
  // Totals of the reports as columns (the target's block too): a number grouped, a name as it
  // is, '-' for a total the reports lack; --sort and --where take them.
  const CommandResult totals = workbench(
      fmt::format("sweep show {} --column peak_am_bytes --column am_allocator --column cycles_per_pixel "
                  "--sort peak_am_bytes --where status=done",
                  db));
  ASSERT_EQ(totals.exit_code, 0) << totals.out;
  EXPECT_THAT(totals.out, testing::ContainsRegex("peak_am_bytes +am_allocator +cycles_per_pixel"));
  EXPECT_THAT(totals.out, testing::ContainsRegex("[0-9],[0-9]{3} +(top|bottom|bysize|bestfit|spill) +-"));
  const CommandResult failed = workbench(fmt::format("sweep show {} --failed", db));
  EXPECT_THAT(failed.out, HasSubstr("needs"));  // the compiler's reason
  EXPECT_THAT(failed.out, HasSubstr("(exit 2)"));

  const CommandResult exported = workbench(fmt::format("sweep export {} --csv {} --layers {}", db,
                                                       (dir / "p.csv").string(), (dir / "l.csv").string()));
  ASSERT_EQ(exported.exit_code, 0) << exported.out;
  const std::string csv = read(dir / "p.csv");
  EXPECT_EQ(lines(csv), 5u);
  EXPECT_THAT(csv, HasSubstr("key,position,model,config,target,mode,status,am_bytes,array.rows,cycles"));
  EXPECT_THAT(csv, HasSubstr(",2097152,96,"));  // axes as resolved numbers
  const std::string layer_csv = read(dir / "l.csv");
  EXPECT_GT(lines(layer_csv), 10u);
  // Each layer's unit, bound, the array share its shape fills and where its time went.
  EXPECT_THAT(layer_csv, HasSubstr(",layer,name,type,unit,macs,cycles,"));
  EXPECT_THAT(layer_csv, HasSubstr(",bound,bound_cycles,mapping_efficiency,time_"));
  EXPECT_THAT(layer_csv, testing::ContainsRegex(",array,[0-9]+,[0-9]+,"));
  EXPECT_THAT(layer_csv, testing::ContainsRegex(",(compute|mapping|ddr_channel),[0-9]+,0\\.[0-9]+,"));

  const CommandResult report = workbench(fmt::format("report {} -o {}", db, (dir / "report").string()));
  ASSERT_EQ(report.exit_code, 0) << report.out;
  const std::string html = read(dir / "report" / "index.html");
  EXPECT_THAT(html, HasSubstr("<h2>Pareto frontiers</h2>"));
  EXPECT_THAT(html, HasSubstr("<h2>Failed points</h2>"));
  EXPECT_THAT(html, HasSubstr("data:image/svg+xml;base64,"));
  EXPECT_EQ(html.find("<script src"), std::string::npos);  // nothing fetched from anywhere
  std::size_t svgs = 0;
  std::string grouped_plot;
  for (const auto& entry : std::filesystem::directory_iterator(dir / "report")) {
    if (entry.path().extension() != ".svg") continue;
    ++svgs;
    const std::string svg = read(entry.path());
    if (svg.find("by array.rows") != std::string::npos) grouped_plot = svg;
  }
  EXPECT_GE(svgs, 2u);
  // The grouped front: the points in one colour per array height, the frontier across them.
  EXPECT_THAT(grouped_plot, HasSubstr(">array.rows=32</text>"));
  EXPECT_THAT(grouped_plot, HasSubstr(">array.rows=96</text>"));
  EXPECT_THAT(grouped_plot, HasSubstr(">Pareto frontier</text>"));
}

TEST(SweepCli, BothTargetsAndTheAblation) {
  const test::TempDir dir;
  const auto spec = write_spec(dir, "both", configs("v3_96 gap8") + "axes:\n  compile_opt: ablation\n");
  const std::string db = (dir / "both.db").string();
  const CommandResult run = workbench(fmt::format("sweep {} --db {} -j 2", spec.string(), db));
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_THAT(run.out, HasSubstr("sweep both: 11 points: 11 done, 0 failed"));
  const CommandResult report = workbench(fmt::format("report {} -o {} --point 0", db, (dir / "r").string()));
  ASSERT_EQ(report.exit_code, 0) << report.out;
  const std::string html = read(dir / "r" / "index.html");
  EXPECT_THAT(html, HasSubstr("One network, two targets"));
  EXPECT_THAT(html, HasSubstr("Compiler optimisations: ablation"));
  EXPECT_THAT(html, HasSubstr("weight_pingpong=off"));
  EXPECT_THAT(html, HasSubstr("weight_prefetch=off"));
  expect_bad_input(workbench(fmt::format("report {} -o {} --point 99", db, (dir / "r2").string())), "--point 99");
  EXPECT_FALSE(std::filesystem::exists(dir / "r2" / "index.html"));
}

TEST(SweepCli, BadInputExitsTwoAndWritesNothing) {
  const test::TempDir dir;
  const auto check = [&](const std::string& name, const std::string& body, const std::string& needle,
                         const std::string& extra = "") {
    const auto spec = write_spec(dir, name, body);
    expect_bad_input(workbench(fmt::format("sweep {} --db {} {}", spec.string(), (dir / (name + ".db")).string(), extra)),
                     needle);
    EXPECT_FALSE(std::filesystem::exists(dir / (name + ".db"))) << name;
    EXPECT_FALSE(std::filesystem::exists(dir / (name + ".sweep"))) << name;
  };
  check("unknown_key", configs("v3_96") + "axes:\n  cores: [1]\n", "axes.cores: '1' for v3_96.yaml");
  check("typo", configs("v3_96") + "constraint: [x > 1]\n", "unknown key (did you mean 'constraints'?)");
  check("empty_axis", configs("v3_96") + "axes:\n  am_bytes: []\n", "axes.am_bytes: empty list");
  check("models_twice", configs("v3_96") + "models: [missing.onnx]\n", "models: duplicate key");
  {
    const auto spec = dir / "missing_model.yaml";
    std::ofstream(spec) << configs("v3_96") << "models: [missing.onnx]\n";
    expect_bad_input(workbench(fmt::format("sweep {} --db {}", spec.string(), (dir / "m.db").string())),
                     "missing.onnx: no such file");
    EXPECT_FALSE(std::filesystem::exists(dir / "m.db"));
  }
  // No Slurm client on this PATH.
  {
    const auto spec = write_spec(dir, "noslurm", configs("v3_96"));
    const CommandResult run = test::shell(fmt::format("PATH=/nonexistent {} sweep {} --db {} --executor slurm",
                                                      test::workbench_binary().string(), spec.string(),
                                                      (dir / "noslurm.db").string()));
    expect_bad_input(run, "'sbatch' not found on PATH: this machine has no Slurm client");
    EXPECT_FALSE(std::filesystem::exists(dir / "noslurm.db"));
  }
  expect_bad_input(workbench("sweep"), "give a spec");
  expect_bad_input(workbench(fmt::format("sweep {}", (dir / "nothere.yaml").string())), "no such sweep spec");
  expect_bad_input(workbench(fmt::format("sweep show {}", (dir / "none.db").string())), "no such results database");
  {
    std::ofstream(dir / "notes.db") << "my notes on the sweep, not its results; long enough for a header\n";
  }
  expect_bad_input(workbench(fmt::format("sweep show {}", (dir / "notes.db").string())),
                   "notes.db: not a SQLite database, so not a sweep's results database");
  expect_bad_input(workbench(fmt::format("report {} -o {}", (dir / "none.db").string(), (dir / "out").string())),
                   "no such results database");
}

TEST(SweepCli, ShowRefusesAnUnknownColumnAndDryRunListsPoints) {
  const test::TempDir dir;
  const auto spec = write_spec(dir, "dry", configs("gap8") + "axes:\n  cores: [1 .. 8 x 2]\n");
  const CommandResult dry = workbench(fmt::format("sweep {} --dry-run --db {}", spec.string(), (dir / "dry.db").string()));
  ASSERT_EQ(dry.exit_code, 0) << dry.out;
  EXPECT_THAT(dry.out, HasSubstr("sweep dry: 4 points (timing mode)"));
  EXPECT_THAT(dry.out, HasSubstr("tiny_resnet gap8 cores=8"));
  EXPECT_FALSE(std::filesystem::exists(dir / "dry.db"));
  const CommandResult run = workbench(fmt::format("sweep {} --db {}", spec.string(), (dir / "dry.db").string()));
  ASSERT_EQ(run.exit_code, 0) << run.out;
  expect_bad_input(workbench(fmt::format("sweep show {} --sort speed", (dir / "dry.db").string())),
                   "--sort speed: no such column");
  expect_bad_input(workbench(fmt::format("sweep show {} --sort cycels", (dir / "dry.db").string())),
                   "--sort cycels: no such column (did you mean 'cycles'?)");
  expect_bad_input(workbench(fmt::format("sweep show {} --where cores", (dir / "dry.db").string())),
                   "expected COLUMN=VALUE");
  const CommandResult show = workbench(fmt::format("sweep show {} --where cores=4", (dir / "dry.db").string()));
  EXPECT_THAT(show.out, HasSubstr("1 of 4 points shown"));
}

}  // namespace
}  // namespace wb
