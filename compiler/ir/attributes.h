#pragma once
// Node attributes: a small typed map. Accessors with a default return it when the
// attribute is absent; a present attribute of the wrong kind is a UserError.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "compiler/ir/tensor.h"

namespace wb {

using AttrValue = std::variant<std::int64_t, float, std::string, std::vector<std::int64_t>, std::vector<float>,
                               std::vector<std::string>, Tensor>;

std::string format_attr_value(const AttrValue& value);

class Attributes {
 public:
  bool has(std::string_view name) const { return values_.find(name) != values_.end(); }
  void set(std::string name, AttrValue value) { values_.insert_or_assign(std::move(name), std::move(value)); }
  void erase(std::string_view name);

  std::int64_t get_int(std::string_view name, std::int64_t fallback) const;
  float get_float(std::string_view name, float fallback) const;
  std::string get_string(std::string_view name, std::string fallback) const;
  std::vector<std::int64_t> get_ints(std::string_view name, std::vector<std::int64_t> fallback = {}) const;
  std::vector<float> get_floats(std::string_view name, std::vector<float> fallback = {}) const;
  std::vector<std::string> get_strings(std::string_view name, std::vector<std::string> fallback = {}) const;
  const Tensor* find_tensor(std::string_view name) const;

  std::optional<std::int64_t> find_int(std::string_view name) const;
  std::optional<float> find_float(std::string_view name) const;

  const std::map<std::string, AttrValue, std::less<>>& all() const { return values_; }

 private:
  template <class T>
  const T* find_as(std::string_view name, std::string_view kind) const;

  std::map<std::string, AttrValue, std::less<>> values_;
};

}  // namespace wb
