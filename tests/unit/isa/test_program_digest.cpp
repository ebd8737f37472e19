// The payload digest every program file carries: sealed on save, checked on load, and any
// change to the program (an instruction, a weight, a header field) is a mismatch.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/error.h"
#include "isa/program_file.h"
#include "isa/pulp_program.h"
#include "support/sha256.h"
#include "isa/xdnn_program.h"

namespace wb::isa {
namespace {

using testing::HasSubstr;

xdnn::Program small_program() {
  xdnn::Program p;
  p.mutable_header()->set_format_version(xdnn::kXdnnFormatVersion);
  p.mutable_header()->set_target("xdnn");
  p.mutable_header()->set_model_name("m");
  p.add_instrs()->set_layer("conv1");
  p.set_weights(std::string(64, '\x05'));
  return p;
}

std::string bytes_of(const google::protobuf::MessageLite& m) {
  std::string bytes;
  m.SerializeToString(&bytes);
  return bytes;
}

TEST(ProgramDigest, SealedProgramsLoadAndTheDigestLeavesTheFieldAsItWas) {
  xdnn::Program p = small_program();
  const std::string digest = payload_digest(p, *p.mutable_header());
  EXPECT_EQ(digest.size(), 64u);
  EXPECT_EQ(p.header().payload_sha256(), "");  // restored
  xdnn::seal_program(p);
  EXPECT_EQ(p.header().payload_sha256(), digest);
  EXPECT_EQ(payload_digest(p, *p.mutable_header()), digest);  // the field itself is not digested
  const xdnn::Program loaded = xdnn::parse_program(bytes_of(p), "p.xdnn");
  EXPECT_EQ(loaded.weights(), p.weights());
}

TEST(ProgramDigest, AnyChangeToASealedProgramIsAMismatch) {
  xdnn::Program sealed = small_program();
  xdnn::seal_program(sealed);
  const auto refused = [](const xdnn::Program& p) {
    try {
      xdnn::parse_program(bytes_of(p), "dir/p.xdnn");
      ADD_FAILURE() << "a changed program loaded";
    } catch (const UserError& e) {
      EXPECT_THAT(e.what(), HasSubstr("dir/p.xdnn is damaged: digest mismatch"));
    }
  };
  xdnn::Program p = sealed;
  (*p.mutable_weights())[10] = '\x06';
  refused(p);
  p = sealed;
  p.mutable_instrs(0)->set_layer("conv2");
  refused(p);
  p = sealed;
  p.mutable_header()->set_hw_fingerprint("0123");
  refused(p);
  p = sealed;
  p.mutable_header()->set_payload_sha256(std::string(64, '0'));
  refused(p);
  p = sealed;
  p.mutable_header()->clear_payload_sha256();  // an unsealed program
  refused(p);
}

TEST(ProgramDigest, PulpProgramsAreSealedAndCheckedTheSameWay) {
  pulp::Network n;
  n.mutable_header()->set_format_version(pulp::kPulpFormatVersion);
  n.mutable_header()->set_target("pulp");
  n.set_l3_image(std::string(32, '\x01'));
  pulp::seal_network(n);
  EXPECT_NO_THROW(pulp::parse_network(bytes_of(n), "p.pulp"));
  n.set_l2_bytes_used(5);
  EXPECT_THROW(pulp::parse_network(bytes_of(n), "p.pulp"), UserError);
}

}  // namespace
}  // namespace wb::isa
