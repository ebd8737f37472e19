#include "compiler/frontend/input_shapes.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <map>

#include "support/error.h"
#include "support/spelling.h"

namespace wb {

namespace {

std::string dim_text(const DeclaredDim& dim) {
  if (dim.size) return std::to_string(*dim.size);
  return dim.symbol.empty() ? "?" : dim.symbol;
}

std::string dim_name(const DeclaredDim& dim) { return dim.symbol.empty() ? "unnamed" : fmt::format("'{}'", dim.symbol); }

bool is_batch(const std::vector<DeclaredDim>& declared, std::size_t axis) { return axis == 0 && declared.size() >= 2; }

// "1x3x<h>x<w>": the shape to give, with the sizes the model fixes and placeholders for the rest.
std::string shape_template(const std::vector<DeclaredDim>& declared) {
  std::vector<std::string> parts;
  for (std::size_t axis = 0; axis < declared.size(); ++axis) {
    const DeclaredDim& dim = declared[axis];
    if (dim.size) {
      parts.push_back(std::to_string(*dim.size));
    } else if (is_batch(declared, axis)) {
      parts.push_back("1");
    } else {
      parts.push_back(dim.symbol.empty() ? fmt::format("<d{}>", axis) : fmt::format("<{}>", dim.symbol));
    }
  }
  return fmt::format("{}", fmt::join(parts, "x"));
}

}  // namespace

Shape parse_shape_text(std::string_view text, std::string_view source) {
  const auto bad = [&] {
    return UserError(fmt::format("{}: '{}' is not a shape; write its sizes separated by x, such as 1x3x224x224",
                                 source, text));
  };
  if (text.empty()) throw bad();
  Shape shape;
  std::size_t begin = 0;
  while (begin <= text.size()) {
    std::size_t end = text.find_first_of("x,", begin);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view item = text.substr(begin, end - begin);
    std::int64_t size = 0;
    const auto [ptr, ec] = std::from_chars(item.data(), item.data() + item.size(), size);
    if (item.empty() || ec != std::errc() || ptr != item.data() + item.size() || size < 1) throw bad();
    shape.push_back(size);
    begin = end + 1;
  }
  return shape;
}

DType run_input_dtype(DType declared) { return is_float(declared) ? DType::F32 : DType::I64; }

std::string given_dtype_problem(const GivenShape& given, const std::string& input, DType declared) {
  if (!given.dtype || *given.dtype == run_input_dtype(declared)) return {};
  return fmt::format("{}: holds {} of shape {}, but graph input '{}' takes {} of shape {}", given.source,
                     dtype_name(*given.dtype), format_shape(given.shape), input, dtype_name(run_input_dtype(declared)),
                     format_shape(given.shape));
}

GivenShape parse_shape_option(std::string_view text) {
  const std::string source = fmt::format("--shape {}", text);
  const std::size_t equals = text.rfind('=');
  if (equals == std::string_view::npos || equals == 0) {
    throw UserError(fmt::format("{}: give an input's name and its shape, such as --shape input=1x3x224x224", source));
  }
  return {std::string(text.substr(0, equals)), parse_shape_text(text.substr(equals + 1), source), source};
}

std::string format_declared(const std::vector<DeclaredDim>& dims) {
  std::vector<std::string> parts;
  for (const DeclaredDim& dim : dims) parts.push_back(dim_text(dim));
  return fmt::format("[{}]", fmt::join(parts, ","));
}

ResolvedInput resolve_input_shape(const std::string& input, const std::vector<DeclaredDim>& declared,
                                  const GivenShape* given, std::vector<std::string>& notes) {
  ResolvedInput resolved{input, format_declared(declared), {}, "model"};
  if (given != nullptr) {
    if (given->shape.size() != declared.size()) {
      throw UserError(fmt::format("{}: graph input '{}' has shape {} ({} dimensions), not {}", given->source, input,
                                  resolved.declared, declared.size(), format_shape(given->shape)));
    }
    for (std::size_t axis = 0; axis < declared.size(); ++axis) {
      if (declared[axis].size && *declared[axis].size != given->shape[axis]) {
        throw UserError(fmt::format("{}: graph input '{}' is {} in the model, so its dimension {} is {}, not {}; "
                                    "give a shape of {}",
                                    given->source, input, resolved.declared, axis, *declared[axis].size,
                                    given->shape[axis], shape_template(declared)));
      }
    }
    resolved.shape = given->shape;
    resolved.source = given->source;
    return resolved;
  }
  for (std::size_t axis = 0; axis < declared.size(); ++axis) {
    const DeclaredDim& dim = declared[axis];
    if (dim.size) {
      resolved.shape.push_back(*dim.size);
      continue;
    }
    if (!is_batch(declared, axis)) {
      throw UserError(fmt::format(
          "graph input '{}' {}: dimension {} ({}) is symbolic (exported as dynamic), and a shape is never guessed; "
          "give it with --shape {}={} (Python: shapes=) or with an --input file of that shape",
          input, resolved.declared, axis, dim_name(dim), input, shape_template(declared)));
    }
    resolved.shape.push_back(1);
    resolved.source = "batch 1";
    notes.push_back(fmt::format("graph input '{}' {}: its symbolic batch dimension {} is taken as 1 (--shape {}={} "
                                "to say so, or to give another size)",
                                input, resolved.declared, dim_name(dim), input, shape_template(declared)));
  }
  return resolved;
}

namespace {

std::vector<const GivenShape*> bind_one_kind(const std::vector<std::string>& inputs,
                                             const std::vector<GivenShape>& given) {
  std::vector<const GivenShape*> bound(inputs.size(), nullptr);
  const auto bind = [&](std::size_t slot, const GivenShape& g) {
    if (bound[slot] != nullptr) {
      throw UserError(fmt::format("{}: graph input '{}' already has {}; give one", g.source, inputs[slot],
                                  bound[slot]->source));
    }
    bound[slot] = &g;
  };
  // Named ones first; the others then take the inputs no name took, in the graph's order.
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < inputs.size(); ++i) index.emplace(inputs[i], i);
  for (const GivenShape& g : given) {
    if (g.input.empty()) continue;
    const auto it = index.find(g.input);
    if (it == index.end()) {
      std::vector<std::string_view> names(inputs.begin(), inputs.end());
      const std::string near = closest_spelling(g.input, names, std::max<std::size_t>(2, g.input.size() / 3));
      throw UserError(fmt::format("{}: the model has no graph input '{}'{}; its inputs: {}", g.source, g.input,
                                  near.empty() ? "" : fmt::format(" (did you mean '{}'?)", near),
                                  fmt::join(inputs, ", ")));
    }
    bind(it->second, g);
  }
  std::size_t next = 0;
  for (const GivenShape& g : given) {
    if (!g.input.empty()) continue;
    while (next < inputs.size() && bound[next] != nullptr) ++next;
    if (next >= inputs.size()) {
      throw UserError(fmt::format("{}: the model has only {} graph input{} ({}), each given already", g.source,
                                  inputs.size(), inputs.size() == 1 ? "" : "s", fmt::join(inputs, ", ")));
    }
    bind(next, g);
  }
  return bound;
}

}  // namespace

std::vector<const GivenShape*> bind_given_shapes(const std::vector<std::string>& inputs,
                                                 const std::vector<GivenShape>& shapes,
                                                 const std::vector<GivenShape>& files) {
  std::vector<const GivenShape*> bound = bind_one_kind(inputs, shapes);
  const std::vector<const GivenShape*> from_files = bind_one_kind(inputs, files);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (from_files[i] == nullptr) continue;
    if (bound[i] != nullptr && bound[i]->shape != from_files[i]->shape) {
      throw UserError(fmt::format("{} is {}, but {} says graph input '{}' is {}; drop one of them",
                                  from_files[i]->source, format_shape(from_files[i]->shape), bound[i]->source,
                                  inputs[i], format_shape(bound[i]->shape)));
    }
    bound[i] = from_files[i];
  }
  return bound;
}

}  // namespace wb
