// What both program formats share: the hardware fingerprint (stable: the same resolved config
// gives the same digest however it is spelled; sensitive: any key changed changes it), the
// payload digest sealed on save and checked on load, the load checks (another target, another
// format version, damaged bytes) and the check that a program matches the config it runs on.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cctype>
#include <cstdint>
#include <algorithm>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "isa/program_file.h"
#include "isa/pulp_program.h"
#include "isa/xdnn_program.h"
#include "perf/pulp/kernel_cycles.h"
#include "support/error.h"
#include "tests/support/onnx_builder.h"
#include "tests/support/test_paths.h"
#include "tests/support/user_error_testing.h"

namespace wb::isa {
namespace {

using testing::HasSubstr;
using testing::Not;

HwConfig config(const std::string& name, const std::vector<std::string>& overrides = {}) {
  return load_hw_config(test::source_dir() / "configs" / (name + ".yaml"), overrides);
}

TEST(HwFingerprint, SixteenHexDigitsTheSameForTheSameResolvedConfig) {
  for (const char* name : {"v3_96", "v2_28", "gap8", "pulp_open"}) {
    const std::string f = hw_fingerprint(config(name));
    ASSERT_EQ(f.size(), 16u) << name;
    for (const char ch : f) EXPECT_TRUE(std::isxdigit(static_cast<unsigned char>(ch)) && !std::isupper(ch)) << f;
    EXPECT_EQ(hw_fingerprint(config(name)), f) << name;
  }
  // A value spelled another way, or set to what it already is, is the same config.
  const std::string v3 = hw_fingerprint(config("v3_96"));
  EXPECT_EQ(hw_fingerprint(config("v3_96", {"am_bytes=9437184"})), v3);
  EXPECT_EQ(hw_fingerprint(config("v3_96", {"am_bytes=9 MiB"})), v3);
  EXPECT_EQ(hw_fingerprint(config("v3_96", {"am_bytes=1MiB", "am_bytes=9MiB"})), v3);
  // The same keys in another order.
  std::ifstream in(test::source_dir() / "configs" / "gap8.yaml");
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::string reversed;
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
    // gap8.yaml is flat (one key a line, comments after): reversing its lines reorders its keys.
    reversed += *it + "\n";
  }
  EXPECT_EQ(hw_fingerprint(parse_hw_config(reversed, "reversed.yaml")), hw_fingerprint(config("gap8")));
}

// A key with a default enters the fingerprint only when it differs from its default: a config
// that leaves it out and one that writes the default are the same machine, and the keys added
// with defaults left the fingerprints of the configs (their programs, regress baselines) as
// they were.
TEST(HwFingerprint, AKeyAtItsDefaultLeavesItAsItWas) {
  std::ifstream in(test::source_dir() / "configs" / "gap8.yaml");
  std::stringstream text;
  text << in.rdbuf();
  const std::string gap8 = hw_fingerprint(config("gap8"));
  const HwConfig written = parse_hw_config(text.str() + "predictor:\n  requant_per_output: 11\n", "gap8.yaml");
  EXPECT_EQ(perf::pulp::kernel_cycles(written.pulp()).requant_per_output, perf::pulp::kernel_cycles(config("gap8").pulp()).requant_per_output);
  EXPECT_EQ(hw_fingerprint(written), gap8);
  EXPECT_NE(hw_fingerprint(config("gap8", {"predictor.requant_per_output=12"})), gap8);
  EXPECT_NE(hw_fingerprint(config("gap8", {"core.divide_cycles=35"})), gap8);
}

// Candidate values for a key other than its own: one of them passes validation.
std::vector<std::string> other_values(const HwKeyValue& kv) {
  if (const auto* i = std::get_if<std::int64_t>(&kv.value)) {
    return {std::to_string(*i + 1), std::to_string(*i - 1), std::to_string(*i * 2), std::to_string(*i / 2)};
  }
  if (const auto* d = std::get_if<double>(&kv.value)) {
    if (*d == 0) return {"0.5", "1"};  // scaling 0 gives 0
    return {std::to_string(*d * 1.5), std::to_string(*d * 0.5), std::to_string(*d + 1)};
  }
  if (const auto* b = std::get_if<bool>(&kv.value)) return {*b ? "false" : "true"};
  return {};
}

TEST(HwFingerprint, EveryKeyChangesIt) {
  for (const char* name : {"v3_96", "gap8"}) {
    const HwConfig base = config(name);
    const std::string f = hw_fingerprint(base);
    int changed = 0, numeric = 0;
    for (const HwKeyValue& kv : resolved_keys(base)) {
      const std::vector<std::string> candidates = other_values(kv);
      if (candidates.empty()) continue;  // text and choices
      ++numeric;
      for (const std::string& value : candidates) {
        const std::string set = std::string(kv.key.path) + "=" + value;
        HwConfig other;
        try {
          other = config(name, {set});
        } catch (const UserError&) {
          continue;  // out of range, or breaks a rule between keys: try the next value
        }
        EXPECT_NE(hw_fingerprint(other), f) << name << " --set " << set;
        ++changed;
        break;
      }
    }
    EXPECT_EQ(changed, numeric) << name << ": some keys had no other valid value to try";
    EXPECT_GT(numeric, 10) << name;
    // The config's name and clock too.
    HwConfig renamed = base;
    renamed.name += "_copy";
    EXPECT_NE(hw_fingerprint(renamed), f);
    HwConfig faster = base;
    faster.clock_mhz += 1;
    EXPECT_NE(hw_fingerprint(faster), f);
  }
}

xdnn::Program xdnn_program() {
  xdnn::Program p;
  p.mutable_header()->set_format_version(xdnn::kXdnnFormatVersion);
  p.mutable_header()->set_target("xdnn");
  p.mutable_header()->set_model_name("m");
  p.add_instrs()->set_layer("conv1");
  p.set_weights(std::string(32, '\x07'));
  return p;
}

std::string serialized(const google::protobuf::MessageLite& m) {
  std::string bytes;
  m.SerializeToString(&bytes);
  return bytes;
}

TEST(PayloadDigest, SealThenCheckAndAnyTamperingIsFound) {
  xdnn::Program p = xdnn_program();
  EXPECT_EQ(payload_digest(p, *p.mutable_header()), payload_digest(p, *p.mutable_header()));  // deterministic
  seal(p, *p.mutable_header());
  EXPECT_EQ(p.header().payload_sha256().size(), 64u);
  EXPECT_NO_THROW(check_payload_digest(p, *p.mutable_header(), "p.xdnn"));
  // Through the bytes: parsed back, still sealed.
  xdnn::Program back;
  ASSERT_TRUE(back.ParseFromString(serialized(p)));
  EXPECT_NO_THROW(check_payload_digest(back, *back.mutable_header(), "p.xdnn"));
  // One byte of the weights, a field of an instruction, of the header: each found.
  std::vector<xdnn::Program> tampered(4, p);
  (*tampered[0].mutable_weights())[31] = '\x08';
  tampered[1].mutable_instrs(0)->set_id(1);
  tampered[2].mutable_header()->set_model_name("n");
  tampered[3].mutable_header()->set_payload_sha256(std::string(64, 'a'));
  for (xdnn::Program& t : tampered) {
    EXPECT_THAT(test::user_error_of([&] { check_payload_digest(t, *t.mutable_header(), "dir/p.xdnn"); }),
                HasSubstr("dir/p.xdnn is damaged: digest mismatch"));
  }
  // Resealing a change makes it whole again.
  seal(tampered[0], *tampered[0].mutable_header());
  EXPECT_NO_THROW(check_payload_digest(tampered[0], *tampered[0].mutable_header(), "p.xdnn"));
  EXPECT_NE(tampered[0].header().payload_sha256(), p.header().payload_sha256());
}

TEST(CheckLoaded, RefusesAnotherTargetAnotherVersionAndDamagedBytes) {
  // The bytes the program was read from: its own encoding, as compile writes it.
  const auto check = [](xdnn::Program p, bool parsed, const char* target, std::uint32_t version) {
    const std::string bytes = serialized(p);
    return test::user_error_of(
        [&] { check_loaded(p, *p.mutable_header(), parsed, bytes, target, version, "d/p.xdnn", "an xDNN program"); });
  };
  xdnn::Program sealed = xdnn_program();
  seal(sealed, *sealed.mutable_header());
  EXPECT_EQ(check(sealed, true, "xdnn", xdnn::kXdnnFormatVersion), "");
  EXPECT_THAT(check(sealed, false, "xdnn", xdnn::kXdnnFormatVersion),
              testing::AllOf(HasSubstr("d/p.xdnn: not an xDNN program"), HasSubstr("compile the model again")));
  EXPECT_THAT(check(sealed, true, "pulp", pulp::kPulpFormatVersion), HasSubstr("d/p.xdnn: not an xDNN program"));
  EXPECT_THAT(check(sealed, true, "xdnn", xdnn::kXdnnFormatVersion + 1),
              HasSubstr(fmt::format("program format version {}, this workbench reads version {}",
                                    xdnn::kXdnnFormatVersion, xdnn::kXdnnFormatVersion + 1)));
  xdnn::Program damaged = sealed;
  damaged.set_ddr_bytes_used(99);
  EXPECT_THAT(check(damaged, true, "xdnn", xdnn::kXdnnFormatVersion), HasSubstr("d/p.xdnn is damaged"));
  // Bytes that parse to the sealed program another way (a boolean written as 103 rather than
  // 1) pass the digest, which is of the program as parsed, but not the encoding check.
  {
    xdnn::Program flagged = xdnn_program();
    flagged.mutable_instrs(0)->mutable_wait()->set_conv(true);
    seal(flagged, *flagged.mutable_header());
    std::string bytes = serialized(flagged);
    const std::string field = std::string("\x18\x01");  // Wait.wait_conv (field 3, varint) = 1
    const std::size_t at = bytes.find(std::string("\x1a\x02") + field);
    ASSERT_NE(at, std::string::npos);
    bytes[at + 3] = 'g';  // 103
    xdnn::Program read;
    ASSERT_TRUE(read.ParseFromString(bytes));
    EXPECT_NO_THROW(check_payload_digest(read, *read.mutable_header(), "d/p.xdnn"));
    EXPECT_THAT(test::user_error_of([&] { xdnn::parse_program(bytes, "d/p.xdnn"); }),
                HasSubstr("d/p.xdnn is damaged: its bytes are not the encoding workbench compile writes"));
  }
  // Each format's loader does the same.
  EXPECT_THAT(test::user_error_of([&] { xdnn::parse_program("not a program", "x.xdnn"); }), HasSubstr("x.xdnn: not an xDNN program"));
  pulp::Network n;
  n.mutable_header()->set_format_version(pulp::kPulpFormatVersion - 1);
  n.mutable_header()->set_target("pulp");
  pulp::seal_network(n);
  EXPECT_THAT(test::user_error_of([&] { pulp::parse_network(serialized(n), "old.pulp"); }),
              HasSubstr(fmt::format("old.pulp: program format version {}", pulp::kPulpFormatVersion - 1)));
  EXPECT_THAT(test::user_error_of([&] { pulp::parse_network(serialized(sealed), "x.pulp"); }), HasSubstr("x.pulp: not"));
}

TEST(CheckHeaderMatches, TheConfigMustBeOfTheTargetAndHaveTheFingerprint) {
  const HwConfig v3 = config("v3_96");
  ProgramHeader header;
  header.set_hw_name("v3_96");
  header.set_hw_fingerprint(hw_fingerprint(v3));
  EXPECT_NO_THROW(check_header_matches(header, v3, "p.xdnn", Target::Xdnn, "an xDNN program"));
  EXPECT_THAT(test::user_error_of([&] { check_header_matches(header, config("gap8"), "p.xdnn", Target::Xdnn, "an xDNN program"); }),
              HasSubstr("p.xdnn: an xDNN program cannot run on 'gap8', a pulp config"));
  const HwConfig bigger = config("v3_96", {"am_bytes=10MiB"});
  const std::string message =
      test::user_error_of([&] { check_header_matches(header, bigger, "p.xdnn", Target::Xdnn, "an xDNN program"); });
  EXPECT_THAT(message, HasSubstr("compiled for hardware 'v3_96' (fingerprint " + hw_fingerprint(v3) + ")"));
  EXPECT_THAT(message, HasSubstr("(fingerprint " + hw_fingerprint(bigger) + ")"));
  EXPECT_THAT(message, HasSubstr("with the same --set overrides"));
  EXPECT_THAT(message, Not(HasSubstr("keys that differ"))) << "a header without its keys names none";
}

TEST(CheckHeaderMatches, ARecordedConfigNamesTheKeysThatDiffer) {
  const HwConfig v3 = config("v3_96");
  ProgramHeader header;
  record_hw(header, v3);
  EXPECT_EQ(header.hw_name(), "v3_96");
  EXPECT_EQ(header.hw_fingerprint(), hw_fingerprint(v3));
  const auto am = std::find_if(header.hw_keys().begin(), header.hw_keys().end(),
                               [](const HwKey& k) { return k.key() == "am_bytes"; });
  ASSERT_NE(am, header.hw_keys().end());
  EXPECT_EQ(am->value(), std::to_string(v3.xdnn().am_bytes));
  EXPECT_NO_THROW(check_header_matches(header, v3, "p.xdnn", Target::Xdnn, "an xDNN program"));
  // Two keys moved, one of them from its default: both named, program's value first.
  const HwConfig other = config("v3_96", {"am_bytes=10MiB", "energy.static_mw=5000"});
  const std::string message =
      test::user_error_of([&] { check_header_matches(header, other, "p.xdnn", Target::Xdnn, "an xDNN program"); });
  EXPECT_THAT(message, HasSubstr(fmt::format("keys that differ (compiled with -> this config): am_bytes {} -> {}",
                                             v3.xdnn().am_bytes, 10 * 1024 * 1024)));
  EXPECT_THAT(message, HasSubstr("energy.static_mw default -> 5000"));
  EXPECT_THAT(message, Not(HasSubstr("array.rows")));  // the keys that agree are not listed
}

TEST(SaveMessage, WritesTheMessageWhole) {
  const test::TempDir dir;
  xdnn::Program p = xdnn_program();
  save_message(p, dir / "p.xdnn");
  std::ifstream in(dir / "p.xdnn", std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  EXPECT_EQ(bytes.str(), serialized(p));
}

}  // namespace
}  // namespace wb::isa
