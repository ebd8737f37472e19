#include "workbench/run_inputs.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>

#include "compiler/frontend/tensor_files.h"
#include "support/error.h"
#include "support/file_io.h"

namespace wb {

namespace {

Tensor read_checked(const InputFile& file) {
  check_input_file(file.path, "--input");
  Tensor t = read_tensor_file(file.path);
  if (is_float(t.dtype())) {
    const Tensor values = t.cast(DType::F64);
    for (const double v : values.span<double>()) {
      if (!std::isfinite(v)) {
        throw UserError(fmt::format("--input {}: holds NaN or Inf; give finite values", file.option()));
      }
    }
  }
  return t;
}

// Each input's file (nullptr: none), bound as the importer binds their shapes: by name, then
// the rest in the graph's order.
std::vector<const InputFile*> bound_files(const InputFiles& files, const std::vector<std::string>& names) {
  std::vector<GivenShape> tagged;
  for (const InputFile& file : files) tagged.push_back({file.input, {}, "--input " + file.option()});
  const std::vector<const GivenShape*> bound = bind_given_shapes(names, {}, tagged);
  std::vector<const InputFile*> result;
  for (const GivenShape* g : bound) {
    result.push_back(g == nullptr ? nullptr : &files[static_cast<std::size_t>(g - tagged.data())]);
  }
  return result;
}

}  // namespace

std::string InputFile::option() const { return input.empty() ? path.string() : input + "=" + path.string(); }

InputFile parse_input_option(const std::string& text) {
  std::error_code ec;
  const std::size_t equals = text.find('=');
  if (equals == std::string::npos || equals == 0 || std::filesystem::exists(text, ec)) return {"", text};
  return {text.substr(0, equals), text.substr(equals + 1)};
}

std::vector<GivenShape> input_file_shapes(const InputFiles& files) {
  std::vector<GivenShape> shapes;
  for (const InputFile& file : files) {
    const Tensor t = read_checked(file);
    shapes.push_back({file.input, t.shape(), "--input " + file.option(), t.dtype()});
  }
  return shapes;
}

RunInputSpec run_input_spec(const quant::QTensor& input) {
  return {input.name, input.float_shape(), input.token_ids ? run_input_dtype(DType::I64) : run_input_dtype(DType::F32)};
}

std::vector<Tensor> read_input_files(const InputFiles& files, const std::vector<RunInputSpec>& inputs) {
  std::vector<std::string> names;
  for (const RunInputSpec& spec : inputs) names.push_back(spec.name);
  const std::vector<const InputFile*> bound = bound_files(files, names);
  std::vector<Tensor> tensors;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const RunInputSpec& spec = inputs[i];
    if (bound[i] == nullptr) {
      throw UserError(fmt::format("graph input '{}' has no --input (the model has {} inputs: {}); give one for each, "
                                  "as --input {}=FILE",
                                  spec.name, inputs.size(), fmt::join(names, ", "), spec.name));
    }
    const InputFile& file = *bound[i];
    Tensor t = read_checked(file);
    if (t.dtype() != spec.dtype || t.shape() != spec.shape) {
      throw UserError(fmt::format("--input {}: holds {} of shape {}, but graph input '{}' takes {} of shape {}", file.option(),
                                  dtype_name(t.dtype()), format_shape(t.shape()), spec.name, dtype_name(spec.dtype),
                                  format_shape(spec.shape)));
    }
    tensors.push_back(std::move(t));
  }
  return tensors;
}

std::vector<std::string> input_sources(const InputFiles& files, const std::vector<quant::QTensor>& inputs,
                                       std::uint64_t seed) {
  std::vector<std::string> names;
  for (const quant::QTensor& t : inputs) names.push_back(t.name);
  const std::vector<const InputFile*> bound = bound_files(files, names);
  std::vector<std::string> sources;
  for (std::size_t i = 0; i < bound.size(); ++i) {
    const std::string seeded = inputs[i].token_ids ? "seeded token ids inside their table" : "seeded N(0,1)";
    sources.push_back(bound[i] != nullptr ? "--input " + bound[i]->option() : fmt::format("{}, seed {}", seeded, seed));
  }
  return sources;
}

}  // namespace wb
