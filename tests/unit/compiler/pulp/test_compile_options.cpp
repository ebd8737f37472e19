// The PULP compiler's switches: parsed from `name=value` items, described back the same way,
// and refused with what is valid.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "compiler/pulp/compile_options.h"
#include "support/error.h"

namespace wb::pulp {
namespace {

using testing::HasSubstr;

std::string error_of(const std::vector<std::string>& items) {
  try {
    parse_compile_options(items);
  } catch (const UserError& e) {
    return e.what();
  }
  return "";
}

TEST(PulpCompileOptions, ParsesAndRejects) {
  EXPECT_EQ(parse_compile_options({"tiler=cost"}).tiler, TilerObjective::Cost);
  EXPECT_FALSE(parse_compile_options({"weight_prefetch=off"}).weight_prefetch);
  EXPECT_EQ(describe(parse_compile_options({})),
            "tiler=dory,weight_prefetch=on,tile_choice=measured,measured_tilings=2,fusion=off");
  EXPECT_EQ(parse_compile_options({"tiler=cost", "fusion=on"}).fusion, Fusion::On);
  EXPECT_EQ(parse_compile_options({"tiler=energy", "fusion=all"}).fusion, Fusion::All);
  EXPECT_THROW(parse_compile_options({"fusion=yes"}), UserError);
  EXPECT_FALSE(parse_compile_options({"tile_choice=predicted"}).measure_tilings);
  EXPECT_EQ(parse_compile_options({"measured_tilings=5"}).measured_tilings, 5u);
  EXPECT_THROW(parse_compile_options({"measured_tilings=0"}), UserError);
  EXPECT_THROW(parse_compile_options({"tile_choice=off"}), UserError);
  EXPECT_THROW(parse_compile_options({"tiler=fast"}), UserError);
  EXPECT_THROW(parse_compile_options({"schedule_search=on"}), UserError);
}

TEST(PulpCompileOptions, FusionUnderDorysTilerIsRefusedNamingTheTilersThatFuse) {
  // DORY runs each layer on its own; a sweep point asking both gets the reason, not a silent off.
  for (const std::string fusion : {"on", "all"}) {
    const std::string error = error_of({"fusion=" + fusion});
    EXPECT_THAT(error, testing::HasSubstr("fusion=" + fusion + " needs tiler=cost or tiler=energy")) << error;
  }
  EXPECT_EQ(error_of({"fusion=off"}), "");
}

TEST(PulpCompileOptions, TheDefaultsAreTheStructsAndLaterItemsWin) {
  const CompileOptions defaults = parse_compile_options({});
  EXPECT_EQ(defaults.tiler, CompileOptions{}.tiler);
  EXPECT_EQ(defaults.weight_prefetch, CompileOptions{}.weight_prefetch);
  const CompileOptions o = parse_compile_options({"tiler=cost", "weight_prefetch=off", "tiler=dory"});
  EXPECT_EQ(o.tiler, TilerObjective::Dory);
  EXPECT_FALSE(o.weight_prefetch);
}

TEST(PulpCompileOptions, EveryCombinationIsDescribedAsItParses) {
  for (const TilerObjective tiler : {TilerObjective::Dory, TilerObjective::Cost}) {
    for (const bool prefetch : {false, true}) {
      for (const bool measured : {false, true}) {
        CompileOptions o;
        o.tiler = tiler;
        o.weight_prefetch = prefetch;
        o.measure_tilings = measured;
        o.measured_tilings = measured ? 3 : 1;
        o.fusion = tiler == TilerObjective::Cost && measured ? Fusion::All : Fusion::Off;
        const std::string text = describe(o);
        EXPECT_EQ(text, std::string("tiler=") + objective_name(tiler) + ",weight_prefetch=" + (prefetch ? "on" : "off") +
                            ",tile_choice=" + (measured ? "measured" : "predicted") +
                            ",measured_tilings=" + (measured ? "3" : "1") + ",fusion=" + fusion_name(o.fusion));
        std::vector<std::string> items;
        for (std::string::size_type start = 0, comma = 0; comma != std::string::npos; start = comma + 1) {
          comma = text.find(',', start);
          items.push_back(text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
        }
        const CompileOptions back = parse_compile_options(items);
        EXPECT_EQ(back.tiler, tiler);
        EXPECT_EQ(back.weight_prefetch, prefetch);
        EXPECT_EQ(back.measure_tilings, measured);
        EXPECT_EQ(back.measured_tilings, o.measured_tilings);
      }
    }
  }
}

TEST(PulpCompileOptions, ErrorsNameTheItemAndWhatIsValid) {
  EXPECT_THAT(error_of({"tiler=fast"}), testing::AllOf(HasSubstr("--compile-opt tiler=fast"), HasSubstr("one of dory, cost")));
  EXPECT_THAT(error_of({"weight_prefetch=yes"}), HasSubstr("expected on or off"));
  // Another target's switch is not ours: the valid names are listed.
  EXPECT_THAT(error_of({"schedule_search=on"}),
              testing::AllOf(HasSubstr("not a pulp compiler option"), HasSubstr("tiler, weight_prefetch")));
  EXPECT_THAT(error_of({"tiler"}), HasSubstr("expected name=value"));
  EXPECT_THAT(compile_options_help(), testing::AllOf(HasSubstr("tiler=dory|cost"), HasSubstr("weight_prefetch=on|off")));
}

}  // namespace
}  // namespace wb::pulp
