// Thread counts for the load: the CPUs other processes leave idle.

#include <gtest/gtest.h>

#include "support/cpu_threads.h"

namespace wb {
namespace {

TEST(CpuThreads, AsManyAsTheCpusOtherProcessesLeaveIdle) {
  EXPECT_EQ(threads_for_load(2, 1, 1), 2);  // only this process runs
  EXPECT_EQ(threads_for_load(2, 2, 1), 1);  // one busy process beside it
  EXPECT_EQ(threads_for_load(2, 3, 2), 1);  // its own spinning worker is not another process
  EXPECT_EQ(threads_for_load(2, 6, 1), 1);  // never fewer than one
  EXPECT_EQ(threads_for_load(8, 3, 1), 6);
  EXPECT_EQ(threads_for_load(8, 0, 1), 8);  // a count read before this process showed up
  EXPECT_EQ(threads_for_load(1, 1, 1), 1);
}

}  // namespace
}  // namespace wb
