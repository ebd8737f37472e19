#pragma once
// A run report with every kind of field set, for the tests of its writers and readers.

#include <string>
#include <vector>

#include "workbench/report/report.h"

namespace wb::report::fixtures {

// An xDNN report of two layers: a conv on the array and an FC on the host whose name holds a
// comma; totals, target statistics, run settings and provenance set.
RunReport sample_report();

// A PULP report of two layers with the predictor's cycles beside the simulated ones: the first
// simulated 1,200 against 1,000 predicted (+20 %), the second 900 against 1,000 (-10 %); the
// run 2,100 against 2,000 (+5 %). Its PULP block holds the tiler's figure (tiler_cycles).
RunReport sample_pulp_report();

// RFC 4180 reader that also drops the space SCALE-Sim puts after each comma (Python's csv
// with skipinitialspace=True), to read back what write_csv wrote.
std::vector<std::vector<std::string>> parse_csv(const std::string& text);
// The text's lines, without their line ends.
std::vector<std::string> lines_of(const std::string& text);

}  // namespace wb::report::fixtures
