// docs/hw_config.md carries the key table's own tables (isa/hw_docs.cpp) with the shipped
// configs' values, so the page lists exactly the keys the loader accepts.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "isa/hw_config.h"
#include "tests/support/generated_docs.h"
#include "tests/support/test_paths.h"

namespace wb {
namespace {

// configs/*.yaml, loaded, in file-name order.
std::vector<HwConfig> shipped_configs() {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(test::source_dir() / "configs")) {
    if (entry.path().extension() == ".yaml") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<HwConfig> configs;
  for (const auto& file : files) configs.push_back(load_hw_config(file));
  return configs;
}

TEST(HwConfigDocs, PageCarriesTheKeyTablesOwnTables) {
  test::expect_generated_section("hw_config.md",
                                 "<!-- keys:begin (generated from isa/hw_schema.cpp and configs/*.yaml) -->\n",
                                 "<!-- keys:end -->", hw_keys_markdown(shipped_configs()));
}

// Each key's row names it, its default (or "required") and where its value comes from.
TEST(HwConfigDocs, EveryKeyHasARowWithItsDefaultAndSource) {
  const std::string tables = hw_keys_markdown(shipped_configs());
  for (const Target target : all_targets()) {
    for (const HwKeyInfo& key : hw_keys(target)) {
      std::string row = "| `";
      row.append(key.path).append("` |");
      const std::size_t at = tables.find(row);
      ASSERT_NE(at, std::string::npos) << key.path;
      const std::string line = tables.substr(at, tables.find('\n', at) - at);
      EXPECT_NE(line.find(std::string(provenance_name(key.provenance)) + ": "), std::string::npos) << line;
      if (!key.default_value) {
        EXPECT_NE(line.find("| required |"), std::string::npos) << line;
      }
    }
  }
}

}  // namespace
}  // namespace wb
