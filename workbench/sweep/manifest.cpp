#include "workbench/sweep/manifest.h"

#include <fmt/format.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "support/atomic_file.h"
#include "support/error.h"

namespace wb::sweep {

void write_manifest(const Manifest& manifest, const std::filesystem::path& path) {
  std::string text = nlohmann::json{{"manifest", kManifestVersion},
                                    {"sweep", manifest.sweep},
                                    {"build", manifest.build},
                                    {"work_dir", manifest.work_dir.string()},
                                    {"executable", manifest.executable.string()},
                                    {"timeout_s", manifest.timeout_s},
                                    {"points", manifest.points.size()}}
                         .dump() +
                     "\n";
  for (const ManifestPoint& p : manifest.points) {
    text += nlohmann::json{{"key", p.key},
                           {"position", p.position},
                           {"model", p.model},
                           {"model_path", p.model_path.string()},
                           {"model_sha256", p.model_sha256},
                           {"qmodel", p.qmodel.string()},
                           {"config_path", p.config_path.string()},
                           {"overrides", p.overrides},
                           {"compile_opts", p.compile_opts},
                           {"mode", mode_name(p.mode)}}
                .dump() +
            "\n";
  }
  write_file_atomically(path, text);
}

Manifest read_manifest(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw UserError(fmt::format("{}: no such sweep manifest", path.string()));
  Manifest m;
  std::string line;
  int number = 0;
  std::size_t expected = 0;
  try {
    while (std::getline(in, line)) {
      ++number;
      const nlohmann::json j = nlohmann::json::parse(line);
      if (number == 1) {
        if (j.value("manifest", 0) != kManifestVersion) {
          throw UserError(fmt::format("{}:1: not a sweep manifest of version {}", path.string(), kManifestVersion));
        }
        m.sweep = j.at("sweep").get<std::string>();
        m.build = j.at("build").get<std::string>();
        m.work_dir = j.at("work_dir").get<std::string>();
        m.executable = j.at("executable").get<std::string>();
        m.timeout_s = j.at("timeout_s").get<double>();
        expected = j.at("points").get<std::size_t>();
        continue;
      }
      ManifestPoint p;
      p.key = j.at("key").get<std::string>();
      p.position = j.at("position").get<int>();
      p.model = j.at("model").get<std::string>();
      p.model_path = j.at("model_path").get<std::string>();
      p.model_sha256 = j.at("model_sha256").get<std::string>();
      p.qmodel = j.at("qmodel").get<std::string>();
      p.config_path = j.at("config_path").get<std::string>();
      p.overrides = j.at("overrides").get<std::vector<std::string>>();
      p.compile_opts = j.at("compile_opts").get<std::vector<std::string>>();
      p.mode = j.at("mode").get<std::string>() == "verify" ? Mode::Verify : Mode::Timing;
      m.points.push_back(std::move(p));
    }
  } catch (const nlohmann::json::exception& e) {
    throw UserError(fmt::format("{}:{}: not a sweep manifest line: {}", path.string(), number, e.what()));
  }
  if (number == 0 || m.points.size() != expected) {
    throw UserError(fmt::format("{}: truncated sweep manifest ({} of {} points)", path.string(), m.points.size(), expected));
  }
  return m;
}

}  // namespace wb::sweep
