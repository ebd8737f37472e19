// HwConfig: the checked-in configs (xDNN and PULP) against REFERENCE.md's published figures,
// the loader's errors (each names the file, the line or the --set, and the key), sizes with
// units, --set overrides, and the schema against docs/hw_config.md.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "support/error.h"
#include "isa/hw_config.h"
#include "tests/support/test_paths.h"

namespace wb {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

std::filesystem::path config_file(const std::string& name) { return test::source_dir() / "configs" / name; }

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A complete xdnn config; the tests below edit it line by line (line numbers are 1-based).
constexpr const char* kXdnn = R"(name: test_xdnn
target: xdnn
clock_mhz: 500
array:
  rows: 28
  cols: 32
  macs_per_dsp_int8: 2
  macs_per_dsp_int16: 1
am_bytes: 4MiB
am_read_ports: 2
am_write_ports: 2
am_width_align: 8
filter_cache_bytes: 288KiB
max_filter_elements: 4608
depthwise: false
pool_elements_per_cycle: 28
eltwise_elements_per_cycle: 28
ddr_gbps: 19.25
ddr_efficiency: 0.85
ddr_latency_ns: 150
ddr_bytes: 16GiB
instr_issue_cycles: 16
host_fc_softmax: false
host_gops: 5
host_link_gbps: 12
)";

// A complete pulp config with GAP8-like values (REFERENCE.md); the real ones are
// configs/gap8.yaml and configs/pulp_open.yaml.
constexpr const char* kPulp = R"(name: test_pulp
target: pulp
clock_mhz: 100
cores: 8
core_macs_per_cycle_int8: 4
core_macs_per_cycle_int16: 2
l1_bytes: 64000
l1_banks: 16
l1_tile_budget_bytes: 38000
l2_bytes: 512KiB
l3_bytes: 8MiB
l3_flash_bytes: 64MiB
dma_bytes_per_cycle: 8
dma_burst_bytes: 256
dma_outstanding_transfers: 8
dma_latency_cycles: 10
l3_bytes_per_cycle: 0.5
l3_latency_cycles: 100
barrier_cycles: 11
wakeup_cycles: 4
)";

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string join_lines(const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& l : lines) text += l + "\n";
  return text;
}

std::string with_line(const std::string& text, std::size_t line, const std::string& replacement) {
  auto lines = split_lines(text);
  lines.at(line - 1) = replacement;
  return join_lines(lines);
}

std::string without_line(const std::string& text, std::size_t line) {
  auto lines = split_lines(text);
  lines.erase(lines.begin() + static_cast<std::ptrdiff_t>(line - 1));
  return join_lines(lines);
}

// The UserError message of loading `yaml` as "bad.yaml".
std::string load_error(const std::string& yaml, const std::vector<std::string>& overrides = {}) {
  try {
    parse_hw_config(yaml, "bad.yaml", overrides);
  } catch (const UserError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.find('\n'), std::string::npos) << "one line: " << message;
    return message;
  }
  ADD_FAILURE() << "loaded without an error";
  return "";
}

// ---------------------------------------------------------------------------------------
// The checked-in configs reproduce the published peaks (REFERENCE.md, xDNN table).

struct Published {
  const char* file;
  int rows;
  int cols;
  double clock_mhz;
  double gops_int8;
  double gops_int16;
};

class XdnnConfigs : public ::testing::TestWithParam<Published> {};

TEST_P(XdnnConfigs, PeakGopsMatchTheReferenceTable) {
  const Published& p = GetParam();
  const HwConfig config = load_hw_config(config_file(p.file));
  ASSERT_EQ(config.target(), Target::Xdnn);
  EXPECT_EQ(config.name + ".yaml", p.file);
  EXPECT_EQ(config.xdnn().array.rows, p.rows);
  EXPECT_EQ(config.xdnn().array.cols, p.cols);
  EXPECT_EQ(config.clock_mhz, p.clock_mhz);
  EXPECT_EQ(config.xdnn().ddr_gbps, 19.25);  // one DDR4 channel per PE (UG1393)
  EXPECT_NEAR(peak_gops(config, 8), p.gops_int8, p.gops_int8 * 1e-3);
  EXPECT_NEAR(peak_gops(config, 16), p.gops_int16, p.gops_int16 * 1e-3);
}

INSTANTIATE_TEST_SUITE_P(Published, XdnnConfigs,
                         ::testing::Values(Published{"v2_28.yaml", 28, 32, 500, 1792, 896},
                                           Published{"v2_56.yaml", 56, 32, 500, 3584, 1792},
                                           Published{"v3_96.yaml", 96, 16, 700, 4300, 2150}),
                         [](const ::testing::TestParamInfo<Published>& param) {
                           const std::string file = param.param.file;
                           return file.substr(0, file.find('.'));
                         });

TEST(XdnnConfigFiles, V3Figures) {
  const HwConfig v3 = load_hw_config(config_file("v3_96.yaml"));
  EXPECT_EQ(peak_mac_per_cycle(v3, 8), 3072);  // REFERENCE.md: 3072 MAC/cycle int8 (derived)
  EXPECT_EQ(peak_mac_per_cycle(v3, 16), 1536);
  EXPECT_DOUBLE_EQ(peak_gops(v3, 8), 4300.8);
  EXPECT_EQ(v3.xdnn().am_bytes, 9 << 20);
  EXPECT_EQ(v3.xdnn().am_read_ports, 2);
  EXPECT_EQ(v3.xdnn().am_write_ports, 2);
  EXPECT_EQ(v3.xdnn().max_filter_elements, 9792);
  EXPECT_TRUE(v3.xdnn().depthwise);
  EXPECT_EQ(load_hw_config(config_file("v2_28.yaml")).xdnn().am_bytes, 4 << 20);
  EXPECT_EQ(load_hw_config(config_file("v2_56.yaml")).xdnn().am_bytes, 6 << 20);
}


// ---------------------------------------------------------------------------------------
// The pulp configs (REFERENCE.md, PULP section).

TEST(PulpConfigFiles, BothLoad) {
  for (const char* file : {"gap8.yaml", "pulp_open.yaml"}) {
    const HwConfig config = load_hw_config(config_file(file));
    ASSERT_EQ(config.target(), Target::Pulp) << file;
    EXPECT_EQ(config.name + ".yaml", file);
    const PulpParams& p = config.pulp();
    EXPECT_EQ(p.cores, 8) << file;
    EXPECT_EQ(p.core_macs_per_cycle_int8, 4) << file;
    EXPECT_EQ(p.l1_bytes, 64 * 1024) << file;
    EXPECT_EQ(p.l1_banks, 16) << file;
    EXPECT_LE(p.l1_tile_budget_bytes, p.l1_bytes) << file;
    EXPECT_EQ(p.dma_bytes_per_cycle, 8) << file;
    EXPECT_EQ(p.dma_burst_bytes, 256) << file;
    EXPECT_EQ(p.dma_outstanding_transfers, 8) << file;
    EXPECT_EQ(p.barrier_cycles, 11) << file;
    EXPECT_LT(p.l3_bytes_per_cycle, p.dma_bytes_per_cycle) << file;  // L3 "much slower than L2"
    EXPECT_EQ(resolved_keys(config).size(), hw_keys(Target::Pulp).size()) << file;
  }
}

TEST(PulpConfigFiles, Gap8Figures) {
  const HwConfig gap8 = load_hw_config(config_file("gap8.yaml"));
  EXPECT_EQ(peak_mac_per_cycle(gap8, 8), 32);  // REFERENCE.md: 8 cores x 4-way int8 SIMD
  EXPECT_EQ(peak_mac_per_cycle(gap8, 16), 16);
  EXPECT_EQ(gap8.clock_mhz, 100);
  EXPECT_DOUBLE_EQ(peak_gops(gap8, 8), 6.4);
  // DORY's GAP8 description: 64000 B of L1 minus stacks of 3500 (core 0) and 7 x 3400.
  EXPECT_EQ(gap8.pulp().l1_tile_budget_bytes, 64000 - 3500 - 7 * 3400);
  EXPECT_EQ(gap8.pulp().l1_tile_budget_bytes, 36700);
  EXPECT_EQ(gap8.pulp().l2_bytes, 512 * 1024);
  EXPECT_EQ(gap8.pulp().l3_bytes, 8 << 20);
  // Issue #5's calibration runs with the tutorial's budget.
  EXPECT_EQ(load_hw_config(config_file("gap8.yaml"), {"l1_tile_budget_bytes=38000"}).pulp().l1_tile_budget_bytes,
            38000);
  // DORY's PULP_gvsoc description: stacks of 3800 (core 0) and 7 x 3600.
  EXPECT_EQ(load_hw_config(config_file("pulp_open.yaml")).pulp().l1_tile_budget_bytes, 64000 - 3800 - 7 * 3600);
}

TEST(PulpConfigFiles, CoresScaleThePeakLinearly) {
  for (const char* file : {"gap8.yaml", "pulp_open.yaml"}) {
    const double full = peak_mac_per_cycle(load_hw_config(config_file(file)), 8);
    for (int n = 1; n <= 8; ++n) {
      const HwConfig scaled = load_hw_config(config_file(file), {"cores=" + std::to_string(n)});
      EXPECT_EQ(scaled.pulp().cores, n) << file;
      EXPECT_EQ(peak_mac_per_cycle(scaled, 8), 4.0 * n) << file << " cores=" << n;
      EXPECT_DOUBLE_EQ(peak_mac_per_cycle(scaled, 8), full * n / 8) << file << " cores=" << n;
      EXPECT_DOUBLE_EQ(peak_gops(scaled, 16), 2.0 * 2 * n * scaled.clock_mhz / 1000) << file << " cores=" << n;
    }
  }
}

// ---------------------------------------------------------------------------------------
// Every config file in configs/, whatever its target.

std::vector<std::string> config_files() {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(test::source_dir() / "configs")) {
    if (entry.path().extension() == ".yaml") files.push_back(entry.path().filename().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(ConfigFiles, AllLoad) {
  const auto files = config_files();
  for (const char* expected : {"gap8.yaml", "pulp_open.yaml", "v2_28.yaml", "v2_56.yaml", "v3_96.yaml"}) {
    EXPECT_THAT(files, ::testing::Contains(expected));
  }
  for (const auto& file : files) {
    EXPECT_NO_THROW(static_cast<void>(load_hw_config(config_file(file)))) << file;
  }
}

// Every value in a config says where it comes from: "# published" or "# chosen".
TEST(ConfigFiles, EveryValueIsPublishedOrChosen) {
  const std::regex key_with_value(R"(^\s*([a-z0-9_]+):\s*[^\s#].*$)");
  for (const auto& file : config_files()) {
    int values = 0;
    for (const auto& line : split_lines(read_text(config_file(file)))) {
      std::smatch m;
      if (!std::regex_match(line, m, key_with_value) || m[1] == "name" || m[1] == "target") continue;
      ++values;
      EXPECT_TRUE(line.find("# published") != std::string::npos || line.find("# chosen") != std::string::npos)
          << file << ": " << line;
    }
    EXPECT_GT(values, 0) << file;
  }
}

// ---------------------------------------------------------------------------------------
// The inline configs load, and the pulp section's figures.

TEST(HwConfigLoad, InlineXdnnMatchesTheV2File) {
  const HwConfig inline_config = parse_hw_config(kXdnn, "inline.yaml");
  const HwConfig file_config = load_hw_config(config_file("v2_28.yaml"));
  EXPECT_EQ(peak_gops(inline_config, 8), peak_gops(file_config, 8));
  EXPECT_EQ(inline_config.xdnn().filter_cache_bytes, 288 * 1024);
  EXPECT_EQ(inline_config.xdnn().ddr_bytes, std::int64_t{16} << 30);
}

TEST(HwConfigLoad, PulpPeakIsCoresTimesFour) {
  const HwConfig pulp = parse_hw_config(kPulp, "pulp.yaml");
  ASSERT_EQ(pulp.target(), Target::Pulp);
  EXPECT_EQ(pulp.pulp().cores, 8);
  EXPECT_EQ(pulp.pulp().l2_bytes, 512 * 1024);
  EXPECT_EQ(pulp.pulp().l3_bytes_per_cycle, 0.5);
  EXPECT_EQ(peak_mac_per_cycle(pulp, 8), 32);  // REFERENCE.md: 8 cores x 4-way int8 SIMD
  EXPECT_DOUBLE_EQ(peak_gops(pulp, 8), 6.4);
  EXPECT_EQ(peak_mac_per_cycle(parse_hw_config(kPulp, "pulp.yaml", {"cores=4"}), 8), 16);
  EXPECT_EQ(pulp.name, "test_pulp");
}

TEST(HwConfigLoad, WrongSectionIsAUserError) {
  const HwConfig pulp = parse_hw_config(kPulp, "pulp.yaml");
  EXPECT_THROW(static_cast<void>(pulp.xdnn()), UserError);
  EXPECT_THROW(static_cast<void>(parse_hw_config(kXdnn, "x.yaml").pulp()), UserError);
}

TEST(HwConfigLoad, DerivedFiguresOfEachTarget) {
  const auto names = [](const HwConfig& c) {
    std::vector<std::string> n;
    for (const auto& f : derived_figures(c)) n.push_back(f.name);
    return n;
  };
  EXPECT_THAT(names(parse_hw_config(kXdnn, "x.yaml")),
              ::testing::ElementsAre("dsps", "peak_mac_per_cycle_int8", "peak_mac_per_cycle_int16", "peak_gops_int8",
                                     "peak_gops_int16", "ddr_bytes_per_cycle", "ddr_latency_cycles"));
  const auto pulp_figures = derived_figures(parse_hw_config(kPulp, "p.yaml"));
  EXPECT_THAT(names(parse_hw_config(kPulp, "p.yaml")), ::testing::Contains("l1_bank_bytes"));
  EXPECT_EQ(pulp_figures.back().name, "l3_gbps");
  EXPECT_DOUBLE_EQ(pulp_figures.back().value, 0.05);  // 0.5 bytes/cycle at 100 MHz
}

// ---------------------------------------------------------------------------------------
// Errors: file, line, dotted key.

TEST(HwConfigErrors, UnknownKeys) {
  EXPECT_EQ(load_error(std::string(kXdnn) + "am_bites: 4MiB\n"),
            "bad.yaml:26: am_bites: unknown key (did you mean 'am_bytes'?)");
  EXPECT_EQ(load_error(with_line(kXdnn, 5, "  rowz: 28")),
            "bad.yaml:5: array.rowz: unknown key (did you mean 'array.rows'?)");
  EXPECT_THAT(load_error(std::string(kXdnn) + "frobnicate: 1\n"),
              HasSubstr("bad.yaml:26: frobnicate: unknown key for target xdnn"));
  EXPECT_THAT(
      load_error(std::string(kXdnn) + "cores: 8\n"),
      HasSubstr("bad.yaml:26: cores: unknown key: it belongs to target pulp, but this config's target is xdnn"));
  EXPECT_EQ(load_error(std::string(kXdnn) + "array.rows: 56\n"),
            "bad.yaml:26: array.rows: write it nested, as 'array:' with 'rows' under it");
  EXPECT_THAT(load_error(std::string(kPulp) + "array:\n  rows: 2\n"),
              HasSubstr("bad.yaml:21: array: unknown key: it belongs to target xdnn"));
}

TEST(HwConfigErrors, WrongTypes) {
  EXPECT_EQ(load_error(with_line(kXdnn, 5, "  rows: abc")), "bad.yaml:5: array.rows: expected an integer, got 'abc'");
  EXPECT_EQ(load_error(with_line(kXdnn, 5, "  rows: \"28\"")),
            "bad.yaml:5: array.rows: expected an integer, got the quoted string \"28\"");
  EXPECT_THAT(load_error(with_line(kXdnn, 5, "  rows: 28.5")),
              HasSubstr("bad.yaml:5: array.rows: expected an integer"));
  EXPECT_THAT(load_error(with_line(kXdnn, 3, "clock_mhz: fast")),
              HasSubstr("bad.yaml:3: clock_mhz: expected a number"));
  EXPECT_THAT(load_error(with_line(kXdnn, 3, "clock_mhz: .inf")),
              HasSubstr("bad.yaml:3: clock_mhz: expected a number"));
  EXPECT_THAT(load_error(with_line(kXdnn, 3, "clock_mhz: [500]")),
              HasSubstr("bad.yaml:3: clock_mhz: expected a number, got a list"));
  EXPECT_THAT(load_error(with_line(kXdnn, 15, "depthwise: yes")),
              HasSubstr("bad.yaml:15: depthwise: expected true or false, got 'yes'"));
  EXPECT_THAT(load_error(with_line(kXdnn, 9, "am_bytes:")), HasSubstr("bad.yaml:9: am_bytes: expected a size"));
  EXPECT_THAT(load_error(with_line(kXdnn, 1, "name: a b")), HasSubstr("bad.yaml:1: name: expected a name"));
  // A scalar where a group belongs, and a group where a scalar belongs.
  std::string flat = kXdnn;
  for (int i = 0; i < 4; ++i) flat = without_line(flat, 5);
  EXPECT_THAT(
      load_error(with_line(flat, 4, "array: 5")),
      HasSubstr("bad.yaml:4: array: expected a map with keys rows, cols, macs_per_dsp_int8, macs_per_dsp_int16, "
                "weight_depth, got '5'"));
  EXPECT_THAT(
      load_error(with_line(kXdnn, 9, "am_bytes: {size: 4}")),
      HasSubstr("bad.yaml:9: am_bytes: expected a size (bytes, or with a unit: 512kB, 64 KiB, 9MiB), got a map"));
}

TEST(HwConfigErrors, MissingKeys) {
  EXPECT_EQ(load_error(without_line(kXdnn, 6)),
            "bad.yaml:4: array.cols: missing key: DSP columns of the systolic array, in DSP");
  EXPECT_THAT(load_error(without_line(kXdnn, 18)),
              HasSubstr("bad.yaml:1: ddr_gbps: missing key: theoretical bandwidth"));
  EXPECT_EQ(load_error(without_line(without_line(kXdnn, 24), 9)),
            "bad.yaml:1: missing keys am_bytes, host_gops (docs/hw_config.md describes them)");
  EXPECT_EQ(load_error(without_line(kXdnn, 2)), "bad.yaml:1: target: missing key (xdnn or pulp)");
  EXPECT_THAT(load_error(with_line(kXdnn, 2, "target: xdnm")), HasSubstr("bad.yaml:2: target: expected xdnn or pulp"));
}

TEST(HwConfigErrors, OutOfRange) {
  EXPECT_EQ(load_error(with_line(kXdnn, 5, "  rows: 0")), "bad.yaml:5: array.rows: 0 is out of range [1, 1024]");
  EXPECT_EQ(load_error(with_line(kXdnn, 5, "  rows: 99999999999999999999")),
            "bad.yaml:5: array.rows: 99999999999999999999 is out of range [1, 1024]");
  EXPECT_EQ(load_error(with_line(kXdnn, 19, "ddr_efficiency: 1.5")),
            "bad.yaml:19: ddr_efficiency: 1.5 is out of range [0.01, 1]");
  EXPECT_EQ(load_error(with_line(kXdnn, 9, "am_bytes: 2GiB")),
            "bad.yaml:9: am_bytes: 2 GiB is out of range [1 KiB, 1 GiB]");
  EXPECT_EQ(load_error(with_line(kPulp, 8, "l1_banks: 12")), "bad.yaml:8: l1_banks: 12 is not a power of two");
  // A constraint between two keys names the one that breaks it.
  EXPECT_EQ(load_error(with_line(kPulp, 9, "l1_tile_budget_bytes: 65000")),
            "bad.yaml:9: l1_tile_budget_bytes: 65 kB is larger than l1_bytes (64 kB)");
}

TEST(HwConfigErrors, BadSizeUnits) {
  EXPECT_THAT(
      load_error(with_line(kXdnn, 9, "am_bytes: 4 KB")),
      HasSubstr("bad.yaml:9: am_bytes: expected a size (bytes, or with a unit: 512kB, 64 KiB, 9MiB), got '4 KB' "
                "(unknown unit 'KB'; units are B, kB (1000), KiB (1024), MB, MiB, GB, GiB)"));
  EXPECT_THAT(load_error(with_line(kXdnn, 9, "am_bytes: 4Mib")), HasSubstr("bad.yaml:9: am_bytes:"));
  EXPECT_THAT(load_error(with_line(kXdnn, 9, "am_bytes: 1.5B")), HasSubstr("not a whole number of bytes"));
  EXPECT_THAT(load_error(with_line(kXdnn, 9, "am_bytes: -4MiB")), HasSubstr("bad.yaml:9: am_bytes:"));
}

TEST(HwConfigErrors, DuplicatesAndSyntax) {
  EXPECT_EQ(load_error(std::string(kXdnn) + "clock_mhz: 600\n"),
            "bad.yaml:26: clock_mhz: duplicate key (first given on line 3)");
  EXPECT_THAT(load_error(with_line(kXdnn, 4, "array: [1, 2")), HasSubstr("bad.yaml:"));
  EXPECT_THAT(load_error(with_line(kXdnn, 4, "array: [1, 2")), HasSubstr("YAML syntax error"));
  EXPECT_EQ(load_error(""), "bad.yaml:1: expected a map of keys (name, target, clock_mhz, ...) at the top level");
  EXPECT_THROW(load_hw_config(test::source_dir() / "configs" / "no_such.yaml"), UserError);
}

// --set errors name the file, the --set argument and the key.
TEST(HwConfigErrors, BadOverrides) {
  EXPECT_EQ(load_error(kXdnn, {"array.rowz=5"}),
            "bad.yaml (--set array.rowz=5): array.rowz: unknown key (did you mean 'array.rows'?)");
  EXPECT_EQ(load_error(kXdnn, {"array.rows=abc"}),
            "bad.yaml (--set array.rows=abc): array.rows: expected an integer, got 'abc'");
  EXPECT_EQ(load_error(kXdnn, {"array.rows=0"}),
            "bad.yaml (--set array.rows=0): array.rows: 0 is out of range [1, 1024]");
  EXPECT_THAT(load_error(kXdnn, {"am_bytes=5 MiBs"}),
              HasSubstr("bad.yaml (--set am_bytes=5 MiBs): am_bytes: expected a size"));
  EXPECT_EQ(load_error(kXdnn, {"array=5"}),
            "bad.yaml (--set array=5): array: a group of keys; set one of them: array.rows, array.cols, "
            "array.macs_per_dsp_int8, array.macs_per_dsp_int16, array.weight_depth");
  EXPECT_THAT(load_error(kXdnn, {"cores=4"}),
              HasSubstr("bad.yaml (--set cores=4): cores: unknown key: it belongs to target pulp"));
  EXPECT_THAT(load_error(kXdnn, {"target=pulp"}), HasSubstr("bad.yaml (--set target=pulp): target: the target cannot"));
  EXPECT_EQ(load_error(kXdnn, {"array.rows"}),
            "bad.yaml (--set array.rows): expected key=value, e.g. --set array.rows=56");
  EXPECT_EQ(
      load_error(kPulp, {"l1_tile_budget_bytes=64KiB"}),
      "bad.yaml (--set l1_tile_budget_bytes=64KiB): l1_tile_budget_bytes: 64 KiB is larger than l1_bytes (64 kB)");
}

// ---------------------------------------------------------------------------------------
// --set overrides.

TEST(HwConfigOverrides, RowsDoubleThePeak) {
  const HwConfig v2_28 = load_hw_config(config_file("v2_28.yaml"));
  const HwConfig wider = load_hw_config(config_file("v2_28.yaml"), {"array.rows=56"});
  EXPECT_EQ(wider.xdnn().array.rows, 56);
  EXPECT_DOUBLE_EQ(peak_gops(wider, 8), 2 * peak_gops(v2_28, 8));
  EXPECT_DOUBLE_EQ(peak_gops(wider, 8), peak_gops(load_hw_config(config_file("v2_56.yaml")), 8));
}

TEST(HwConfigOverrides, EveryKindAndTheLastWins) {
  const HwConfig c = parse_hw_config(kXdnn, "x.yaml",
                                     {"am_bytes=5MiB", "clock_mhz=250", "host_fc_softmax=true", "ddr_gbps=10",
                                      "name=sweep_1", "array.cols=8", "array.cols=16"});
  EXPECT_EQ(c.xdnn().am_bytes, 5 << 20);
  EXPECT_EQ(c.clock_mhz, 250);
  EXPECT_TRUE(c.xdnn().host_fc_softmax);
  EXPECT_EQ(c.xdnn().ddr_gbps, 10);
  EXPECT_EQ(c.name, "sweep_1");
  EXPECT_EQ(c.xdnn().array.cols, 16);
  EXPECT_DOUBLE_EQ(peak_gops(c, 8), 2.0 * 28 * 16 * 2 * 250 / 1000);
  for (const auto& f : derived_figures(c)) {
    if (f.name == "ddr_bytes_per_cycle") {
      EXPECT_DOUBLE_EQ(f.value, 10 * 0.85 * 1000 / 250);
    }
  }
  EXPECT_EQ(parse_hw_config(kXdnn, "x.yaml", {"am_bytes=512kB"}).xdnn().am_bytes, 512000);
}

// ---------------------------------------------------------------------------------------
// Sizes relative to another size key: resolved after every value is in.

TEST(HwConfigRelativeSizes, FollowTheOtherKeysFinalValue) {
  const std::string relative = with_line(kPulp, 9, "l1_tile_budget_bytes: l1_bytes - 26000");
  EXPECT_EQ(parse_hw_config(relative, "r.yaml").pulp().l1_tile_budget_bytes, 38000);
  EXPECT_EQ(parse_hw_config(relative, "r.yaml", {"l1_bytes=128KiB"}).pulp().l1_tile_budget_bytes, 131072 - 26000);
  // Units, plus, and a --set that is itself relative.
  EXPECT_EQ(parse_hw_config(kPulp, "r.yaml", {"l1_tile_budget_bytes=l1_bytes - 1KiB"}).pulp().l1_tile_budget_bytes,
            64000 - 1024);
  EXPECT_EQ(parse_hw_config(kPulp, "r.yaml", {"l1_bytes=128KiB", "l1_tile_budget_bytes=l1_bytes+0"})
                .pulp()
                .l1_tile_budget_bytes,
            131072);
  // A plain value given later replaces the relative one.
  EXPECT_EQ(parse_hw_config(relative, "r.yaml", {"l1_tile_budget_bytes=30000", "l1_bytes=128KiB"})
                .pulp()
                .l1_tile_budget_bytes,
            30000);
  // The shipped configs' budgets are their published values.
  EXPECT_EQ(load_hw_config(config_file("gap8.yaml")).pulp().l1_tile_budget_bytes, 36700);
  EXPECT_EQ(load_hw_config(config_file("pulp_open.yaml")).pulp().l1_tile_budget_bytes, 35000);
}

TEST(HwConfigRelativeSizes, ErrorsNameTheValueAndWhatToDo) {
  const std::string relative = with_line(kPulp, 9, "l1_tile_budget_bytes: l1_bytes - 26000");
  EXPECT_EQ(load_error(relative, {"l1_bytes=16KiB"}),
            "bad.yaml:9: l1_tile_budget_bytes: 'l1_bytes - 26000' = -9616 (l1_bytes is 16 KiB): not a size (give "
            "l1_tile_budget_bytes a value of its own)");
  EXPECT_THAT(load_error(relative, {"l1_bytes=26500"}),
              AllOf(HasSubstr("bad.yaml:9: l1_tile_budget_bytes: 'l1_bytes - 26000' = 500 (l1_bytes is"),
                    HasSubstr("out of range")));
  EXPECT_THAT(load_error(kPulp, {"l1_tile_budget_bytes=l1_bytez - 1"}),
              HasSubstr("'l1_bytez - 1': l1_bytez is not another size key of a pulp config"));
  EXPECT_THAT(load_error(kPulp, {"l1_tile_budget_bytes=cores - 1"}), HasSubstr("cores is not another size key"));
  EXPECT_THAT(load_error(kPulp, {"l1_tile_budget_bytes=l1_tile_budget_bytes - 1"}),
              HasSubstr("is not another size key"));
  EXPECT_THAT(load_error(kPulp, {"l1_tile_budget_bytes=l1_bytes - lots"}), HasSubstr("lots is not a size"));
  EXPECT_THAT(load_error(kPulp, {"l1_bytes=l2_bytes - 1", "l1_tile_budget_bytes=l1_bytes - 1"}),
              HasSubstr("l1_bytes is itself relative"));
  // The rules between keys still hold for the resolved value.
  EXPECT_THAT(load_error(kPulp, {"l1_tile_budget_bytes=l1_bytes + 1"}), HasSubstr("is larger than l1_bytes"));
  // A sweep checks one value alone without them.
  EXPECT_EQ(parse_hw_config(kPulp, "r.yaml", {"l1_tile_budget_bytes=l1_bytes + 1"}, HwChecks::KeysOnly)
                .pulp()
                .l1_tile_budget_bytes,
            64001);
}

// ---------------------------------------------------------------------------------------
// The schema: resolved keys and the documentation.

TEST(HwConfigSchema, ResolvedKeysFollowTheSchema) {
  const HwConfig v3 = load_hw_config(config_file("v3_96.yaml"));
  const auto keys = hw_keys(Target::Xdnn);
  const auto values = resolved_keys(v3);
  ASSERT_EQ(values.size(), keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) EXPECT_EQ(values[i].key.path, keys[i].path);
  EXPECT_EQ(std::get<std::string>(values[1].value), "xdnn");
  const auto rows =
      std::find_if(values.begin(), values.end(), [](const auto& kv) { return kv.key.path == "array.rows"; });
  ASSERT_NE(rows, values.end());
  EXPECT_EQ(std::get<std::int64_t>(rows->value), 96);
  EXPECT_EQ(resolved_keys(parse_hw_config(kPulp, "p.yaml")).size(), hw_keys(Target::Pulp).size());
}

TEST(HwConfigSchema, DocsDescribeEveryKey) {
  const std::string docs = read_text(test::source_dir() / "docs" / "hw_config.md");
  for (const Target target : {Target::Xdnn, Target::Pulp}) {
    for (const auto& key : hw_keys(target)) {
      std::string quoted = "`";  // not "`" + path + "`": GCC 12 warns falsely (-Wrestrict) on that
      quoted.append(key.path).append("`");
      EXPECT_NE(docs.find(quoted), std::string::npos) << "docs/hw_config.md does not describe " << key.path;
    }
  }
}

}  // namespace
}  // namespace wb
