// PULP program files (isa/pulp_program): a grouped conv's call survives a save and load, and a
// program of the previous format version (before KERNEL_GROUPED_CONV) is refused, not misread.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include <unistd.h>

#include "isa/error.h"
#include "isa/pulp_program.h"

namespace wb::isa::pulp {
namespace {

using ::testing::HasSubstr;

// A file in the system's temporary folder, removed with it.
class TempFile {
 public:
  explicit TempFile(const std::string& name)
      : path_(std::filesystem::temp_directory_path() / (std::to_string(::getpid()) + "_" + name)) {}
  ~TempFile() { std::filesystem::remove(path_); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

Network grouped_network(std::uint32_t version) {
  Network network;
  network.mutable_header()->set_format_version(version);
  network.mutable_header()->set_target("pulp");
  Layer& layer = *network.add_layers();
  layer.set_name("grouped");
  layer.set_kind(KERNEL_GROUPED_CONV);
  layer.set_type(kernel_kind_name(KERNEL_GROUPED_CONV));
  KernelCall& call = *layer.add_steps()->mutable_compute();
  call.set_kind(KERNEL_GROUPED_CONV);
  call.set_c_in(32);
  call.set_c_out(48);
  call.set_groups(2);
  return network;
}

TEST(PulpProgram, AGroupedConvCallSurvivesSaveAndLoad) {
  TempFile file("grouped.pulp");
  save_network(grouped_network(kPulpFormatVersion), file.path());
  const Network loaded = load_network(file.path());
  const KernelCall& call = loaded.layers(0).steps(0).compute();
  EXPECT_EQ(call.kind(), KERNEL_GROUPED_CONV);
  EXPECT_EQ(call.groups(), 2u);
  EXPECT_EQ(loaded.layers(0).type(), "grouped_conv");
  EXPECT_FALSE(is_matmul(KERNEL_GROUPED_CONV));  // it reduces over its group's channels only
  EXPECT_TRUE(has_weights(KERNEL_GROUPED_CONV));
}

TEST(PulpProgram, AProgramOfThePreviousFormatVersionIsRefused) {
  ASSERT_EQ(kPulpFormatVersion, 3u);  // 3: KERNEL_GROUPED_CONV and KernelCall.groups
  TempFile file("version2.pulp");
  save_network(grouped_network(2), file.path());
  try {
    load_network(file.path());
    ADD_FAILURE() << "a version 2 program loaded";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("program format version 2, this workbench reads version 3; compile the model again"));
  }
}

}  // namespace
}  // namespace wb::isa::pulp
