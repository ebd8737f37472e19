#include "workbench/sweep/progress.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

namespace wb::sweep {
namespace {

using testing::HasSubstr;

// Off a terminal: one line per finished point, a failure with its reason.
TEST(SweepProgress, PlainLinesNameEachFinishedPoint) {
  std::ostringstream os;
  Progress progress(os, false, 3);
  progress.started();
  progress.finished(true, "resnet50 v3_96 pes=1", 1.25, "");
  progress.started();
  progress.finished(false, "resnet50 v3_96 pes=8", 0.5, "the AM is too small");
  progress.close();
  EXPECT_THAT(os.str(), HasSubstr("[1/3] done   resnet50 v3_96 pes=1 (1.2 s)\n"));
  EXPECT_THAT(os.str(), HasSubstr("[2/3] FAILED resnet50 v3_96 pes=8 (0.5 s): the AM is too small\n"));
  EXPECT_EQ(progress.done(), 1u);
  EXPECT_EQ(progress.failed(), 1u);
}

// On a terminal: the line redrawn in place with the shared bar, and no ETA before a point ends.
TEST(SweepProgress, TheTerminalLineCarriesTheBarAndCounts) {
  std::ostringstream os;
  Progress progress(os, true, 4);
  progress.started();
  EXPECT_THAT(os.str(), HasSubstr(progress_bar(0, 4) + " 0/4 done, 0 failed, 1 running, 4 remaining"));
  EXPECT_THAT(os.str(), HasSubstr("ETA --:--"));
  progress.finished(true, "a", 1.0, "");
  EXPECT_THAT(os.str(), HasSubstr(progress_bar(1, 4) + " 1/4 done, 0 failed, 0 running, 3 remaining"));
  progress.close();
  EXPECT_EQ(os.str().back(), '\n');
}

}  // namespace
}  // namespace wb::sweep
