#pragma once
// Synthetic runs for the regression tests: run reports and records of a model on a config
// with the given per-layer cycles, and a temporary folder.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "tests/support/onnx_builder.h"
#include "workbench/regress/run_record.h"
#include "workbench/report/report.h"

namespace wb::regress::fixtures {

struct Layer {
  std::string name;
  std::uint64_t cycles = 0;
  std::uint64_t stall_cycles = 0;
};

// A schema-2 report of `model` on `config` (hw_resolved.name) made by `commit` (tool_git =
// `build`, or the commit when empty): bit-exact, xdnn, scheme "xdnn", compile options "a=on",
// with data; per layer macs 1000, bytes_in 10 x cycles, bytes_out 5 x cycles; totals the sums.
report::RunReport make_report(const std::string& commit, const std::string& model, const std::string& config,
                              const std::vector<Layer>& layers, const std::string& build = "");
// record_from_report of make_report, with build `build` and source "<build>.json".
RunRecord make_run(const std::string& model, const std::string& config, const std::vector<Layer>& layers,
                   const std::string& build = "b1");

// A 40-digit commit hash of one repeated hex digit ('a' -> "aaaa...a").
std::string commit_of(char digit);

// The UserError message of `f` ("" when it threw none).
std::string user_error(const std::function<void()>& f);

std::string read_text(const std::filesystem::path& path);
void write_text(const std::filesystem::path& path, const std::string& text);

using test::TempDir;  // tests/support/onnx_builder.h

}  // namespace wb::regress::fixtures
