#include "tests/unit/workbench/regress/regress_testing.h"

#include <fmt/format.h>
#include <stdlib.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "support/error.h"

namespace wb::regress::fixtures {

report::RunReport make_report(const std::string& commit, const std::string& model, const std::string& config,
                              const std::vector<Layer>& layers, const std::string& build) {
  report::RunReport r;
  r.tool_version = "test";
  r.tool_commit = commit;
  r.tool_git = build.empty() ? commit : build;
  r.model_path = fmt::format("/models/{}.onnx", model);
  r.model_sha256 = std::string(64, '5');
  r.model_name = model;
  r.hw_path = fmt::format("/configs/{}.yaml", config);
  r.hw_sha256 = std::string(64, '6');
  r.target = "xdnn";
  r.hw_resolved = {{"name", config}};
  r.verdict = "bit-exact";
  r.run = {"xdnn", "a=on", "fp-" + config, true, {}, nullptr};
  r.wall = {1.0, 2.0};
  for (const Layer& l : layers) {
    report::LayerRow row;
    row.name = l.name;
    row.type = "conv";
    row.cycles = l.cycles;
    row.stall_cycles = l.stall_cycles;
    row.macs = 1000;
    row.bytes_in = 10 * l.cycles;
    row.bytes_out = 5 * l.cycles;
    r.totals.cycles += l.cycles;
    r.totals.macs += row.macs;
    r.layers.push_back(row);
  }
  return r;
}

RunRecord make_run(const std::string& model, const std::string& config, const std::vector<Layer>& layers,
                   const std::string& build) {
  return record_from_report(make_report(commit_of('a'), model, config, layers, build), build + ".json");
}

std::string commit_of(char digit) { return std::string(40, digit); }

std::string user_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const UserError& e) {
    return e.what();
  }
  return "";
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

}  // namespace wb::regress::fixtures
