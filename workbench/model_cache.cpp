#include "workbench/model_cache.h"

#include <fmt/format.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>

#include "compiler/frontend/tensor_io.h"
#include "compiler/golden/reference_executor.h"
#include "isa/error.h"
#include "workbench/report.h"
#include "workbench/run_common.h"
#include "workbench/version.h"

namespace wb {

namespace {

constexpr char kMagic[8] = {'W', 'B', 'Q', 'M', 'O', 'D', 'E', 'L'};
constexpr std::uint32_t kFormatVersion = 1;
// magic, version, payload size, SHA-256 of the payload as 64 hex digits.
constexpr std::size_t kHeaderBytes = sizeof(kMagic) + 4 + 8 + 64;

template <class T>
void append_le(std::string& out, T value) {
  for (std::size_t i = 0; i < sizeof(T); ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

template <class T>
T read_le(const char* bytes) {
  T value = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) value |= static_cast<T>(static_cast<unsigned char>(bytes[i])) << (8 * i);
  return value;
}

// What is wrong with an entry's bytes, or "" when it is whole; `payload` gets its payload.
std::string entry_problem(const std::string& bytes, std::string_view* payload) {
  if (bytes.size() < kHeaderBytes || std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0) {
    return "not a quantized-model cache entry";
  }
  const char* p = bytes.data() + sizeof(kMagic);
  if (read_le<std::uint32_t>(p) != kFormatVersion) return "written by another format version";
  const std::uint64_t size = read_le<std::uint64_t>(p + 4);
  if (size != bytes.size() - kHeaderBytes) return "truncated";
  *payload = std::string_view(bytes).substr(kHeaderBytes);
  if (report::sha256_hex(*payload) != std::string_view(p + 12, 64)) return "digest mismatch (damaged)";
  return "";
}

nlohmann::json calibration_identity(const QuantizeCommand& command) {
  nlohmann::json calibration = {{"method", static_cast<int>(command.calibration.method)},
                                {"percentile", command.calibration.percentile},
                                {"bins", command.calibration.bins},
                                {"min_values_per_bin", command.calibration.min_values_per_bin}};
  if (command.structure_only) return {{"structure_only", true}};
  if (command.calib_dir) {
    // The files the calibration reads, by name and content.
    nlohmann::json files = nlohmann::json::object();
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(*command.calib_dir, ec)) {
      if (entry.is_regular_file()) files[entry.path().filename().string()] = report::sha256_file(entry.path());
    }
    if (ec) throw UserError(fmt::format("{}: cannot be read: {}", command.calib_dir->string(), ec.message()));
    calibration["files"] = std::move(files);
  } else {
    calibration["count"] = command.calib_count;
    calibration["seed"] = command.seed;
  }
  return calibration;
}

}  // namespace

std::filesystem::path default_cache_dir() {
  if (const char* dir = std::getenv("WB_CACHE_DIR"); dir != nullptr && *dir != '\0') return dir;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg != '\0') {
    return std::filesystem::path(xdg) / "workbench";
  }
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home != nullptr ? home : "/tmp") / ".cache" / "workbench";
}

std::string quantization_key(const QuantizeCommand& command, const std::string& model_sha256,
                             const std::optional<std::filesystem::path>& input) {
  const nlohmann::json identity = {
      {"model", model_sha256},
      {"scheme", quant::scheme_name(command.quant.scheme)},
      {"bits", {command.quant.bits, command.quant.first_layer_bits, command.quant.last_layer_bits}},
      {"calibration", calibration_identity(command)},
      {"input", input ? nlohmann::json(report::sha256_file(*input)) : nlohmann::json(command.seed)},
      {"build", build_id()},
      {"format", kFormatVersion}};
  return report::sha256_hex(identity.dump()).substr(0, 32);
}

std::optional<quant::QuantizedModel> ModelCache::load(const std::string& key, std::string* why) const {
  const std::filesystem::path path = entry_path(key);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return std::nullopt;
  try {
    return load_quantized_model(path);
  } catch (const UserError& e) {
    if (why != nullptr) *why = e.what();
    std::filesystem::remove(path, ec);
    return std::nullopt;
  }
}

void ModelCache::store(const std::string& key, const quant::QuantizedModel& model) const {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) throw UserError(fmt::format("{}: cannot create the model cache folder: {}", dir_.string(), ec.message()));
  const std::string payload = quant::serialize_quantized_model(model);
  std::string bytes(kMagic, sizeof(kMagic));
  append_le<std::uint32_t>(bytes, kFormatVersion);
  append_le<std::uint64_t>(bytes, payload.size());
  bytes += report::sha256_hex(payload);
  bytes += payload;
  write_file_atomically(entry_path(key), bytes);
}

quant::QuantizedModel load_quantized_model(const std::filesystem::path& entry) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(entry, ec)) {
    throw UserError(fmt::format("{}: no such quantized model (the sweep writes it before running points)",
                                entry.string()));
  }
  const std::string bytes = read_file_bytes(entry);
  std::string_view payload;
  if (const std::string problem = entry_problem(bytes, &payload); !problem.empty()) {
    throw UserError(fmt::format("{}: {}", entry.string(), problem));
  }
  return quant::parse_quantized_model(payload, entry.string());
}

CachedModel ensure_quantized(const ModelCache& cache, const QuantizeCommand& command,
                             const std::optional<std::filesystem::path>& input, const std::string& model_sha256,
                             std::ostream& log) {
  CachedModel cached;
  cached.key = quantization_key(command, model_sha256, input);
  cached.entry = cache.entry_path(cached.key);
  std::string why;
  if (cache.load(cached.key, &why)) {
    cached.hit = true;
    return cached;
  }
  if (!why.empty()) log << fmt::format("model cache: {}; quantizing again\n", why);
  QuantizeResult quantized = run_quantize(command, log);
  quant::QuantizedModel model;
  model.float_inputs = run_inputs(input, quantized, command.seed, log);
  model.graph = std::move(quantized.qgraph);
  cache.store(cached.key, model);
  return cached;
}

}  // namespace wb
