// Damaged program files are refused at load, never believed: 1000 randomly damaged copies of a
// compiled program of each target (fixed seed) each fail to load with a UserError naming the
// file, and a sample of them run through `workbench sim` exits 2 before simulating anything.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <fstream>
#include <functional>
#include <random>
#include <string>

#include "support/error.h"
#include "isa/pulp_program.h"
#include "isa/xdnn_program.h"
#include "support/file_io.h"
#include "tests/support/cli_testing.h"
#include "tests/support/onnx_builder.h"
#include "tests/support/test_paths.h"

namespace wb {
namespace {

constexpr int kDamagedPerTarget = 1000;
constexpr int kThroughTheCommandLine = 25;  // of those, the first ones also run through `workbench sim`

struct Target {
  const char* config;
  const char* program_file;
  std::function<void(const std::string& bytes, const std::filesystem::path& name)> load;
};

const Target kTargets[] = {
    {"v3_96", "program.xdnn",
     [](const std::string& bytes, const std::filesystem::path& name) { isa::xdnn::parse_program(bytes, name); }},
    {"gap8", "program.pulp",
     [](const std::string& bytes, const std::filesystem::path& name) { isa::pulp::parse_network(bytes, name); }},
};

std::string config_path(const Target& target) {
  return (test::source_dir() / "configs" / (std::string(target.config) + ".yaml")).string();
}

// One random damage of the kinds disks, copies and editors do: bytes flipped in a run, bytes
// overwritten with zeros, a tail cut off, bytes inserted, or a run deleted.
std::string damaged(const std::string& original, std::mt19937_64& rng) {
  std::string bytes = original;
  const auto pick = [&](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng); };
  const std::size_t at = pick(bytes.size());
  const std::size_t run = 1 + pick(16);
  switch (pick(5)) {
    case 0:
      for (std::size_t i = at; i < std::min(bytes.size(), at + run); ++i) {
        bytes[i] = static_cast<char>(bytes[i] ^ static_cast<char>(1 + pick(255)));
      }
      break;
    case 1: {
      const std::size_t end = std::min(bytes.size(), at + run);
      bool changed = false;
      for (std::size_t i = at; i < end; ++i) changed |= bytes[i] != 0;
      if (!changed) bytes[at] = 1;  // a run of zeros already: damage it otherwise
      std::fill(bytes.begin() + static_cast<std::ptrdiff_t>(at), bytes.begin() + static_cast<std::ptrdiff_t>(end),
                changed ? '\0' : '\1');
      break;
    }
    case 2: bytes.resize(at); break;
    case 3:
      for (std::size_t i = 0; i < run; ++i) bytes.insert(bytes.begin() + static_cast<std::ptrdiff_t>(at), static_cast<char>(pick(256)));
      break;
    default: bytes.erase(at, run); break;
  }
  return bytes;
}

class DamagedPrograms : public testing::TestWithParam<Target> {
 protected:
  static void SetUpTestSuite() {
    for (const Target& target : kTargets) {
      const std::filesystem::path out = dir().path() / target.config;
      const auto made = test::workbench(fmt::format("compile --hw {} {} --calib-count 2 -o {}", config_path(target),
                                                    test::workload("tiny_resnet.onnx"), out.string()));
      ASSERT_EQ(made.exit_code, 0) << made.out;
    }
  }
  static test::TempDir& dir() {
    static test::TempDir instance;
    return instance;
  }
};

TEST_P(DamagedPrograms, EveryOneIsRefusedAtLoad) {
  const Target& target = GetParam();
  const std::filesystem::path original_path = dir().path() / target.config / target.program_file;
  const std::string original = read_file_bytes(original_path);
  ASSERT_NO_THROW(target.load(original, original_path)) << "the undamaged program loads";
  std::mt19937_64 rng(20261124);
  for (int i = 0; i < kDamagedPerTarget; ++i) {
    const std::string bytes = damaged(original, rng);
    ASSERT_NE(bytes, original);
    const std::filesystem::path name = dir().path() / fmt::format("damaged{}.{}", i, target.config);
    try {
      target.load(bytes, name);
      ADD_FAILURE() << "damaged program " << i << " loaded";
    } catch (const UserError& e) {
      EXPECT_THAT(e.what(), testing::StartsWith(name.string())) << i;
    }
    if (i < kThroughTheCommandLine) {
      std::ofstream(name, std::ios::binary) << bytes;
      const test::CommandResult run =
          test::workbench(fmt::format("sim --hw {} {} --no-data", config_path(target), name.string()));
      test::expect_bad_input(run, name.string());
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Targets, DamagedPrograms, testing::ValuesIn(kTargets),
                         [](const testing::TestParamInfo<Target>& target) { return std::string(target.param.config); });

}  // namespace
}  // namespace wb
