// Dependency flags between units.
#include <gtest/gtest.h>

#include "compiler/xdnn/hazards.h"

namespace wb::xdnn {
namespace {

Access am(std::uint64_t begin, std::uint64_t end, bool write) {
  Access a;
  a.begin = begin;
  a.end = end;
  a.write = write;
  return a;
}

TEST(XdnnHazards, ReadAfterWriteWaitsOnTheWriter) {
  HazardTracker t;
  EXPECT_FALSE(t.add(Unit::Upload, {am(0, 100, true)}).upload());
  const auto wait = t.add(Unit::Conv, {am(50, 60, false), am(200, 300, true)});
  EXPECT_TRUE(wait.upload());
  EXPECT_FALSE(wait.conv());
  // Already known complete: no second wait.
  EXPECT_FALSE(t.add(Unit::Pool, {am(0, 10, false)}).upload());
}

TEST(XdnnHazards, DisjointAccessesAndReadsDoNotWait) {
  HazardTracker t;
  t.add(Unit::Conv, {am(0, 100, true)});
  const auto wait = t.add(Unit::Pool, {am(100, 200, true), am(300, 400, false)});
  EXPECT_FALSE(wait.conv());
  t.add(Unit::Upload, {am(500, 600, false)});
  EXPECT_FALSE(t.add(Unit::Download, {am(500, 600, false)}).upload());  // read after read
}

TEST(XdnnHazards, WriteAfterReadWaitsOnTheReader) {
  HazardTracker t;
  t.add(Unit::Conv, {am(0, 100, false)});
  EXPECT_TRUE(t.add(Unit::Eltwise, {am(0, 10, true)}).conv());
}

TEST(XdnnHazards, DisjointChannelsOfOneBufferDoNotConflict) {
  HazardTracker t;
  Access a = am(0, 1000, true);
  a.has_channels = true;
  a.channel_begin = 0;
  a.channel_end = 4;
  Access b = a;
  b.channel_begin = 4;
  b.channel_end = 8;
  t.add(Unit::Conv, {a});
  EXPECT_FALSE(t.add(Unit::Pool, {b}).conv());
  Access c = a;
  c.channel_begin = 2;
  c.channel_end = 6;
  c.write = false;
  const auto wait = t.add(Unit::Eltwise, {c});
  EXPECT_TRUE(wait.conv());
  EXPECT_TRUE(wait.pool());
}

TEST(XdnnHazards, CompletionIsTransitive) {
  HazardTracker t;
  t.add(Unit::Upload, {am(0, 100, true)});
  EXPECT_TRUE(t.add(Unit::Conv, {am(0, 100, false), am(100, 200, true)}).upload());
  t.add(Unit::Upload, {am(1000, 1100, true)});  // unrelated, still running
  // Waiting on the conv implies its upload finished; the later upload is unrelated.
  const auto wait = t.add(Unit::Pool, {am(150, 160, false), am(0, 10, false)});
  EXPECT_TRUE(wait.conv());
  EXPECT_FALSE(wait.upload());
}

}  // namespace
}  // namespace wb::xdnn
