#pragma once
// Pages of docs/ that carry a section the code generates (a table of statistics, of keys, of
// the targets' legality rows) between two markers: the section must be what the code
// generates now, so the page cannot drift from the code.

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "tests/support/test_paths.h"

namespace wb::test {

// docs/`page` between `begin` (a whole line, its newline included) and `end` equals
// `generated`; on a difference the failure prints `generated` to paste between the markers.
inline void expect_generated_section(const std::string& page, const std::string& begin, const std::string& end,
                                     const std::string& generated) {
  std::ifstream in(source_dir() / "docs" / page);
  if (!in) {
    ADD_FAILURE() << "docs/" << page << " cannot be read";
    return;
  }
  std::stringstream text;
  text << in.rdbuf();
  const std::string doc = text.str();
  const std::size_t from = doc.find(begin);
  const std::size_t to = doc.find(end);
  if (from == std::string::npos || to == std::string::npos || to < from + begin.size()) {
    ADD_FAILURE() << "docs/" << page << " lacks the markers " << begin << " ... " << end;
    return;
  }
  EXPECT_EQ(doc.substr(from + begin.size(), to - from - begin.size()), generated)
      << "docs/" << page << "'s generated section differs from the code; paste this between the markers:\n"
      << generated;
}

}  // namespace wb::test
