// AM layout: sections, width alignment, replication, concat buffers.
#include <gtest/gtest.h>

#include "compiler/xdnn/buffer_plan.h"
#include "isa/xdnn_program.h"
#include "tests/unit/compiler/xdnn/xdnn_testing.h"

namespace wb::xdnn {
namespace {

TEST(XdnnBufferPlan, ReplicationFactor) {
  EXPECT_EQ(replication_factor(3, 7, 96), 7u);   // ResNet's first conv: 7 taps side by side
  EXPECT_EQ(replication_factor(3, 3, 96), 3u);
  EXPECT_EQ(replication_factor(40, 3, 96), 2u);  // two copies of 40 channels fit 96 lanes
  EXPECT_EQ(replication_factor(64, 3, 96), 1u);  // no second copy fits
  EXPECT_EQ(replication_factor(3, 1, 96), 1u);   // a 1x1 kernel has nothing to gain
  EXPECT_EQ(replication_factor(3, 7, 28), 7u);
  EXPECT_EQ(replication_factor(8, 7, 28), 3u);
}

TEST(XdnnBufferPlan, SectionsReplicationAndConcatBuffers) {
  const quant::QGraph& g = test::small_cnn_xdnn();
  const XdnnParams hw = test::xdnn_config("v3_96").xdnn();
  const LayerMapping mapping = map_layers(g, hw, {});
  const BufferPlan plan = plan_buffers(g, mapping, hw, {});
  const auto& input = plan.buffers.at(static_cast<std::size_t>(plan.homes.at(g.inputs[0]).buffer));
  EXPECT_TRUE(input.network_input);
  EXPECT_EQ(input.replication, 3u);  // 3 channels read by a 3x3 conv
  EXPECT_TRUE(input.streamed);       // its one reader streams it from DDR: no AM
  EXPECT_EQ(input.bytes, 0u);
  CompileOptions no_streaming;
  no_streaming.input_streaming = false;
  const BufferPlan resident = plan_buffers(g, mapping, hw, no_streaming);
  const auto& in_am = resident.buffers.at(static_cast<std::size_t>(resident.homes.at(g.inputs[0]).buffer));
  EXPECT_FALSE(in_am.streamed);
  EXPECT_EQ(in_am.bytes, 12u * 12u * 96u);  // one AM word per pixel
  // Both branches live in the concat's buffer.
  const TensorHome a = plan.homes.at(g.find_tensor("ra"));
  const TensorHome b = plan.homes.at(g.find_tensor("rb"));
  EXPECT_EQ(a.buffer, b.buffer);
  EXPECT_EQ(b.channel_offset, 4u);
  EXPECT_EQ(plan.buffers.at(static_cast<std::size_t>(a.buffer)).writers.size(), 2u);
  const isa::xdnn::TensorLayout layout = tensor_layout(g, mapping, plan, g.find_tensor("rb"));
  EXPECT_EQ(layout.channels(), 4u);
  EXPECT_EQ(layout.channel_offset(), 4u);
  EXPECT_EQ(layout.buffer_channels(), 8u);
  EXPECT_EQ(isa::xdnn::layout_problem(layout), "");

  CompileOptions off;
  off.replication = false;
  const BufferPlan plain = plan_buffers(g, mapping, hw, off);
  EXPECT_EQ(plain.buffers.at(static_cast<std::size_t>(plain.homes.at(g.inputs[0]).buffer)).replication, 1u);
  EXPECT_EQ(plain.replicated_buffers, 0);
}

TEST(XdnnBufferPlan, V2AlignsRowsAndUsesItsArrayHeight) {
  const quant::QGraph& g = test::small_cnn_xdnn();
  const XdnnParams hw = test::xdnn_config("v2_28").xdnn();
  const LayerMapping mapping = map_layers(g, hw, {});
  const BufferPlan plan = plan_buffers(g, mapping, hw, {});
  const isa::xdnn::TensorLayout layout = tensor_layout(g, mapping, plan, g.find_tensor("p1"));
  EXPECT_EQ(layout.section_channels(), 28u);
  EXPECT_EQ(layout.width(), 6u);
  EXPECT_EQ(layout.width_stride(), 8u);  // am_width_align: 8
  EXPECT_EQ(isa::xdnn::buffer_bytes(layout), 6u * 8u * 28u);
}

TEST(XdnnLayoutArithmetic, ElementAndReplicaOffsets) {
  isa::xdnn::TensorLayout l;
  l.set_channels(100);
  l.set_height(4);
  l.set_width(5);
  l.set_section_channels(96);
  l.set_width_stride(8);
  l.set_replication(1);
  l.set_element_bytes(2);
  l.set_buffer_channels(200);
  l.set_channel_offset(100);
  // Channel 0 of the tensor is buffer channel 100: section 1, lane 4.
  const std::uint64_t row = 8u * 96u * 2u;
  EXPECT_EQ(isa::xdnn::element_offset(l, 0, 0, 0), 1u * 4u * row + 4u * 2u);
  EXPECT_EQ(isa::xdnn::element_offset(l, 99, 3, 4), 2u * 4u * row + 3u * row + (4u * 96u + 7u) * 2u);
  EXPECT_EQ(isa::xdnn::buffer_bytes(l), 3u * 4u * row);
  isa::xdnn::TensorLayout r = l;
  r.set_channels(3);
  r.set_channel_offset(0);
  r.set_buffer_channels(21);
  r.set_replication(7);
  r.set_element_bytes(1);
  EXPECT_EQ(isa::xdnn::layout_problem(r), "");
  EXPECT_EQ(isa::xdnn::replica_offset(r, 2, 0, 0, 6), 2u + 6u * 3u);
  r.set_buffer_channels(200);
  EXPECT_NE(isa::xdnn::layout_problem(r), "");
}

}  // namespace
}  // namespace wb::xdnn
