#include "compiler/ir/attributes.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "support/error.h"

namespace wb {

std::string format_attr_value(const AttrValue& value) {
  return std::visit(
      [](const auto& v) -> std::string {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, std::int64_t> || std::is_same_v<V, float>) {
          return fmt::format("{}", v);
        } else if constexpr (std::is_same_v<V, std::string>) {
          return fmt::format("\"{}\"", v);
        } else if constexpr (std::is_same_v<V, Tensor>) {
          return fmt::format("tensor<{}{}>", dtype_name(v.dtype()), format_shape(v.shape()));
        } else {
          return fmt::format("[{}]", fmt::join(v, ","));
        }
      },
      value);
}

void Attributes::erase(std::string_view name) {
  auto it = values_.find(name);
  if (it != values_.end()) values_.erase(it);
}

template <class T>
const T* Attributes::find_as(std::string_view name, std::string_view kind) const {
  auto it = values_.find(name);
  if (it == values_.end()) return nullptr;
  const T* typed = std::get_if<T>(&it->second);
  if (typed == nullptr) {
    throw UserError(fmt::format("attribute '{}' should be {} but is {}", name, kind, format_attr_value(it->second)));
  }
  return typed;
}

std::int64_t Attributes::get_int(std::string_view name, std::int64_t fallback) const {
  const auto* v = find_as<std::int64_t>(name, "an int");
  return v ? *v : fallback;
}

float Attributes::get_float(std::string_view name, float fallback) const {
  const auto* v = find_as<float>(name, "a float");
  return v ? *v : fallback;
}

std::string Attributes::get_string(std::string_view name, std::string fallback) const {
  const auto* v = find_as<std::string>(name, "a string");
  return v ? *v : fallback;
}

std::vector<std::string> Attributes::get_strings(std::string_view name, std::vector<std::string> fallback) const {
  const auto* v = find_as<std::vector<std::string>>(name, "a list of strings");
  return v ? *v : fallback;
}

std::vector<std::int64_t> Attributes::get_ints(std::string_view name, std::vector<std::int64_t> fallback) const {
  const auto* v = find_as<std::vector<std::int64_t>>(name, "a list of ints");
  return v ? *v : fallback;
}

std::vector<float> Attributes::get_floats(std::string_view name, std::vector<float> fallback) const {
  const auto* v = find_as<std::vector<float>>(name, "a list of floats");
  return v ? *v : fallback;
}

const Tensor* Attributes::find_tensor(std::string_view name) const { return find_as<Tensor>(name, "a tensor"); }

std::optional<std::int64_t> Attributes::find_int(std::string_view name) const {
  const auto* v = find_as<std::int64_t>(name, "an int");
  return v ? std::optional(*v) : std::nullopt;
}

std::optional<float> Attributes::find_float(std::string_view name) const {
  const auto* v = find_as<float>(name, "a float");
  return v ? std::optional(*v) : std::nullopt;
}

}  // namespace wb
