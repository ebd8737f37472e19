#include "workbench/model_cache.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <span>
#include <fstream>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>

#include "compiler/golden/reference_executor.h"
#include "support/atomic_file.h"
#include "support/byte_size.h"
#include "support/error.h"
#include "isa/hw_config.h"
#include "support/sha256.h"
#include "workbench/report/report.h"
#include "workbench/run_common.h"
#include "workbench/version.h"

namespace wb {

namespace {

constexpr char kMagic[8] = {'W', 'B', 'Q', 'M', 'O', 'D', 'E', 'L'};
// 2: tensors in a blob after the structure; 3: the quantizer's record; 4: QTensor.source_shape
// (a token input given as [1, T, C]).
constexpr std::uint32_t kFormatVersion = 4;
// magic, version, structure size, blob size, SHA-256 of structure and blob as 64 hex digits.
constexpr std::size_t kHeaderBytes = sizeof(kMagic) + 4 + 8 + 8 + 64;

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
      if (entry.is_regular_file()) files[entry.path().filename().string()] = sha256_file(entry.path());
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
                             const InputFiles& inputs) {
  nlohmann::json fed = nlohmann::json(command.seed);
  if (!inputs.empty()) {
    fed = nlohmann::json::array();
    for (const InputFile& file : inputs) fed.push_back({file.input, sha256_file(file.path)});
  }
  nlohmann::json shapes = nlohmann::json::array();
  for (const auto* given : {&command.given_shapes, &command.input_file_shapes}) {
    for (const GivenShape& g : *given) shapes.push_back({g.input, g.shape});
  }
  const nlohmann::json identity = {
      {"model", model_sha256},
      {"scheme", quant::scheme_name(command.quant.scheme)},
      {"bits", {command.quant.bits, command.quant.first_layer_bits, command.quant.last_layer_bits}},
      {"calibration", calibration_identity(command)},
      {"input", fed},
      {"shapes", shapes},
      {"build", build_id()},
      {"format", kFormatVersion}};
  return sha256_hex(identity.dump()).substr(0, 32);
}

std::optional<quant::QuantizedModel> ModelCache::load(const std::string& key, std::string* why) const {
  const std::filesystem::path path = entry_path(key);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return std::nullopt;
  try {
    quant::QuantizedModel model = load_quantized_model(path);
    // The eviction order is by modification time: a hit makes the entry recent.
    std::filesystem::last_write_time(path, std::filesystem::file_time_type::clock::now(), ec);
    return model;
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
  const quant::SerializedModel parts = quant::serialize_quantized_model(model);
  Sha256 digest;
  digest.update(parts.structure.data(), parts.structure.size());
  digest.update(parts.blob.data(), parts.blob.size());
  std::string bytes(kMagic, sizeof(kMagic));
  append_le<std::uint32_t>(bytes, kFormatVersion);
  append_le<std::uint64_t>(bytes, parts.structure.size());
  append_le<std::uint64_t>(bytes, parts.blob.size());
  bytes += digest.hex();
  bytes += parts.structure;
  bytes += parts.blob;
  write_file_atomically(entry_path(key), bytes);
}

int ModelCache::evict(std::uintmax_t limit_bytes, const std::string& keep) const {
  struct Entry {
    std::filesystem::path path;
    std::filesystem::file_time_type time;
    std::uintmax_t bytes;
  };
  std::vector<Entry> entries;
  std::uintmax_t total = 0;
  std::error_code ec;
  for (const auto& item : std::filesystem::directory_iterator(dir_, ec)) {
    if (item.path().extension() != ".qmodel") continue;
    std::error_code item_ec;
    const std::uintmax_t bytes = item.file_size(item_ec);
    const auto time = item.last_write_time(item_ec);
    if (item_ec) continue;  // removed by another process meanwhile
    total += bytes;
    if (item.path().stem() != keep) entries.push_back({item.path(), time, bytes});
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.time < b.time; });
  int removed = 0;
  for (const Entry& e : entries) {
    if (total <= limit_bytes) break;
    // A process reading the entry keeps its open file; one about to open it misses and rebuilds.
    if (std::filesystem::remove(e.path, ec)) ++removed;
    total -= e.bytes;
  }
  return removed;
}

std::uintmax_t model_cache_limit() {
  const char* value = std::getenv("WB_MODEL_CACHE_LIMIT");
  if (value == nullptr || *value == '\0') return std::uintmax_t{4} << 30;
  std::string why;
  const std::optional<std::int64_t> bytes = parse_byte_size(value, &why);
  if (!bytes || *bytes < 0) {
    throw UserError(fmt::format("WB_MODEL_CACHE_LIMIT={}: not a size ({}); give one like 2GiB or 500MB", value,
                                why.empty() ? "negative" : why));
  }
  return static_cast<std::uintmax_t>(*bytes);
}

quant::QuantizedModel load_quantized_model(const std::filesystem::path& entry) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(entry, ec)) {
    throw UserError(fmt::format("{}: no such quantized model (the sweep writes it before running points)",
                                entry.string()));
  }
  const auto damaged = [&](const std::string& what) -> UserError {
    return UserError(fmt::format("{}: {}", entry.string(), what));
  };
  std::ifstream file(entry, std::ios::binary);
  if (!file) throw damaged("cannot be opened");
  char header[kHeaderBytes];
  file.read(header, kHeaderBytes);
  if (file.gcount() != static_cast<std::streamsize>(kHeaderBytes) || std::memcmp(header, kMagic, sizeof(kMagic)) != 0) {
    throw damaged("not a quantized-model cache entry");
  }
  if (read_le<std::uint32_t>(header + 8) != kFormatVersion) throw damaged("written by another format version");
  const std::uint64_t structure_bytes = read_le<std::uint64_t>(header + 12);
  const std::uint64_t blob_bytes = read_le<std::uint64_t>(header + 20);
  const std::string expected(header + 28, 64);
  const std::uint64_t size = std::filesystem::file_size(entry, ec);
  if (ec || structure_bytes > size || blob_bytes > size || kHeaderBytes + structure_bytes + blob_bytes != size) {
    throw damaged("truncated");
  }
  std::string structure(static_cast<std::size_t>(structure_bytes), '\0');
  file.read(structure.data(), static_cast<std::streamsize>(structure_bytes));
  Sha256 digest;
  digest.update(structure.data(), structure.size());
  // The tensors' bytes go straight from the file into the tensors (hashed on the way), in
  // the order they were written; gaps (alignment) are hashed too.
  std::uint64_t position = 0;
  char gap[8];
  const auto read_blob = [&](std::uint64_t offset, std::span<std::byte> destination) {
    while (position < offset) {
      const auto n = static_cast<std::streamsize>(std::min<std::uint64_t>(offset - position, sizeof(gap)));
      file.read(gap, n);
      digest.update(gap, static_cast<std::size_t>(n));
      position += static_cast<std::uint64_t>(n);
    }
    file.read(reinterpret_cast<char*>(destination.data()), static_cast<std::streamsize>(destination.size()));
    if (!file) throw damaged("truncated");
    digest.update(destination.data(), destination.size());
    position += destination.size();
  };
  quant::QuantizedModel model;
  try {
    model = quant::parse_quantized_model(structure, blob_bytes, read_blob, entry.string());
  } catch (const UserError& e) {
    // A structure that does not parse is damage when the digest says so (it always will).
    throw damaged(fmt::format("digest mismatch (damaged): {}", e.what()));
  }
  // The rest of the blob (trailing alignment) completes the digest.
  while (position < blob_bytes) {
    const auto n = static_cast<std::streamsize>(std::min<std::uint64_t>(blob_bytes - position, sizeof(gap)));
    file.read(gap, n);
    digest.update(gap, static_cast<std::size_t>(n));
    position += static_cast<std::uint64_t>(n);
  }
  if (!file || digest.hex() != expected) throw damaged("digest mismatch (damaged)");
  return model;
}

CachedModel ensure_quantized(const ModelCache& cache, const QuantizeCommand& command,
                             const InputFiles& inputs, const std::string& model_sha256,
                             std::ostream& log) {
  CachedModel cached;
  cached.key = quantization_key(command, model_sha256, inputs);
  cached.entry = cache.entry_path(cached.key);
  std::string why;
  if (std::optional<quant::QuantizedModel> model = cache.load(cached.key, &why)) {
    cached.hit = true;
    cached.model = std::move(*model);
    return cached;
  }
  if (!why.empty()) log << fmt::format("model cache: {}; quantizing again\n", why);
  cached.quantized = run_quantize(command, log);
  const quant::QGraph& graph = cached.quantized.qgraph;
  if (!inputs.empty()) {
    cached.model.float_inputs = read_inputs_for(inputs, input_tensors(graph));
  } else {
    cached.model.float_inputs = random_inputs(*cached.quantized.float_graph, command.seed);
  }
  cached.model.graph = std::move(cached.quantized.qgraph);
  cached.model.synthetic_calibration =
      !cached.quantized.from_qdq && !command.structure_only && !command.calib_dir;
  cached.model.record_json = cached.quantized.quant_json_extra.dump();
  cache.store(cached.key, cached.model);
  return cached;
}

}  // namespace wb
