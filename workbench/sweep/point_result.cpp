#include "workbench/sweep/point_result.h"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <fstream>

#include "support/atomic_file.h"
#include "support/error.h"
#include "support/file_io.h"
#include "workbench/report/report_json.h"

namespace wb::sweep {

nlohmann::json point_result_json(const PointResult& r) {
  return {{"point_result", kPointResultVersion},
          {"key", r.key},
          {"status", r.status},
          {"exit_code", r.exit_code},
          {"error", r.error},
          {"wall_seconds", r.wall_seconds},
          {"host", r.host},
          {"finished_at", r.finished_at},
          {"build", r.build},
          {"report", r.report ? report::to_json(*r.report) : nlohmann::json(nullptr)}};
}

PointResult point_result_from_json(const nlohmann::json& json, const std::string& source) {
  const auto fail = [&](const std::string& what) -> void {
    throw UserError(fmt::format("{}: not a sweep point result: {}", source, what));
  };
  if (!json.is_object()) fail("not a JSON object");
  if (json.value("point_result", 0) != kPointResultVersion) fail("another format version");
  PointResult r;
  try {
    r.key = json.at("key").get<std::string>();
    r.status = json.at("status").get<std::string>();
    r.exit_code = json.at("exit_code").get<int>();
    r.error = json.at("error").get<std::string>();
    r.wall_seconds = json.at("wall_seconds").get<double>();
    r.host = json.at("host").get<std::string>();
    r.finished_at = json.at("finished_at").get<std::string>();
    r.build = json.at("build").get<std::string>();
  } catch (const nlohmann::json::exception& e) {
    fail(e.what());
  }
  if (r.status != "done" && r.status != "failed") fail("status must be done or failed");
  if (r.status == "done") {
    if (!json.contains("report") || !json["report"].is_object()) fail("a done point has no report");
    r.report = report::from_json(json["report"], source);
  }
  return r;
}

void write_point_result(const PointResult& result, const std::filesystem::path& path) {
  write_file_atomically(path, point_result_json(result).dump() + "\n");
}

PointResult read_point_result(const std::filesystem::path& path) {
  const std::string bytes = read_file_bytes(path);
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(bytes);
  } catch (const nlohmann::json::exception& e) {
    throw UserError(fmt::format("{}: not a sweep point result: {}", path.string(), e.what()));
  }
  return point_result_from_json(json, path.string());
}

std::string utc_now() {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(std::chrono::system_clock::to_time_t(std::chrono::system_clock::now())));
}

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) return "unknown";
  return name;
}

}  // namespace wb::sweep
