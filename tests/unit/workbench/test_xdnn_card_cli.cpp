// Cards of several xDNN PEs (HwConfig pes, docs/xdnn.md "Cards of several PEs"): images dealt
// to the PEs in turn, each PE with its own memories, the host link and host shared; end to end
// on a checked-in tiny model.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <string>

#include "tests/support/cli_testing.h"
#include "tests/support/temp_dir.h"

namespace wb {
namespace {

using test::CommandResult;
using test::read_json;
using test::workbench;
using test::workload;
using testing::HasSubstr;

// With data (the checked-in input) unless `extra` asks for --no-data.
std::string card_run(const std::string& extra) {
  const std::string input = extra.find("--no-data") == std::string::npos
                                ? fmt::format("--input {} --calib-count 2", workload("tiny_resnet.input.npy"))
                                : std::string();
  return fmt::format("run --hw {}/configs/v3_96.yaml {} {} --quiet {}", WB_TEST_SOURCE_DIR, workload("tiny_resnet.onnx"),
                     input, extra);
}

TEST(XdnnCardCli, EveryPeRunsItsImagesBitExactAndTheCardScalesWithThem) {
  const test::TempDir dir;
  const CommandResult one = workbench(card_run(fmt::format("--json {}", (dir / "one.json").string())));
  ASSERT_EQ(one.exit_code, 0) << one.out;
  const CommandResult two = workbench(card_run(fmt::format("--set pes=2 --json {}", (dir / "two.json").string())));
  ASSERT_EQ(two.exit_code, 0) << two.out;
  const auto single = read_json(dir / "one.json")["totals"];
  const auto card = read_json(dir / "two.json");
  // Every PE's images agree with PE 0's last, which is checked against the golden model.
  EXPECT_EQ(card["verdict"], "bit-exact");
  const auto& totals = card["totals"];
  EXPECT_EQ(single["xdnn"]["pes"], 1);
  EXPECT_EQ(totals["xdnn"]["pes"], 2);
  EXPECT_EQ(totals["xdnn"]["card_images"], 6);  // three per PE by default
  EXPECT_EQ(totals["xdnn"]["images"], 3);       // PE 0's
  EXPECT_EQ(totals["xdnn"]["card_binding"], "pes");
  // A PE of the card runs as the one PE alone: its own array, AM and DDR channel.
  EXPECT_EQ(totals["cycles"], single["cycles"]);
  const double one_fps = single["xdnn"]["card_fps"].get<double>();
  EXPECT_NEAR(totals["xdnn"]["card_fps"].get<double>() / (2 * one_fps), 1.0, 0.02);
}

TEST(XdnnCardCli, ACardNeedsAnImagePerPeAndAtMostEightPes) {
  const CommandResult few = workbench(card_run("--no-data --set pes=4 --images 3"));
  EXPECT_NE(few.exit_code, 0);
  EXPECT_THAT(few.out, HasSubstr("3 image(s) for a card of pes=4"));
  EXPECT_THAT(few.out, HasSubstr("--images 4"));
  const CommandResult many = workbench(card_run("--no-data --set pes=9"));
  EXPECT_NE(many.exit_code, 0);
  EXPECT_THAT(many.out, HasSubstr("pes"));
  EXPECT_THAT(many.out, HasSubstr("8"));
}

// A link too slow for the images binds the card: the report names it.
TEST(XdnnCardCli, ASlowHostLinkBindsTheCardAndIsNamed) {
  const test::TempDir dir;
  const auto run = [&](int pes, const std::string& name) {
    const CommandResult result = workbench(card_run(
        fmt::format("--no-data --set pes={} --set host_link_gbps=0.001 --json {}", pes, (dir / name).string())));
    EXPECT_EQ(result.exit_code, 0) << result.out;
    return read_json(dir / name)["totals"]["xdnn"];
  };
  const auto one = run(1, "one.json");
  const auto four = run(4, "four.json");
  EXPECT_EQ(four["card_binding"], "host_link");
  EXPECT_GE(four["host_link_busy_share"].get<double>(), 0.98);
  EXPECT_LT(four["card_fps"].get<double>(), 3.0 * one["card_fps"].get<double>());
}

}  // namespace
}  // namespace wb
