#pragma once
// The quantized-model cache: importing, calibrating and quantizing a model (seconds for
// ResNet-50) happens once per (model file, scheme, calibration, build), and every later
// compile of it (a sweep's design points) loads the integer model in milliseconds.
//
// An entry is one file, `<dir>/<key>.qmodel`: a header (magic, format version, payload size,
// SHA-256 of the payload) and the QuantizedModel in protobuf (compiler/quant/qgraph.proto).
// Entries are written to a temporary file and renamed into place, so two processes filling
// the same entry at once leave one whole entry; a truncated or damaged entry fails its
// digest and is removed and rebuilt, never used.
//
// `workbench run` keeps its entries in default_cache_dir()/models, at most
// model_cache_limit() bytes of them: storing an entry removes the least recently used ones
// beyond that (a hit refreshes an entry's time). Sweeps keep theirs in their work folder.

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>

#include "compiler/quant/qgraph_proto.h"
#include "workbench/quantize.h"
#include "workbench/run_inputs.h"

namespace wb {

// The workbench's cache folder: $WB_CACHE_DIR, else $XDG_CACHE_HOME/workbench, else
// ~/.cache/workbench. scripts/export_workloads.py exports into its workloads/ folder.
std::filesystem::path default_cache_dir();

// What decides a quantized model, hashed into its key: the model file's SHA-256, the scheme
// and bit widths, the calibration (its folder's files and their digests, or count and seed;
// method and percentile), structure-only quantization, the shapes given for the graph's inputs,
// the inputs a run is fed (their files' names and digests, or the seed), and the workbench build.
std::string quantization_key(const QuantizeCommand& command, const std::string& model_sha256,
                             const InputFiles& inputs);

class ModelCache {
 public:
  explicit ModelCache(std::filesystem::path dir) : dir_(std::move(dir)) {}

  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path entry_path(const std::string& key) const { return dir_ / (key + ".qmodel"); }

  // The entry, or nullopt when there is none or it is damaged (then it is removed, and `why`
  // says what was wrong).
  std::optional<quant::QuantizedModel> load(const std::string& key, std::string* why = nullptr) const;
  // Writes the entry atomically (creating the folder); UserError when it cannot be written.
  void store(const std::string& key, const quant::QuantizedModel& model) const;
  // Removes the least recently used entries (by modification time) but `keep` until the
  // entries take at most `limit_bytes`; returns how many it removed.
  int evict(std::uintmax_t limit_bytes, const std::string& keep) const;

 private:
  std::filesystem::path dir_;
};

// Reads an entry file; UserError naming it when it is missing or damaged.
quant::QuantizedModel load_quantized_model(const std::filesystem::path& entry);

// The byte limit of `run`'s model cache: $WB_MODEL_CACHE_LIMIT (a size: 2GiB, 500MB, bytes),
// else 4 GiB. UserError for a value that is not a size.
std::uintmax_t model_cache_limit();

struct CachedModel {
  std::string key;
  std::filesystem::path entry;
  bool hit = false;  // found in the cache (else quantized now and stored)
  quant::QuantizedModel model;
  // Filled only when quantized now: the float graph and the timings (its qgraph is moved
  // into `model`).
  QuantizeResult quantized;
};

// The cache's entry for `command` (and the float inputs `run` would feed it: the files of
// `inputs`, or seeded N(0,1) with command.seed); quantizes and stores it when missing or damaged.
CachedModel ensure_quantized(const ModelCache& cache, const QuantizeCommand& command,
                             const InputFiles& inputs, const std::string& model_sha256,
                             std::ostream& log);

}  // namespace wb
