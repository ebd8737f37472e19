// PULP program files (isa/pulp_program): grouped conv, LUT, MUL, gather and softmax calls survive
// a save and load, and a program of an earlier format version (before KERNEL_SOFTMAX) is refused,
// not misread.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include <unistd.h>

#include "support/error.h"
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

TEST(PulpProgram, LutAndMulCallsSurviveSaveAndLoad) {
  Network network = grouped_network(kPulpFormatVersion);
  Layer& lut = *network.add_layers();
  lut.set_type(kernel_kind_name(KERNEL_LUT));
  lut.add_steps()->mutable_compute()->set_kind(KERNEL_LUT);
  Layer& mul = *network.add_layers();
  mul.set_type(kernel_kind_name(KERNEL_MUL));
  KernelCall& call = *mul.add_steps()->mutable_compute();
  call.set_kind(KERNEL_MUL);
  call.set_b_h(1);
  call.set_b_w(1);
  call.set_b_c(16);
  TempFile file("lut_mul.pulp");
  save_network(network, file.path());
  const Network loaded = load_network(file.path());
  EXPECT_EQ(loaded.layers(1).type(), "lut");
  EXPECT_EQ(loaded.layers(1).steps(0).compute().kind(), KERNEL_LUT);
  EXPECT_EQ(loaded.layers(2).type(), "mul");
  const KernelCall& m = loaded.layers(2).steps(0).compute();
  EXPECT_EQ(m.kind(), KERNEL_MUL);
  EXPECT_EQ(m.b_c(), 16u);
  EXPECT_EQ(m.b_h(), 1u);
  // The table is not per output channel: neither kind is a weighted (chunked) kernel.
  EXPECT_FALSE(has_weights(KERNEL_LUT));
  EXPECT_FALSE(has_weights(KERNEL_MUL));
}

TEST(PulpProgram, AGatherCallSurvivesSaveAndLoad) {
  Network network = grouped_network(kPulpFormatVersion);
  Layer& gather = *network.add_layers();
  gather.set_type(kernel_kind_name(KERNEL_GATHER));
  KernelCall& call = *gather.add_steps()->mutable_compute();
  call.set_kind(KERNEL_GATHER);
  call.set_c_in(24);
  call.set_c_out(12);
  call.set_weights(4096);
  TempFile file("gather.pulp");
  save_network(network, file.path());
  const Network loaded = load_network(file.path());
  EXPECT_EQ(loaded.layers(1).type(), "gather");
  const KernelCall& g = loaded.layers(1).steps(0).compute();
  EXPECT_EQ(g.kind(), KERNEL_GATHER);
  EXPECT_EQ(g.c_out(), 12u);
  EXPECT_EQ(g.weights(), 4096u);
  // The index table is not per output channel weights: never chunked, no bias.
  EXPECT_FALSE(has_weights(KERNEL_GATHER));
  EXPECT_FALSE(is_matmul(KERNEL_GATHER));
}

TEST(PulpProgram, ASoftmaxCallSurvivesSaveAndLoad) {
  Network network = grouped_network(kPulpFormatVersion);
  Layer& softmax = *network.add_layers();
  softmax.set_kind(KERNEL_SOFTMAX);
  softmax.set_type(kernel_kind_name(KERNEL_SOFTMAX));
  KernelCall& call = *softmax.add_steps()->mutable_compute();
  call.set_kind(KERNEL_SOFTMAX);
  call.set_c_in(10);
  call.set_c_out(10);
  call.set_weights(2048);
  call.set_input_signed(true);
  TempFile file("softmax.pulp");
  save_network(network, file.path());
  const Network loaded = load_network(file.path());
  EXPECT_EQ(loaded.layers(1).kind(), KERNEL_SOFTMAX);
  EXPECT_EQ(loaded.layers(1).type(), "softmax");
  const KernelCall& c = loaded.layers(1).steps(0).compute();
  EXPECT_EQ(c.kind(), KERNEL_SOFTMAX);
  EXPECT_EQ(c.c_out(), 10u);
  EXPECT_EQ(c.weights(), 2048u);
  EXPECT_TRUE(c.input_signed());
  // The exp table is not per output channel weights: never chunked, no bias.
  EXPECT_FALSE(has_weights(KERNEL_SOFTMAX));
  EXPECT_FALSE(is_matmul(KERNEL_SOFTMAX));
}

// A gather of pixels is copies alone: its steps have no call, so the layer carries its output's
// type, and the step's absent call stays absent through the file.
TEST(PulpProgram, APixelCopyLayerWithoutCallsSurvivesSaveAndLoad) {
  Network network = grouped_network(kPulpFormatVersion);
  Layer& gather = *network.add_layers();
  gather.set_kind(KERNEL_PIXEL_COPY);
  gather.set_type(kernel_kind_name(KERNEL_PIXEL_COPY));
  gather.set_output_signed(true);
  Step& step = *gather.add_steps();
  *step.add_load() = linear_copy(MEMORY_L2, 64, MEMORY_L1, 0, 32);
  *step.add_write_back() = linear_copy(MEMORY_L1, 0, MEMORY_L2, 512, 32);
  TempFile file("pixels.pulp");
  save_network(network, file.path());
  const Network loaded = load_network(file.path());
  EXPECT_EQ(loaded.layers(1).type(), "pixel_gather");
  EXPECT_FALSE(loaded.layers(1).steps(0).has_compute());
  EXPECT_TRUE(output_signed(loaded.layers(1)));
  gather.set_output_signed(false);
  EXPECT_FALSE(output_signed(gather));
  // A layer with calls: the calls say it, whatever the field holds.
  Layer& first = *network.mutable_layers(0);
  first.set_output_signed(!first.steps(0).compute().output_signed());
  EXPECT_EQ(output_signed(first), first.steps(0).compute().output_signed());
  // A fused layer (format version 20): the calls that write back say it, not the first call,
  // whose output stays in L1.
  Layer fused;
  Step& into_l1 = *fused.add_steps();
  into_l1.mutable_compute()->set_kind(KERNEL_DEPTHWISE);
  into_l1.mutable_compute()->set_output_signed(false);
  Step& written = *fused.add_steps();
  written.mutable_compute()->set_kind(KERNEL_POINTWISE);
  written.mutable_compute()->set_output_signed(true);
  *written.add_write_back() = linear_copy(MEMORY_L1, 0, MEMORY_L2, 512, 32);
  EXPECT_TRUE(output_signed(fused));
}

// A row gather names its rows by the ids it reads at run time: token t's copy is row id of the
// table, to the t-th destination slot.
TEST(PulpProgram, ARowGathersCopyIsThePickedRowToItsTokensSlot) {
  RowGather g;
  g.set_table_memory(MEMORY_L3);
  g.set_table(1000);
  g.set_rows(16);
  g.set_row_bytes(8);
  g.set_destination_memory(MEMORY_L2);
  g.set_destination(64);
  g.set_destination_stride(12);
  const DmaCopy c = row_copy(g, 3, 5);
  EXPECT_EQ(c.source_memory(), MEMORY_L3);
  EXPECT_EQ(c.source(), 1000u + 5 * 8);
  EXPECT_EQ(c.destination_memory(), MEMORY_L2);
  EXPECT_EQ(c.destination(), 64u + 3 * 12);
  EXPECT_EQ(copy_bytes(c), 8u);
  EXPECT_TRUE(copies_only(KERNEL_EMBEDDING));
  EXPECT_TRUE(copies_only(KERNEL_PIXEL_COPY));
  EXPECT_FALSE(copies_only(KERNEL_MATMUL));
  EXPECT_STREQ(kernel_kind_name(KERNEL_EMBEDDING), "embedding");
}

TEST(PulpProgram, AProgramOfThePreviousFormatVersionIsRefused) {
  // 21: Layer.fused_layers (a fused layer's group), 20: a layer's steps calling different kernels (a fused depthwise + pointwise layer), 19:
  // Tiling.dory_tile_loop, 18: DORY's channel-major depthwise and Step.wait_write_back, 17: a
  // layernorm's RMSNorm form, 16: a softmax's causal mask, 15: KERNEL_EMBEDDING and Step.row_gather
  ASSERT_EQ(kPulpFormatVersion, 21u);
  for (const std::uint32_t old : {2u, 3u, 4u, 5u, 6u, 7u, 8u, 9u, 10u, 11u, 12u, 13u, 14u, 15u, 16u, 17u, 18u, 19u, 20u}) {
    TempFile file(fmt::format("version{}.pulp", old));
    save_network(grouped_network(old), file.path());
    try {
      load_network(file.path());
      ADD_FAILURE() << "a version " << old << " program loaded";
    } catch (const UserError& e) {
      EXPECT_THAT(e.what(), HasSubstr(fmt::format(
                                "program format version {}, this workbench reads version 21; compile the model again", old)));
    }
  }
}

// One chunk-staged layer: what its uDMA copies are decides whether they count in moveops.
TEST(PulpProgram, IntermediateL3BytesCountActivationChunksOnly) {
  Network network;
  network.set_l3_image_address(1 << 20);  // RAM below, the weights' image from here
  IoTensor& input = *network.add_inputs();
  input.set_memory(MEMORY_L3);
  input.set_address(0);
  input.set_bits(8);
  for (const std::int64_t d : {1, 4, 8, 8}) input.add_shape(d);  // 256 bytes at [0, 256)
  IoTensor& output = *network.add_outputs();
  output.set_memory(MEMORY_L2);  // an output in L2: an L3 address equal to its own is no exemption
  output.set_address(4096);
  output.set_bits(8);
  output.add_shape(64);
  Step& step = *network.add_layers()->add_steps();
  *step.add_l3_load() = linear_copy(MEMORY_L3, 128, MEMORY_L2, 0, 100);  // the network input: no
  *step.add_l3_load() = linear_copy(MEMORY_L3, (1 << 20) + 64, MEMORY_L2, 0, 700);  // weights from the image: no
  *step.add_l3_load() = linear_copy(MEMORY_L3, 4096, MEMORY_L2, 0, 30);  // an activation chunk: yes
  *step.add_l3_prefetch() = linear_copy(MEMORY_L3, 8192, MEMORY_L2, 0, 500);  // prefetches are weights: no
  *step.add_l3_store() = linear_copy(MEMORY_L2, 0, MEMORY_L3, 256, 7);  // just past the input: yes
  *step.add_l3_store() = linear_copy(MEMORY_L2, 0, MEMORY_L3, 255, 1000);  // into the input: no
  EXPECT_EQ(intermediate_l3_bytes(network), 30u + 7u);
}

}  // namespace
}  // namespace wb::isa::pulp
